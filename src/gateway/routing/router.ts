import { setTimeout as delay } from "node:timers/promises";
import { GatehouseError } from "../../shared/errors.js";
import { defaultRetryPolicy, retryDelayMs, type RetryPolicy } from "./backoff.js";
import type { Candidate, RoutePlan } from "./candidates.js";
import { CircuitBreakers, defaultBreakerOptions, type BreakerOptions, type Clock } from "./circuit-breaker.js";
import type { Random } from "./random.js";
import { UpstreamError, type UpstreamFailure } from "./upstream-error.js";
import { weightedOrder } from "./weighted-order.js";

/**
 * Calls one candidate. It must honour `signal` (the per-attempt timeout or the caller giving
 * up) and throw UpstreamError for upstream failures. A streaming attempt resolves once the
 * first token is in hand and throws UpstreamError("stream_broken") when the stream ends or
 * fails before it: after the first token the call belongs to the caller and is never retried.
 */
export type AttemptFn<T> = (candidate: Candidate, signal: AbortSignal) => Promise<T>;

/** What happened on one try of one candidate; the record keeps every one of them. */
export interface AttemptRecord {
  model: string;
  tier: Candidate["tier"];
  outcome: "served" | "failed" | "skipped";
  /** Why a try failed (the UpstreamError kind), or `circuit_open` for a skipped candidate. */
  error?: UpstreamFailure | "circuit_open";
  status?: number;
  retryAfterMs?: number;
  message?: string;
  durationMs: number;
}

export interface Routed<T> {
  value: T;
  /** The candidate that answered: the model that actually served. */
  served: Candidate;
  attempts: AttemptRecord[];
  /** Why the call did not land on its first try, when it did not (for example "gpt-eu HTTP 503"). */
  fallbackReason?: string;
}

export interface RouterOptions {
  attemptTimeoutMs: number;
  retry: RetryPolicy;
  breaker: BreakerOptions;
  random: Random;
  clock: Clock;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Every candidate failed. `attempts` says how, for the record. */
export class RoutingFailedError extends GatehouseError {
  constructor(
    code: "upstream_failed" | "rate_limited",
    message: string,
    readonly attempts: AttemptRecord[],
    retryAfterSeconds?: number,
  ) {
    super(code, message, undefined, { retryAfterSeconds });
    this.name = "RoutingFailedError";
  }
}

type TryResult<T> = { ok: true; value: T } | { ok: false; error: UpstreamError };

/**
 * Runs a call along a route plan: the primary pool in weighted random order, then the fallback
 * chain; retries a candidate with backoff (honouring Retry-After) after a retryable failure,
 * skips candidates whose circuit is open, and stops at the first answer or the first failure
 * that another upstream would not fix. One Router per process: it holds the circuit breakers.
 */
export class Router {
  readonly breakers: CircuitBreakers;
  private readonly options: RouterOptions;

  constructor(options: Partial<RouterOptions> = {}) {
    this.options = {
      attemptTimeoutMs: 30_000,
      retry: defaultRetryPolicy,
      breaker: defaultBreakerOptions,
      random: Math.random,
      clock: Date.now,
      sleep: (ms, signal) => delay(ms, undefined, { signal }),
      ...options,
    };
    this.breakers = new CircuitBreakers(this.options.breaker, this.options.clock);
  }

  async route<T>(plan: RoutePlan, attempt: AttemptFn<T>, signal?: AbortSignal): Promise<Routed<T>> {
    const { clock, retry: policy, random } = this.options;
    const order = [...weightedOrder(plan.primary, random), ...plan.fallbacks];
    const attempts: AttemptRecord[] = [];
    for (const candidate of order) {
      const breaker = this.breakers.for(breakerKey(plan, candidate));
      for (let retry = 0; ; retry++) {
        const base = { model: candidate.model, tier: candidate.tier };
        if (!breaker.tryAcquire()) {
          attempts.push({ ...base, outcome: "skipped", error: "circuit_open", durationMs: 0 });
          break;
        }
        const started = clock();
        let result: TryResult<T>;
        try {
          result = await this.tryOnce(candidate, attempt, signal);
        } catch (error) {
          breaker.onAbandon();
          throw error;
        }
        const durationMs = clock() - started;
        if (result.ok) {
          breaker.onSuccess();
          attempts.push({ ...base, outcome: "served", durationMs });
          const failures = attempts.filter((a) => a.outcome !== "served");
          return {
            value: result.value,
            served: candidate,
            attempts,
            ...(failures.length > 0 ? { fallbackReason: failures.map(describe).join(", ") } : {}),
          };
        }
        const { error } = result;
        if (error.retryable || error.kind === "malformed") breaker.onFailure();
        else breaker.onAbandon();
        attempts.push({
          ...base,
          outcome: "failed",
          error: error.kind,
          status: error.status,
          retryAfterMs: error.retryAfterMs,
          message: error.message,
          durationMs,
        });
        if (!error.retryable) throw this.exhausted(plan, attempts, error);
        const wait = retryDelayMs(retry, policy, random, error.retryAfterMs);
        if (wait === undefined) break;
        await this.options.sleep(wait, signal);
      }
    }
    throw this.exhausted(plan, attempts);
  }

  private async tryOnce<T>(candidate: Candidate, attempt: AttemptFn<T>, callerSignal: AbortSignal | undefined): Promise<TryResult<T>> {
    // One controller for the attempt, aborted by its timer or by the caller (combining signals
    // costs more per call and, on Node 20, keeps every combined signal alive until collected).
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new Error("attempt timed out"));
    }, this.options.attemptTimeoutMs);
    const callerAborted = () => abort.abort(callerSignal?.reason);
    if (callerSignal?.aborted) callerAborted();
    else callerSignal?.addEventListener("abort", callerAborted, { once: true });
    const { signal } = abort;
    try {
      return { ok: true, value: await untilAborted(attempt(candidate, signal), signal) };
    } catch (error) {
      if (callerSignal?.aborted) throw error;
      if (timedOut) {
        const message = `${candidate.model}: no answer within ${this.options.attemptTimeoutMs} ms`;
        return { ok: false, error: new UpstreamError("timeout", candidate.model, message) };
      }
      if (error instanceof UpstreamError) return { ok: false, error };
      throw error;
    } finally {
      // The caller's abort is still followed after this: a stream keeps reading with this signal.
      clearTimeout(timer);
    }
  }

  private exhausted(plan: RoutePlan, attempts: AttemptRecord[], final?: UpstreamError): RoutingFailedError {
    const failed = attempts.filter((a) => a.outcome === "failed");
    const summary = attempts.map(describe).join(", ");
    if (failed.length > 0 && failed.every((a) => a.status === 429)) {
      const hints = failed.flatMap((a) => (a.retryAfterMs === undefined ? [] : [a.retryAfterMs]));
      const seconds = hints.length > 0 ? Math.max(1, Math.ceil(Math.min(...hints) / 1000)) : 1;
      return new RoutingFailedError("rate_limited", `every upstream for '${plan.route}' is rate limiting: ${summary}`, attempts, seconds);
    }
    if (final) {
      // Another upstream would not fix a request the upstream refused or an answer it garbled.
      return new RoutingFailedError("upstream_failed", `upstream for '${plan.route}' failed: ${summary}`, attempts);
    }
    const open = attempts.filter((a) => a.outcome === "skipped").map((a) => this.breakers.for(breakerKey(plan, a)).retryAfterMs);
    const retryAfterSeconds = failed.length === 0 && open.length > 0 ? Math.max(1, Math.ceil(Math.min(...open) / 1000)) : undefined;
    return new RoutingFailedError("upstream_failed", `every upstream for '${plan.route}' failed: ${summary}`, attempts, retryAfterSeconds);
  }
}

/** Each upstream's breaker, per owner: two tenants' models of the same name are different upstreams. */
const breakerKey = (plan: RoutePlan, candidate: { model: string }): string =>
  plan.owner === undefined ? candidate.model : `${plan.owner}/${candidate.model}`;

function describe(a: AttemptRecord): string {
  if (a.outcome === "skipped") return `${a.model} circuit open`;
  if (a.outcome === "served") return `${a.model} served`;
  return `${a.model} ${a.error === "status" ? `HTTP ${a.status ?? "error"}` : (a.error ?? "failed")}`;
}

/** Settles with the promise, or rejects as soon as the signal aborts (for attempts that ignore it). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
