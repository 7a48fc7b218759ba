import { getCountries, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { resolveOverlaps, type Finding } from "../../src/guards/finding.js";
import { possibleInternational } from "../../src/guards/pii/phone-plans.js";

/** A fixed sequence of pseudo-random numbers in [0, 1) (mulberry32), so that a failure can be replayed. */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("possibleInternational", () => {
  it("says what libphonenumber's isPossible says, for every calling code, length and national prefix", () => {
    const random = randomFrom(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const codes = [...new Set(getCountries().map((c) => getCountryCallingCode(c))), "0", "800", "870", "883", "999", "42"];
    const separators = ["", "", " ", "-", ".", " ", ") "];
    let possible = 0;
    for (let n = 0; n < 30_000; n++) {
      // National numbers beginning with 0, 1 or 8 meet the national prefixes of many plans.
      let national = pick(["", "", "0", "1", "8", "0", "9"]);
      const length = 3 + Math.floor(random() * 12);
      while (national.length < length) national += String(Math.floor(random() * 10));
      let number = `+${pick(codes)}${pick([" ", "-", "", " ("])}`;
      for (let i = 0; i < national.length; i++) number += (i > 0 && random() < 0.25 ? pick(separators) : "") + national[i];
      const expected = parsePhoneNumberFromString(number)?.isPossible() ?? false;
      if (expected) possible++;
      expect(possibleInternational(number), number).toBe(expected);
    }
    expect(possible).toBeGreaterThan(3_000);
  });
});

/** resolveOverlaps as it was written first, with Array.prototype.sort throughout: the reference. */
function resolveOverlapsBySorting(findings: Finding[]): Finding[] {
  const ordered = [...findings].sort((a, b) => a.start - b.start);
  const kept: Finding[] = [];
  for (let i = 0; i < ordered.length; ) {
    let j = i + 1;
    for (let end = (ordered[i] as Finding).end; j < ordered.length && (ordered[j] as Finding).start < end; j++) end = Math.max(end, (ordered[j] as Finding).end);
    const chain = ordered.slice(i, j).sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
    const best: Finding[] = [];
    for (const f of chain) if (!best.some((k) => f.start < k.end && k.start < f.end)) best.push(f);
    kept.push(...best.sort((a, b) => a.start - b.start));
    i = j;
  }
  return kept;
}

describe("resolveOverlaps", () => {
  it("keeps the same findings, in the same order, as sorting does, for runs of findings in order and out of it", () => {
    const random = randomFrom(11);
    for (let n = 0; n < 3_000; n++) {
      const count = n % 10 === 0 ? 100 + Math.floor(random() * 200) : Math.floor(random() * 40);
      const findings: Finding[] = [];
      for (let i = 0, start = 0; i < count; i++) {
        // A few runs in order, as recognizers return them, and now and then one out of order.
        start = random() < 0.1 ? Math.floor(random() * 400) : start + Math.floor(random() * 30);
        const length = Math.floor(random() * 12); // an empty span now and then
        findings.push({ type: `T${i}`, start, end: start + length, score: [0.6, 0.85, 0.85, 0.95][Math.floor(random() * 4)] as number });
      }
      const expected = resolveOverlapsBySorting(findings);
      const actual = resolveOverlaps(findings);
      expect(actual.map((f) => f.type)).toEqual(expected.map((f) => f.type));
    }
  });
});
