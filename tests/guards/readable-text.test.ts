import { describe, expect, it } from "vitest";
import { hiddenIn, INVISIBLE, lastVisible, readableText } from "../../src/guards/readable-text.js";
import { tagged, ZW } from "../support/hidden-text.js";

describe("the readable view of a text", () => {
  it("is the text itself when nothing is hidden in it", () => {
    const text = "Plain text, café, 東京, emoji 🙂.";
    const readable = readableText(text);
    expect(readable.text).toBe(text);
    expect(readable.span(6, 10)).toEqual({ start: 6, end: 10 });
  });

  it("leaves invisible characters out, reads tag characters as their ASCII, and maps spans back over what it left out", () => {
    const text = `a${ZW}b\u00adc ${tagged("hi")}\u{E0100}d\ufeff`;
    const readable = readableText(text);
    expect(readable.text).toBe("abc hid");
    // "abc" covers the hidden characters inside it, not those after it.
    expect(readable.span(0, 3)).toEqual({ start: 0, end: 5 });
    // "hi" is two tag characters, two code units each.
    expect(readable.span(4, 6)).toEqual({ start: 6, end: 10 });
    // "d" comes after a variation selector from plane 14.
    expect(readable.span(6, 7)).toEqual({ start: 12, end: 13 });
    expect(readable.span(7, 7)).toEqual({ start: text.length, end: text.length });
  });

  it("reads the digits of every script, the fullwidth forms and typeset spaces and hyphens in ASCII, keeping every offset", () => {
    const text = "٤٢ ۴۲ ४२ ๔๒ ４２ ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ 1\u00a02\u202f3\u20114 Sydney—Victoria 1997–2000";
    const readable = readableText(text);
    // En and em dashes part words where a hyphen joins them: they stay.
    expect(readable.text).toBe("42 42 42 42 42 bob@example.com 1 2 3-4 Sydney—Victoria 1997–2000");
    expect(readable.span(3, 5)).toEqual({ start: 3, end: 5 });
    // Every decimal digit of the BMP (\p{Nd}) reads as its value: each run of ten counts 0 to 9.
    for (let code = 0x80; code < 0x10000; code++) {
      const c = String.fromCharCode(code);
      if (!/\p{Nd}/u.test(c)) continue;
      const before = /\p{Nd}/u.test(String.fromCharCode(code - 1)) ? Number(readableText(String.fromCharCode(code - 1)).text) : -1;
      expect(readableText(c).text, `U+${code.toString(16)}`).toBe(String(before === 9 ? 0 : before + 1));
    }
  });

  it("maps every character it reads back to the one written, over random mixes of what it hides and folds", () => {
    const alphabet = ["a", "7", " ", ZW, "\u00ad", "\u2060", "\ufe0f", "４", "Ｚ", "٣", tagged("q"), "\u{E0100}", "é", "🙂", "\udb40"];
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let round = 0; round < 2000; round++) {
      const parts = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length] as string);
      const text = parts.join("");
      const readable = readableText(text);
      for (let i = 0; i < readable.text.length; i++) {
        const { start, end } = readable.span(i, i + 1);
        expect(readableText(text.slice(start, end)).text, JSON.stringify(text)).toBe(readable.text[i]);
      }
      const whole = readable.span(0, readable.text.length);
      expect(readableText(text.slice(whole.start, whole.end)).text).toBe(readable.text);
    }
  });

  it("changes exactly the characters it is meant to, and no other, across the BMP", () => {
    const foldedDashes = [0x2010, 0x2011, 0x2012, 0x2212, 0xfe63];
    for (let code = 0; code < 0x10000; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const c = String.fromCharCode(code);
      const meant =
        INVISIBLE.test(c) ||
        (code > 0x7f && /\p{Nd}/u.test(c)) ||
        (code >= 0xff01 && code <= 0xff5e) ||
        (code !== 0x20 && /\p{Zs}/u.test(c)) ||
        foldedDashes.includes(code);
      INVISIBLE.lastIndex = 0;
      expect(readableText(`a${c}b`).text !== `a${c}b`, `U+${code.toString(16)}`).toBe(meant);
    }
  });

  it("counts visible characters back from the end, taking the hidden ones among and before them", () => {
    const text = `abc${ZW}${ZW}de${tagged("x")}f`;
    expect(hiddenIn(text)).toBe(4);
    // The last three visible are d, e, f: the two zero-width spaces before d come with them.
    expect(lastVisible(text, 3)).toBe(3);
    expect(lastVisible(text, 4)).toBe(2);
    expect(lastVisible(text, 99)).toBe(0);
    expect(lastVisible("abc", 0)).toBe(3);
  });
});
