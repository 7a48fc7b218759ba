import type { Guard } from "../gateway/pipeline/guard.js";
import type { ModelCall } from "../gateway/pipeline/model-call.js";
import type { MarkerSource } from "./output/content-guard.js";
import { TermPattern } from "./output/restricted-terms.js";
import { readableText } from "./readable-text.js";

/** Marker patterns kept compiled between calls (tenants' data sources change rarely). */
const CACHED_PATTERNS = 1024;

/**
 * Classifies a call's input by the data it carries: a text holding the marker of one of the
 * tenant's confidential or restricted data sources ("CONFIDENTIAL-ACME") is labelled with that
 * source's sensitivity (`confidential`, `restricted`) in the policy context, so that a policy
 * such as `pii-never-external` keeps it from an external model. Markers match as the output
 * guards match them: whole words, in any case and spacing, through invisible characters and
 * look-alike letters. A registry that cannot be read refuses the call (the stage fails closed).
 */
export class DataClassifier implements Guard {
  readonly name = "data-classification";
  private readonly patterns = new Map<string, TermPattern>();

  constructor(private readonly markers: MarkerSource) {}

  async inspect(call: ModelCall): Promise<void> {
    if (!call.caller) return;
    const texts = call.request.messages.flatMap((m) => [m.content, ...(m.toolCalls ?? []).map((c) => c.arguments)]);
    const labels = await this.labelsOf(call.caller.tenantId, texts);
    if (labels.length === 0) return;
    const inspection = call.inspection ?? { dataClasses: [], labels: [] };
    call.inspection = { ...inspection, labels: [...new Set([...inspection.labels, ...labels])].sort() };
  }

  /** The sensitivities of the tenant's data sources whose markers the texts hold, in order. */
  async labelsOf(tenantId: string, texts: readonly string[]): Promise<string[]> {
    const sources = await this.markers(tenantId);
    if (sources.length === 0) return [];
    const readable = texts.filter((t) => t.length > 0).map((t) => readableText(t).text);
    const labels = new Set<string>();
    for (const source of sources) {
      if (labels.has(source.sensitivity)) continue;
      if (source.markers.some((marker) => readable.some((text) => this.pattern(marker).matches(text).length > 0))) labels.add(source.sensitivity);
    }
    return [...labels].sort();
  }

  private pattern(marker: string): TermPattern {
    let pattern = this.patterns.get(marker);
    if (!pattern) {
      if (this.patterns.size >= CACHED_PATTERNS) this.patterns.clear();
      pattern = new TermPattern(marker);
      this.patterns.set(marker, pattern);
    }
    return pattern;
  }
}
