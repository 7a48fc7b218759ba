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

/** The letters a capitalised word begins with (all below U+0500). */
const CAPITAL_LETTER = /[A-Z\u00C0-\u00D6\u00D8-\u00DE\u0100-\u017F\u0181-\u024F\u0386-\u038F\u0391-\u03AB\u0400-\u042F]/g;
/** The letters of a word (Latin, Greek, Cyrillic: all below U+0500). */
const LETTER = /[A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u0370-\u03FF\u0400-\u04FF]/;
/**
 * For each code unit below U+0500: bit 1 when it is a LETTER, bit 2 when it is a capital letter
 * (Latin Extended-A mixes capitals and small letters in one range of CAPITAL_LETTER). Read while
 * walking a word instead of a regex per character.
 */
const CHARACTER_KINDS = new Uint8Array(0x500);
for (let code = 0; code < 0x500; code++) {
  const c = String.fromCharCode(code);
  CAPITAL_LETTER.lastIndex = 0;
  const capital = CAPITAL_LETTER.test(c) && (code < 0x100 || c !== c.toLowerCase());
  CHARACTER_KINDS[code] = (LETTER.test(c) ? 1 : 0) | (capital ? 2 : 0);
}
const isLetter = (code: number) => code < 0x500 && ((CHARACTER_KINDS[code] as number) & 1) === 1;
const isJoiner = (code: number) => code === 0x27 || code === 0x2019 || code === 0x2d; // ' ’ -

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
 * them, that do not begin inside another word. irregexp finds each capital (faster than a loop
 * over the small letters before it); the word after it is walked by hand, and the next capital
 * looked for after it, whether it is taken or not.
 */
function findCapitalised(text: string): Word[] {
  const words: Word[] = [];
  CAPITAL_LETTER.lastIndex = 0;
  while (CAPITAL_LETTER.test(text)) {
    const start = CAPITAL_LETTER.lastIndex - 1;
    let end = wordEnd(text, start + 1);
    CAPITAL_LETTER.lastIndex = end;
    if (start > 0) {
      const before = text.charCodeAt(start - 1);
      if (isAlphanumeric(before) ? !isDigit(before) : isLetter(before) || isJoiner(before)) continue;
    }
    if (((CHARACTER_KINDS[text.charCodeAt(start)] as number) & 2) === 0) continue;
    // A possessive is the word's own ending, not part of it.
    const apostrophe = text.charCodeAt(end - 2);
    if (end - start > 3 && text.charCodeAt(end - 1) === 0x73 && (apostrophe === 0x27 || apostrophe === 0x2019)) end -= 2;
    words.push(new Word(text, start, end));
  }
  return words;
}

/** Where the letters from `at` end, apostrophes and hyphens between letters included. */
function wordEnd(text: string, at: number): number {
  let end = at;
  for (;;) {
    while (isLetter(text.charCodeAt(end))) end++;
    if (!isJoiner(text.charCodeAt(end)) || !isLetter(text.charCodeAt(end + 1))) return end;
    end += 2;
  }
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
