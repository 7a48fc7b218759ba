import type { Finding } from "../finding.js";
import { contextWords, isDigit, precededBy, type PiiRecognizer } from "./recognizer.js";
import type { NumberRun, Word } from "./text-index.js";
import { loadWordTable, type PrebuiltTable } from "./prebuilt-tables.js";
import { englishWords } from "./word-lists.js";
import { WordTable } from "./word-table.js";

/** Words that say "street" in the languages addresses are commonly written in, lower case. */
const STREET_WORD_LIST = (
  "street st str road rd avenue ave av avda boulevard blvd lane ln drive dr way court ct place pl square sq terrace terrasse ter parkway " +
  "pkwy highway hwy circle cir crescent cres close row alley trail trl loop pass union gateway turnpike harbor harbour parks park point " +
  "crossing heights ridge hill hills plaza port fort walk mews grove gardens green expressway freeway pike junction radial bypass " +
  "rua rue via viale vicolo piazza piazzale corso largo strada calle carrer avenida camino paseo praça praca travessa alameda chemin " +
  "allée allee impasse quai cours straße strasse weg gasse platz ring damm ufer laan straat plein gracht kade dijk vej gade gata gatan " +
  "vägen väg veien vei gate gaten stræti katu tie kuja polku tee mnt utca u út tér körút köz rkp ulica ul ulice náměstí nám aleja al cesta " +
  "trg οδός οδ λεωφόρος λεωφ λ πλατεία"
).split(" ");
/** Endings of one-word street names ("Koskikatu", "Søndergade", "Bundesstrasse"). */
const STREET_ENDINGS = "straße strasse gasse weg platz allee laan straat vej gade gata gatan vägen veien gaten stræti katu tie kuja polku utca ulica cesta road street".split(" ");
/** The endings by their last letter (each an ASCII one): a word is compared with the few that end as it does. */
const ENDINGS_BY_LAST: (string[] | undefined)[] = new Array<string[] | undefined>(0x80);
for (const e of STREET_ENDINGS) (ENDINGS_BY_LAST[e.charCodeAt(e.length - 1) & 0x7f] ??= []).push(e);
const endingsOf = (last: number) => (last < 0x80 ? ENDINGS_BY_LAST[last] : undefined);
/**
 * Small letters of the code units below U+0370 (Latin, IPA, diacritics), as toLowerCase makes
 * them of the letter alone; 0 for İ (U+0130), whose small letter is two code units. Up to there
 * a word lowers letter by letter exactly as toLowerCase lowers it whole (Greek's final sigma,
 * for one, does not).
 */
const LATIN_LOWER = new Uint16Array(0x370);
for (let c = 1; c < 0x370; c++) {
  const lower = String.fromCharCode(c).toLowerCase();
  LATIN_LOWER[c] = lower.length === 1 ? lower.charCodeAt(0) : 0;
}
/** Whether text[start, end) lowers letter by letter (LATIN_LOWER knows each of its code units). */
function lowersByLetter(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x370 || LATIN_LOWER[code] === 0) return false;
  }
  return true;
}
const lowerAt = (text: string, i: number) => LATIN_LOWER[text.charCodeAt(i)] as number;

/**
 * A small set of words, asked about a stretch of a text without making a string: each word is
 * compared only with the words of its length and first character (by an array index, modulo
 * 32). With `foldCase` the set holds small letters and a stretch is compared in small letters
 * (it must lower by letter).
 */
class WordsByShape {
  private readonly byShape: (string[] | undefined)[] = new Array<string[] | undefined>(32 * 32);

  constructor(
    words: Iterable<string>,
    private readonly foldCase = false,
  ) {
    for (const w of words) {
      const shape = WordsByShape.shapeOf(w.length, w.charCodeAt(0));
      (this.byShape[shape] ??= []).push(w);
    }
  }

  private static shapeOf(length: number, first: number): number {
    return (Math.min(length, 31) << 5) | (first & 31);
  }

  has(text: string, start: number, end: number): boolean {
    const first = this.foldCase ? lowerAt(text, start) : text.charCodeAt(start);
    const words = this.byShape[WordsByShape.shapeOf(end - start, first)];
    if (words) {
      for (const w of words) {
        if (w.length === end - start && (this.foldCase ? equalsFolded(text, start, w) : text.startsWith(w, start))) return true;
      }
    }
    return false;
  }
}

/** Whether text lowered from `start` begins with `word` (in small letters). */
function equalsFolded(text: string, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (lowerAt(text, start + i) !== word.charCodeAt(i)) return false;
  return true;
}

const STREET_WORDS = new Set(STREET_WORD_LIST);
const STREET_WORDS_FOLDED = new WordsByShape(STREET_WORD_LIST, true);

/** Small words inside street and town names. */
const CONNECTORS = new WordsByShape("do da de del della dei dos das di du la le les van von der den am an al el y of the e".split(" "));
/** Street words that end a street's name in English, capitalised as part of it. */
const NAMED_STREETS = new WordsByShape(["Street", "Avenue", "Road", "Lane", "Drive", "Boulevard", "Place", "Square", "Terrace", "Court", "Crescent", "Parkway", "Highway"]);
const UNIT = /(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Floor|Fl\.?|Room|Rm\.?|#)\s*\d{1,5}[A-Za-z]?/iy;
/** The characters a UNIT begins with (a, s, u, f, r in either case, #). */
const UNIT_FIRST = new Set([..."asufrASUFR#"].map((c) => c.charCodeAt(0)));
/** Small words inside a town's name ("Stratford upon Avon"): a lower-case word after the town's first that does not end it. */
const TOWN_WORD = / (?:de|da|do|del|la|le|am|an|upon|sur)\b/y;
const QUALIFIER = / \([^)\n]{1,20}\)/y;
const ZIP = /\d{4,6}(?:-\d{4})?(?!\d)/y;
const STATE = /[A-Z]{2}(?![\p{L}\d])/uy;
const BOX_ADDRESS = /\b(?:(?:PSC|Unit|CMR)\s+\d{3,5},?\s+Box\s+\d{3,5}|P\.?\s?O\.?\s+Box\s+\d{1,6}|Postbox\s+\d{1,6})(?:\s*\n?\s*(?:APO|FPO|DPO)\s+A[AEP]\s+\d{5})?/giy;
/** The characters a BOX_ADDRESS begins with (PSC, Unit, CMR, P.O., Postbox in either case). */
const BOX_FIRST = new Set([..."pucPUC"].map((c) => c.charCodeAt(0)));


const CORNER = /\b(?:the )?corner of [^,;?!\n]{3,60}? and [^.,;?!\n]{2,40}?(?=[.,;?!\n]|$| in | for | after | on | at )/iy;
/**
 * What box addresses and street corners hold ("box", and "orner of" one or five characters into
 * a CORNER match), in either case: one scan of the text finds where to try BOX_ADDRESS and
 * CORNER instead of running them over it.
 */
const HINTS = /box|orner of/gi;

function hintsIn(text: string): { boxes: number[]; corners: number[] } {
  const boxes: number[] = [];
  const corners: number[] = [];
  HINTS.lastIndex = 0;
  for (let m = HINTS.exec(text); m !== null; m = HINTS.exec(text)) ((text.charCodeAt(m.index) | 0x20) === 0x62 ? boxes : corners).push(m.index); // b
  return { boxes, corners };
}
/** Words before an address that say one follows. */
const CONTEXT = contextWords(["address", "lives at", "lives on", "live at", "live on", "located at", "is at", "moved to", "send", "sent to", "deliver", "ship to", "meet me at", "meet you at", "office", "return to", "drops you off at", "enter on", "station is on"]);

/** What a word near a number is to a street's name, as bits. */
const CAPITALISED = 1;
const CONNECTOR = 2;
const STREET = 4;
const NAME_WORD = CAPITALISED | CONNECTOR | STREET;

/**
 * Words read next to a number, in text order: where each starts and ends and what it is (the
 * bits above, worked out once per word). The arrays are kept from one number to the next, as a
 * street's name is a few words and most numbers have none.
 */
class WordRow {
  static readonly CAPACITY = 8;
  readonly starts = new Int32Array(WordRow.CAPACITY);
  readonly ends = new Int32Array(WordRow.CAPACITY);
  readonly kinds = new Uint8Array(WordRow.CAPACITY);
  length = 0;

  push(text: string, start: number, end: number): void {
    this.starts[this.length] = start;
    this.ends[this.length] = end;
    this.kinds[this.length] = kindOf(text, start, end);
    this.length++;
  }

  /** Whether one of the words has one of the bits. */
  some(bits: number): boolean {
    for (let i = 0; i < this.length; i++) if ((this.kinds[i] as number) & bits) return true;
    return false;
  }

  /** Keeps words [from, to). */
  keep(from: number, to: number): void {
    this.starts.copyWithin(0, from, to);
    this.ends.copyWithin(0, from, to);
    this.kinds.copyWithin(0, from, to);
    this.length = to - from;
  }

  /** Reverses the words (read backwards, they are put in text order). */
  reverse(): void {
    for (let i = 0, j = this.length - 1; i < j; i++, j--) {
      swap(this.starts, i, j);
      swap(this.ends, i, j);
      swap(this.kinds, i, j);
    }
  }

}

function swap(array: Int32Array | Uint8Array, i: number, j: number): void {
  const t = array[i] as number;
  array[i] = array[j] as number;
  array[j] = t;
}

/** The words after and before the number being looked at (streetAt reads both, then part() reuses the first). */
const after = new WordRow();
const before = new WordRow();

function kindOf(text: string, start: number, end: number): number {
  return (isCapitalisedAt(text, start) ? CAPITALISED : 0) | (isConnector(text, start, end) ? CONNECTOR : 0) | (isStreetWordAt(text, start, end) ? STREET : 0);
}

function isCapitalisedAt(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  if (code < 0x80) return code >= 0x41 && code <= 0x5a;
  const first = text[at] as string;
  return first !== first.toLowerCase();
}

const isConnector = (text: string, start: number, end: number) => CONNECTORS.has(text, start, end);

/** Whether text[start, end) says street: isStreetWord without a string, for a word that lowers letter by letter. */
function isStreetWordAt(text: string, start: number, end: number): boolean {
  const stop = text.charCodeAt(end - 1) === 0x2e ? end - 1 : end;
  if (!lowersByLetter(text, start, stop)) return isStreetWord(text.slice(start, end));
  if (STREET_WORDS_FOLDED.has(text, start, stop)) return true;
  const endings = endingsOf(lowerAt(text, stop - 1));
  if (endings) for (const e of endings) if (stop - start > e.length && equalsFolded(text, stop - e.length, e)) return true;
  return false;
}

const LETTER = /[\p{L}]/u;
/** Whether each code unit from 0xC0 up is a letter: 0 not asked yet, 1 a letter, 2 not one (LETTER.test costs a string each time). */
const lettersAbove0xBF = new Uint8Array(0x10000);
function isLetterAt(text: string, i: number): boolean {
  if (i < 0 || i >= text.length) return false;
  const code = text.charCodeAt(i);
  if (code < 0xc0) return ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) || code === 0xaa || code === 0xb5 || code === 0xba;
  let known = lettersAbove0xBF[code] as number;
  if (known === 0) lettersAbove0xBF[code] = known = LETTER.test(text[i] as string) ? 1 : 2;
  return known === 1;
}

/** Where the word starting at `at` ends (letters, apostrophes, hyphens and a final dot), or -1 when none starts there. */
function wordEndAt(text: string, at: number): number {
  if (!isLetterAt(text, at)) return -1;
  let end = at + 1;
  for (;;) {
    if (isLetterAt(text, end)) end++;
    else {
      const code = text.charCodeAt(end);
      if ((code === 0x27 || code === 0x2d || code === 0x2019) && isLetterAt(text, end + 1)) end++; // ' - ’
      else break;
    }
  }
  if (text.charCodeAt(end) === 0x2e) end++;
  return end;
}

/** Where the word ending at `end` (exclusive, a final dot included) starts, read backwards, or -1. */
function wordStartBefore(text: string, end: number): number {
  let stop = end;
  if (text.charCodeAt(stop - 1) === 0x2e) stop--;
  if (!isLetterAt(text, stop - 1)) return -1;
  let start = stop - 1;
  for (;;) {
    if (start <= 0) break;
    if (isLetterAt(text, start - 1)) start--;
    else {
      const code = text.charCodeAt(start - 1);
      if ((code === 0x2d || code === 0x27) && isLetterAt(text, start - 2)) start--; // - '
      else break;
    }
  }
  return start;
}

/** The word in lower case without a final dot. */
function bare(word: string): string {
  return (word.charCodeAt(word.length - 1) === 0x2e ? word.slice(0, -1) : word).toLowerCase();
}
function isStreetWord(word: string): boolean {
  const lower = bare(word);
  if (STREET_WORDS.has(lower)) return true;
  const endings = endingsOf(lower.charCodeAt(lower.length - 1));
  if (endings) for (const e of endings) if (lower.length > e.length && lower.endsWith(e)) return true;
  return false;
}

/**
 * Reads into `words` up to `max` name words after `at`, one space apart, on the line (lower-case
 * words too when `anyCase`, on the way to a street word: "3911 fourth avenue").
 */
function readWordsAfter(words: WordRow, text: string, at: number, max: number, anyCase = false): void {
  words.length = 0;
  let p = at;
  let plain = 0;
  while (words.length < max && text.charCodeAt(p) === 0x20) {
    const end = wordEndAt(text, p + 1);
    if (end < 0) break;
    words.push(text, p + 1, end);
    if (((words.kinds[words.length - 1] as number) & NAME_WORD) === 0) {
      if (!anyCase || ++plain > 2) {
        words.length--;
        break;
      }
    } else plain = 0;
    p = end;
  }
}

/** Reads into `words` up to `max` name words before `at`, one space apart, on the line (in text order), not starting with a connector. */
function readWordsBefore(words: WordRow, text: string, at: number, max: number): void {
  words.length = 0;
  let p = at;
  while (words.length < max && text.charCodeAt(p - 1) === 0x20) {
    const start = wordStartBefore(text, p - 1);
    if (start < 0 || (kindOf(text, start, p - 1) & NAME_WORD) === 0) break;
    words.push(text, start, p - 1);
    p = start;
  }
  words.reverse();
  let first = 0;
  while (first < words.length && (words.kinds[first] as number) & CONNECTOR) first++;
  if (first > 0) words.keep(first, words.length);
}

/** One or two groups of 1 to 6 digits a space apart: a house number (after a building's or a postcode). */
function isHouseNumber(text: string, run: NumberRun): boolean {
  if (run.digits > 12) return false;
  let group = 0;
  let groups = 1;
  for (let i = run.start; i < run.end; i++) {
    const code = text.charCodeAt(i);
    if (isDigit(code)) {
      if (++group > 6) return false;
    } else if (code === 0x20 && group > 0 && groups === 1) {
      group = 0;
      groups++;
    } else return false;
  }
  return group > 0;
}

/** English words in common use, lower case: a street's name is seldom one. */
export const commonEnglishWords: PrebuiltTable = {
  name: "common-english-words",
  revision: 3,
  inputs: () => [],
  build() {
    const { common } = englishWords();
    const table = new WordTable(common.size);
    for (const word of common) table.set(word, 1);
    return table;
  },
};

let common: WordTable | undefined;
const commonEnglish = () => (common ??= loadWordTable(commonEnglishWords));
const isCommonEnglish = (word: string) => commonEnglish().get(word, 0, word.length) !== 0;

/**
 * Street addresses, found offline from how they are written: a house number and a street
 * name with a word that says street in one of many languages ("14 Crown Street", "Koskikatu
 * 25", "Rua do Arenque 1634"), a number, a street and a number ("28245 Puruntie 82"), PO and
 * military boxes, and "the corner of … and …"; each taken on over a unit, a town, a state code,
 * a postcode and a country where they follow.
 */
export const streetAddressRecognizer: PiiRecognizer = {
  types: ["STREET_ADDRESS"],
  prepare: () => void commonEnglish(),
  find(text, index) {
    const found: Finding[] = [];
    const add = (start: number, end: number, score: number) => {
      const last = found[found.length - 1];
      if (last && start < last.end) {
        last.end = Math.max(last.end, end);
        last.score = Math.max(last.score, score);
      } else found.push({ type: "STREET_ADDRESS", start, end, score });
    };
    const runs = index.runs;
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i] as NumberRun;
      if (!isHouseNumber(text, run) || (found.length > 0 && run.start < (found[found.length - 1] as Finding).end)) continue;
      const core = streetAt(text, run);
      if (!core) continue;
      const context = precededBy(text, core.start, CONTEXT);
      if (core.score + (context ? 0.1 : 0) < 0.5) continue;
      add(core.start, extend(text, core.end), Math.min(0.95, core.score + (context ? 0.1 : 0)));
    }
    const hints = hintsIn(text);
    if (hints.boxes.length > 0 && (text.includes("ox") || text.includes("OX"))) {
      for (const at of hints.boxes) {
        // Box addresses start up to a few words before the word "Box".
        for (let s = Math.max(0, at - 14); s <= at; s++) {
          if (!BOX_FIRST.has(text.charCodeAt(s))) continue;
          BOX_ADDRESS.lastIndex = s;
          const m = BOX_ADDRESS.exec(text);
          if (m) {
            add(m.index, extend(text, m.index + m[0].length), 0.85);
            break;
          }
        }
      }
    }
    // "on Marina Fort Street": a named street without a number.
    const words = index.capitalised;
    for (let i = 1; i < words.length; i++) {
      const w = words[i] as Word;
      if (!NAMED_STREETS.has(text, w.start, w.end)) continue;
      let first = i;
      while (first > 0 && i - first < 3 && (words[first - 1] as Word).end === (words[first] as Word).start - 1 && text[(words[first] as Word).start - 1] === " ") first--;
      if (first === i) continue;
      const start = (words[first] as Word).start;
      if (found.some((f) => start < f.end && f.start < w.end)) continue;
      add(start, extend(text, w.end), /\b(?:on|at|in|of)\s+$/i.test(text.slice(Math.max(0, start - 4), start)) ? 0.65 : 0.55);
    }
    if (hints.corners.length > 0 && text.includes("orner of")) {
      // The matches a scan of the whole text would find, leftmost first, each after the last.
      let from = 0;
      for (const hint of hints.corners) {
        if (hint < from) continue;
        for (const start of [hint - 5, hint - 1]) {
          if (start < from) continue;
          CORNER.lastIndex = start;
          const m = CORNER.exec(text);
          if (!m) continue;
          add(start, start + m[0].length, 0.75);
          from = start + m[0].length;
          break;
        }
      }
    }
    return found.sort((a, b) => a.start - b.start);
  },
};

/** The street part of an address around a short number, and how sure that is. */
function streetAt(text: string, run: NumberRun): { start: number; end: number; score: number } | undefined {
  // "14 Crown Street", "62 Rue Gafsa", "28245 Puruntie 82", "450 Præstevænget 15", "3911 fourth avenue".
  readWordsAfter(after, text, run.end, 6, true);
  keepStreetName(after);
  if (after.length > 0 && isCapitalisedOrStreet(after)) {
    const lastEnd = after.ends[after.length - 1] as number;
    const second = numberAfter(text, lastEnd);
    const streetWord = after.some(STREET);
    // Without a street word, "12 Puruntie 82" is an address but "2 Section 5" is not.
    if (streetWord || (second !== undefined && hasUncommonWord(text, after))) {
      return { start: run.start, end: second ?? lastEnd, score: streetWord ? 0.85 : 0.75 };
    }
  }
  // "Koskikatu 25", "Rua do Arenque 1634", "Villacher Strasse 89", "Piroska u. 97.".
  readWordsBefore(before, text, run.start, 5);
  if (before.length > 0 && isCapitalisedOrStreet(before)) {
    const end = text[run.end] === "." && !isLetterAt(text, run.end + 1) ? run.end + 1 : run.end;
    return { start: before.starts[0] as number, end, score: before.some(STREET) ? 0.8 : 0.4 };
  }
  return undefined;
}

/**
 * Keeps of the words after a house number those that can be its street's name: name words
 * (capitalised, small connecting words, street words), or lower-case words up to a street word.
 */
function keepStreetName(words: WordRow): void {
  let named = 0;
  while (named < words.length && (words.kinds[named] as number) & NAME_WORD) named++;
  if (named === words.length) return;
  let street = words.length - 1;
  while (street >= 0 && ((words.kinds[street] as number) & STREET) === 0) street--;
  words.length = Math.max(named, street + 1);
}

function isCapitalisedOrStreet(words: WordRow): boolean {
  return words.some(CAPITALISED | STREET) && ((words.kinds[0] as number) & CONNECTOR) === 0;
}

/** Whether one of the words is not a common English word. */
function hasUncommonWord(text: string, words: WordRow): boolean {
  for (let i = 0; i < words.length; i++) if (!isCommonEnglish(bare(text.slice(words.starts[i], words.ends[i])))) return true;
  return false;
}

/** The end of a street number of 1 to 5 digits right after a space (and an optional dot after it). */
function numberAfter(text: string, at: number): number | undefined {
  if (text[at] !== " ") return undefined;
  let end = at + 1;
  while (end < text.length && end - at <= 5 && isDigit(text.charCodeAt(end))) end++;
  if (end === at + 1 || end - at > 5 || isLetterAt(text, end) || isDigit(text.charCodeAt(end))) return undefined;
  return text[end] === "." && !isLetterAt(text, end + 1) && !isDigit(text.charCodeAt(end + 1)) ? end + 1 : end;
}

/**
 * Takes an address on over what follows it: units, a town (after a comma or on the next
 * line), a state code, a postcode and a country, at most six parts.
 */
function extend(text: string, end: number): number {
  for (let parts = 0; parts < 6; parts++) {
    const next = part(text, end);
    if (next === undefined) break;
    end = next;
  }
  return end;
}

function part(text: string, at: number): number | undefined {
  // Parts are set apart by spaces, commas and line breaks (quoted lines start with ">").
  let p = at;
  // After a postcode, a town follows a space ("00100 Helsinki").
  let broke = isDigit(text.charCodeAt(at - 1));
  for (let code = text.charCodeAt(p); code === 0x20 || code === 0x2c || code === 0x0a || code === 0x09 || code === 0x3e; code = text.charCodeAt(++p)) {
    if (code === 0x2c || code === 0x0a) broke = true; // , \n
  }
  if (p === at || p - at > 12) return undefined;
  // A unit, a state code or a postcode, each tried only where its first character stands.
  const code = text.charCodeAt(p);
  if (isDigit(code)) return stickyEnd(ZIP, text, p);
  if (UNIT_FIRST.has(code)) {
    const end = stickyEnd(UNIT, text, p);
    if (end !== undefined) return end;
  }
  if (code >= 0x41 && code <= 0x5a) {
    const end = stickyEnd(STATE, text, p);
    if (end !== undefined) return end;
  }
  // A town or a country: capitalised words after a comma or a line break (or in capitals).
  const firstEnd = wordEndAt(text, p);
  if (firstEnd < 0 || !isCapitalisedAt(text, p)) return undefined;
  if (!broke && !(firstEnd - p > 1 && isInCapitals(text.slice(p, firstEnd)))) return undefined;
  // A line that goes on with lower-case words is a sentence, not a town.
  let count = 1;
  let [lastStart, lastEnd] = [p, firstEnd];
  if (text.charCodeAt(firstEnd - 1) !== 0x2e) {
    readWordsAfter(after, text, firstEnd, 3);
    if (after.length > 0) [count, lastStart, lastEnd] = [1 + after.length, after.starts[after.length - 1] as number, after.ends[after.length - 1] as number];
  }
  const small = text.charCodeAt(lastEnd + 1);
  if (text.charCodeAt(lastEnd) === 0x20 && small >= 0x61 && small <= 0x7a && stickyEnd(TOWN_WORD, text, lastEnd) === undefined) {
    return count > 1 ? undefined : lastEnd < text.length && text[lastEnd] === " " ? undefined : lastEnd;
  }
  // A dot after the town ends the sentence.
  let end = text.charCodeAt(lastEnd - 1) === 0x2e && lastEnd - lastStart > 3 ? lastEnd - 1 : lastEnd;
  // "Cyprus (Greek)": a qualifier in parentheses.
  if (text.charCodeAt(end) === 0x20 && text.charCodeAt(end + 1) === 0x28) end = stickyEnd(QUALIFIER, text, end) ?? end;
  return end;
}

const isInCapitals = (word: string) => word === word.toUpperCase();

/** Where a match of the sticky pattern at `at` ends, or undefined when none starts there. */
function stickyEnd(pattern: RegExp, text: string, at: number): number | undefined {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex : undefined;
}
