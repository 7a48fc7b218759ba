import type { Finding } from "../finding.js";
import type { TextIndex } from "./text-index.js";

/**
 * One kind of personal data: finds its occurrences in a text, validated so that look-alikes are
 * left alone. The index says where in the text to look (computed once for every recognizer).
 */
export interface PiiRecognizer {
  readonly types: readonly string[];
  find(text: string, index: TextIndex): Finding[];
  /** Loads what the recognizer needs (word lists) ahead of the first text, so that no caller waits for it. */
  prepare?(): void;
}

const CONTEXT_WINDOW = 48;

const SHORT_WORD = 3;

/**
 * Words that say what a number next to them is, as one case-insensitive pattern (one test
 * instead of one search per word). A word starts a word of the text ("Halifax" says no "fax",
 * "account" no "cc"); one of three letters or fewer also ends it, but for a plural ("tin" is
 * not "tiny", "tel" not "tell"), while a longer one may go on ("calling", "delivery").
 */
export const contextWords = (words: readonly string[]): RegExp =>
  new RegExp(
    words
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .map((w) => (w.length <= SHORT_WORD ? `\\b${w}s?\\b` : `\\b${w}`))
      .join("|"),
    "i",
  );

/** True when one of the words occurs in the text shortly before `start`. */
export function precededBy(text: string, start: number, words: RegExp): boolean {
  return words.test(text.slice(Math.max(0, start - CONTEXT_WINDOW), start));
}

export const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
/** A code unit in small letters when it is an ASCII capital, unchanged otherwise. */
export const asciiLower = (code: number): number => (code >= 0x41 && code <= 0x5a ? code | 0x20 : code);
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
