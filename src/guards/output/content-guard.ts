import type { StreamEvent } from "../../gateway/chat.js";
import type { OutputGuard } from "../../gateway/pipeline/guard.js";
import type { ModelCall } from "../../gateway/pipeline/model-call.js";
import type { Registry } from "../../registry/registry.js";
import { sensitivityRank, type Sensitivity } from "../../registry/kinds.js";
import { parseJson } from "../../shared/json.js";
import { Placeholders, redact } from "../placeholders.js";
import { PiiScanner } from "../pii/pii-scanner.js";
import type { ContentDetector, Detection } from "./detection.js";
import { noteDetection, refusalFor } from "./findings.js";
import { DEFAULT_HOLD_BACK, findAll, HeldText, judgeText, type Judge } from "./held-text.js";
import { PiiLeakDetector } from "./pii-leaks.js";
import { RestrictedTermDetector, type RestrictedTerm } from "./restricted-terms.js";
import { outputGuardSettingsOf, type OutputGuardSettings } from "./settings.js";
import { ToxicityDetector } from "./toxicity.js";
import { timed } from "./timing.js";

/** The markers a tenant's confidential and restricted data sources declare, with each source's sensitivity. */
export type MarkerSource = (tenantId: string) => Promise<{ dataSource: string; sensitivity: Sensitivity; markers: string[] }[]>;

export const registryMarkers =
  (registry: Registry): MarkerSource =>
  async (tenantId) =>
    (await registry.list(tenantId, "data_source"))
      .filter((r) => sensitivityRank(r.spec.sensitivity) >= sensitivityRank("confidential") && (r.spec.markers?.length ?? 0) > 0)
      .map((r) => ({ dataSource: r.name, sensitivity: r.spec.sensitivity, markers: r.spec.markers ?? [] }));

/** What POST /v1/guard/check with direction output answers: the verdict, the findings, the text as redacted. */
export interface ContentReview {
  verdict: "allow" | "redact" | "block";
  findings: Detection[];
  redacted: string;
}

/** The tenant's restricted terms (always refused) and its data sources' markers (as its settings say). */
function restrictedTermsOf(settings: OutputGuardSettings, markers: Awaited<ReturnType<MarkerSource>>): RestrictedTerm[] {
  const terms: RestrictedTerm[] = settings.restrictedTerms.map((text, i) => ({
    text,
    type: "RESTRICTED_TERM",
    guard: "restricted-terms",
    detail: `term ${i + 1}`,
    action: "block",
  }));
  if (settings.markers !== "off") {
    for (const source of markers) {
      for (const text of source.markers) {
        terms.push({ text, type: "DATA_SOURCE_MARKER", guard: "markers", detail: `data source ${source.dataSource}`, action: settings.markers });
      }
    }
  }
  return terms;
}

/** The checks one call's answer goes through, as its tenant's settings and data sources make them. */
interface ContentPolicy {
  detectors: ContentDetector[];
  holdBack: number;
}

const CACHED_TERM_SETS = 256;

/**
 * Leaks and abuse in an answer: personal data and credentials (the input guards' recognizers),
 * the tenant's restricted terms, the markers of its confidential data sources, and toxicity, in
 * the text and in tool call arguments. What is found is redacted, refused (403 naming the guard)
 * or flagged, as `guards.output` says. A stream is judged while it arrives: each run of text is
 * held back by a few dozen characters (see HeldText) so that a leak is cut before the caller has
 * any of it, with an error event in the API's own shape.
 */
export class ContentGuard implements OutputGuard {
  readonly name = "content";
  private readonly policies = new WeakMap<ModelCall, ContentPolicy>();
  private readonly termDetectors = new Map<string, RestrictedTermDetector>();

  constructor(
    private readonly markers: MarkerSource,
    private readonly scanner = new PiiScanner(),
  ) {}

  async prepare(call: ModelCall): Promise<void> {
    await this.policyFor(call);
  }

  async inspect(call: ModelCall): Promise<void> {
    const response = call.response;
    if (!response) return;
    const { detectors } = await this.policyFor(call);
    const judge = this.judge(call, false);
    const placeholders = call.placeholders?.fork() ?? new Placeholders();
    const content = judgeText(response.content, detectors, judge, placeholders);
    const toolCalls = response.toolCalls.map((c) => ({ ...c, arguments: judgeText(c.arguments, detectors, judge, placeholders) }));
    const format = call.request.responseFormat?.type;
    if (content !== response.content && (format === "json_object" || format === "json_schema") && !parses(content)) {
      // A redaction outside a JSON string (a card number as a number) would hand the caller broken JSON.
      judge.refuse({ type: "UNREDACTABLE", start: 0, end: 0, score: 1, guard: "pii", action: "block" });
    }
    call.response = { ...response, content, toolCalls };
  }

  guardStream(call: ModelCall, events: AsyncIterable<StreamEvent>): AsyncIterable<StreamEvent> {
    return this.watch(call, events);
  }

  private async *watch(call: ModelCall, events: AsyncIterable<StreamEvent>): AsyncGenerator<StreamEvent> {
    const { detectors, holdBack } = await this.policyFor(call);
    const judge = this.judge(call, true);
    const placeholders = call.placeholders?.fork() ?? new Placeholders();
    const runs = new Map<string, HeldText>();
    let current: string | undefined;
    const run = (key: string): HeldText => {
      let held = runs.get(key);
      if (!held) runs.set(key, (held = new HeldText(detectors, holdBack, judge, placeholders)));
      return held;
    };
    const eventFor = (key: string, text: string): StreamEvent | undefined => {
      if (text === "") return undefined;
      return key === "text" ? { type: "text", text } : { type: "tool_call_arguments", index: Number(key), arguments: text };
    };
    /** Text of another run may not go out after events that follow it: a run ends when another begins. */
    const switchTo = (key: string | undefined): StreamEvent | undefined => {
      if (current === undefined || current === key) {
        current = key;
        return undefined;
      }
      const previous = current;
      current = key;
      return eventFor(previous, timed(call, () => run(previous).flush()));
    };

    for await (const event of events) {
      if (event.type === "finish") {
        const last = switchTo(undefined);
        if (last) yield last;
        yield event;
        return;
      }
      const key = event.type === "text" ? "text" : event.type === "tool_call_arguments" ? String(event.index) : undefined;
      const flushed = switchTo(key);
      if (flushed) yield flushed;
      if (key === undefined) {
        yield event;
        continue;
      }
      const piece = event.type === "text" ? event.text : event.type === "tool_call_arguments" ? event.arguments : "";
      const out = eventFor(key, timed(call, () => run(key).push(piece)));
      if (out) yield out;
    }
  }

  private judge(call: ModelCall, streamed: boolean): Judge {
    return {
      note: (d: Detection) => noteDetection(call, d),
      refuse: (d: Detection) => {
        throw refusalFor(call, d, streamed);
      },
    };
  }

  private async policyFor(call: ModelCall): Promise<ContentPolicy> {
    const known = this.policies.get(call);
    if (known) return known;
    const policy = await this.policyOf(call.caller?.tenantId, call.caller?.settings.guards?.output);
    this.policies.set(call, policy);
    return policy;
  }

  /**
   * Judges a text as an answer to the tenant would be judged, without refusing: what was found,
   * what the settings do with each, and the text with the redactions made (POST /v1/guard/check
   * with direction output).
   */
  async review(tenantId: string | undefined, section: OutputGuardSettings | undefined, text: string, placeholders = new Placeholders()): Promise<ContentReview> {
    const { detectors } = await this.policyOf(tenantId, section);
    const found = findAll(detectors, text);
    const redacted = redact(text, found.filter((d) => d.action === "redact"), placeholders);
    const verdict = found.some((d) => d.action === "block") ? "block" : found.some((d) => d.action === "redact") ? "redact" : "allow";
    return { verdict, findings: found, redacted };
  }

  /**
   * The checks an answer to the tenant goes through. With `flagContent`, restricted terms,
   * data-source markers and toxic text are only noted, never refused (tool results: the read was
   * granted, and a marker raises the task's label instead); personal data and credentials stay
   * as the settings say.
   */
  async detectorsFor(tenantId: string | undefined, section: OutputGuardSettings | undefined, options: { flagContent?: boolean } = {}): Promise<ContentDetector[]> {
    return (await this.policyOf(tenantId, section, options.flagContent ?? false)).detectors;
  }

  private async policyOf(tenantId: string | undefined, section: OutputGuardSettings | undefined, flagContent = false): Promise<ContentPolicy> {
    const settings = outputGuardSettingsOf(section);
    // Tool results look for markers whatever the settings do with them in answers: a marker is what raises the task's label.
    const termSettings = flagContent ? { ...settings, markers: "flag" as const } : settings;
    const terms = (await this.restrictedTerms(tenantId, termSettings)).map((t) => (flagContent ? { ...t, action: "flag" as const } : t));
    const detectors: ContentDetector[] = [new PiiLeakDetector({ pii: settings.pii, secrets: settings.secrets }, this.scanner)];
    let holdBack = DEFAULT_HOLD_BACK;
    if (terms.length > 0) {
      const detector = this.termDetector(terms);
      detectors.push(detector);
      holdBack = Math.max(holdBack, detector.longestMatch + 8);
    }
    if (settings.toxicity !== "off") detectors.push(new ToxicityDetector(flagContent ? "flag" : settings.toxicity));
    return { detectors, holdBack };
  }

  private async restrictedTerms(tenantId: string | undefined, settings: OutputGuardSettings): Promise<RestrictedTerm[]> {
    return restrictedTermsOf(settings, settings.markers !== "off" && tenantId !== undefined ? await this.markers(tenantId) : []);
  }

  /** Term patterns are compiled once per distinct set (tenants' settings change rarely). */
  private termDetector(terms: RestrictedTerm[]): RestrictedTermDetector {
    const key = JSON.stringify(terms);
    let detector = this.termDetectors.get(key);
    if (!detector) {
      detector = new RestrictedTermDetector(terms);
      this.termDetectors.set(key, detector);
      if (this.termDetectors.size > CACHED_TERM_SETS) this.termDetectors.delete(this.termDetectors.keys().next().value as string);
    }
    return detector;
  }
}

function parses(text: string): boolean {
  try {
    parseJson<unknown>(text);
    return true;
  } catch {
    return false;
  }
}

