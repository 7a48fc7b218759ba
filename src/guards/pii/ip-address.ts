import { isIPv6 } from "node:net";
import type { Finding } from "../finding.js";
import type { PiiRecognizer } from "./recognizer.js";

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?![\\d]|\\.\\d)`, "g");
const IPV6_CANDIDATE = /(?<![0-9A-Fa-f:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Fa-f:])/g;

/** IPv4 addresses (each octet 0–255) and IPv6 addresses (checked by node:net). */
export const ipAddressRecognizer: PiiRecognizer = {
  types: ["IP_ADDRESS"],
  find(text) {
    const found: Finding[] = [];
    for (const m of text.matchAll(IPV4)) found.push({ type: "IP_ADDRESS", start: m.index, end: m.index + m[0].length, score: 0.85 });
    if (text.includes(":")) {
      for (const m of text.matchAll(IPV6_CANDIDATE)) {
        // "12:30:45" is a time; an address has a hex group of letters, "::", or more groups.
        if (isIPv6(m[0]) && (m[0].includes("::") || /[A-Fa-f]/.test(m[0]) || m[0].split(":").length > 4)) {
          found.push({ type: "IP_ADDRESS", start: m.index, end: m.index + m[0].length, score: 0.85 });
        }
      }
    }
    return found;
  },
};
