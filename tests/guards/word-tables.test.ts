import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { capitalisedWords } from "../../src/guards/pii/person.js";
import { loadWordTable, type PrebuiltTable } from "../../src/guards/pii/prebuilt-tables.js";
import { commonEnglishWords } from "../../src/guards/pii/street-address.js";
import { englishWords, personNames } from "../../src/guards/pii/word-lists.js";
import { WordTable } from "../../src/guards/pii/word-table.js";
import { packageRoot } from "../../src/shared/package-root.js";

const valueOf = (table: WordTable, word: string) => table.get(word, 0, word.length);

describe("word tables written at build time", () => {
  it("read back from bytes answer every lookup as the table written", () => {
    const table = new WordTable(3);
    table.set("Ada", 2);
    table.set("Street", 7);
    const read = WordTable.fromBytes(table.toBytes());
    expect(["Ada", "Street", "Lovelace"].map((w) => valueOf(read, w))).toEqual([2, 7, 0]);
    expect(() => WordTable.fromBytes(Buffer.from("not a table"))).toThrow(/not a word table/);
    expect(() => WordTable.fromBytes(table.toBytes().subarray(0, 100))).toThrow(/not a word table/);
  });

  it("are what the word lists build, word for word (npm run build wrote them)", () => {
    expect(existsSync(path.join(packageRoot(), "dist/word-tables/capitalised-words.words"))).toBe(true);
    const capitalise = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
    const sample = [...personNames().filter((_, i) => i % 97 === 0), ...[...englishWords().common].filter((_, i) => i % 53 === 0).map(capitalise), "Street", "Dr", "Jr", "Xqzzvv"];
    const [written, built] = [loadWordTable(capitalisedWords), capitalisedWords.build()];
    expect(sample.map((w) => valueOf(written, w))).toEqual(sample.map((w) => valueOf(built, w)));
    const lower = [...englishWords().common].filter((_, i) => i % 31 === 0);
    expect(lower.every((w) => valueOf(loadWordTable(commonEnglishWords), w) === 1)).toBe(true);
  });

  it("are not used when what they were built from changed: the table is built afresh", () => {
    const changed: PrebuiltTable = {
      ...capitalisedWords,
      inputs: () => ["a list changed since the build"],
      build() {
        const table = new WordTable(1);
        table.set("Newword", 5);
        return table;
      },
    };
    expect(valueOf(loadWordTable(changed), "Newword")).toBe(5);
    expect(valueOf(loadWordTable({ ...changed, name: "never-written" }), "Newword")).toBe(5);
    // Same lists, but build() changed what it makes of them (its revision raised).
    expect(valueOf(loadWordTable({ ...changed, inputs: capitalisedWords.inputs, revision: capitalisedWords.revision + 1 }), "Newword")).toBe(5);
  });
});
