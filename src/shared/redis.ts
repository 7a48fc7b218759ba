import { Redis } from "ioredis";

/**
 * ioredis defines `class VerbatimString extends String`, and from then on V8 holds
 * String.prototype as a dictionary: every string method call in optimised code (charCodeAt,
 * slice, indexOf, what the guards, the router and JSON handling are made of) looks its method up
 * the slow way, several times slower (measured 8x on a loop of them). Giving a fresh heir of
 * String.prototype a property has V8 make its prototype chain fast again. This module is what
 * loads ioredis, and every process that loads it runs this once, whether or not it uses Redis.
 */
function fastStringPrototype(): void {
  const heir = Object.create(String.prototype) as { probe?: number };
  heir.probe = 0;
}
fastStringPrototype();

/**
 * Connects to Redis failing fast: no offline queue, one retry, short timeouts, so a Redis that
 * is down refuses calls at once instead of queueing them. Throws the connection error.
 */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2_000, connectTimeout: 2_000 });
  redis.on("error", () => undefined); // surfaced by the command that fails
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}
