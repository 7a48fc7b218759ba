import type { Window } from "./windows.js";

/** Adds `amount` to a counter whose total in the window must stay at or under `limit`. */
export interface WindowCharge {
  counter: string;
  limit: number;
  amount: number;
}

export type ChargeResult = { admitted: true } | { admitted: false; refused: WindowCharge; used: number };

/**
 * Per-minute counters (requests and tokens per minute). In-process for one Gatehouse process,
 * Redis for several sharing limits. Implementations throw GatehouseError("unavailable") when
 * they cannot answer, so callers are refused rather than waved through.
 */
export interface RateWindowStore {
  /**
   * All or nothing: adds every charge to its counter in `window`, unless one of them would take
   * its counter over its limit, in which case nothing is added and that charge is returned.
   */
  charge(window: Window, charges: readonly WindowCharge[]): Promise<ChargeResult>;
  /** Adds signed amounts without checking limits (settling an estimate); a window already over is left alone. */
  adjust(window: Window, amounts: readonly { counter: string; amount: number }[]): Promise<void>;
  close(): Promise<void>;
}

/** Counters in this process's memory: one entry per counter, reset when its window moves on. */
export class MemoryRateWindowStore implements RateWindowStore {
  private readonly counters = new Map<string, { windowId: string; used: number }>();
  private sweptWindow = "";

  async charge(window: Window, charges: readonly WindowCharge[]): Promise<ChargeResult> {
    if (window.id !== this.sweptWindow) this.forgetOtherWindows(window);
    for (const charge of charges) {
      const used = this.used(window, charge.counter);
      if (used + charge.amount > charge.limit) return { admitted: false, refused: charge, used };
    }
    for (const charge of charges) this.counters.set(charge.counter, { windowId: window.id, used: this.used(window, charge.counter) + charge.amount });
    return { admitted: true };
  }

  async adjust(window: Window, amounts: readonly { counter: string; amount: number }[]): Promise<void> {
    for (const { counter, amount } of amounts) {
      const entry = this.counters.get(counter);
      if (entry?.windowId === window.id) entry.used = Math.max(0, entry.used + amount);
    }
  }

  async close(): Promise<void> {
    this.counters.clear();
  }

  /** Once per new window: counters of callers that have gone quiet do not pile up. */
  private forgetOtherWindows(window: Window): void {
    this.sweptWindow = window.id;
    for (const [counter, entry] of this.counters) if (entry.windowId !== window.id) this.counters.delete(counter);
  }

  private used(window: Window, counter: string): number {
    const entry = this.counters.get(counter);
    return entry?.windowId === window.id ? entry.used : 0;
  }
}
