import { isIPv6 } from "node:net";
import type { Finding } from "../finding.js";
import { matchesOf, type PiiRecognizer } from "./recognizer.js";

const IPV4_CANDIDATE = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/g;

const isDigitAt = (text: string, i: number) => i >= 0 && i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39;

/** Four decimal octets 0–255 without leading zeros, not part of a longer dotted number. */
function ipv4At(text: string, start: number, raw: string): boolean {
  const end = start + raw.length;
  if (isDigitAt(text, start - 1) || (text[start - 1] === "." && isDigitAt(text, start - 2))) return false;
  if (isDigitAt(text, end) || (text[end] === "." && isDigitAt(text, end + 1))) return false;
  return raw.split(".").every((octet) => Number(octet) <= 255 && (octet.length === 1 || octet[0] !== "0"));
}
/** Two hex digits around a colon, or "::": without one there is no IPv6 address to look for. */
const IPV6_HINT = /[0-9A-Fa-f]:[0-9A-Fa-f]|::/;
const IPV6_CANDIDATE = /(?<![0-9A-Fa-f:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Fa-f:])/g;

/** IPv4 addresses (each octet 0–255) and IPv6 addresses (checked by node:net). */
export const ipAddressRecognizer: PiiRecognizer = {
  types: ["IP_ADDRESS"],
  find(text) {
    const found: Finding[] = [];
    for (const m of matchesOf(IPV4_CANDIDATE, text)) {
      if (ipv4At(text, m.index, m[0])) found.push({ type: "IP_ADDRESS", start: m.index, end: m.index + m[0].length, score: 0.85 });
    }
    if (IPV6_HINT.test(text)) {
      for (const m of matchesOf(IPV6_CANDIDATE, text)) {
        // "12:30:45" is a time; an address has a hex group of letters, "::", or more groups.
        if (isIPv6(m[0]) && (m[0].includes("::") || /[A-Fa-f]/.test(m[0]) || m[0].split(":").length > 4)) {
          found.push({ type: "IP_ADDRESS", start: m.index, end: m.index + m[0].length, score: 0.85 });
        }
      }
    }
    return found;
  },
};
