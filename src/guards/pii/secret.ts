import type { Finding } from "../finding.js";
import { matchesOf, type PiiRecognizer } from "./recognizer.js";

/** Credentials with a recognisable shape: provider key formats, private keys, JWTs. */
const PATTERNS: { pattern: RegExp; score: number }[] = [
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, score: 0.95 }, // AWS access key id
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g, score: 0.95 }, // GitHub tokens
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{60,255}\b/g, score: 0.95 },
  { pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, score: 0.95 }, // Anthropic
  { pattern: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}/g, score: 0.9 }, // OpenAI
  { pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g, score: 0.95 }, // Stripe
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, score: 0.95 }, // Slack
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, score: 0.9 }, // Google API key
  { pattern: /\bglpat-[A-Za-z0-9_-]{20,}\b/g, score: 0.95 }, // GitLab
  { pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)/g, score: 0.99 },
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g, score: 0.9 }, // JWT
];

/** "password: …", "api_key=…" and the like, when the value looks random rather than like a word. */
const ASSIGNMENT = /\b(?:api[_-]?key|secret(?:[_-]key)?|access[_-]?token|auth[_-]?token|password|passwd|pwd|client[_-]secret)\b["']?\s*[:=]\s*["']?([^\s"',;]{8,200})/gi;

function looksRandom(value: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((c) => c.test(value)).length;
  return classes >= 3 || (classes >= 2 && value.length >= 16);
}

/** Secrets and API keys: known provider formats, private key blocks, JWTs, and random values assigned to secret-sounding names. */
export const secretRecognizer: PiiRecognizer = {
  types: ["SECRET"],
  find(text) {
    const found: Finding[] = [];
    for (const { pattern, score } of PATTERNS) {
      for (const m of matchesOf(pattern, text)) found.push({ type: "SECRET", start: m.index, end: m.index + m[0].length, score });
    }
    for (const m of matchesOf(ASSIGNMENT, text)) {
      const value = m[1] as string;
      if (!looksRandom(value)) continue;
      const start = m.index + m[0].length - value.length;
      found.push({ type: "SECRET", start, end: start + value.length, score: 0.8 });
    }
    return found;
  },
};
