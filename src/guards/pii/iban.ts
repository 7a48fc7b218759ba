import type { Finding } from "../finding.js";
import { isAlphanumeric, isDigit, type PiiRecognizer } from "./recognizer.js";

/** IBAN length per country (ISO 13616 registry). */
const LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25,
  QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20,
};

const isLetter = (code: number) => (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a;

/** ISO 7064 mod 97-10 over the rearranged IBAN, letters as 10–35, computed in chunks. */
export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code <= 0x39 ? code - 0x30 : code - 0x41 + 10;
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

/** IBANs: the country's exact length (spaces or dashes between groups allowed) and the mod-97 check digits. */
export const ibanRecognizer: PiiRecognizer = {
  types: ["IBAN_CODE"],
  find(text, index) {
    const found: Finding[] = [];
    for (const run of index.runs) {
      // Two letters and two digits, not inside a word: the country and the check digits.
      const start = run.start - 2;
      if (start < 0 || !isLetter(text.charCodeAt(start)) || !isLetter(text.charCodeAt(start + 1))) continue;
      if (!isDigit(text.charCodeAt(run.start)) || !isDigit(text.charCodeAt(run.start + 1)) || (start > 0 && isAlphanumeric(text.charCodeAt(start - 1)))) continue;
      const country = text.slice(start, start + 2).toUpperCase();
      const length = LENGTHS[country];
      if (length === undefined) continue;
      let iban = "";
      let i = start;
      for (; i < text.length && iban.length < length; i++) {
        const code = text.charCodeAt(i);
        if (isAlphanumeric(code)) iban += text[i];
        else if ((code === 0x20 || code === 0x2d) && iban.length >= 4 && i + 1 < text.length && isAlphanumeric(text.charCodeAt(i + 1))) continue;
        else break;
      }
      if (iban.length !== length || (i < text.length && isAlphanumeric(text.charCodeAt(i)))) continue;
      const upper = iban.toUpperCase();
      if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(upper) || !ibanChecksumValid(upper)) continue;
      found.push({ type: "IBAN_CODE", start, end: i, score: 0.95 });
    }
    return found;
  },
};
