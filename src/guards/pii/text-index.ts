import { isAlphanumeric, isDigit } from "./recognizer.js";

/** Digits, and the separators people write between groups of them, as one stretch of text. */
export interface NumberRun {
  start: number;
  /** After the last digit (or closing parenthesis). */
  end: number;
  digits: number;
  /** Where in the run a number can begin (startsIn), once a recognizer asks: several do. */
  starts: readonly number[] | undefined;
}

/** A word as written in the text. */
export class Word {
  private written?: string;

  constructor(
    protected readonly source: string,
    readonly start: number,
    readonly end: number,
  ) {}

  /** text[start, end), made when first asked for (most words are judged by their offsets alone). */
  get text(): string {
    return (this.written ??= this.source.slice(this.start, this.end));
  }
}

/** The letters a capitalised word begins with. */
const CAPITAL_LETTER = /[A-Z\u00C0-\u00D6\u00D8-\u00DE\u0100-\u017F\u0181-\u024F\u0386-\u038F\u0391-\u03AB\u0400-\u042F]/g;
const LETTER = "A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F\\u0370-\\u03FF\\u0400-\\u04FF";
/** What follows a capital in a capitalised word: letters, and apostrophes and hyphens inside them (always matches, maybe empty). */
const REST_OF_WORD = new RegExp(`[${LETTER}]*(?:['’-][${LETTER}]+)*`, "y");
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

/** Digits joined by at most two separators: one run of irregexp's fast scan instead of a loop over every character. */
const RUN = /\d(?:[ .()/+-]{0,2}\d)*/g;

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
    runs.push({ start, end, digits, starts: undefined });
  }
  return runs;
}

/**
 * The words that begin with a capital (Latin, Greek, Cyrillic), apostrophes and hyphens inside
 * them, that do not begin inside another word. Found with RegExp.test, where each regex ends
 * (lastIndex) telling where a word begins and ends: exec's match arrays and strings cost more
 * than the search (and a lookbehind for the word before halves its speed).
 */
function findCapitalised(text: string): Word[] {
  const words: Word[] = [];
  const length = text.length;
  for (let p = 0; p < length; ) {
    // irregexp finds the next capital faster than a loop over the small letters before it.
    CAPITAL_LETTER.lastIndex = p;
    if (!CAPITAL_LETTER.test(text)) break;
    const start = CAPITAL_LETTER.lastIndex - 1;
    REST_OF_WORD.lastIndex = start + 1;
    REST_OF_WORD.test(text);
    let end = REST_OF_WORD.lastIndex;
    // The next word is looked for after this one, whether this one is taken or not.
    p = end;
    if (start > 0) {
      const before = text.charCodeAt(start - 1);
      if (isAlphanumeric(before) ? !isDigit(before) : before > 0x7f || before === 0x27 || before === 0x2d ? LETTER_OR_JOINER.test(text[start - 1] as string) : false) continue;
    }
    // Latin Extended-A mixes capitals and small letters in one range.
    if (text.charCodeAt(start) >= 0x100) {
      const initial = text[start] as string;
      if (initial === initial.toLowerCase()) continue;
    }
    // A possessive is the word's own ending, not part of it.
    const apostrophe = text.charCodeAt(end - 2);
    if (end - start > 3 && text.charCodeAt(end - 1) === 0x73 && (apostrophe === 0x27 || apostrophe === 0x2019)) end -= 2;
    words.push(new Word(text, start, end));
  }
  return words;
}

/**
 * The positions in a run where a number can begin: the run's start and each digit (or + or ()
 * that follows something other than a letter or digit.
 */
export function startsIn(text: string, run: NumberRun): readonly number[] {
  return (run.starts ??= findStarts(text, run));
}

function findStarts(text: string, run: NumberRun): number[] {
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
