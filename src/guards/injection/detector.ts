import type { Finding } from "../finding.js";
import { FEATURES, featureVector, type InjectionType } from "./features.js";
import { BIAS, WEIGHTS } from "./weights.js";

export type { InjectionType } from "./features.js";

const weights = Float64Array.from(FEATURES, (f) => WEIGHTS[f.name] ?? 0);

export interface InjectionVerdict {
  score: number;
  type: InjectionType;
  /** The features that raised the score, strongest first. */
  signals: string[];
}

/** The feature vector of a text over every reading of it (see normalise.ts and features.ts). */
export function injectionFeatures(text: string): Float64Array {
  return featureVector(text);
}

/**
 * Scores a text for prompt injection and jailbreak attempts: a logistic model over hand-designed
 * features (features.ts) with fitted weights (weights.ts). The type is the family of the features
 * that contributed most.
 */
export function scoreInjection(text: string): InjectionVerdict {
  const x = injectionFeatures(text);
  let z = BIAS;
  let injection = 0;
  let jailbreak = 0;
  const contributions: [string, number][] = [];
  for (let i = 0; i < x.length; i++) {
    const c = (x[i] as number) * (weights[i] as number);
    if (c === 0) continue;
    z += c;
    const f = FEATURES[i] as (typeof FEATURES)[number];
    if (c > 0) {
      contributions.push([f.name, c]);
      if (f.type === "JAILBREAK") jailbreak += c;
      else injection += c;
    }
  }
  contributions.sort((a, b) => b[1] - a[1]);
  return { score: 1 / (1 + Math.exp(-z)), type: jailbreak > injection ? "JAILBREAK" : "PROMPT_INJECTION", signals: contributions.map(([name]) => name) };
}

/**
 * The score at and above which the guard reports a finding (what the product ships with). It
 * stays at the input guards' default minScore (0.5): a lower threshold here would be filtered out
 * again by minScore on model calls and /v1/guard/check, and act only on tool results, so the two
 * surfaces would disagree. A tenant that wants more recall lowers guards.input.minScore. Not much
 * below 0.4, though: one weak feature alone scores about 0.36 (features.ts), so "What is the
 * password policy for our system?" would be flagged from there down.
 */
export const INJECTION_THRESHOLD = 0.5;

/** A finding over the whole text when its score reaches the threshold. */
export function injectionFindings(text: string, threshold = INJECTION_THRESHOLD): Finding[] {
  const verdict = scoreInjection(text);
  return verdict.score >= threshold ? [{ type: verdict.type, start: 0, end: text.length, score: Number(verdict.score.toFixed(3)) }] : [];
}
