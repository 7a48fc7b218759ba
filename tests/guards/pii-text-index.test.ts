import { describe, expect, it } from "vitest";
import { startsIn, TextIndex } from "../../src/guards/pii/text-index.js";

/**
 * The capitalised words as the regex scan the text index used to make finds them (its match
 * arrays were slower than reading by hand): the reference the index is held to.
 */
function capitalisedByRegex(text: string): [number, number, string][] {
  const upper = "A-Z\\u00C0-\\u00D6\\u00D8-\\u00DE\\u0100-\\u017F\\u0181-\\u024F\\u0386-\\u038F\\u0391-\\u03AB\\u0400-\\u042F";
  const letter = "A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F\\u0370-\\u03FF\\u0400-\\u04FF";
  const words: [number, number, string][] = [];
  for (const m of text.matchAll(new RegExp(`[${upper}][${letter}]*(?:['’-][${letter}]+)*`, "g"))) {
    let word = m[0];
    const before = m.index > 0 ? (text[m.index - 1] as string) : "";
    if (/[A-Za-z]/.test(before) || new RegExp(`[${letter}'’-]`).test(before)) continue;
    if (word.charCodeAt(0) >= 0x100 && word[0] === word[0]?.toLowerCase()) continue;
    if (word.length > 3 && (word.endsWith("'s") || word.endsWith("’s"))) word = word.slice(0, -2);
    words.push([m.index, m.index + word.length, word]);
  }
  return words;
}

const texts = [
  "Faina D. Yefremova's Cautionary Tales. Is there a better example than early Yefremova?",
  "O'Neil-Smith met McDonald, abcDef and x-Ray in São Paulo; Ñandú, Ærø-Åsberg and Zoë’s cat.",
  "Ŀlorenç ŀlorenç Ǆemal ǅemal Σωκράτης Οδός 12 Москва Улица Şişli, İstanbul 3Com 4Chan",
  "'Quoted' -Dashed ’Curly Bob's Bo's It's JAMES O'- Ann-- Mary'",
  "EMAIL Tel: +1 (415) 555-0132, Rue Gafsa 62, 00100 Helsinki. A B C. Ω ωΩ",
];

describe("the text index", () => {
  it("finds the capitalised words the regex scan found, with their offsets and text", () => {
    for (const text of texts) {
      expect(new TextIndex(text).capitalised.map((w) => [w.start, w.end, w.text])).toEqual(capitalisedByRegex(text));
    }
  });

  it("computes a run's starts once, for every recognizer that asks", () => {
    const text = "call +1 (415) 555-0132 or 4111 1111 1111 1111";
    const index = new TextIndex(text);
    const runs = index.runs;
    expect(runs.map((r) => text.slice(r.start, r.end))).toEqual(["+1 (415) 555-0132", "4111 1111 1111 1111"]);
    const run = runs[0];
    if (!run) throw new Error("no run");
    expect(startsIn(text, run)).toBe(startsIn(text, run));
    expect(startsIn(text, run).map((p) => text[p])).toEqual(["+", "1", "(", "4", "5", "0"]);
  });
});
