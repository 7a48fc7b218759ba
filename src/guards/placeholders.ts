import type { Finding } from "./finding.js";

/**
 * The typed placeholders of one call ([CREDIT_CARD_1], [EMAIL_ADDRESS_2] …), numbered per type
 * in order of first appearance; the same value keeps its number across every message of the
 * call. Holds the original values in memory for as long as the call lasts, and nowhere else.
 */
export class Placeholders {
  /** Per type, each value's placeholder, numbered in order of first use (so a type's count is its map's size). */
  private readonly byType = new Map<string, Map<string, string>>();
  /** Placeholder to value, made when first asked for: redacting only ever adds placeholders, restoring reads them. */
  private readonly originals = new Map<string, string>();
  private count = 0;

  /** The placeholder standing for this value of this type, made on first use. */
  for(type: string, value: string): string {
    let values = this.byType.get(type);
    if (values === undefined) this.byType.set(type, (values = new Map()));
    let placeholder = values.get(value);
    if (placeholder === undefined) {
      placeholder = `[${type}_${values.size + 1}]`;
      values.set(value, placeholder);
      this.count++;
    }
    return placeholder;
  }

  /** The value a placeholder stands for, when this call made it. */
  original(placeholder: string): string | undefined {
    if (this.originals.size !== this.count) {
      for (const values of this.byType.values()) for (const [value, p] of values) this.originals.set(p, value);
    }
    return this.originals.get(placeholder);
  }

  /**
   * A copy that numbers on from this one: values this one holds keep their placeholders, new
   * values are the copy's alone (so what the output guards redact is never restorable as input).
   */
  fork(): Placeholders {
    const copy = new Placeholders();
    for (const [type, values] of this.byType) copy.byType.set(type, new Map(values));
    copy.count = this.count;
    return copy;
  }

  get size(): number {
    return this.count;
  }
}

/** Replaces each finding with its typed placeholder; overlapping findings after the first are left alone. */
export function redact(text: string, findings: readonly Finding[], placeholders = new Placeholders()): string {
  let out = "";
  let at = 0;
  for (const f of [...findings].sort((a, b) => a.start - b.start)) {
    if (f.start < at) continue;
    out += text.slice(at, f.start) + placeholders.for(f.type, text.slice(f.start, f.end));
    at = f.end;
  }
  return out + text.slice(at);
}
