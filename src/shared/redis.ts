import { Redis } from "ioredis";

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
