import type { StoreChanges } from "./changes.js";

export interface ReadCacheOptions<V> {
  /** Most entries kept; beyond it the oldest go. */
  max?: number;
  /** Whether a loaded value is kept (e.g. not an unknown key, so guessing keys cannot fill the cache). */
  keep?: (value: V) => boolean;
}

/**
 * Values read from the store's cached tables (see store/changes.ts), kept until any of those
 * tables may have changed: a write by this process invalidates before it is acknowledged, a
 * change by another process within StoreChanges' bound (1 s by default), and while the store
 * cannot confirm its counter nothing is served from memory. Concurrent reads of one key share
 * one load; a load that fails is not kept. Values are frozen: every caller shares them.
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, Promise<V>>();
  private generation = -1;
  private readonly max: number;

  constructor(
    private readonly changes: StoreChanges | undefined,
    private readonly options: ReadCacheOptions<V> = {},
  ) {
    this.max = options.max ?? 10_000;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const changes = this.changes;
    if (!changes?.trusted) return load();
    if (this.generation !== changes.generation) {
      this.entries.clear();
      this.generation = changes.generation;
    }
    const cached = this.entries.get(key);
    if (cached) return cached;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const generation = this.generation;
    const loading = load().then((value) => {
      if (this.options.keep && !this.options.keep(value)) this.forget(key, generation, loading);
      return deepFreeze(value);
    });
    loading.catch(() => this.forget(key, generation, loading));
    this.entries.set(key, loading);
    return loading;
  }

  private forget(key: string, generation: number, entry: Promise<V>): void {
    if (this.generation === generation && this.entries.get(key) === entry) this.entries.delete(key);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
