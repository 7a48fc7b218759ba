import type { Finding } from "./finding.js";
import { injectionFindings } from "./injection/detector.js";
import { PiiScanner } from "./pii/pii-scanner.js";

export type Verdict = "allow" | "redact" | "block";

export interface GuardCheckResult {
  verdict: Verdict;
  findings: Finding[];
  /** Classification labels for the policy context, e.g. contains_pii, contains_secret, prompt_injection. */
  labels: string[];
  /** The text with every redacted finding replaced by a typed placeholder such as [CREDIT_CARD_1]. */
  redacted: string;
}

/** What happens to each kind of finding until per-tenant policy decides it (the policy issue). */
const ACTIONS: Record<string, Exclude<Verdict, "allow">> = {
  PROMPT_INJECTION: "block",
  JAILBREAK: "block",
  SECRET: "redact",
};
const DEFAULT_ACTION: Exclude<Verdict, "allow"> = "redact";

const LABELS: Record<string, string> = { PROMPT_INJECTION: "prompt_injection", JAILBREAK: "jailbreak", SECRET: "contains_secret" };

/**
 * The guards a text passes through, as one check: PII and secrets (both directions), prompt
 * injection and jailbreaks. The same code serves POST /v1/guard/check, `gatehouse guard check`
 * and the gateway's inspect stages.
 */
export class GuardChecker {
  constructor(private readonly pii = new PiiScanner()) {}

  /** The same guards run in both directions: a model's answer (or a tool result fed back) can carry PII or smuggled instructions too. */
  check(text: string): GuardCheckResult {
    const pii = this.pii.scan(text);
    const injection = injectionFindings(text);
    const findings = [...pii, ...injection];
    const labels = new Set<string>();
    for (const f of findings) labels.add(LABELS[f.type] ?? "contains_pii");
    const actions = findings.map((f) => ACTIONS[f.type] ?? DEFAULT_ACTION);
    const verdict: Verdict = actions.includes("block") ? "block" : actions.includes("redact") ? "redact" : "allow";
    const redacted = redact(text, pii.filter((f) => (ACTIONS[f.type] ?? DEFAULT_ACTION) === "redact"));
    return { verdict, findings, labels: [...labels].sort(), redacted };
  }
}

/** How placeholders are numbered: per type, the same value keeping its number. */
export interface PlaceholderNumbers {
  numbers: Map<string, number>;
  counts: Map<string, number>;
}

export const newPlaceholderNumbers = (): PlaceholderNumbers => ({ numbers: new Map(), counts: new Map() });

/**
 * Replaces each finding with [TYPE_n], numbered per type in order of first appearance; the same
 * value keeps its number. Pieces of one text redacted in turn (a stream) share `placeholders`.
 */
export function redact(text: string, findings: Finding[], placeholders: PlaceholderNumbers = newPlaceholderNumbers()): string {
  const { numbers, counts } = placeholders;
  let out = "";
  let at = 0;
  for (const f of [...findings].sort((a, b) => a.start - b.start)) {
    if (f.start < at) continue;
    const value = `${f.type}\u0000${text.slice(f.start, f.end)}`;
    let n = numbers.get(value);
    if (n === undefined) {
      n = (counts.get(f.type) ?? 0) + 1;
      counts.set(f.type, n);
      numbers.set(value, n);
    }
    out += text.slice(at, f.start) + `[${f.type}_${n}]`;
    at = f.end;
  }
  return out + text.slice(at);
}
