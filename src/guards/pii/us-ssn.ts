import type { Finding } from "../finding.js";
import { contextWords, precededBy, type PiiRecognizer } from "./recognizer.js";
import { isDigitsOnly } from "./run-shapes.js";
import { startsIn, stickyMatches } from "./text-index.js";

const CANDIDATE = /(?<![\dA-Za-z-])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\dA-Za-z]|-\d)/y;
const CONTEXT = contextWords(["ssn", "social security", "social sec", "taxpayer", "tin"]);

/** Numbers the SSA never issues: area 000, 666 or 900–999, group 00, serial 0000. */
export function ssnIssuable(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== "00" && serial !== "0000";
}

/** US social security numbers: issuable area, group and serial; an undelimited one only next to words that say so. */
export const usSsnRecognizer: PiiRecognizer = {
  types: ["US_SSN"],
  find(text, index) {
    const found: Finding[] = [];
    for (const run of index.runs) {
      // Digits alone make an SSN only when they are exactly nine.
      if (run.digits < 9 || (run.digits > 9 && isDigitsOnly(run))) continue;
      for (const match of stickyMatches(CANDIDATE, text, startsIn(text, run))) {
        const [raw, area = "", separator = "", group = "", serial = ""] = match;
        if (!ssnIssuable(area, group, serial)) continue;
        const context = precededBy(text, match.index, CONTEXT);
        // 123456789 is as likely an order number; 123-45-6789 is how SSNs are written.
        if (separator === "" && !context) continue;
        found.push({ type: "US_SSN", start: match.index, end: match.index + raw.length, score: context ? 0.95 : separator === "-" ? 0.85 : 0.6 });
      }
    }
    return found;
  },
};
