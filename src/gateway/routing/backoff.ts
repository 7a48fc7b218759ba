import type { Random } from "./random.js";

export interface RetryPolicy {
  /** Further attempts on the same upstream after a retryable failure, before falling back. */
  retries: number;
  /** Backoff before retry n (0-based) is a random share of min(maxDelayMs, baseDelayMs * 2^n). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After worth waiting for; a longer one sends the call to the next candidate instead. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 1, baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 5_000 };

/**
 * How long to wait before retry number `retry` (0-based) on the same upstream, or undefined
 * when it is not worth waiting: no retries left, or the upstream asked for longer than
 * `maxRetryAfterMs`. Exponential backoff with full jitter; an upstream's Retry-After is
 * honoured as a floor.
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: Random, retryAfterMs?: number): number | undefined {
  if (retry >= policy.retries) return undefined;
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) return undefined;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const jittered = Math.round(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}
