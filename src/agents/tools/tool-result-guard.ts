import { injectionFindings } from "../../guards/injection/detector.js";
import { findAnywhere, OFFLOAD_CHARS, type ScanWorkers } from "../../guards/offload/scan-workers.js";
import { ContentGuard, type MarkerSource } from "../../guards/output/content-guard.js";
import { describeDetection, isOffloadable, type ContentDetector, type Detection } from "../../guards/output/detection.js";
import { judgeText } from "../../guards/output/held-text.js";
import type { OutputGuardSettings } from "../../guards/output/settings.js";
import { Placeholders } from "../../guards/placeholders.js";
import type { ToolResult } from "./tool-transport.js";
import { isArray, isRecord } from "../../shared/json.js";

export interface ToolResultFinding {
  type: string;
  guard: string;
  action: "redact" | "block" | "flag";
  /** Which term, data source or detector signal (never the matched text). */
  detail?: string;
}

export interface GuardedToolResult {
  /** The result with what the guards redact replaced by placeholders. */
  result: ToolResult;
  findings: ToolResultFinding[];
  /** The injection detector flagged the result's text. */
  injection: boolean;
  /** Data sources whose markers the result carries: the task has read from them, whatever the tool declared. */
  markedSources: string[];
  /** A finding the tenant's settings refuse: the result is withheld from the agent. */
  refusal?: string;
}

class Refused extends Error {
  constructor(readonly detection: Detection) {
    super(describeDetection(detection));
  }
}

/** Every string in a structured value, at any depth. */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (isArray(value)) for (const v of value) stringsIn(v, out);
  else if (isRecord(value)) for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/**
 * A tool's result on its way back to the agent, through the output guards under the tenant's
 * `guards.output` settings: personal data and credentials are redacted or refused as they say;
 * restricted terms, data-source markers and toxic text are flagged rather than refused (the
 * agent was granted this read; a marker raises the task's label to its data source instead); and
 * the injection detector reads it, since tool content is where indirect injections arrive.
 */
export class ToolResultGuard {
  private readonly content: ContentGuard;

  constructor(
    markers: MarkerSource,
    /** Worker threads for a long result's scans: personal data, abuse and injections, its costliest parts (findAnywhere). */
    private readonly workers?: ScanWorkers,
  ) {
    this.content = new ContentGuard(markers);
  }

  async inspect(tenantId: string, section: OutputGuardSettings | undefined, result: ToolResult): Promise<GuardedToolResult> {
    const detectors = await this.content.detectorsFor(tenantId, section, { flagContent: true });

    const findings: ToolResultFinding[] = [];
    const placeholders = new Placeholders();
    const judge = {
      note: (d: Detection) => {
        findings.push({ type: d.type, guard: d.guard, action: d.action, ...(d.detail ? { detail: d.detail } : {}) });
      },
      refuse: (d: Detection): never => {
        throw new Refused(d);
      },
    };
    const readElsewhere = await this.readLongTexts(result, detectors);
    const guardText = (text: string) => judgeText(text, readElsewhere.get(text) ?? detectors, judge, placeholders);
    const guardValue = (value: unknown): unknown => {
      if (typeof value === "string") return guardText(value);
      if (isArray(value)) return value.map(guardValue);
      if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, guardValue(v)]));
      return value;
    };

    const texts: string[] = [];
    let guarded: ToolResult;
    try {
      guarded = {
        ...result,
        content: result.content.map((c) => {
          if (c.type !== "text") return c;
          texts.push(c.text);
          return { ...c, text: guardText(c.text) };
        }),
        ...(result.structuredContent ? { structuredContent: guardValue(result.structuredContent) as Record<string, unknown> } : {}),
      };
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      const d = error.detection;
      return { result, findings: [...findings, { type: d.type, guard: d.guard, action: "block" }], injection: false, markedSources: [], refusal: `the tool's result holds ${describeDetection(d)} (guard ${d.guard})` };
    }

    const read = [...texts, ...(result.structuredContent ? [JSON.stringify(result.structuredContent)] : [])].join("\n");
    const injected = await findAnywhere(read, "injection", (text) => injectionFindings(text), this.workers);
    for (const f of injected) findings.push({ type: f.type, guard: "injection", action: "flag", detail: `score ${f.score}` });
    const markedSources = [
      ...new Set(findings.filter((f) => f.type === "DATA_SOURCE_MARKER" && f.detail?.startsWith("data source ")).map((f) => (f.detail ?? "").slice("data source ".length))),
    ];
    return { result: guarded, findings, injection: injected.length > 0, markedSources };
  }

  /**
   * The detectors to judge each long text with, its offloadable ones (personal data, abuse) replaced by
   * what their scan found on a worker thread: judging is synchronous and cheap, the scan is not.
   */
  private async readLongTexts(result: ToolResult, detectors: ContentDetector[]): Promise<Map<string, ContentDetector[]>> {
    const read = new Map<string, ContentDetector[]>();
    const workers = this.workers;
    if (workers === undefined || !detectors.some(isOffloadable)) return read;
    const texts = [...result.content.flatMap((c) => (c.type === "text" ? [c.text] : [])), ...stringsIn(result.structuredContent)];
    const long = [...new Set(texts.filter((t) => t.length >= OFFLOAD_CHARS))];
    await Promise.all(
      long.map(async (text) => {
        const judged = await Promise.all(
          detectors.map(async (d): Promise<ContentDetector> => {
            if (!isOffloadable(d)) return d;
            const found = d.judge(await findAnywhere(text, d.scanKind, (t) => d.scan(t), workers));
            return { find: () => found };
          }),
        );
        read.set(text, judged);
      }),
    );
    return read;
  }
}
