import type { Finding } from "../finding.js";
import { looksLikeDocument } from "./documents.js";
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

/** The feature vector of a text over every reading of it (see normalise.ts and features.ts); inDocument as featureVector's. */
export function injectionFeatures(text: string, inDocument = looksLikeDocument(text)): Float64Array {
  return featureVector(text, inDocument);
}

/**
 * Scores a text for prompt injection and jailbreak attempts: a logistic model over hand-designed
 * features (features.ts) with fitted weights (weights.ts). The type is the family of the features
 * that contributed most.
 */
export function scoreInjection(text: string, inDocument = looksLikeDocument(text)): InjectionVerdict {
  const x = injectionFeatures(text, inDocument);
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

/**
 * Texts up to this long are scored whole, longer ones window by window, and the text's score is
 * its highest window's. The features saturate rather than average, so over a long document they
 * pile up: a README's imperatives, tables and mentions of "your code" add up to what only an
 * attack holds within a few sentences. An attack is local (the eval's attacks are 1.1 KB at the
 * median and 3.5 KB at p90), so a window this long holds one whole. Consecutive windows share
 * 1 KB, so a planted passage up to 1 KB long is whole in at least one of them. The trade-off: weak
 * cues spread thinly over many kilobytes no longer add up, while a decisive cue still counts in
 * whatever window holds it.
 */
export const WINDOW_CHARS = 4096;
const WINDOW_OVERLAP = 1024;

export interface WindowVerdict extends InjectionVerdict {
  start: number;
  end: number;
}

/** Where a window starting at `start` ends: at a line break in its last quarter if there is one, so that a sentence is not cut. */
function windowEnd(text: string, start: number): number {
  const limit = start + WINDOW_CHARS;
  if (limit >= text.length) return text.length;
  const lineBreak = text.lastIndexOf("\n", limit);
  return lineBreak > limit - WINDOW_CHARS / 4 ? lineBreak : limit;
}

/** Where a text's windows are, as start and end pairs: the whole text when it is short. */
export function injectionWindows(text: string): [number, number][] {
  if (text.length <= WINDOW_CHARS) return [[0, text.length]];
  const windows: [number, number][] = [];
  for (let start = 0; ; ) {
    const end = windowEnd(text, start);
    windows.push([start, end]);
    if (end >= text.length) return windows;
    start = end - WINDOW_OVERLAP;
  }
}

/** The highest-scoring window of a text (the whole text when it is short), with where it is. */
export function scoreWindows(text: string): WindowVerdict {
  // A window of a document is read as one even when it holds no heading itself.
  const inDocument = looksLikeDocument(text);
  let best: WindowVerdict | undefined;
  for (const [start, end] of injectionWindows(text)) {
    const verdict = scoreInjection(start === 0 && end === text.length ? text : text.slice(start, end), inDocument);
    if (!best || verdict.score > best.score) best = { ...verdict, start, end };
  }
  return best as WindowVerdict;
}

/** A finding over the highest-scoring window (the whole text when short) when its score reaches the threshold: where the attack is. */
export function injectionFindings(text: string, threshold = INJECTION_THRESHOLD): Finding[] {
  const verdict = scoreWindows(text);
  return verdict.score >= threshold ? [{ type: verdict.type, start: verdict.start, end: verdict.end, score: Number(verdict.score.toFixed(3)) }] : [];
}
