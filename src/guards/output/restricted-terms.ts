import { HOMOGLYPHS } from "../injection/normalise.js";
import { findReadable } from "../readable-text.js";
import type { ContentDetector, Detection, DetectionAction } from "./detection.js";

/** A term to look for, and how a finding of it is reported. */
export interface RestrictedTerm {
  text: string;
  type: "RESTRICTED_TERM" | "DATA_SOURCE_MARKER";
  guard: string;
  /** Names the term without repeating it: "term 3", "data source crm". */
  detail: string;
  action: DetectionAction;
}

/** Between the words of a term: nothing, or up to three spaces, dashes, dots, underscores, slashes or colons. */
const separator = "[\\s_.:/\\-]{0,3}";

/** Latin letters and the Cyrillic and Greek letters that look like them (so "Fаlcon" with a Cyrillic а still matches). */
const lookAlikes = new Map<string, string[]>();
for (const [glyph, latin] of Object.entries(HOMOGLYPHS)) {
  const key = latin.toLowerCase();
  lookAlikes.set(key, [...(lookAlikes.get(key) ?? []), glyph]);
}

/** One letter or digit of a term (terms are split into words of letters and digits, so nothing needs escaping). */
function charPattern(c: string): string {
  const glyphs = lookAlikes.get(c.toLowerCase());
  return glyphs ? `[${c}${glyphs.join("")}]` : c;
}

/** Whether a match may begin here: not inside a word (the letter or digit before may be two code units). */
const WORD_START = /(?<![\p{L}\p{N}])/uy;

/**
 * A term as a pattern that also matches what a model (or someone steering it) does to dodge a
 * keyword filter: any case, other separators or none between its words ("project-falcon",
 * "ProjectFalcon"), look-alike letters. It matches whole words only: "Falcon" does not match
 * "Falconry" nor "GoFalcon". It reads the readable view of a text (readable-text.ts), where
 * invisible characters between letters and fullwidth letters no longer hide a term.
 */
export class TermPattern {
  private readonly pattern: RegExp;

  constructor(term: string) {
    const words = term.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    const body = words.map((w) => [...w].map(charPattern).join("")).join(separator);
    // The word start is checked where the body matches, not in the pattern: a pattern that opens
    // with a lookbehind is tried at every position of the text, one that opens with a letter is
    // only tried where that letter is (3–4 times faster over a long text).
    this.pattern = new RegExp(`${body}(?![\\p{L}\\p{N}])`, "giu");
  }

  /** Where the term occurs in a readable text (readableText's), in order. */
  matches(text: string): { start: number; end: number }[] {
    const found: { start: number; end: number }[] = [];
    const pattern = this.pattern;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      WORD_START.lastIndex = m.index;
      if (!WORD_START.test(text)) {
        // Inside a word: a match may still begin at the next position, as in a scan with the lookbehind.
        pattern.lastIndex = m.index + 1;
        continue;
      }
      found.push({ start: m.index, end: m.index + m[0].length });
    }
    return found;
  }
}

/** Finds restricted terms and data-source markers; patterns are compiled once per detector. */
export class RestrictedTermDetector implements ContentDetector {
  private readonly patterns: { term: RestrictedTerm; pattern: TermPattern }[];

  constructor(terms: readonly RestrictedTerm[]) {
    this.patterns = terms.map((term) => ({ term, pattern: new TermPattern(term.text) }));
  }

  /** The longest text a match can span with its separators, for the stream's hold-back. */
  get longestMatch(): number {
    return Math.max(0, ...this.patterns.map(({ term }) => term.text.length * 2));
  }

  find(text: string): Detection[] {
    return findReadable(text, (readable) => {
      const found: Detection[] = [];
      for (const { term, pattern } of this.patterns) {
        for (const { start, end } of pattern.matches(readable)) {
          found.push({ type: term.type, start, end, score: 1, guard: term.guard, action: term.action, detail: term.detail });
        }
      }
      return found;
    });
  }
}
