/**
 * One pass over a reading, a character at a time: which anchor words (lexicon.ts) occur, how often
 * a phrase repeats back to back, and signs of each smuggling technique so that the slower decoding
 * in normalise.ts runs only when there is something to decode — words mixing letters and digits,
 * rot13'd or reversed common words, letters spaced apart, long base64-alphabet runs, octets of
 * bits, hex pairs, Morse.
 */
import { extendWordHash, hashWord, WORD_HASH_SEED, wordKey } from "./word-hash.js";

export interface Hints {
  leet: boolean;
  rot13: boolean;
  reversed: boolean;
  rejoin: boolean;
  base64: boolean;
  binary: boolean;
  hex: boolean;
  morse: boolean;
}

export interface Scan {
  /**
   * Where the vocabulary's words occur: first[id] indexes links, or is -1 when the word the
   * vocabulary maps to id does not occur; links[k] is a position (where the word starts) and
   * links[k + 1] the index of the next occurrence, or -1.
   */
  first: Int32Array;
  links: number[];
  /** The longest back-to-back repetition of a word, or a phrase of up to four words, in repetitions. */
  repeats: number;
  hints: Hints;
}

const ROT13_HINTS = new Set(["gur", "naq", "lbh", "vtaber", "vafgehpgvbaf", "cebzcg", "cnffjbeq", "flfgrz", "jung", "lbhe", "guvf", "sbe", "jvgu", "abj", "gryy", "nyy", "cerivbhf", "frperg"].map(hashWord));
const REVERSED_HINTS = new Set(["eht", "dna", "uoy", "erongi", "snoitcurtsni", "tpmorp", "drowssap", "metsys", "suoiverp", "lla", "ruoy", "tahw"].map(hashWord));
const NO_VOCABULARY: ReadonlyMap<number, number> = new Map();

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isLeetSymbol = (c: number) => c === 48 || c === 49 || c === 51 || c === 52 || c === 53 || c === 55 || c === 64 || c === 36; // 0 1 3 4 5 7 @ $
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isHex = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const isBase64 = (c: number) => isLetter(c) || isDigit(c) || c === 43 || c === 47;
const isMorse = (c: number) => c === 46 || c === 45 || c === 95 || c === 0xb7 || c === 0x2212;
const isSeparator = (c: number) => c === 32 || c === 46 || c === 45 || c === 95 || c === 42;

/**
 * Scans a reading. Words for the vocabulary are runs of a–z and 0–9 (case-folded), looked up by
 * hash (word-hash.ts) in the vocabulary, which maps them to an id.
 */
export function scanText(text: string, vocabulary: ReadonlyMap<number, number> = NO_VOCABULARY): Scan {
  const first = new Int32Array(vocabulary.size).fill(-1);
  const links: number[] = [];
  // Words: the last four hashes, and for phrases of 1–4 words how many words in a row equalled the one that many back.
  let w1 = 0, w2 = 0, w3 = 0, w4 = 0;
  let r1 = 0, r2 = 0, r3 = 0, r4 = 0;
  let words = 0;
  let repeats = 0;
  let hash = WORD_HASH_SEED;
  let wordStart = -1;
  // Smuggling: counts, the current leet-word (letters, digits, @ $), base64 run and whitespace-delimited token.
  const h: Hints = { leet: false, rot13: false, reversed: false, rejoin: false, base64: false, binary: false, hex: false, morse: false };
  let rot = 0;
  let rev = 0;
  let octets = 0;
  let hexPairs = 0;
  let morseTokens = 0;
  let singles = 0;
  let leetStart = -1;
  let letters = 0;
  let leetChars = 0;
  let b64 = 0;
  let b64Upper = false;
  let b64Lower = false;
  let tokenStart = -1;
  let tokenMorse = true;
  let tokenHex = true;
  let tokenBits = true;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    const letter = isLetter(c);
    const digit = isDigit(c);

    if (letter || digit) {
      if (wordStart < 0) wordStart = i;
      hash = extendWordHash(hash, c);
    } else if (wordStart >= 0) {
      const key = wordKey(hash);
      const length = i - wordStart;
      const id = vocabulary.get(key);
      if (id !== undefined) {
        links.push(wordStart, first[id] as number);
        first[id] = links.length - 2;
      }
      hash = WORD_HASH_SEED;
      wordStart = -1;
      r1 = words > 0 && key === w1 ? r1 + 1 : 0;
      r2 = words > 1 && key === w2 ? r2 + 1 : 0;
      r3 = words > 2 && key === w3 ? r3 + 1 : 0;
      r4 = words > 3 && key === w4 ? r4 + 1 : 0;
      repeats = Math.max(repeats, r1, r2 / 2, r3 / 3, r4 / 4);
      w4 = w3;
      w3 = w2;
      w2 = w1;
      w1 = key;
      words++;
      if (length >= 2 && length <= 12) {
        if (ROT13_HINTS.has(key)) rot++;
        if (REVERSED_HINTS.has(key)) rev++;
      }
    }

    if (isBase64(c)) {
      b64++;
      if (c >= 65 && c <= 90) b64Upper = true;
      else if (c >= 97 && c <= 122) b64Lower = true;
    } else {
      if (b64 >= 16 && b64Upper && b64Lower) h.base64 = true;
      b64 = 0;
      b64Upper = b64Lower = false;
    }

    if (letter || digit || c === 64 || c === 36) {
      if (leetStart < 0) leetStart = i;
      if (letter) letters++;
      else if (isLeetSymbol(c)) leetChars++;
    } else if (leetStart >= 0) {
      const length = i - leetStart;
      if (leetChars > 0 && letters >= 2 && length >= 3) h.leet = true;
      // Single letters one separator apart: "i g n o r e", "i-g-n-o-r-e"; or a word split by a stray hyphen: "i-nstruction", "fu-lfilled".
      if (length === 1 && letters === 1) singles = isSeparator(c) || i === text.length ? singles + 1 : 0;
      else singles = 0;
      if (singles >= 4) h.rejoin = true;
      if (c === 45 && letters === length && (length === 1 || (i + 2 < text.length && isLetter(text.charCodeAt(i + 1)) && !isLetter(text.charCodeAt(i + 2))))) h.rejoin = true;
      leetStart = -1;
      letters = leetChars = 0;
    } else if (!isSeparator(c)) singles = 0;

    if (!isSpace(c) && c !== 47 && c !== 44) {
      if (tokenStart < 0) {
        tokenStart = i;
        tokenMorse = tokenHex = tokenBits = true;
      }
      if (!isMorse(c)) tokenMorse = false;
      if (!isHex(c)) tokenHex = false;
      if (c !== 48 && c !== 49) tokenBits = false;
    } else if (tokenStart >= 0) {
      const length = i - tokenStart;
      if (tokenMorse && length <= 7) morseTokens++;
      if (tokenBits && length === 8) octets++;
      if (tokenHex && (length === 2 || (length >= 16 && length % 2 === 0))) hexPairs += length / 2;
      tokenStart = -1;
    }
  }
  h.rot13 = rot >= 2;
  h.reversed = rev >= 2;
  h.binary = octets >= 4;
  h.hex = hexPairs >= 6;
  h.morse = morseTokens >= 6;
  return { first, links, repeats, hints: h };
}
