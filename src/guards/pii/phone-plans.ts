import { getCountries, getCountryCallingCode, Metadata, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { isDigit } from "./recognizer.js";

/**
 * For each country calling code, the national number lengths that the plan of every country
 * sharing it allows ("44": GB, GG, IM and JE all allow 10 digits).
 */
function lengthsAllSharersAllow(): Map<string, number[]> {
  const allowed = new Map<string, number[]>();
  const metadata = new Metadata();
  for (const country of getCountries()) {
    metadata.selectNumberingPlan(country);
    const lengths = metadata.numberingPlan?.possibleLengths() ?? [];
    const code = getCountryCallingCode(country);
    const before = allowed.get(code);
    allowed.set(code, before === undefined ? lengths : before.filter((n) => lengths.includes(n)));
  }
  return allowed;
}

let sharedLengths: Map<string, number[]> | undefined;

/** Reads the numbering plans ahead of the first number (about a millisecond). */
export function prepareNumberingPlans(): void {
  sharedLengths ??= lengthsAllSharersAllow();
}

/**
 * True when libphonenumber would surely call "+digits" possible without asking it: the digits
 * after the calling code have a length every plan of that code allows. libphonenumber tells
 * the country apart (+1 and +44 are shared) and strips national prefixes by trying regexes it
 * compiles on every call, tens of µs per number; but whichever sharer it picks allows this
 * length, and a stripped national prefix is kept only if what remains is a possible length too.
 * Calling codes are prefix-free, so the first one found is the one libphonenumber finds.
 */
function surelyPossible(digits: string): boolean {
  sharedLengths ??= lengthsAllSharersAllow();
  for (let codeLength = 1; codeLength <= 3 && codeLength < digits.length; codeLength++) {
    const lengths = sharedLengths.get(digits.slice(0, codeLength));
    if (lengths !== undefined) return lengths.includes(digits.length - codeLength);
  }
  return false;
}

/** The digits of a number as written, separators left out. */
function digitsOf(number: string): string {
  let digits = "";
  for (let i = 0; i < number.length; i++) if (isDigit(number.charCodeAt(i))) digits += number[i];
  return digits;
}

/**
 * A number written with a country code ("+" then digits, spaces, dots, dashes and parentheses)
 * whose length that country's numbering plan allows: libphonenumber's isPossible, asked only
 * when the plans' lengths alone do not already say yes.
 */
export function possibleInternational(number: string): boolean {
  return surelyPossible(digitsOf(number)) || (parsePhoneNumberFromString(number)?.isPossible() ?? false);
}
