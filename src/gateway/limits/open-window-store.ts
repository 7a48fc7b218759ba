import { RedisRateWindowStore } from "./redis-window-store.js";
import { MemoryRateWindowStore, type RateWindowStore } from "./window-store.js";

/** Per-minute counters in Redis when a URL is given (several processes share limits), else in this process. */
export async function openRateWindowStore(options: { redisUrl?: string; keyPrefix?: string } = {}): Promise<RateWindowStore> {
  return options.redisUrl ? RedisRateWindowStore.connect(options.redisUrl, options.keyPrefix) : new MemoryRateWindowStore();
}
