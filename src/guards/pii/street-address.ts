import type { Finding } from "../finding.js";
import { asciiLower, contextWords, isDigit, precededBy, type PiiRecognizer } from "./recognizer.js";
import { Word, type NumberRun } from "./text-index.js";
import { loadWordTable, type PrebuiltTable } from "./prebuilt-tables.js";
import { englishWords } from "./word-lists.js";
import { WordTable } from "./word-table.js";

/** Words that say "street" in the languages addresses are commonly written in, lower case. */
const STREET_WORDS = new Set(
  (
    "street st str road rd avenue ave av avda boulevard blvd lane ln drive dr way court ct place pl square sq terrace terrasse ter parkway " +
    "pkwy highway hwy circle cir crescent cres close row alley trail trl loop pass union gateway turnpike harbor harbour parks park point " +
    "crossing heights ridge hill hills plaza port fort walk mews grove gardens green expressway freeway pike junction radial bypass " +
    "rua rue via viale vicolo piazza piazzale corso largo strada calle carrer avenida camino paseo praça praca travessa alameda chemin " +
    "allée allee impasse quai cours straße strasse weg gasse platz ring damm ufer laan straat plein gracht kade dijk vej gade gata gatan " +
    "vägen väg veien vei gate gaten stræti katu tie kuja polku tee mnt utca u út tér körút köz rkp ulica ul ulice náměstí nám aleja al cesta " +
    "trg οδός οδ λεωφόρος λεωφ λ πλατεία"
  ).split(" "),
);
/** Endings of one-word street names ("Koskikatu", "Søndergade", "Bundesstrasse"). */
const STREET_ENDINGS = "straße strasse gasse weg platz allee laan straat vej gade gata gatan vägen veien gaten stræti katu tie kuja polku utca ulica cesta road street".split(" ");
/** The endings by their last letter: a word is compared with the few that end as it does. */
const ENDINGS_BY_LAST = new Map<number, string[]>();
for (const e of STREET_ENDINGS) {
  const last = e.charCodeAt(e.length - 1);
  ENDINGS_BY_LAST.set(last, [...(ENDINGS_BY_LAST.get(last) ?? []), e]);
}
/** Small words inside street and town names. */
const CONNECTORS = new Set("do da de del della dei dos das di du la le les van von der den am an al el y of the e".split(" "));
/** Street words that end a street's name in English, capitalised as part of it. */
const NAMED_STREETS = new Set(["Street", "Avenue", "Road", "Lane", "Drive", "Boulevard", "Place", "Square", "Terrace", "Court", "Crescent", "Parkway", "Highway"]);
/** The first letters of NAMED_STREETS as bits (A is bit 0), and their shortest and longest length: most words are none of them. */
const NAMED_FIRSTS = [...NAMED_STREETS].reduce((mask, s) => mask | (1 << (s.charCodeAt(0) - 0x41)), 0);
const NAMED_LENGTHS = [...NAMED_STREETS].map((s) => s.length);
const [NAMED_SHORTEST, NAMED_LONGEST] = [Math.min(...NAMED_LENGTHS), Math.max(...NAMED_LENGTHS)];
function mayBeNamedStreet(text: string, w: Word): boolean {
  const length = w.end - w.start;
  const first = text.charCodeAt(w.start) - 0x41;
  return length >= NAMED_SHORTEST && length <= NAMED_LONGEST && first >= 0 && first < 26 && (NAMED_FIRSTS & (1 << first)) !== 0;
}
const UNIT = /(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Floor|Fl\.?|Room|Rm\.?|#)\s*\d{1,5}[A-Za-z]?/iy;
/** The characters a UNIT begins with (a, s, u, f, r in either case, #). */
const UNIT_FIRST = new Set([..."asufrASUFR#"].map((c) => c.charCodeAt(0)));
/** Small words inside a town's name ("Stratford upon Avon"): a lower-case word after the town's first that does not end it. */
const TOWN_WORD = / (?:de|da|do|del|la|le|am|an|upon|sur)\b/y;
const QUALIFIER = / \([^)\n]{1,20}\)/y;
const ZIP = /\d{4,6}(?:-\d{4})?(?!\d)/y;
const STATE = /[A-Z]{2}(?![\p{L}\d])/uy;
const BOX_ADDRESS = /\b(?:(?:PSC|Unit|CMR)\s+\d{3,5},?\s+Box\s+\d{3,5}|P\.?\s?O\.?\s+Box\s+\d{1,6}|Postbox\s+\d{1,6})(?:\s*\n?\s*(?:APO|FPO|DPO)\s+A[AEP]\s+\d{5})?/giy;
const BOX_HINT = /box/gi;
/** The characters a BOX_ADDRESS begins with (PSC, Unit, CMR, P.O., Postbox in either case). */
const BOX_FIRST = new Set([..."pucPUC"].map((c) => c.charCodeAt(0)));

/** Where "box" (in any case) next occurs from `from`, or -1. */
function boxAfter(text: string, from: number): number {
  BOX_HINT.lastIndex = from;
  return BOX_HINT.exec(text)?.index ?? -1;
}

const CORNER = /\b(?:the )?corner of [^,;?!\n]{3,60}? and [^.,;?!\n]{2,40}?(?=[.,;?!\n]|$| in | for | after | on | at )/iy;
/** What every CORNER match holds, one or five characters in: CORNER is tried only there, not scanned over the text. */
const CORNER_HINT = /orner of/gi;
/** Words before an address that say one follows. */
const CONTEXT = contextWords(["address", "lives at", "lives on", "live at", "live on", "located at", "is at", "moved to", "send", "sent to", "deliver", "ship to", "meet me at", "meet you at", "office", "return to", "drops you off at", "enter on", "station is on"]);

/** A word of the text, what it is asked about worked out when first asked (a word is asked several times). */
class Token extends Word {
  private streetWord?: boolean;

  /** Whether the word says street. */
  get street(): boolean {
    return (this.streetWord ??= mayBeStreetWord(this.source, this.start, this.end) && isStreetWord(this.text));
  }

  get capitalised(): boolean {
    const code = this.source.charCodeAt(this.start);
    if (code < 0x80) return code >= 0x41 && code <= 0x5a;
    const first = this.source[this.start] as string;
    return first !== first.toLowerCase();
  }

  /** One of CONNECTORS: compared with those of its length and first letter, no string made. */
  get connector(): boolean {
    const connectors = CONNECTORS_BY_SHAPE.get((this.end - this.start) * 0x10000 + this.source.charCodeAt(this.start));
    if (connectors) for (const c of connectors) if (this.source.startsWith(c, this.start)) return true;
    return false;
  }
}

const LETTER = /[\p{L}]/u;
function isLetterAt(text: string, i: number): boolean {
  if (i < 0 || i >= text.length) return false;
  const code = text.charCodeAt(i);
  if (code < 0xc0) return ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) || code === 0xaa || code === 0xb5 || code === 0xba;
  return LETTER.test(text[i] as string);
}

/** The word starting at `at` (letters, apostrophes, hyphens and a final dot), or undefined. */
function wordAt(text: string, at: number): Token | undefined {
  if (!isLetterAt(text, at)) return undefined;
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
  return new Token(text, at, end);
}

/** The word ending at `end` (exclusive), read backwards. */
function wordBefore(text: string, end: number): Token | undefined {
  let stop = end;
  if (text.charCodeAt(stop - 1) === 0x2e) stop--;
  if (!isLetterAt(text, stop - 1)) return undefined;
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
  return new Token(text, start, end);
}

/** The word in lower case without a final dot. */
function bare(word: string): string {
  return (word.charCodeAt(word.length - 1) === 0x2e ? word.slice(0, -1) : word).toLowerCase();
}
function isStreetWord(word: string): boolean {
  const lower = bare(word);
  if (STREET_WORDS.has(lower)) return true;
  const endings = ENDINGS_BY_LAST.get(lower.charCodeAt(lower.length - 1));
  if (endings) for (const e of endings) if (lower.length > e.length && lower.endsWith(e)) return true;
  return false;
}

/**
 * A word in ASCII as a number: its length and its last three characters in small letters. Equal
 * numbers are necessary for equal words in small letters, and equal tails for a common ending.
 */
function shapeOf(text: string, start: number, stop: number): number {
  const n = stop - start;
  const tail = (i: number) => (stop - i >= start ? asciiLower(text.charCodeAt(stop - i)) : 0);
  return n * 0x200000 + tail(3) * 0x4000 + tail(2) * 0x80 + tail(1);
}
const TAIL = 0x200000;
const isAscii = (word: string) => [...word].every((c) => c.charCodeAt(0) < 0x80);
const STREET_SHAPES = new Set([...STREET_WORDS].filter(isAscii).map((w) => shapeOf(w, 0, w.length)));
const ENDING_TAILS = new Set(STREET_ENDINGS.filter(isAscii).map((e) => shapeOf(e, 0, e.length) % TAIL));
const CONNECTORS_BY_SHAPE = new Map<number, string[]>();
for (const c of CONNECTORS) {
  const shape = c.length * 0x10000 + c.charCodeAt(0);
  CONNECTORS_BY_SHAPE.set(shape, [...(CONNECTORS_BY_SHAPE.get(shape) ?? []), c]);
}

/**
 * False when text[start, end) cannot be a street word: a word in ASCII (most are) is one only
 * when its length and last letters are a street word's or its last letters an ending's; checked
 * without making a string. True means isStreetWord must say.
 */
function mayBeStreetWord(text: string, start: number, end: number): boolean {
  const stop = text.charCodeAt(end - 1) === 0x2e ? end - 1 : end;
  for (let i = start; i < stop; i++) if (text.charCodeAt(i) >= 0x80) return true;
  const shape = shapeOf(text, start, stop);
  return STREET_SHAPES.has(shape) || (stop - start > 3 && ENDING_TAILS.has(shape % TAIL));
}

const isStreetToken = (w: Token) => w.street;
const isNameWord = (w: Token) => w.capitalised || w.connector || w.street;

/** Up to `max` name words after `at`, one space apart, on the line (any word when `anyCase`). */
function wordsAfter(text: string, at: number, max: number, anyCase = false): Token[] {
  const words: Token[] = [];
  let p = at;
  let plain = 0;
  while (words.length < max && text.charCodeAt(p) === 0x20) {
    const w = wordAt(text, p + 1);
    if (!w) break;
    if (!isNameWord(w)) {
      // Lower-case words count only on the way to a street word ("3911 fourth avenue").
      if (!anyCase || ++plain > 2) break;
    } else plain = 0;
    words.push(w);
    p = w.end;
  }
  return words;
}

/** Up to `max` name words before `at`, one space apart, on the line (in text order). */
function wordsBefore(text: string, at: number, max: number): Token[] {
  const words: Token[] = [];
  let p = at;
  while (words.length < max && text[p - 1] === " ") {
    const w = wordBefore(text, p - 1);
    if (!w || !isNameWord(w)) break;
    words.unshift(w);
    p = w.start;
  }
  while (words.length > 0 && (words[0] as Token).connector) words.shift();
  return words;
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
  revision: 1,
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
    if (text.includes("ox") || text.includes("OX")) {
      for (let at = boxAfter(text, 0); at >= 0; ) {
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
        at = boxAfter(text, at + 3);
      }
    }
    // "on Marina Fort Street": a named street without a number.
    const words = index.capitalised;
    for (let i = 1; i < words.length; i++) {
      const w = words[i] as Word;
      if (!mayBeNamedStreet(text, w) || !NAMED_STREETS.has(w.text)) continue;
      let first = i;
      while (first > 0 && i - first < 3 && (words[first - 1] as Word).end === (words[first] as Word).start - 1 && text[(words[first] as Word).start - 1] === " ") first--;
      if (first === i) continue;
      const start = (words[first] as Word).start;
      if (found.some((f) => start < f.end && f.start < w.end)) continue;
      add(start, extend(text, w.end), /\b(?:on|at|in|of)\s+$/i.test(text.slice(Math.max(0, start - 4), start)) ? 0.65 : 0.55);
    }
    if (text.includes("orner of")) {
      // The matches a scan of the whole text would find, leftmost first, each after the last.
      let from = 0;
      CORNER_HINT.lastIndex = 0;
      for (let hint = CORNER_HINT.exec(text); hint !== null; hint = CORNER_HINT.exec(text)) {
        for (const start of [hint.index - 5, hint.index - 1]) {
          if (start < from) continue;
          CORNER.lastIndex = start;
          const m = CORNER.exec(text);
          if (!m) continue;
          add(start, start + m[0].length, 0.75);
          from = CORNER_HINT.lastIndex = start + m[0].length;
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
  const after = streetWords(wordsAfter(text, run.end, 6, true));
  if (after.length > 0 && isCapitalisedOrStreet(after)) {
    const last = after[after.length - 1] as Token;
    const second = numberAfter(text, last.end);
    const streetWord = after.some(isStreetToken);
    // Without a street word, "12 Puruntie 82" is an address but "2 Section 5" is not.
    const named = streetWord || after.some((w) => !isCommonEnglish(bare(w.text)));
    if (streetWord || (second !== undefined && named)) {
      return { start: run.start, end: second ?? last.end, score: streetWord ? 0.85 : 0.75 };
    }
  }
  // "Koskikatu 25", "Rua do Arenque 1634", "Villacher Strasse 89", "Piroska u. 97.".
  const before = wordsBefore(text, run.start, 5);
  if (before.length > 0 && isCapitalisedOrStreet(before)) {
    const streetWord = before.some(isStreetToken);
    const end = text[run.end] === "." && !isLetterAt(text, run.end + 1) ? run.end + 1 : run.end;
    return { start: (before[0] as Token).start, end, score: streetWord ? 0.8 : 0.4 };
  }
  return undefined;
}

/**
 * The words after a house number that can be its street's name: name words (capitalised,
 * small connecting words, street words), or lower-case words up to a street word.
 */
function streetWords(words: readonly Token[]): Token[] {
  const named = words.findIndex((w) => !isNameWord(w));
  if (named < 0) return [...words];
  const street = words.findLastIndex(isStreetToken);
  return words.slice(0, Math.max(named, street + 1));
}

function isCapitalisedOrStreet(words: readonly Token[]): boolean {
  return words.some((w) => w.capitalised || w.street) && !(words[0] as Token).connector;
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
  const first = wordAt(text, p);
  if (!first || !first.capitalised) return undefined;
  if (!broke && !(first.text.length > 1 && first.text === first.text.toUpperCase())) return undefined;
  // A line that goes on with lower-case words is a sentence, not a town.
  const words = first.text.endsWith(".") ? [first] : [first, ...wordsAfter(text, first.end, 3)];
  const last = words[words.length - 1] as Token;
  const small = text.charCodeAt(last.end + 1);
  if (text.charCodeAt(last.end) === 0x20 && small >= 0x61 && small <= 0x7a && stickyEnd(TOWN_WORD, text, last.end) === undefined) {
    return words.length > 1 ? undefined : last.end < text.length && text[last.end] === " " ? undefined : last.end;
  }
  // A dot after the town ends the sentence.
  let end = text.charCodeAt(last.end - 1) === 0x2e && last.text.length > 3 ? last.end - 1 : last.end;
  // "Cyprus (Greek)": a qualifier in parentheses.
  if (text.charCodeAt(end) === 0x20 && text.charCodeAt(end + 1) === 0x28) end = stickyEnd(QUALIFIER, text, end) ?? end;
  return end;
}

/** Where a match of the sticky pattern at `at` ends, or undefined when none starts there. */
function stickyEnd(pattern: RegExp, text: string, at: number): number | undefined {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex : undefined;
}
