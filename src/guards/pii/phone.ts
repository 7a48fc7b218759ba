import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import type { Finding } from "../finding.js";
import { precededBy, type PiiRecognizer } from "./recognizer.js";

/**
 * Something written like a phone number: an optional +country code, an optional "(0)" or
 * area code in parentheses, groups of digits separated by single spaces, dots or dashes, and
 * an optional extension.
 */
const CANDIDATE =
  /(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(0\)[ ]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,12}){0,5}(?:\s?(?:x|ext\.?|#)\s?\d{1,6})?(?![\w]|[.-]\d|:\d)/g;
const EXTENSION = /\s?(?:x|ext\.?|#)\s?\d{1,6}$/;
const DATE = /\d{4}[-./]\d{1,2}[-./]\d{1,2}|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/;
const CONTEXT = ["phone", "call", "tel", "mobile", "cell", "fax", "contact", "reach", "whatsapp", "sms", "text me", "dial"];
/** Numbers that say what they are, and are not phone numbers. */
const OTHER_NUMBERS = ["license", "licence", "zip", "postal", "postcode", "account", "order", "invoice", "passport", "ssn", "social security", "iban", "card"];

/** Where numbers written without a country code are tried (the first that validates wins). */
const REGIONS: readonly CountryCode[] = [
  "US", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "IE", "PT", "PL", "CZ", "HU",
  "AU", "NZ", "CA", "BR", "MX", "IN", "IL", "ZA",
];

function parsedAnywhere(number: string, accept: (n: NonNullable<ReturnType<typeof parsePhoneNumberFromString>>) => boolean): boolean {
  if (number.startsWith("+")) {
    const parsed = parsePhoneNumberFromString(number);
    return parsed !== undefined && accept(parsed);
  }
  return REGIONS.some((region) => {
    const parsed = parsePhoneNumberFromString(number, region);
    return parsed !== undefined && accept(parsed);
  });
}

/**
 * Phone numbers: 7 to 15 digits written like a phone number. One written the way phone numbers
 * are (+country code, an area code in parentheses, three or more groups, or a trunk 0 and ten
 * digits) needs to be a possible number somewhere; a bare run or two groups of digits — as
 * likely a house number and a street number — needs words nearby that say "phone" and a number
 * valid in a numbering plan (libphonenumber).
 */
export const phoneRecognizer: PiiRecognizer = {
  types: ["PHONE_NUMBER"],
  find(text) {
    const found: Finding[] = [];
    for (const match of text.matchAll(CANDIDATE)) {
      const raw = match[0];
      const number = raw.replace(EXTENSION, "").replace("(0)", "");
      const digits = number.replace(/\D/g, "").length;
      if (digits < 7 || digits > 15 || DATE.test(number)) continue;
      const groups = number.split(/[ .()-]+/).filter(Boolean);
      const strong = number.startsWith("+") || number.includes("(") || groups.length >= 3 || (number.startsWith("0") && groups.length === 2 && digits >= 10);
      const context = precededBy(text, match.index, CONTEXT);
      if (precededBy(text, match.index, OTHER_NUMBERS) && !context) continue;
      const plausible = strong ? parsedAnywhere(number, (n) => n.isPossible()) : context && parsedAnywhere(number, (n) => n.isValid());
      if (!plausible) continue;
      found.push({ type: "PHONE_NUMBER", start: match.index, end: match.index + raw.length, score: context ? 0.9 : 0.7 });
    }
    return found;
  },
};
