/** Tokens and cost of one call: an estimate before it, the actual figures after it. */
export interface Usage {
  tokens: number;
  costUsd: number;
}

export interface Pricing {
  inputPer1k: number;
  outputPer1k: number;
}

/** What input and output tokens cost at a model's prices (the model spec's `pricing`). */
export function usageOf(pricing: Pricing, tokens: { input: number; output: number }): Usage {
  return {
    tokens: tokens.input + tokens.output,
    costUsd: (tokens.input * pricing.inputPer1k + tokens.output * pricing.outputPer1k) / 1000,
  };
}

/** Costs are counted in whole micro-dollars so counters stay exact integers in every store. */
export const microUsd = (usd: number): number => Math.round(usd * 1_000_000);
