/** Milliseconds since the epoch; injected so tests control time. */
export type Clock = () => number;

export type WindowKind = "minute" | "day" | "month";

/** One fixed window: per-minute windows count from the epoch minute, days and months are UTC calendar days and months. */
export interface Window {
  kind: WindowKind;
  /** Stable name of the window, part of every counter key: `1796212800000`, `2026-12-02`, `2026-12`. */
  id: string;
  startMs: number;
  endMs: number;
}

export function windowAt(kind: WindowKind, now: number): Window {
  if (kind === "minute") {
    const startMs = Math.floor(now / 60_000) * 60_000;
    return { kind, id: String(startMs), startMs, endMs: startMs + 60_000 };
  }
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (kind === "day") {
    const startMs = Date.UTC(year, month, date.getUTCDate());
    return { kind, id: new Date(startMs).toISOString().slice(0, 10), startMs, endMs: startMs + 86_400_000 };
  }
  const startMs = Date.UTC(year, month, 1);
  return { kind, id: new Date(startMs).toISOString().slice(0, 7), startMs, endMs: Date.UTC(year, month + 1, 1) };
}

/** Whole seconds until the window ends, at least 1: the Retry-After of a refusal in it. */
export const secondsLeft = (window: Window, now: number): number => Math.max(1, Math.ceil((window.endMs - now) / 1000));
