import type { Finding } from "./finding.js";
import { actionFor, defaultInputGuardPolicy, type GuardAction, type InputGuardPolicy } from "./guard-policy.js";
import { injectionFindings } from "./injection/detector.js";
import { toxicityFindings } from "./output/toxicity.js";
import { PiiScanner } from "./pii/pii-scanner.js";
import { Placeholders, redact } from "./placeholders.js";

export { redact } from "./placeholders.js";

export type Verdict = "allow" | "redact" | "block";

/** A finding with what the policy does about it. */
export interface CheckedFinding extends Finding {
  action: GuardAction;
}

export interface GuardCheckResult {
  verdict: Verdict;
  findings: CheckedFinding[];
  /** Classification labels for the policy context, e.g. contains_pii, contains_secret, prompt_injection; allowed findings are labelled too. */
  labels: string[];
  /** The text with every redacted finding replaced by a typed placeholder such as [CREDIT_CARD_1]. */
  redacted: string;
}

export interface CheckOptions {
  /** The placeholders of the whole call, so that a value keeps its placeholder across messages. */
  placeholders?: Placeholders;
  /** Look for personal data only (text the model wrote earlier in the conversation, handed back). */
  piiOnly?: boolean;
}

const LABELS: Record<string, string> = { PROMPT_INJECTION: "prompt_injection", JAILBREAK: "jailbreak", SECRET: "contains_secret" };

/**
 * What to look for in a text: everything the input guards look for, personal data and secrets
 * only, injections only, or abuse (the output guards' toxicity check, for long tool results).
 */
export type ScanKind = "all" | "pii" | "injection" | "toxicity";

/** Every finding of the kind in a text, before any policy: the part of a check that reads the text. */
export function scanText(pii: PiiScanner, text: string, kind: ScanKind): Finding[] {
  if (kind === "pii") return pii.scan(text);
  if (kind === "injection") return injectionFindings(text);
  if (kind === "toxicity") return toxicityFindings(text);
  return [...pii.scan(text), ...injectionFindings(text)];
}

/**
 * The guards a text passes through, as one check: PII and secrets, prompt injection and
 * jailbreaks, each finding acted on as the policy says. The same code serves POST
 * /v1/guard/check, `gatehouse guard check` and the gateway's inspect stages.
 */
export class GuardChecker {
  constructor(private readonly pii = new PiiScanner()) {}

  check(text: string, policy: InputGuardPolicy = defaultInputGuardPolicy, options: CheckOptions = {}): GuardCheckResult {
    return this.judge(text, this.find(text, options.piiOnly ? "pii" : "all"), policy, options.placeholders);
  }

  /** What the text holds (scanText), for judge(); a long text's may come from a worker thread instead (ScanWorkers). */
  find(text: string, kind: ScanKind): Finding[] {
    return scanText(this.pii, text, kind);
  }

  /** The findings acted on as the policy says, and the text with the redacted ones replaced by placeholders. */
  judge(text: string, found: readonly Finding[], policy: InputGuardPolicy, placeholders = new Placeholders()): GuardCheckResult {
    const findings: CheckedFinding[] = [];
    const labels = new Set<string>();
    let verdict: Verdict = "allow";
    for (const f of found) {
      if (f.score < policy.minScore) continue;
      const action = actionFor(policy, f.type);
      // Not { ...f, action }: spreading findings made by many recognizers is the slow, generic copy.
      findings.push({ type: f.type, start: f.start, end: f.end, score: f.score, action });
      labels.add(LABELS[f.type] ?? "contains_pii");
      if (action === "block") verdict = "block";
      else if (action === "redact" && verdict === "allow") verdict = "redact";
    }
    const redacted = redact(
      text,
      findings.filter((f) => f.action === "redact"),
      placeholders,
    );
    return { verdict, findings, labels: [...labels].sort(), redacted };
  }
}
