import { isIPv6 } from "node:net";
import type { Finding } from "../finding.js";
import { isAlphanumeric, type PiiRecognizer } from "./recognizer.js";
import { dotsIn } from "./run-shapes.js";
import { startsIn, stickyMatches } from "./text-index.js";

const IPV4_CANDIDATE = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/y;

const isDigitAt = (text: string, i: number) => i >= 0 && i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39;
const isHexAt = (text: string, i: number) => {
  const code = i >= 0 && i < text.length ? text.charCodeAt(i) | 0x20 : 0;
  return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66);
};

/** Four decimal octets 0–255 without leading zeros, not part of a longer dotted number. */
function ipv4At(text: string, start: number, raw: string): boolean {
  const end = start + raw.length;
  if (isDigitAt(text, start - 1) || (text[start - 1] === "." && isDigitAt(text, start - 2))) return false;
  if (isDigitAt(text, end) || (text[end] === "." && isDigitAt(text, end + 1))) return false;
  return raw.split(".").every((octet) => Number(octet) <= 255 && (octet.length === 1 || octet[0] !== "0"));
}

const isHexOrColonAt = (text: string, i: number) => isHexAt(text, i) || text[i] === ":";
const IPV6_SHAPE = /^[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}$/;
/** A letter, digit or underscore: an address does not begin or end inside a word ("std::vector", "Foo::bar"). */
const isWordAt = (text: string, i: number) => isAlphanumeric(text.charCodeAt(i)) || text.charCodeAt(i) === 0x5f;
/**
 * An address someone has: two or more groups, one of three or four hex digits ("fe80::1",
 * "2001:db8::7334"). Without, it is a path in code ("a::b"), an emoji's shortcode
 * (":thinking::point_right:") or a loopback or unspecified address ("::1", "::"), no one's.
 */
function hasAddressGroups(raw: string): boolean {
  const groups = raw.split(":").filter(Boolean);
  return groups.length >= 2 && groups.some((g) => g.length >= 3);
}

/**
 * The stretches of hex digits and colons around each colon that has a hex digit on both sides
 * or another colon next to it: where an IPv6 address can be (most texts have none).
 */
function ipv6Candidates(text: string): { start: number; end: number }[] {
  const found: { start: number; end: number }[] = [];
  for (let at = text.indexOf(":"); at >= 0; at = text.indexOf(":", at + 1)) {
    if (!(text[at + 1] === ":" || (isHexAt(text, at - 1) && isHexAt(text, at + 1)))) continue;
    let start = at;
    while (start > 0 && at - start < 40 && isHexOrColonAt(text, start - 1)) start--;
    let end = at + 1;
    while (end < text.length && end - start < 41 && isHexOrColonAt(text, end)) end++;
    found.push({ start, end });
    at = end;
  }
  return found;
}

/** IPv4 addresses (each octet 0–255) and IPv6 addresses (checked by node:net). */
export const ipAddressRecognizer: PiiRecognizer = {
  types: ["IP_ADDRESS"],
  find(text, index) {
    const found: Finding[] = [];
    for (const run of index.runs) {
      if (run.digits < 4 || run.end - run.start < 7 || dotsIn(text, run) < 3) continue;
      for (const m of stickyMatches(IPV4_CANDIDATE, text, startsIn(text, run))) {
        if (ipv4At(text, m.index, m[0])) found.push({ type: "IP_ADDRESS", start: m.index, end: m.index + m[0].length, score: 0.85 });
      }
    }
    for (const { start, end } of ipv6Candidates(text)) {
      if (isWordAt(text, start - 1) || isWordAt(text, end)) continue;
      const raw = text.slice(start, end);
      // "12:30:45" is a time; an address has a hex group of letters, "::", or more groups.
      if (IPV6_SHAPE.test(raw) && (raw.includes("::") || /[A-Fa-f]/.test(raw) || raw.split(":").length > 4) && hasAddressGroups(raw) && isIPv6(raw)) {
        found.push({ type: "IP_ADDRESS", start, end, score: 0.85 });
      }
    }
    return found;
  },
};
