import type { Redis } from "ioredis";
import { connectRedis } from "../../shared/redis.js";
import { GatehouseError } from "../../shared/errors.js";
import type { ChargeResult, RateWindowStore, WindowCharge } from "./window-store.js";
import type { Window } from "./windows.js";

// KEYS: one per counter. ARGV: ttl in ms, then limit and amount for each key.
// Returns 0 when every charge was added, or the 1-based index of the first that would go over and its counter's value.
const chargeScript = `
for i, key in ipairs(KEYS) do
  local used = tonumber(redis.call('GET', key) or '0')
  if used + tonumber(ARGV[2 * i + 1]) > tonumber(ARGV[2 * i]) then return {i, used} end
end
for i, key in ipairs(KEYS) do
  redis.call('INCRBY', key, ARGV[2 * i + 1])
  redis.call('PEXPIRE', key, ARGV[1])
end
return {0, 0}`;

// KEYS: counters. ARGV: the signed amount for each. Windows that expired stay gone.
const adjustScript = `
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local value = redis.call('INCRBY', key, ARGV[i])
    if value < 0 then redis.call('SET', key, 0, 'KEEPTTL') end
  end
end
return 0`;

interface LimitCommands {
  gatehouseCharge(numKeys: number, ...args: (string | number)[]): Promise<[number, number]>;
  gatehouseAdjust(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

/**
 * Per-minute counters shared by every Gatehouse process through Redis. Each charge is one Lua
 * script, so checking every counter and adding to all of them is atomic; keys carry the window
 * and expire after it. Redis errors refuse the call (503), they never admit it.
 */
export class RedisRateWindowStore implements RateWindowStore {
  private readonly commands: LimitCommands;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = "gatehouse:limits:",
  ) {
    redis.defineCommand("gatehouseCharge", { lua: chargeScript });
    redis.defineCommand("gatehouseAdjust", { lua: adjustScript });
    this.commands = redis as unknown as LimitCommands;
  }

  /** Connects to `url` failing fast: no offline queue, one retry, a short command timeout. */
  static async connect(url: string, keyPrefix?: string): Promise<RedisRateWindowStore> {
    const redis = await connectRedis(url).catch((error: unknown) => {
      throw unavailable(error);
    });
    return new RedisRateWindowStore(redis, keyPrefix);
  }

  async charge(window: Window, charges: readonly WindowCharge[]): Promise<ChargeResult> {
    if (charges.length === 0) return { admitted: true };
    const keys = charges.map((c) => this.key(window, c.counter));
    const ttlMs = 2 * (window.endMs - window.startMs);
    const args = charges.flatMap((c) => [c.limit, c.amount]);
    const [index, used] = await this.run(() => this.commands.gatehouseCharge(keys.length, ...keys, ttlMs, ...args));
    const refused = index > 0 ? charges[index - 1] : undefined;
    return refused ? { admitted: false, refused, used } : { admitted: true };
  }

  async adjust(window: Window, amounts: readonly { counter: string; amount: number }[]): Promise<void> {
    const changed = amounts.filter((a) => a.amount !== 0);
    if (changed.length === 0) return;
    const keys = changed.map((a) => this.key(window, a.counter));
    await this.run(() => this.commands.gatehouseAdjust(keys.length, ...keys, ...changed.map((a) => a.amount)));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private key(window: Window, counter: string): string {
    return `${this.keyPrefix}${counter}:${window.id}`;
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw unavailable(error);
    }
  }
}

const unavailable = (error: unknown) =>
  new GatehouseError("unavailable", "the rate limit store (Redis) is unavailable, so calls are refused", undefined, {
    cause: error,
    retryAfterSeconds: 5,
  });
