import type { Finding } from "../finding.js";
import { isAlphanumeric, type PiiRecognizer } from "./recognizer.js";

const LOCAL_SYMBOLS = ".!#$%&'*+/=?^_`{|}~-";
/** A character of an address's local part: a letter, a digit or one of LOCAL_SYMBOLS (tested by code, not a regex per character). */
const isLocalPartChar = (code: number) => isAlphanumeric(code) || (code < 0x80 && LOCAL_SYMBOLS.includes(String.fromCharCode(code)));
const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}/;

/** E-mail addresses: found from each "@" outwards, the domain with a dot-separated name and a letter TLD. */
export const emailRecognizer: PiiRecognizer = {
  types: ["EMAIL_ADDRESS"],
  find(text) {
    const found: Finding[] = [];
    for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
      let start = at;
      while (start > 0 && start > at - 64 && isLocalPartChar(text.charCodeAt(start - 1))) start--;
      while (start < at && text[start] === ".") start++;
      if (start === at || text[at - 1] === ".") continue;
      const domain = DOMAIN.exec(text.slice(at + 1, at + 256));
      if (!domain) continue;
      found.push({ type: "EMAIL_ADDRESS", start, end: at + 1 + domain[0].length, score: 0.95 });
    }
    return found;
  },
};
