import type { Redis } from "ioredis";

/**
 * ioredis defines `class VerbatimString extends String`, and from then on V8 holds
 * String.prototype as a dictionary: every string method call in optimised code (charCodeAt,
 * slice, indexOf, what the guards, the router and JSON handling are made of) looks its method up
 * the slow way, several times slower (measured 8x on a loop of them). Giving a fresh heir of
 * String.prototype a property has V8 make its prototype chain fast again. ioredis is loaded here
 * only, and this runs right after it is.
 */
function fastStringPrototype(): void {
  const heir = Object.create(String.prototype) as { probe?: number };
  heir.probe = 0;
}

/**
 * ioredis, loaded when a process first connects to Redis: one that does not (the embedded
 * default) saves evaluating it at start-up, some 40 ms of a cold start.
 */
let loaded: Promise<typeof Redis> | undefined;
function redisClass(): Promise<typeof Redis> {
  return (loaded ??= import("ioredis").then((module) => {
    fastStringPrototype();
    // Through the default export (module.exports): the one name esbuild's bundle gives an import()
    // of a CommonJS package, where Node's own gives each export by name too.
    return module.default.Redis;
  }));
}

/**
 * Connects to Redis failing fast: no offline queue, one retry, short timeouts, so a Redis that
 * is down refuses calls at once instead of queueing them. Throws the connection error.
 */
export async function connectRedis(url: string): Promise<Redis> {
  const RedisClient = await redisClass();
  const redis = new RedisClient(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2_000, connectTimeout: 2_000 });
  redis.on("error", () => undefined); // surfaced by the command that fails
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}
