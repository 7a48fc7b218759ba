import { Pool } from "undici";

/** One keep-alive connection pool per upstream origin, shared by every call to it. */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: { connections?: number; keepAliveTimeoutMs?: number } = {}) {}

  for(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connections ?? 64,
        keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 30_000,
        pipelining: 1,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
