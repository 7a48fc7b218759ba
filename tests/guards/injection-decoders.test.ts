import { describe, expect, it } from "vitest";
import { base64Runs, deleet, hexRuns, HOMOGLYPHS, normaliseDetailed } from "../../src/guards/injection/normalise.js";
import { INVISIBLE } from "../../src/guards/readable-text.js";
import { scanText } from "../../src/guards/injection/scan.js";

// The expressions the hand-written matchers stand for (normalise.ts), as the detector first used them.
const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;
const HEX_RUN = /(?:\b[0-9a-fA-F]{2}\b[\s,]*){6,}|\b(?:[0-9a-fA-F]{2}){8,}\b/g;
const LEET_WORD = /(?<![\w@$])(?=[A-Za-z0-9@$]*[A-Za-z])(?=[A-Za-z0-9@$]*[013457@$])[A-Za-z0-9@$]{3,}(?![\w@$])/g;
const NOT_LEET = /^(\d+(st|nd|rd|th|s|d|k|m|px|am|pm|gb|mb|kb|x|h|v|kg|km|cm|mm)|[a-z]+\d+|[a-z]\d[a-z]?)$/i;
const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s" };

function referenceDeleet(text: string): string | undefined {
  let changed = false;
  const out = text.replace(LEET_WORD, (w) => {
    if (NOT_LEET.test(w)) return w;
    changed = true;
    return w.replace(/[013457@$]/g, (c) => LEET[c] ?? c);
  });
  return changed ? out : undefined;
}

// normaliseDetailed as it was written before it looked only where there was something to change.
const TAGS = /[\u{E0000}-\u{E007F}]/gu;
const LETTER_SYMBOLS = /[\u{1F1E6}-\u{1F1FF}\u{1F130}-\u{1F149}\u{1F150}-\u{1F169}\u{1F170}-\u{1F189}]/gu;
const QUOTES: Record<string, string> = { "\u2018": "'", "\u2019": "'", "\u201A": "'", "\u201B": "'", "\u2032": "'", "\u201C": '"', "\u201D": '"', "\u201E": '"', "\u00AB": '"', "\u00BB": '"', "\u2028": "\n", "\u2029": "\n" };
const QUOTE = /[\u2018\u2019\u201A\u201B\u2032\u201C\u201D\u201E\u00AB\u00BB\u2028\u2029]/g;
const HOMOGLYPH = new RegExp(`[${Object.keys(HOMOGLYPHS).join("")}]`, "g");
const HAS_HOMOGLYPH = new RegExp(`[${Object.keys(HOMOGLYPHS).join("")}]`);
function referenceNormalise(text: string): { text: string; hidden: boolean } {
  if (!/[\u0080-\uffff]/.test(text)) return { text, hidden: false };
  let out = text.normalize("NFKC");
  let hidden = false;
  if (out.includes("\uDB40")) {
    hidden = true;
    out = out.replace(TAGS, (c) => {
      const code = (c.codePointAt(0) as number) - 0xe0000;
      return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : "";
    });
  }
  if (new RegExp(INVISIBLE.source).test(out)) {
    hidden ||= /[\p{L}\p{N}](?:\u00AD|\u034F|[\u200B-\u200F]|[\u2060-\u2064]|\uFEFF)+[\p{L}\p{N}]/u.test(out);
    out = out.replace(INVISIBLE, "");
  }
  if (out.includes("\uD83C")) {
    hidden ||= /[\u{1F1E6}-\u{1F1FF}]{3,}/u.test(out);
    out = out.replace(LETTER_SYMBOLS, (c) => {
      const code = c.codePointAt(0) as number;
      const base = [0x1f1e6, 0x1f130, 0x1f150, 0x1f170].find((b) => code >= b && code < b + 26) ?? code;
      return String.fromCharCode((base === 0x1f1e6 ? 0x61 : 0x41) + code - base);
    });
  }
  out = out.replace(QUOTE, (c) => QUOTES[c] ?? c);
  const folded = HAS_HOMOGLYPH.test(out)
    ? out.replace(/[\p{L}\p{M}]+/gu, (word) => (HAS_HOMOGLYPH.test(word) && /[A-Za-z]/.test(word) ? word.replace(HOMOGLYPH, (c) => HOMOGLYPHS[c] ?? c) : word))
    : out;
  return { text: folded, hidden: hidden || folded !== out };
}

/** Random strings over a few alphabets chosen to make each matcher's edge cases common (fixed seed: the same strings every run). */
function* randomTexts(alphabets: string[][], count: number): Generator<string> {
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return (seed >>> 0) / 4294967296;
  };
  for (let t = 0; t < count; t++) {
    const units = alphabets[t % alphabets.length] as string[];
    const length = 1 + Math.floor(random() * 60);
    let text = "";
    for (let i = 0; i < length; i++) text += units[Math.floor(random() * units.length)] as string;
    yield text;
  }
}

describe("injection decoders", () => {
  const ascii = ["aB0123456789abcdefABCDEFg +/=,_@$.\n\t\u00a0\u3000-xyZ", "ab 01 ,", "0123456789abcdef ,\n", "ab4c1d3$@_ -.", "AZaz09+/=  _-"].map((a) => [...a]);

  it("find, with what the scan found, the runs and leetspeak words their regular expressions do", () => {
    const found = { base64: 0, hex: 0, leet: 0 };
    for (const text of randomTexts(ascii, 40_000)) {
      // The scan finds where the base64 runs with both cases and the candidate leetspeak words are.
      const base64 = [...text.matchAll(BASE64_RUN)].map((m) => m[0]).filter((run) => /[A-Z]/.test(run) && /[a-z]/.test(run));
      const hex = [...text.matchAll(HEX_RUN)].map((m) => m[0]);
      const leet = referenceDeleet(text);
      const { hints } = scanText(text);
      expect(base64Runs(text, hints.base64Runs), text).toEqual(base64);
      expect(hints.base64, text).toBe(base64.length > 0);
      expect(hexRuns(text, hints.hexWords), text).toEqual(hex);
      expect(deleet(text, hints.leetWords), text).toBe(leet);
      if (base64.length > 0) found.base64++;
      if (hex.length > 0) found.hex++;
      if (leet !== undefined) found.leet++;
    }
    // The strings exercise every matcher, not only their misses.
    expect(Math.min(found.base64, found.hex, found.leet)).toBeGreaterThan(100);
  });

  it("normalise as reading the whole text with each expression does", () => {
    const units = [
      ["a", "b", "Z", " ", "-", "о", "а", "е", "ı", "İ", "ꓲ", "Ж", "й", "\u0301", "é", "\u200b", "\u00ad", "\u2019", "\u201c", "\u00ab", "\u2028", "1", "0", "@", "ﬁ", "Ａ", "Ω", "K", "α", "ο", "x"],
      ["\ud801\udc00", "\ud801", "\udc00", "\ud83d\ude00", "\u{1F1E6}", "\u{1F130}", "\u{E0041}", "\u{E0020}", "\ufeff", "\u034f", "о", "a", " ", "ℌ", "\u0627"],
    ];
    let changed = 0;
    for (const text of randomTexts(units, 20_000)) {
      const expected = referenceNormalise(text);
      expect(normaliseDetailed(text), JSON.stringify(text)).toEqual(expected);
      if (expected.text !== text) changed++;
    }
    expect(changed).toBeGreaterThan(10_000);
  });
});
