import { isAlphanumeric, isDigit } from "./recognizer.js";

/** Digits, and the separators people write between groups of them, as one stretch of text. */
export interface NumberRun {
  start: number;
  /** After the last digit (or closing parenthesis). */
  end: number;
  digits: number;
}

/** Digits joined by at most two separators: one run of irregexp's fast scan instead of a loop over every character. */
const RUN = /\d(?:[ .()/+-]{0,2}\d)*/g;

/** A word as written in the text. */
export interface Word {
  start: number;
  end: number;
  text: string;
}

const UPPER = "A-Z\\u00C0-\\u00D6\\u00D8-\\u00DE\\u0100-\\u017F\\u0181-\\u024F\\u0386-\\u038F\\u0391-\\u03AB\\u0400-\\u042F";
const LETTER = "A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F\\u0370-\\u03FF\\u0400-\\u04FF";
/**
 * A word that begins with a capital letter (Latin, Greek, Cyrillic), apostrophes and hyphens
 * inside it. That it does not begin inside another word is checked by hand: a lookbehind here
 * halves the speed of the scan.
 */
const CAPITALISED = new RegExp(`[${UPPER}][${LETTER}]*(?:['’-][${LETTER}]+)*`, "g");
const LETTER_OR_JOINER = new RegExp(`[${LETTER}'’-]`);

/**
 * What one pass over a text tells every recognizer, so that each looks only where it could
 * find something instead of running its patterns over the whole text: the runs of digits
 * (every structured type but e-mail addresses and secrets is made of one).
 */
export class TextIndex {
  private numberRuns?: NumberRun[];
  private capitalisedWords?: Word[];

  constructor(readonly text: string) {}

  /** Maximal runs of digits joined by at most two separators ("+1 (415) 555-0132", "4111 1111", "10.0.0.1"), with a leading + or ( included. */
  get runs(): readonly NumberRun[] {
    return (this.numberRuns ??= findRuns(this.text));
  }

  /** The words that begin with a capital letter, in order (names, places, streets). */
  get capitalised(): readonly Word[] {
    return (this.capitalisedWords ??= findCapitalised(this.text));
  }
}

function findRuns(text: string): NumberRun[] {
  const runs: NumberRun[] = [];
  RUN.lastIndex = 0;
  for (let m = RUN.exec(text); m !== null; m = RUN.exec(text)) {
    let start = m.index;
    let end = start + m[0].length;
    // A leading "+", "(" or "+(" belongs to the number, and so does a closing parenthesis.
    while (start > 0 && m.index - start < 2 && (text.charCodeAt(start - 1) === 0x2b || text.charCodeAt(start - 1) === 0x28)) start--;
    if (text.charCodeAt(end) === 0x29) end++;
    let digits = 0;
    for (let i = m.index; i < end; i++) if (isDigit(text.charCodeAt(i))) digits++;
    runs.push({ start, end, digits });
  }
  return runs;
}

function findCapitalised(text: string): Word[] {
  const words: Word[] = [];
  CAPITALISED.lastIndex = 0;
  for (let m = CAPITALISED.exec(text); m !== null; m = CAPITALISED.exec(text)) {
    let word = m[0];
    if (m.index > 0) {
      const before = text.charCodeAt(m.index - 1);
      if (isAlphanumeric(before) ? !isDigit(before) : before > 0x7f || before === 0x27 || before === 0x2d ? LETTER_OR_JOINER.test(text[m.index - 1] as string) : false) continue;
    }
    // Latin Extended-A mixes capitals and small letters in one range.
    if (word.charCodeAt(0) >= 0x100 && word[0] === word[0]?.toLowerCase()) continue;
    // A possessive is the word's own ending, not part of it.
    if (word.length > 3 && (word.endsWith("'s") || word.endsWith("’s"))) word = word.slice(0, -2);
    words.push({ start: m.index, end: m.index + word.length, text: word });
  }
  return words;
}

/**
 * The positions in a run where a number can begin: the run's start and each digit (or + or ()
 * that follows something other than a letter or digit.
 */
export function startsIn(text: string, run: NumberRun): number[] {
  const starts: number[] = [];
  for (let p = run.start; p < run.end; p++) {
    const code = text.charCodeAt(p);
    if (!isDigit(code) && code !== 0x2b && code !== 0x28) continue;
    if (p === run.start || !isAlphanumeric(text.charCodeAt(p - 1))) starts.push(p);
  }
  return starts;
}

/**
 * The matches of a sticky regex that begin at the given positions, in order; a match hides the
 * positions it covers. Lookbehinds see the whole text, as in a scan of all of it.
 */
export function stickyMatches(pattern: RegExp, text: string, starts: readonly number[]): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  let after = -1;
  for (const p of starts) {
    if (p < after) continue;
    pattern.lastIndex = p;
    const m = pattern.exec(text);
    if (m) {
      after = p + Math.max(1, m[0].length);
      matches.push(m);
    }
  }
  return matches;
}
