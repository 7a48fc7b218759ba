/**
 * One pass over a reading, a character at a time: which anchor words (lexicon.ts) occur, how often
 * a phrase repeats back to back, and signs of each smuggling technique so that the slower decoding
 * in normalise.ts runs only when there is something to decode — words mixing letters and digits,
 * rot13'd, Caesar-shifted or reversed common words, letters spaced apart, long base64-alphabet runs, octets of
 * bits, hex pairs, Morse.
 */
import { extendWordHash, hashWord, WORD_HASH_SEED, WordKeyTable, wordKey } from "./word-hash.js";

export interface Hints {
  leet: boolean;
  rot13: boolean;
  /** Shifted three letters on (the classic Caesar cipher). */
  caesar: boolean;
  reversed: boolean;
  rejoin: boolean;
  base64: boolean;
  binary: boolean;
  hex: boolean;
  morse: boolean;
  /** The base64-alphabet runs that set base64, as start and end pairs. */
  base64Runs: number[];
  /**
   * Runs of letters, digits, @ and $ three or more long with a letter and a stand-in for one
   * (0 1 3 4 5 7 @ $), as start and end pairs: the words leetspeak may hide in (leet says whether
   * one of them is likely to).
   */
  leetWords: number[];
  /** Words of two hex digits, or of 16 or more (an even number), as start and end pairs: where hex runs may be. */
  hexWords: number[];
}

export interface WordIndex {
  /**
   * Where the vocabulary's words occur: first[id] indexes links, or is -1 when the word the
   * vocabulary maps to id does not occur; links[k] is a position (where the word starts) and
   * links[k + 1] the index of the next occurrence, or -1.
   */
  first: Int32Array;
  links: number[];
}

export interface Scan extends WordIndex {
  /** The longest back-to-back repetition of a word, or a phrase of up to four words, in repetitions. */
  repeats: number;
  hints: Hints;
}

/** Common words and attack words whose shifted spellings give a cipher away. */
const HINT_WORDS = ["the", "and", "you", "ignore", "instructions", "prompt", "password", "system", "what", "your", "this", "for", "with", "now", "tell", "all", "previous", "secret"];
/** Each letter of a lower-case word n places on in the alphabet. */
const shifted = (word: string, n: number) => word.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 97 + n) % 26) + 97));
const ROT13_HINTS = new Set(HINT_WORDS.map((w) => hashWord(shifted(w, 13))));
const CAESAR_HINTS = new Set(HINT_WORDS.map((w) => hashWord(shifted(w, 3))));
const REVERSED_HINTS = new Set(["eht", "dna", "uoy", "erongi", "snoitcurtsni", "tpmorp", "drowssap", "metsys", "suoiverp", "lla", "ruoy", "tahw"].map(hashWord));

// What a word's one lookup tells: its vocabulary id + 1 in the low bits (0: not in the vocabulary), and which hint sets hold it.
const ID_BITS = 0xfffff;
const ROT13_WORD = 1 << 20;
const CAESAR_WORD = 1 << 21;
const REVERSED_WORD = 1 << 22;

/** A vocabulary as the scan looks words up: word hash (word-hash.ts) to id, together with the hint words. */
export class ScanVocabulary {
  readonly size: number;
  readonly table: WordKeyTable;

  constructor(ids: ReadonlyMap<number, number>) {
    this.size = ids.size;
    const values = new Map<number, number>();
    for (const [key, id] of ids) {
      if (id < 0 || id >= ID_BITS) throw new RangeError(`vocabulary id ${id} out of range`);
      values.set(key, id + 1);
    }
    for (const [hints, bit] of [[ROT13_HINTS, ROT13_WORD], [CAESAR_HINTS, CAESAR_WORD], [REVERSED_HINTS, REVERSED_WORD]] as const) {
      for (const key of hints) values.set(key, (values.get(key) ?? 0) | bit);
    }
    this.table = new WordKeyTable(values);
  }
}

const NO_VOCABULARY = new ScanVocabulary(new Map());

// Character classes of ASCII, as bits; everything else is none of them (except two Morse look-alikes).
const LETTER = 1;
const DIGIT = 2;
const LEET = 4; // 0 1 3 4 5 7 @ $: stand-ins for letters
const HEX = 8;
const BIT = 16;
const MORSE = 32; // . - _
const BASE64 = 64; // letters, digits, + /
const SEPARATOR = 128; // what spaces letters apart: space . - _ *
const UPPER = 256;
const TOKEN_BREAK = 512; // what ends a token: whitespace / ,
const CLASSES = new Uint16Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let k = 0;
  if (/[A-Za-z]/.test(ch)) k |= LETTER | BASE64;
  if (/[A-Z]/.test(ch)) k |= UPPER;
  if (/[0-9]/.test(ch)) k |= DIGIT | BASE64;
  if (/[013457@$]/.test(ch)) k |= LEET;
  if (/[0-9a-fA-F]/.test(ch)) k |= HEX;
  if (/[01]/.test(ch)) k |= BIT;
  if (/[.\-_]/.test(ch)) k |= MORSE;
  if (/[+/]/.test(ch)) k |= BASE64;
  if (/[ .\-_*]/.test(ch)) k |= SEPARATOR;
  if (/[\s/,]/.test(ch)) k |= TOKEN_BREAK;
  CLASSES[c] = k;
}
const classOf = (c: number) => (c < 128 ? (CLASSES[c] as number) : c === 0xb7 || c === 0x2212 ? MORSE : 0);

/**
 * Scans a reading. Words for the vocabulary are runs of a–z and 0–9 (case-folded), looked up by
 * hash (word-hash.ts) in the vocabulary, which maps them to an id.
 */
export function scanText(text: string, vocabulary: ScanVocabulary = NO_VOCABULARY): Scan {
  const first = new Int32Array(vocabulary.size).fill(-1);
  const table = vocabulary.table;
  const links: number[] = [];
  // Words: the last four hashes, and for phrases of 1–4 words how many words in a row equalled the one that many back.
  let w1 = 0, w2 = 0, w3 = 0, w4 = 0;
  let r1 = 0, r2 = 0, r3 = 0, r4 = 0;
  let words = 0;
  let repeats = 0;
  let hash = WORD_HASH_SEED;
  let wordStart = -1;
  // Smuggling: counts, the current leet-word (letters, digits, @ $), base64 run and token.
  let rot = 0;
  let caesar = 0;
  let rev = 0;
  // Runs of consecutive tokens that are octets of bits, hex pairs, Morse letters; and the longest of each.
  let octets = 0, hexPairs = 0, morseTokens = 0;
  let maxOctets = 0, maxHexPairs = 0, maxMorse = 0;
  let singles = 0;
  let splitWords = 0;
  let leet = false;
  let base64 = false;
  let leetStart = -1;
  const leetWords: number[] = [];
  const hexWords: number[] = [];
  let wordHex = 0;
  const base64Runs: number[] = [];
  let letters = 0;
  let leetChars = 0;
  let sandwiched = false;
  let previous = 0;
  let b64 = 0;
  let b64Case = 0;
  let tokenStart = -1;
  let token = 0;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 32;
    const k = classOf(c);

    if (k & (LETTER | DIGIT)) {
      if (wordStart < 0) {
        wordStart = i;
        wordHex = HEX;
      }
      hash = extendWordHash(hash, c);
      wordHex &= k;
    } else if (wordStart >= 0) {
      const key = wordKey(hash);
      const length = i - wordStart;
      if (wordHex && (length === 2 || (length >= 16 && length % 2 === 0))) hexWords.push(wordStart, i);
      const found = table.get(key);
      indexWord(found, wordStart, first, links);
      hash = WORD_HASH_SEED;
      wordStart = -1;
      r1 = words > 0 && key === w1 ? r1 + 1 : 0;
      r2 = words > 1 && key === w2 ? r2 + 1 : 0;
      r3 = words > 2 && key === w3 ? r3 + 1 : 0;
      r4 = words > 3 && key === w4 ? r4 + 1 : 0;
      if (r1 > repeats) repeats = r1;
      if (r2 / 2 > repeats) repeats = r2 / 2;
      if (r3 / 3 > repeats) repeats = r3 / 3;
      if (r4 / 4 > repeats) repeats = r4 / 4;
      w4 = w3;
      w3 = w2;
      w2 = w1;
      w1 = key;
      words++;
      if (found > 0 && length >= 2 && length <= 12) {
        if (found & ROT13_WORD) rot++;
        if (found & CAESAR_WORD) caesar++;
        if (found & REVERSED_WORD) rev++;
      }
    }

    if (k & BASE64) {
      b64++;
      b64Case |= k & LETTER ? (k & UPPER ? 1 : 2) : 0;
    } else {
      if (b64 >= 16 && b64Case === 3) {
        base64 = true;
        base64Runs.push(i - b64, i);
      }
      b64 = 0;
      b64Case = 0;
    }

    if (k & (LETTER | DIGIT) || c === 64 || c === 36) {
      if (leetStart < 0) leetStart = i;
      if (k & LETTER) {
        letters++;
        // A stand-in between two letters: "pr3v10us", "p4ssw0rd".
        if (previous & LEET && i - 2 >= leetStart && classOf(text.charCodeAt(i - 2)) & LETTER) sandwiched = true;
      } else if (k & LEET) leetChars++;
      previous = k & LETTER ? LETTER : k & LEET ? LEET : 0;
    } else if (leetStart >= 0) {
      const length = i - leetStart;
      if (letters >= 2 && (sandwiched || leetChars >= 2)) leet = true;
      if (letters >= 1 && leetChars >= 1 && length >= 3) leetWords.push(leetStart, i);
      // Single letters one separator apart ("i g n o r e"), or words split by a stray hyphen ("i-nstruction", "fu-lfilled").
      if (length === 1 && letters === 1) singles = k & SEPARATOR || i === n ? singles + 1 : 0;
      else singles = 0;
      if (c === 45 && letters === length && (length === 1 || (i + 2 < n && classOf(text.charCodeAt(i + 1)) & LETTER && !(classOf(text.charCodeAt(i + 2)) & LETTER)))) splitWords++;
      leetStart = -1;
      letters = leetChars = 0;
      sandwiched = false;
      previous = 0;
    } else if (!(k & SEPARATOR)) singles = 0;
    if (singles >= 4) splitWords += 2;

    if (!(k & TOKEN_BREAK)) {
      if (tokenStart < 0) {
        tokenStart = i;
        token = MORSE | HEX | BIT;
      }
      token &= k;
    } else if (tokenStart >= 0) {
      const length = i - tokenStart;
      morseTokens = token & MORSE && length <= 7 ? morseTokens + 1 : 0;
      octets = token & BIT && length === 8 ? octets + 1 : 0;
      hexPairs = token & HEX && (length === 2 || (length >= 16 && length % 2 === 0)) ? hexPairs + length / 2 : 0;
      if (morseTokens > maxMorse) maxMorse = morseTokens;
      if (octets > maxOctets) maxOctets = octets;
      if (hexPairs > maxHexPairs) maxHexPairs = hexPairs;
      tokenStart = -1;
    }

    // The letters after a letter, most of a text, change only what a letter changes, and the same way each time.
    if (k & LETTER) {
      for (let next = i + 1; next < n; next++) {
        const d = text.charCodeAt(next);
        const kd = d < 128 ? (CLASSES[d] as number) : 0;
        if (!(kd & LETTER)) break;
        i = next;
        hash = extendWordHash(hash, d);
        wordHex &= kd;
        b64++;
        b64Case |= kd & UPPER ? 1 : 2;
        letters++;
        if (singles >= 4) splitWords += 2;
        token &= kd;
      }
    }
  }
  const hints: Hints = {
    leet,
    rot13: rot >= 2,
    caesar: caesar >= 2,
    reversed: rev >= 2,
    rejoin: splitWords >= 2,
    base64,
    binary: maxOctets >= 4,
    hex: maxHexPairs >= 6,
    morse: maxMorse >= 6,
    base64Runs,
    leetWords,
    hexWords,
  };
  return { first, links, repeats, hints };
}

/** Links a word at `start` into the index when the table's entry for it (`found`) names a vocabulary word. */
function indexWord(found: number, start: number, first: Int32Array, links: number[]): void {
  if (found > 0 && found & ID_BITS) {
    const id = (found & ID_BITS) - 1;
    links.push(start, first[id] as number);
    first[id] = links.length - 2;
  }
}

/** Where the vocabulary's words occur in a reading, and nothing else (what scanText finds besides is asked of the normalised text only). */
export function scanWords(text: string, vocabulary: ScanVocabulary): WordIndex {
  const first = new Int32Array(vocabulary.size).fill(-1);
  const table = vocabulary.table;
  const links: number[] = [];
  let hash = WORD_HASH_SEED;
  let wordStart = -1;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 32;
    if (c < 128 && (CLASSES[c] as number) & (LETTER | DIGIT)) {
      if (wordStart < 0) wordStart = i;
      hash = extendWordHash(hash, c);
    } else if (wordStart >= 0) {
      indexWord(table.get(wordKey(hash)), wordStart, first, links);
      hash = WORD_HASH_SEED;
      wordStart = -1;
    }
  }
  return { first, links };
}
