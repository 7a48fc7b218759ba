import type { Finding } from "../finding.js";
import { contextWords, isAlphanumeric, isDigit, precededBy, type PiiRecognizer } from "./recognizer.js";
import { startsIn, stickyMatches } from "./text-index.js";

/**
 * 12–19 digits, in groups separated by up to two spaces, dashes or dots (plausibleGrouping
 * keeps a space, two spaces, a dash or a dot), not inside a longer run of digits or letters.
 */
const CANDIDATE = /(?<![\dA-Za-z])\d(?:[ .-]{0,2}\d){11,18}(?![\dA-Za-z])/y;

const CONTEXT = contextWords(["card", "visa", "mastercard", "amex", "credit", "debit", "cc"]);

/** Issuer prefixes (IIN ranges) and the lengths each issues. */
const ISSUERS: { test: (d: string) => boolean; lengths: readonly number[] }[] = [
  { test: (d) => d[0] === "4", lengths: [13, 16, 19] }, // Visa
  { test: (d) => inRange(d, 2, 51, 55) || inRange(d, 4, 2221, 2720), lengths: [16] }, // Mastercard
  { test: (d) => d.startsWith("34") || d.startsWith("37"), lengths: [15] }, // American Express
  { test: (d) => d.startsWith("6011") || inRange(d, 3, 644, 649) || d.startsWith("65"), lengths: [16, 17, 18, 19] }, // Discover
  { test: (d) => inRange(d, 3, 300, 305) || d.startsWith("36") || d.startsWith("38") || d.startsWith("39"), lengths: [14, 15, 16, 17, 18, 19] }, // Diners
  { test: (d) => d.startsWith("35"), lengths: [16, 17, 18, 19] }, // JCB
  { test: (d) => d.startsWith("1800") || d.startsWith("2131"), lengths: [15] }, // JCB, older ranges
  { test: (d) => d.startsWith("62") || d.startsWith("81"), lengths: [16, 17, 18, 19] }, // UnionPay
  { test: (d) => d.startsWith("50") || inRange(d, 2, 56, 69) || d.startsWith("0604"), lengths: [12, 13, 14, 15, 16, 17, 18, 19] }, // Maestro
  { test: (d) => inRange(d, 4, 2200, 2204), lengths: [16, 17, 18, 19] }, // Mir
];

function inRange(digits: string, width: number, low: number, high: number): boolean {
  const prefix = Number(digits.slice(0, width));
  return prefix >= low && prefix <= high;
}

/** The lengths some issuer gives numbers beginning with these four digits, one bit per length. */
function issuedLengths(prefix: string): number {
  let lengths = 0;
  for (const issuer of ISSUERS) if (issuer.test(prefix)) for (const length of issuer.lengths) lengths |= 1 << length;
  return lengths;
}

/**
 * issuedLengths of each four-digit prefix (0000–9999), filled in as prefixes come up, with bit
 * 0 (no length) set to mark one filled in: the issuers' tests read four digits at most, so a
 * candidate is judged by one lookup instead of trying the issuers one by one.
 */
const lengthsByPrefix = new Uint32Array(10_000);

/** Some issuer gives numbers of this length and prefix. */
function issued(digits: string): boolean {
  let prefix = 0;
  for (let i = 0; i < 4; i++) prefix = prefix * 10 + digits.charCodeAt(i) - 0x30;
  let lengths = lengthsByPrefix[prefix] ?? 0;
  if (lengths === 0) lengthsByPrefix[prefix] = lengths = issuedLengths(digits.slice(0, 4)) | 1;
  return ((lengths >> digits.length) & 1) === 1;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 0x30;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** The digits of a candidate, the separators between them left out (most have none). */
function withoutSeparators(raw: string): string {
  for (let i = 0; i < raw.length; i++) if (!isDigit(raw.charCodeAt(i))) return raw.replace(/[ .-]/g, "");
  return raw;
}

/** A separator pattern a person would write: none, or one kind (spaces, dashes or dots) between groups of 3–6 digits. */
function plausibleGrouping(raw: string, digits: string): boolean {
  if (digits.length === raw.length) return true;
  const groups = raw.split(/ {1,2}|[.-]/);
  const separators = raw.replace(/\d/g, "");
  return new Set(separators).size === 1 && groups.every((g) => g.length >= 3 && g.length <= 6);
}

/** Payment card numbers: issuer prefix and length, Luhn checksum, and a plausible grouping. */
export const creditCardRecognizer: PiiRecognizer = {
  types: ["CREDIT_CARD"],
  find(text, index) {
    const found: Finding[] = [];
    for (const run of index.runs) {
      if (run.digits < 12) continue;
      for (const match of stickyMatches(CANDIDATE, text, startsIn(text, run))) {
        const raw = match[0];
        const start = match.index;
        const end = start + raw.length;
        if (end < text.length && isAlphanumeric(text.charCodeAt(end))) continue;
        const digits = withoutSeparators(raw);
        if (!issued(digits) || !luhnValid(digits) || !plausibleGrouping(raw, digits)) continue;
        const score = precededBy(text, start, CONTEXT) ? 0.95 : 0.85;
        found.push({ type: "CREDIT_CARD", start, end, score });
      }
    }
    return found;
  },
};
