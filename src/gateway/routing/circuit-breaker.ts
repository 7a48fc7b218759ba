/** Milliseconds since the epoch; injected so tests control time. */
export type Clock = () => number;

export interface BreakerOptions {
  /** Failures within `windowMs` that open the circuit. */
  failureThreshold: number;
  windowMs: number;
  /** How long an open circuit refuses calls before it lets one probe through. */
  coolDownMs: number;
}

export const defaultBreakerOptions: BreakerOptions = { failureThreshold: 5, windowMs: 30_000, coolDownMs: 15_000 };

export type BreakerState = "closed" | "open" | "half_open";

/**
 * One upstream's circuit. Closed: calls pass and failures are counted in a sliding window;
 * `failureThreshold` of them open it. Open: calls are refused until the cool-down has passed.
 * Half-open: exactly one probe passes; its success closes the circuit, its failure opens it
 * for another cool-down. A probe that ends neither way (the caller gave up) frees the slot.
 */
export class CircuitBreaker {
  private failures: number[] = [];
  private openedAt: number | undefined;
  private probing = false;

  constructor(
    private readonly options: BreakerOptions,
    private readonly clock: Clock,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === undefined) return "closed";
    return this.clock() - this.openedAt >= this.options.coolDownMs ? "half_open" : "open";
  }

  /** Whether a call may go to the upstream now; in half-open, taking the one probe slot. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.probing) return false;
    this.probing = true;
    return true;
  }

  onSuccess(): void {
    this.probing = false;
    this.openedAt = undefined;
    this.failures = [];
  }

  onFailure(): void {
    const now = this.clock();
    if (this.probing || this.openedAt !== undefined) {
      this.probing = false;
      this.openedAt = now;
      return;
    }
    this.failures = this.failures.filter((at) => now - at < this.options.windowMs);
    this.failures.push(now);
    if (this.failures.length >= this.options.failureThreshold) {
      this.openedAt = now;
      this.failures = [];
    }
  }

  /** The call ended without saying anything about the upstream's health. */
  onAbandon(): void {
    this.probing = false;
  }

  /** How long until an open circuit lets a probe through (0 when it would now). */
  get retryAfterMs(): number {
    if (this.openedAt === undefined) return 0;
    return Math.max(0, this.openedAt + this.options.coolDownMs - this.clock());
  }
}

/** The circuit breakers of every upstream a router talks to, created on first use. */
export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly options: BreakerOptions = defaultBreakerOptions,
    private readonly clock: Clock = Date.now,
  ) {}

  for(upstream: string): CircuitBreaker {
    let breaker = this.breakers.get(upstream);
    if (!breaker) {
      breaker = new CircuitBreaker(this.options, this.clock);
      this.breakers.set(upstream, breaker);
    }
    return breaker;
  }

  /** Every upstream's state, for metrics and the console. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([upstream, breaker]) => [upstream, breaker.state]));
  }
}
