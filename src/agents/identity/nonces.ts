import { CompiledQuery } from "kysely";
import type { Redis } from "ioredis";
import { GatehouseError } from "../../shared/errors.js";
import { connectRedis } from "../../shared/redis.js";
import type { Store } from "../../store/database.js";
import { CompiledOnce } from "../../store/compiled-once.js";
import { UNSYNCED_WRITE } from "../../store/sqlite.js";

const unsynced = (query: CompiledQuery): CompiledQuery => CompiledQuery.raw(UNSYNCED_WRITE + query.sql, [...query.parameters]);

/** Remembers a nonce unless it is remembered and not yet expired (then nothing changes: a replay). */
const rememberNonce = new CompiledOnce(["nonce", "expiresAt", "now"], (db, v: { nonce: string; expiresAt: number; now: number }) =>
  db
    .insertInto("agent_nonces")
    .values({ nonce: v.nonce, expires_at: v.expiresAt })
    .onConflict((oc) => oc.column("nonce").doUpdateSet({ expires_at: v.expiresAt }).where("agent_nonces.expires_at", "<=", v.now)),
);

/**
 * Remembers proof nonces for as long as a proof carrying them could still be accepted, so
 * each proof is accepted once. Shared by every process using the same store or Redis.
 */
export interface NonceStore {
  /** Remembers `nonce` until `expiresAt` (ms); false when it is already remembered (a replay). */
  remember(nonce: string, expiresAt: number): Promise<boolean>;
  close(): Promise<void>;
}

const unavailable = (error: unknown) =>
  new GatehouseError("unavailable", "the nonce store is unavailable, so agent proofs are refused", undefined, { cause: error, retryAfterSeconds: 5 });

/**
 * Nonces in the store's agent_nonces table: an insert that finds the nonce already there (and
 * not yet expired) is a replay. Expired rows are pruned as new ones arrive.
 *
 * On SQLite the insert is answered without waiting for an fsync (UNSYNCED_WRITE): it still
 * survives the process crashing, since the WAL write has reached the operating system; only a
 * power loss can lose it, and the machine takes longer than the 60-second window to come back
 * from one, by which time the nonce has expired anyway. This takes the fsync (~0.3 ms, far more
 * on a real disk) off every agent request.
 */
export class SqlNonceStore implements NonceStore {
  private nextPruneAt = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  async remember(nonce: string, expiresAt: number): Promise<boolean> {
    const now = this.clock();
    const values = { nonce, expiresAt, now };
    const inserted =
      this.store.dialect === "sqlite"
        ? (await this.store.db.executeQuery(unsynced(rememberNonce.with(this.store.db, values)))).numAffectedRows
        : (await rememberNonce.execute(this.store.db, values)).numAffectedRows;
    if (now >= this.nextPruneAt) {
      this.nextPruneAt = now + 60_000;
      await this.store.db.deleteFrom("agent_nonces").where("expires_at", "<=", now).execute();
    }
    return Number(inserted ?? 0n) > 0;
  }

  async close(): Promise<void> {}
}

/** Nonces in Redis (SET NX with an expiry), shared by every process using it. Redis errors refuse the proof. */
export class RedisNonceStore implements NonceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = "gatehouse:agent-nonce:",
    private readonly clock: () => number = Date.now,
  ) {}

  static async connect(url: string): Promise<RedisNonceStore> {
    const redis = await connectRedis(url).catch((error: unknown) => {
      throw unavailable(error);
    });
    return new RedisNonceStore(redis);
  }

  async remember(nonce: string, expiresAt: number): Promise<boolean> {
    const ttl = Math.max(1, expiresAt - this.clock());
    try {
      return (await this.redis.set(this.keyPrefix + nonce, "1", "PX", ttl, "NX")) === "OK";
    } catch (error) {
      throw unavailable(error);
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Redis when a URL is given (several processes, one Redis), else the store's table. */
export async function openNonceStore(store: Store, redisUrl: string | undefined): Promise<NonceStore> {
  return redisUrl ? RedisNonceStore.connect(redisUrl) : new SqlNonceStore(store);
}
