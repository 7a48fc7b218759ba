import type { Finding } from "../finding.js";
import { possibleInternational, prepareNumberingPlans } from "./phone-plans.js";
import { contextWords, isAlphanumeric, isDigit, precededBy, type PiiRecognizer } from "./recognizer.js";
import { isDigitsOnly } from "./run-shapes.js";
import { startsIn, stickyMatches } from "./text-index.js";

/**
 * Something written like a phone number: an optional +country code, an optional "(0)" or
 * area code in parentheses, groups of digits separated by single spaces, dots or dashes, and
 * an optional extension.
 */
const CANDIDATE =
  /(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(0\)[ ]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,12}){0,5}(?:\s?(?:x|ext\.?|#)\s?\d{1,6})?(?![\w]|[.-]\d|:\d)/y;
const EXTENSION = /\s?(?:x|ext\.?|#)\s?\d{1,6}$/;
/** 123-45-6789 is how social security numbers are written, never phone numbers. */
const SSN_SHAPE = /^\d{3}-\d{2}-\d{4}$/;
const DATE = /\d{4}[-./]\d{1,2}[-./]\d{1,2}|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/;
const CONTEXT = contextWords(["phone", "call", "tel", "mobile", "cell", "fax", "contact", "reach", "whatsapp", "sms", "text me", "dial"]);
/** Numbers that say what they are, and are not phone numbers. */
const OTHER_NUMBERS = contextWords(["license", "licence", "zip", "postal", "postcode", "account", "order", "invoice", "passport", "ssn", "social security", "iban", "card"]);


const isGroupSeparator = (code: number) => code === 0x20 || code === 0x2e || code === 0x28 || code === 0x29 || code === 0x2d; // space . ( ) -

/**
 * What one pass over a number tells: its digits, its groups (number.split(/[ .()-]+/).filter(Boolean).length,
 * counted) and its dashes and dots.
 */
function shapeOf(number: string): { digits: number; groups: number; dashesAndDots: number } {
  let digits = 0;
  let groups = 0;
  let dashesAndDots = 0;
  for (let i = 0, inGroup = false; i < number.length; i++) {
    const code = number.charCodeAt(i);
    if (isDigit(code)) digits++;
    else if (code === 0x2d || code === 0x2e) dashesAndDots++;
    const separator = isGroupSeparator(code);
    if (!separator && !inGroup) groups++;
    inGroup = !separator;
  }
  return { digits, groups, dashesAndDots };
}

/** Whether the letters and digits from `at` on (step 1) or back from it (step -1) hold a digit ("20", "6d"). */
function wordWithDigit(text: string, at: number, step: 1 | -1): boolean {
  for (let i = at; isAlphanumeric(text.charCodeAt(i)); i += step) if (isDigit(text.charCodeAt(i))) return true;
  return false;
}
/** Another group a space away on either side: the number is part of a longer row than a phone number has (a hex dump, a table of figures). */
const inLongerRow = (text: string, start: number, end: number) =>
  (text.charCodeAt(start - 1) === 0x20 && wordWithDigit(text, start - 2, -1)) || (text.charCodeAt(end) === 0x20 && wordWithDigit(text, end + 1, 1));

/** Written as a date or an SSN: both take two dashes or dots (a candidate holds no slash), an SSN nine digits in eleven characters. */
function dateOrSsn(number: string, shape: { digits: number; dashesAndDots: number }): boolean {
  if (shape.dashesAndDots < 2) return false;
  return DATE.test(number) || (number.length === 11 && shape.digits === 9 && SSN_SHAPE.test(number));
}

/**
 * Phone numbers: 7 to 15 digits written like a phone number. One written the way phone numbers
 * are (+country code, an area code in parentheses, three or more groups, or a trunk 0 and ten
 * digits) is taken, if its country code's plan allows its length; a bare run or two groups of digits — as
 * likely a house number and a street number — needs words nearby that say "phone".
 */
export const phoneRecognizer: PiiRecognizer = {
  types: ["PHONE_NUMBER"],
  prepare: prepareNumberingPlans,
  find(text, index) {
    const found: Finding[] = [];
    for (const run of index.runs) {
      // More than 12 digits in one block are no group of a phone number (card numbers).
      if (run.digits < 7 || (run.digits > 12 && isDigitsOnly(run))) continue;
      for (const match of stickyMatches(CANDIDATE, text, startsIn(text, run))) {
        const raw = match[0];
        // Fewer than seven characters hold fewer than seven digits ("12/1/1981" gives three such matches).
        if (raw.length < 7) continue;
        if (inLongerRow(text, match.index, match.index + raw.length)) continue;
        // An extension ("x12", "ext. 12") is letters and digits after the run's end.
        const extended = match.index + raw.length > run.end && (raw.includes("x") || raw.includes("#")) ? raw.replace(EXTENSION, "") : raw;
        const number = extended.includes("(0)") ? extended.replace("(0)", "") : extended;
        const shape = shapeOf(number);
        const { digits, groups } = shape;
        if (digits < 7 || digits > 15 || dateOrSsn(number, shape)) continue;
        const strong = number.startsWith("+") || number.includes("(") || groups >= 3 || (number.startsWith("0") && groups === 2 && digits >= 10);
        const context = precededBy(text, match.index, CONTEXT);
        // A bare number needs words that say "phone"; one written as a phone number, no words that say it is something else.
        if (strong ? !context && precededBy(text, match.index, OTHER_NUMBERS) : !context) continue;
        // Written as a phone number: with a country code it must be possible in that country's plan;
        // without, the format is the evidence (trying every region's plan costs more than it tells).
        if (strong && number.startsWith("+") && !possibleInternational(number)) continue;
        found.push({ type: "PHONE_NUMBER", start: match.index, end: match.index + raw.length, score: strong ? (context ? 0.9 : 0.7) : 0.6 });
      }
    }
    return found;
  },
};
