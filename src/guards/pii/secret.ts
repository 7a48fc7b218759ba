import type { Finding } from "../finding.js";
import { isAlphanumeric, matchesOf, type PiiRecognizer } from "./recognizer.js";

/**
 * Where to search for the strings that tell a pattern can match: each string holds its anchor,
 * and one search for the anchor (a rare character, or a rare string) finds every occurrence of
 * all of them, instead of one search of the whole text per string.
 */
const MARKER_SEARCHES: { anchor: string; markers: readonly string[] }[] = [
  { anchor: "IA", markers: ["AKIA", "ASIA"] },
  { anchor: "_", markers: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "k_live_", "k_test_", "hf_", "npm_"] },
  { anchor: "-", markers: ["sk-ant-", "sk-", "glpat-", "-----BEGIN ", "pypi-"] },
  { anchor: "://", markers: ["://"] },
  { anchor: "xox", markers: ["xox"] },
  { anchor: "AIza", markers: ["AIza"] },
  // Capitals are rarer than small letters.
  { anchor: "J", markers: ["eyJ"] },
];

/** The markers that occur in the text. */
function markersIn(text: string): string[] {
  const found: string[] = [];
  for (const { anchor, markers } of MARKER_SEARCHES) {
    for (let at = text.indexOf(anchor); at >= 0; at = text.indexOf(anchor, at + 1)) {
      for (const marker of markers) {
        if (!found.includes(marker) && text.startsWith(marker, at - marker.indexOf(anchor))) found.push(marker);
      }
    }
  }
  return found;
}

/**
 * Credentials with a recognisable shape: provider key formats, private keys, JWTs. Each pattern
 * runs only when the text holds one of the markers that every match of it holds: most texts
 * hold no secret, and finding that out should cost next to nothing.
 */
const PATTERNS: { markers: readonly string[]; pattern: RegExp; score: number }[] = [
  { markers: ["AKIA", "ASIA"], pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, score: 0.95 }, // AWS access key id
  { markers: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], pattern: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g, score: 0.95 }, // GitHub tokens
  { markers: ["github_pat_"], pattern: /\bgithub_pat_[A-Za-z0-9_]{60,255}\b/g, score: 0.95 },
  { markers: ["sk-ant-"], pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, score: 0.95 }, // Anthropic
  { markers: ["sk-"], pattern: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}/g, score: 0.9 }, // OpenAI
  { markers: ["k_live_", "k_test_"], pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g, score: 0.95 }, // Stripe
  { markers: ["xox"], pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, score: 0.95 }, // Slack
  { markers: ["AIza"], pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, score: 0.9 }, // Google API key
  { markers: ["glpat-"], pattern: /\bglpat-[A-Za-z0-9_-]{20,}\b/g, score: 0.95 }, // GitLab
  { markers: ["hf_"], pattern: /\bhf_[A-Za-z0-9]{34,}\b/g, score: 0.95 }, // Hugging Face
  { markers: ["npm_"], pattern: /\bnpm_[A-Za-z0-9]{36}\b/g, score: 0.95 }, // npm
  { markers: ["pypi-"], pattern: /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}/g, score: 0.95 }, // PyPI
  { markers: ["-----BEGIN "], pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)/g, score: 0.99 },
  { markers: ["eyJ"], pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g, score: 0.9 }, // JWT
];

/** The matches of the patterns whose markers the text holds. */
function patternMatches(text: string, markers: readonly string[], found: Finding[]): void {
  for (const { markers: needed, pattern, score } of PATTERNS) {
    if (!needed.some((marker) => markers.includes(marker))) continue;
    for (const m of matchesOf(pattern, text)) found.push({ type: "SECRET", start: m.index, end: m.index + m[0].length, score });
  }
}

/**
 * "password: …", "api_key=…", "AWS_SECRET_ACCESS_KEY=…" and the like (the name may have a
 * prefix: "MY_SERVICE_API_KEY"), when the value looks random rather than like a word.
 */
const ASSIGNMENT =
  /(?<![A-Za-z0-9])(?:[A-Za-z0-9]+[_.-])*(?:api[_-]?key|secret(?:[_-]?access)?(?:[_-]?key)?|access[_-]?token|auth[_-]?token|password|passwd|pwd|client[_-]secret|private[_-]?key)\b["']?\s*[:=]\s*["']?([^\s"',;]{8,200})/gi;
/** A piece of every name ASSIGNMENT knows, looked for just before each ":" and "=". */
const ASSIGNED_NAME = /key|secret|token|passw|pwd/i;
/** How far before its ":" or "=" a name can start ("client-secret" and quotes, with room to spare). */
const NAME_REACH = 40;

/** A value written as a stand-in for one: "${DB_PASSWORD}", "<password>", "{{ token }}", "%PASS%". */
const PLACEHOLDER = /^(?:\$|<|\{\{|%)/;

function looksRandom(value: string): boolean {
  if (PLACEHOLDER.test(value)) return false;
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

/**
 * The password in a URL ("postgres://admin:S3cretPass@db.internal/prod"), when it looks random:
 * "user:password@localhost" in a tutorial is an example, not a credential. It scores above the
 * e-mail address the password and host also look like, so the password is what is reported.
 */
const CREDENTIALS = /[^\s:/@]+:([^\s/@]+)@/y;

/** Read from each "://" after a scheme's letters: a pattern run over the whole text would be tried at every word. */
function urlPasswords(text: string, found: Finding[]): void {
  for (let at = text.indexOf("://"); at >= 0; at = text.indexOf("://", at + 3)) {
    if (!isAlphanumeric(text.charCodeAt(at - 1))) continue;
    CREDENTIALS.lastIndex = at + 3;
    const m = CREDENTIALS.exec(text);
    const password = m?.[1];
    if (m === null || password === undefined || !looksRandom(password)) continue;
    const start = m.index + m[0].length - 1 - password.length;
    found.push({ type: "SECRET", start, end: start + password.length, score: 0.99 });
  }
}

/** Secrets and API keys: known provider formats, private key blocks, JWTs, passwords in URLs, and random values assigned to secret-sounding names. */
export const secretRecognizer: PiiRecognizer = {
  types: ["SECRET"],
  find(text) {
    const found: Finding[] = [];
    const markers = markersIn(text);
    // Most texts hold no marker, and then no pattern is tried.
    if (markers.length > 0) patternMatches(text, markers, found);
    if (markers.includes("://")) urlPasswords(text, found);
    assignments(text, found);
    return found;
  },
};
