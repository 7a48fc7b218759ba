import type { Finding } from "../finding.js";

/** One kind of personal data: finds its occurrences in a text, validated so that look-alikes are left alone. */
export interface PiiRecognizer {
  readonly types: readonly string[];
  find(text: string): Finding[];
}

const CONTEXT_WINDOW = 48;

/** True when one of the words occurs in the text shortly before `start` (lower-case words). */
export function precededBy(text: string, start: number, words: readonly string[]): boolean {
  const before = text.slice(Math.max(0, start - CONTEXT_WINDOW), start).toLowerCase();
  return words.some((w) => before.includes(w));
}

export const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
export const isAlphanumeric = (code: number): boolean => isDigit(code) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a);

/**
 * The matches of a global regex, in order. Unlike String.prototype.matchAll it reuses the regex
 * instead of cloning it per call, so V8 keeps its compiled code (a clone starts interpreted).
 */
export function* matchesOf(pattern: RegExp, text: string): Generator<RegExpExecArray> {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m[0].length === 0) pattern.lastIndex++;
    yield m;
  }
}
