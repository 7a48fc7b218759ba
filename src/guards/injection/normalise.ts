/**
 * Views of a text with smuggling undone, for detectors that look for instructions: NFKC,
 * invisible characters removed, Unicode tag characters (invisible "ASCII smuggling") decoded,
 * look-alike letters folded to Latin, and decoded variants — leetspeak, rot13, Caesar, reversed text,
 * letters spaced or hyphenated apart, base64, binary, hex and Morse — that a model would read
 * but a keyword filter would not.
 */

import { INVISIBLE } from "../readable-text.js";
import { scanText, type Hints } from "./scan.js";

const TAGS = /[\u{E0000}-\u{E007F}]/gu;
/** Regional-indicator symbols (flag letters), and squared / circled capitals that NFKC leaves alone. */
const LETTER_SYMBOLS = /[\u{1F1E6}-\u{1F1FF}\u{1F130}-\u{1F149}\u{1F150}-\u{1F169}\u{1F170}-\u{1F189}]/gu;
const LETTER_SYMBOL_BASES = [0x1f1e6, 0x1f130, 0x1f150, 0x1f170];
const QUOTES: Record<string, string> = { "\u2018": "'", "\u2019": "'", "\u201A": "'", "\u201B": "'", "\u2032": "'", "\u201C": '"', "\u201D": '"', "\u201E": '"', "\u00AB": '"', "\u00BB": '"', "\u2028": "\n", "\u2029": "\n" };
const QUOTE = /[\u2018\u2019\u201A\u201B\u2032\u201C\u201D\u201E\u00AB\u00BB\u2028\u2029]/g;

/** Cyrillic, Greek, Armenian and Latin-extension letters that look like basic Latin ones. */
export const HOMOGLYPHS: Record<string, string> = {
  а: "a", в: "b", е: "e", ё: "e", к: "k", м: "m", н: "h", о: "o", р: "p", с: "c", т: "t", у: "y", х: "x", ѕ: "s", і: "i", ї: "i", ј: "j", ԁ: "d", ԛ: "q", ԝ: "w", ɡ: "g", һ: "h", ӏ: "l", ԍ: "g", ѵ: "v", ү: "y",
  А: "A", В: "B", Е: "E", К: "K", М: "M", Н: "H", О: "O", Р: "P", С: "C", Т: "T", У: "Y", Х: "X", Ѕ: "S", І: "I", Ј: "J", Ԁ: "D", Ԛ: "Q", Ԝ: "W", Ү: "Y",
  α: "a", ο: "o", ρ: "p", ν: "v", ι: "i", κ: "k", τ: "t", υ: "u", χ: "x", ε: "e", ϲ: "c", ϳ: "j",
  Α: "A", Β: "B", Ε: "E", Ζ: "Z", Η: "H", Ι: "I", Κ: "K", Μ: "M", Ν: "N", Ο: "O", Ρ: "P", Τ: "T", Υ: "Y", Χ: "X", Ϲ: "C",
  օ: "o", ս: "u", հ: "h", ո: "n", ց: "g", ք: "p", զ: "q",
  ı: "i", İ: "I", ȷ: "j", ɑ: "a", ɩ: "i", ʋ: "u", ᴄ: "c", ᴏ: "o", ᴠ: "v", ᴡ: "w", ᴢ: "z", ꓲ: "I", ꓳ: "O",
};
const HOMOGLYPH = new RegExp(`[${Object.keys(HOMOGLYPHS).join("")}]`, "g");
const HAS_HOMOGLYPH = new RegExp(`[${Object.keys(HOMOGLYPHS).join("")}]`);

/** A run of letters that may mix scripts (Latin with Cyrillic, Greek, Armenian look-alikes). */
const WORD = /[\p{L}\p{M}]+/gu;
const LATIN = /[A-Za-z]/;

const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;

/** Where the word (a WORD match) holding position `at` starts. */
function wordStart(text: string, at: number): number {
  let start = at;
  while (start > 0) {
    const low = text.charCodeAt(start - 1);
    const pair = low >= 0xdc00 && low <= 0xdfff && start >= 2 && (text.charCodeAt(start - 2) & 0xfc00) === 0xd800;
    const width = pair ? 2 : 1;
    if (!LETTER_OR_MARK.test(text.slice(start - width, start))) break;
    start -= width;
  }
  return start;
}

/**
 * Folds look-alike letters in words that mix them with Latin letters ("іgnоrе" with Cyrillic і
 * and о); a word written in Cyrillic or Greek keeps its letters. Only the words around a
 * look-alike are read: in a long text most words hold none.
 */
function foldHomoglyphs(text: string): string {
  let out = "";
  let copied = 0;
  HOMOGLYPH.lastIndex = 0;
  for (let m = HOMOGLYPH.exec(text); m; m = HOMOGLYPH.exec(text)) {
    const start = wordStart(text, m.index);
    WORD.lastIndex = start;
    const word = (WORD.exec(text) as RegExpExecArray)[0];
    const end = start + word.length;
    if (LATIN.test(word)) {
      out += text.slice(copied, start) + word.replace(HOMOGLYPH, (c) => HOMOGLYPHS[c] ?? c);
      copied = end;
    }
    HOMOGLYPH.lastIndex = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

export interface Normalised {
  text: string;
  /**
   * Whether the text hid characters from a human reader but not from a model: tag characters,
   * invisible characters inside a word, letters swapped for look-alikes from another script inside
   * a Latin word, or words spelled in flag letters (three or more regional indicators; a flag is two).
   */
  hidden: boolean;
}

const INVISIBLE_ANY = new RegExp(INVISIBLE.source);
const QUOTE_ANY = new RegExp(QUOTE.source);
const INVISIBLE_IN_WORD = /[\p{L}\p{N}](?:\u00AD|\u034F|[\u200B-\u200F]|[\u2060-\u2064]|\uFEFF)+[\p{L}\p{N}]/u;
const FLAG_LETTER_WORD = /[\u{1F1E6}-\u{1F1FF}]{3,}/u;

// What normaliseDetailed looks for, per UTF-16 code unit, learnt from its expressions the first time a unit is seen (0: not yet).
const SEEN = 1;
const INVISIBLE_UNIT = 2;
const QUOTE_UNIT = 4;
const HOMOGLYPH_UNIT = 8;
const unitKinds = new Uint8Array(0x10000);
function kindOf(unit: number): number {
  let kind = unitKinds[unit] as number;
  if (kind === 0) {
    const c = String.fromCharCode(unit);
    kind = SEEN | (INVISIBLE_ANY.test(c) ? INVISIBLE_UNIT : 0) | (QUOTE_ANY.test(c) ? QUOTE_UNIT : 0) | (HAS_HOMOGLYPH.test(c) ? HOMOGLYPH_UNIT : 0);
    unitKinds[unit] = kind;
  }
  return kind;
}

/** The text as a reader sees it: NFKC, invisible characters gone, tag characters decoded, homoglyphs folded, quotes straightened. */
export function normaliseDetailed(text: string): Normalised {
  // ASCII is already in NFKC and has nothing to hide or fold: the common case costs one test.
  if (!/[\u0080-\uffff]/.test(text)) return { text, hidden: false };
  let out = text.normalize("NFKC");
  let hidden = false;
  // One pass for what the steps below look for: none of them adds or removes what a later one looks for, other than their own.
  let kinds = 0;
  for (let i = 0; i < out.length; i++) {
    const unit = out.charCodeAt(i);
    if (unit >= 0x80) kinds |= kindOf(unit);
  }
  // Tag characters (U+E0000…) and flag or enclosed letters (U+1F1xx) are astral: look for their lead surrogates before anything slower.
  if (out.includes("\uDB40")) {
    hidden = true;
    out = out.replace(TAGS, (c) => {
      const code = (c.codePointAt(0) as number) - 0xe0000;
      return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : "";
    });
  }
  if (kinds & INVISIBLE_UNIT) {
    hidden ||= INVISIBLE_IN_WORD.test(out);
    out = out.replace(INVISIBLE, "");
  }
  if (out.includes("\uD83C")) {
    hidden ||= FLAG_LETTER_WORD.test(out);
    out = out.replace(LETTER_SYMBOLS, (c) => {
      const code = c.codePointAt(0) as number;
      const base = LETTER_SYMBOL_BASES.find((b) => code >= b && code < b + 26) ?? code;
      return String.fromCharCode((base === 0x1f1e6 ? 0x61 : 0x41) + code - base);
    });
  }
  if (kinds & QUOTE_UNIT) out = out.replace(QUOTE, (c) => QUOTES[c] ?? c);
  if (!(kinds & HOMOGLYPH_UNIT)) return { text: out, hidden };
  const folded = foldHomoglyphs(out);
  return { text: folded, hidden: hidden || folded !== out };
}

export const normalise = (text: string): string => normaliseDetailed(text).text;

const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s" };
/** Words where digits are what they seem: ordinals, decades, units, model and version names. */
const NOT_LEET = /^(\d+(st|nd|rd|th|s|d|k|m|px|am|pm|gb|mb|kb|x|h|v|kg|km|cm|mm)|[a-z]+\d+|[a-z]\d[a-z]?)$/i;

/** Each letter n places on in the alphabet, case kept: 13 undoes rot13, 23 undoes a Caesar shift of three. */
const shiftLetters = (text: string, n: number) => text.replace(/[A-Za-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) & 31) - 1 + n) % 26 + (c.charCodeAt(0) & 96) + 1));

/** Letters spaced, dotted or hyphenated apart ("i g n o r e", "i-n-s-t-r-u-c-t-i-o-n-s") and words split by a stray hyphen ("i-nstruction"). */
const SPACED_LETTERS = /\b[A-Za-z](?:[ .\-_*][A-Za-z]\b){3,}/g;
const SPLIT_WORD = /\b([A-Za-z])-([A-Za-z]{2,})|([A-Za-z]{2,})-([A-Za-z])\b/g;

const BINARY_RUN = /(?:[01]{8}[\s,]*){4,}/g;
const MORSE_RUN = /(?:[.\-·−_]{1,7}(?:[ \t]*\/[ \t]*|[ \t]+|$)){6,}/g;
const MORSE: Record<string, string> = {
  ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g", "....": "h", "..": "i", ".---": "j", "-.-": "k", ".-..": "l", "--": "m", "-.": "n", "---": "o", ".--.": "p", "--.-": "q", ".-.": "r", "...": "s", "-": "t", "..-": "u", "...-": "v", ".--": "w", "-..-": "x", "-.--": "y", "--..": "z",
  "-----": "0", ".----": "1", "..---": "2", "...--": "3", "....-": "4", ".....": "5", "-....": "6", "--...": "7", "---..": "8", "----.": "9", ".-.-.-": ".", "--..--": ",", "..--..": "?", ".----.": "'",
};

const mostlyText = (s: string) => s.length >= 4 && /^[\x20-\x7e\t\r\n]*$/.test(s) && /[A-Za-z]{3}/.test(s);

const SPACE = /\s/;
/** [\s,], as the regular expression below defines it. */
const isSpaceOrComma = (c: number) => c === 32 || c === 44 || (c >= 9 && c <= 13) || (c >= 0xa0 && SPACE.test(String.fromCharCode(c)));

/**
 * The base64 runs the scan found (start and end pairs: the runs of the base64 alphabet at least 16
 * long, with upper- and lower-case letters), each with up to two "=" after it: what
 * /[A-Za-z0-9+/]{16,}={0,2}/g matches, less the runs without both cases.
 */
export function base64Runs(text: string, runs: readonly number[]): string[] {
  const found: string[] = [];
  for (let k = 0; k < runs.length; k += 2) {
    const start = runs[k] as number;
    const runEnd = runs[k + 1] as number;
    let end = runEnd;
    while (end < text.length && end - runEnd < 2 && text.charCodeAt(end) === 61) end++;
    found.push(text.slice(start, end));
  }
  return found;
}

/**
 * What /(?:\b[0-9a-fA-F]{2}\b[\s,]*){6,}|\b(?:[0-9a-fA-F]{2}){8,}\b/g matches: six or more
 * two-digit hex words in a row, separated by whitespace or commas (with what follows the last),
 * or a word of 16 or more hex digits, an even number of them. Read from the hex words the scan
 * found (start and end pairs of runs of [A-Za-z0-9]); a word (\w+) is such a run not next to "_".
 */
export function hexRuns(text: string, words: readonly number[]): string[] {
  const runs: string[] = [];
  const n = text.length;
  const isWord = (k: number) => !((words[k] as number) > 0 && text.charCodeAt((words[k] as number) - 1) === 95) && !((words[k + 1] as number) < n && text.charCodeAt(words[k + 1] as number) === 95);
  const isPair = (k: number) => (words[k + 1] as number) - (words[k] as number) === 2 && isWord(k);
  for (let k = 0; k < words.length; k += 2) {
    const start = words[k] as number;
    if (isPair(k)) {
      let pairs = 1;
      let after = words[k + 1] as number;
      let last = k;
      for (;;) {
        let next = after;
        while (next < n && isSpaceOrComma(text.charCodeAt(next))) next++;
        const k2 = last + 2;
        if (next > after && k2 < words.length && words[k2] === next && isPair(k2)) {
          pairs++;
          after = next + 2;
          last = k2;
        } else {
          after = next;
          break;
        }
      }
      if (pairs >= 6) {
        runs.push(text.slice(start, after));
        k = last;
      }
    } else if ((words[k + 1] as number) - start >= 16 && isWord(k)) runs.push(text.slice(start, words[k + 1] as number));
  }
  return runs;
}

/**
 * The text with leetspeak undone in each word of letters with digits or symbols standing in for
 * some of them — among the words the scan found (start and end pairs: runs of [A-Za-z0-9@$] three
 * or more long with a letter and one of 0 1 3 4 5 7 @ $), those not next to an underscore — except
 * words where digits are what they seem (NOT_LEET); undefined when no word changed. (What
 * /(?<![\w@$])(?=[A-Za-z0-9@$]*[A-Za-z])(?=[A-Za-z0-9@$]*[013457@$])[A-Za-z0-9@$]{3,}(?![\w@$])/g matches.)
 */
export function deleet(text: string, words: readonly number[]): string | undefined {
  let out = "";
  let copied = 0;
  for (let k = 0; k < words.length; k += 2) {
    const start = words[k] as number;
    const end = words[k + 1] as number;
    if ((start > 0 && text.charCodeAt(start - 1) === 95) || (end < text.length && text.charCodeAt(end) === 95)) continue;
    const word = text.slice(start, end);
    if (NOT_LEET.test(word)) continue;
    out += text.slice(copied, start) + word.replace(/[013457@$]/g, (d) => LEET[d] ?? d);
    copied = end;
  }
  return copied === 0 ? undefined : out + text.slice(copied);
}

function decodeMorse(run: string): string {
  return run
    .trim()
    .replace(/[·]/g, ".")
    .replace(/[−_]/g, "-")
    .split(/\s*\/\s*|\s{2,}/)
    .map((word) => word.split(/\s+/).map((code) => MORSE[code] ?? "").join(""))
    .join(" ");
}

function decodedRuns(text: string, h: Hints): string[] {
  const out: string[] = [];
  if (h.base64) {
    for (const run of base64Runs(text, h.base64Runs)) {
      const decoded = Buffer.from(run, "base64").toString("utf8");
      if (mostlyText(decoded)) out.push(decoded);
    }
  }
  if (h.binary) {
    for (const m of text.matchAll(BINARY_RUN)) {
      const bytes = m[0].match(/[01]{8}/g) ?? [];
      const decoded = String.fromCharCode(...bytes.map((b) => parseInt(b, 2)));
      if (mostlyText(decoded)) out.push(decoded);
    }
  }
  if (h.hex) {
    for (const run of hexRuns(text, h.hexWords)) {
      const decoded = Buffer.from(run.replace(/[^0-9a-fA-F]/g, ""), "hex").toString("latin1");
      if (mostlyText(decoded)) out.push(decoded);
    }
  }
  if (h.morse) {
    for (const m of text.matchAll(MORSE_RUN)) {
      const decoded = decodeMorse(m[0]);
      if (/[a-z]{3}/.test(decoded)) out.push(decoded);
    }
  }
  return out;
}

/**
 * Readings of the normalised text other than itself, for the smuggling its scan found signs of:
 * leetspeak, rot13, Caesar-shifted, reversed and re-joined text, and what its encoded runs decode to.
 */
export function alternateReadings(normal: string, h: Hints): string[] {
  const views: string[] = [];
  if (h.leet) {
    const deleeted = deleet(normal, h.leetWords);
    if (deleeted !== undefined) views.push(deleeted);
  }
  if (h.rot13) views.push(shiftLetters(normal, 13));
  if (h.caesar) views.push(shiftLetters(normal, 23));
  if (h.reversed) views.push([...normal].reverse().join(""));
  if (h.rejoin) {
    const rejoined = normal
      .replace(SPACED_LETTERS, (run) => run.replace(/[ .\-_*]/g, ""))
      .replace(SPLIT_WORD, (_m, a: string | undefined, b: string | undefined, c: string | undefined, d: string | undefined) => (a ?? c ?? "") + (b ?? d ?? ""));
    if (rejoined !== normal) views.push(rejoined);
  }
  views.push(...decodedRuns(normal, h).map(normalise));
  return views;
}

/** Every view worth scanning: the normalised text first, then its alternate readings. */
export function readings(text: string): string[] {
  const normal = normalise(text);
  return [normal, ...alternateReadings(normal, scanText(normal).hints)];
}
