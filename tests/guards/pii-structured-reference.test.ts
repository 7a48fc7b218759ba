import { getCountries, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
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
