import type { Finding } from "../finding.js";
import { matchesOf, type PiiRecognizer } from "./recognizer.js";

const has = (text: string, part: string) => text.indexOf(part) >= 0;
/** Some "-" in the text follows one of the words (searching for "-" is far faster than for "sk-"). */
function dashAfter(text: string, words: readonly string[]): boolean {
  for (let at = text.indexOf("-"); at >= 0; at = text.indexOf("-", at + 1)) {
    for (const word of words) if (text.startsWith(word, at - word.length)) return true;
  }
  return false;
}

/** Some `capital` in the text follows `before` (capitals are rarer than small letters, so searched for first). */
function capitalAfter(text: string, capital: string, before: string): boolean {
  for (let at = text.indexOf(capital); at >= 0; at = text.indexOf(capital, at + 1)) if (text.startsWith(before, at - before.length)) return true;
  return false;
}

/**
 * Credentials with a recognisable shape: provider key formats, private keys, JWTs. Each pattern
 * runs only when the text holds what every match of it holds, found by searches for rare
 * characters: most texts hold no secret, and finding that out should cost next to nothing.
 */
const PATTERNS: { present: (text: string) => boolean; pattern: RegExp; score: number }[] = [
  { present: (t) => has(t, "AKIA") || has(t, "ASIA"), pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, score: 0.95 }, // AWS access key id
  { present: (t) => has(t, "_"), pattern: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g, score: 0.95 }, // GitHub tokens
  { present: (t) => has(t, "_"), pattern: /\bgithub_pat_[A-Za-z0-9_]{60,255}\b/g, score: 0.95 },
  { present: (t) => dashAfter(t, ["sk-ant"]), pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, score: 0.95 }, // Anthropic
  { present: (t) => dashAfter(t, ["sk"]), pattern: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}/g, score: 0.9 }, // OpenAI
  { present: (t) => has(t, "_"), pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g, score: 0.95 }, // Stripe
  { present: (t) => has(t, "xox"), pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, score: 0.95 }, // Slack
  { present: (t) => has(t, "AIza"), pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, score: 0.9 }, // Google API key
  { present: (t) => dashAfter(t, ["glpat"]), pattern: /\bglpat-[A-Za-z0-9_-]{20,}\b/g, score: 0.95 }, // GitLab
  { present: (t) => has(t, "-----BEGIN "), pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)/g, score: 0.99 },
  { present: (t) => capitalAfter(t, "J", "ey"), pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g, score: 0.9 }, // JWT
];

/** "password: …", "api_key=…" and the like, when the value looks random rather than like a word. */
const ASSIGNMENT = /\b(?:api[_-]?key|secret(?:[_-]key)?|access[_-]?token|auth[_-]?token|password|passwd|pwd|client[_-]secret)\b["']?\s*[:=]\s*["']?([^\s"',;]{8,200})/gi;
/** A piece of every name ASSIGNMENT knows, looked for just before each ":" and "=". */
const ASSIGNED_NAME = /key|secret|token|passw|pwd/i;
/** How far before its ":" or "=" a name can start ("client-secret" and quotes, with room to spare). */
const NAME_REACH = 40;

function looksRandom(value: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((c) => c.test(value)).length;
  return classes >= 3 || (classes >= 2 && value.length >= 16);
}

/** Values assigned to secret-sounding names, looked for around each ":" and "=" only. */
function assignments(text: string, found: Finding[]): void {
  let covered = 0;
  for (const sign of [":", "="]) {
    for (let at = text.indexOf(sign); at >= 0; at = text.indexOf(sign, at + 1)) {
      const from = Math.max(0, at - NAME_REACH);
      if (at < covered || !ASSIGNED_NAME.test(text.slice(from, at))) continue;
      // The window starts a character early so that \b at its edge means what it does in the text.
      const windowStart = Math.max(0, from - 1);
      const window = text.slice(windowStart, at + 1 + 210);
      for (const m of matchesOf(ASSIGNMENT, window)) {
        if (m.index === 0 && windowStart > 0) continue;
        const value = m[1] as string;
        const start = windowStart + m.index + m[0].length - value.length;
        covered = Math.max(covered, start + value.length);
        if (looksRandom(value) && !found.some((f) => f.start === start)) found.push({ type: "SECRET", start, end: start + value.length, score: 0.8 });
      }
    }
  }
}

/** Secrets and API keys: known provider formats, private key blocks, JWTs, and random values assigned to secret-sounding names. */
export const secretRecognizer: PiiRecognizer = {
  types: ["SECRET"],
  find(text) {
    const found: Finding[] = [];
    for (const { present, pattern, score } of PATTERNS) {
      if (!present(text)) continue;
      for (const m of matchesOf(pattern, text)) found.push({ type: "SECRET", start: m.index, end: m.index + m[0].length, score });
    }
    assignments(text, found);
    return found;
  },
};
