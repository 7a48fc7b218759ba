import type { Finding } from "./finding.js";

/**
 * The typed placeholders of one call ([CREDIT_CARD_1], [EMAIL_ADDRESS_2] …), numbered per type
 * in order of first appearance; the same value keeps its number across every message of the
 * call. Holds the original values in memory for as long as the call lasts, and nowhere else.
 */
export class Placeholders {
  private readonly byValue = new Map<string, string>();
  private readonly originals = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  /** The placeholder standing for this value of this type, made on first use. */
  for(type: string, value: string): string {
    const key = `${type}\u0000${value}`;
    let placeholder = this.byValue.get(key);
    if (placeholder === undefined) {
      const n = (this.counts.get(type) ?? 0) + 1;
      this.counts.set(type, n);
      placeholder = `[${type}_${n}]`;
      this.byValue.set(key, placeholder);
      this.originals.set(placeholder, value);
    }
    return placeholder;
  }

  /** The value a placeholder stands for, when this call made it. */
  original(placeholder: string): string | undefined {
    return this.originals.get(placeholder);
  }

  /**
   * A copy that numbers on from this one: values this one holds keep their placeholders, new
   * values are the copy's alone (so what the output guards redact is never restorable as input).
   */
  fork(): Placeholders {
    const copy = new Placeholders();
    for (const [key, placeholder] of this.byValue) copy.byValue.set(key, placeholder);
    for (const [placeholder, value] of this.originals) copy.originals.set(placeholder, value);
    for (const [type, n] of this.counts) copy.counts.set(type, n);
    return copy;
  }

  get size(): number {
    return this.originals.size;
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
