import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatehouseError } from "../../src/shared/errors.js";
import { openStore, type Store } from "../../src/store/database.js";
import {
  RedisRateWindowStore,
  SqlBudgetLedger,
  UsageLimiter,
  openRateWindowStore,
  tenantLimitsSchema,
  windowAt,
} from "../../src/gateway/limits/index.js";
import { freePort } from "../support/service.js";
import { storeTargets } from "../support/stores.js";

const redisUrl = "redis://127.0.0.1:6379";

describe("rate limit counters in real Redis", () => {
  const prefix = `gatehouse-test:${randomUUID()}:`;
  const stores: RedisRateWindowStore[] = [];
  const admin = new Redis(redisUrl);
  const connect = async () => {
    const store = await RedisRateWindowStore.connect(redisUrl, prefix);
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  const minute = windowAt("minute", Date.UTC(2026, 11, 2, 10, 0, 15));

  it("charges every counter or none, and keys expire after their window", async () => {
    const store = await connect();
    const charges = [
      { counter: "{t}:a", limit: 3, amount: 2 },
      { counter: "{t}:b", limit: 10, amount: 2 },
    ];
    expect(await store.charge(minute, charges)).toEqual({ admitted: true });
    expect(await store.charge(minute, charges)).toEqual({ admitted: false, refused: charges[0], used: 2 });
    expect(await admin.get(`${prefix}{t}:b:${minute.id}`)).toBe("2"); // the refused charge added nothing
    const ttl = await admin.pttl(`${prefix}{t}:a:${minute.id}`);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    await store.adjust(minute, [{ counter: "{t}:a", amount: -2 }]);
    expect(await store.charge(minute, charges)).toEqual({ admitted: true });
    // Adjusting a window that is gone does not bring it back.
    const later = windowAt("minute", minute.endMs + 5 * 60_000);
    await store.adjust(later, [{ counter: "{t}:a", amount: 5 }]);
    expect(await admin.exists(`${prefix}{t}:a:${later.id}`)).toBe(0);
  });

  it("a new window starts from zero", async () => {
    const store = await connect();
    const charge = [{ counter: "{t}:roll", limit: 1, amount: 1 }];
    expect((await store.charge(minute, charge)).admitted).toBe(true);
    expect((await store.charge(minute, charge)).admitted).toBe(false);
    expect((await store.charge(windowAt("minute", minute.endMs), charge)).admitted).toBe(true);
  });

  it("many processes charging at once: exactly the limit gets through", async () => {
    const processes = await Promise.all(Array.from({ length: 5 }, () => connect()));
    const charge = [{ counter: "{t}:race", limit: 17, amount: 1 }];
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => processes[i % 5]!.charge(minute, charge)));
    expect(results.filter((r) => r.admitted)).toHaveLength(17);
    expect(await admin.get(`${prefix}{t}:race:${minute.id}`)).toBe("17");
  });

  it("fails closed: an unreachable Redis refuses with 503, at connect and when it dies mid-run", async () => {
    const port = await freePort();
    const refused = await openRateWindowStore({ redisUrl: `redis://127.0.0.1:${port}` }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "unavailable", message: "the rate limit store (Redis) is unavailable, so calls are refused" });

    const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    try {
      let store: RedisRateWindowStore | undefined;
      for (let i = 0; i < 50 && !store; i++) {
        store = await RedisRateWindowStore.connect(`redis://127.0.0.1:${port}`, prefix).catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return undefined;
        });
      }
      if (!store) throw new Error("the private redis-server did not start");
      stores.push(store);
      const charge = [{ counter: "{t}:dies", limit: 5, amount: 1 }];
      expect((await store.charge(minute, charge)).admitted).toBe(true);
      server.kill("SIGKILL");
      await once(server, "exit");
      const error = await store.charge(minute, charge).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatehouseError);
      expect(error).toMatchObject({ code: "unavailable", retryAfterSeconds: 5 });
    } finally {
      if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
    }
  });
});

describe.each(storeTargets)("Redis counters with budgets on $name", (target) => {
  let fresh: Awaited<ReturnType<typeof target.fresh>>;
  let store: Store;
  let windows: RedisRateWindowStore;
  const prefix = `gatehouse-test:${randomUUID()}:`;
  beforeAll(async () => {
    fresh = await target.fresh();
    store = await openStore({ databaseUrl: fresh.databaseUrl, schema: fresh.schema });
    windows = await RedisRateWindowStore.connect(redisUrl, prefix);
  });
  afterAll(async () => {
    await windows?.close();
    await store?.close();
    await fresh?.dispose();
    const admin = new Redis(redisUrl);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it("limits shared by two Gatehouse processes: a key's requests per minute count across both", async () => {
    let now = Date.UTC(2026, 11, 2, 10, 0, 50);
    const config = tenantLimitsSchema.parse({ perKey: { requestsPerMinute: 4 } });
    const ledger = new SqlBudgetLedger(store);
    const other = await RedisRateWindowStore.connect(redisUrl, prefix); // the second process's own connection
    const [a, b] = [new UsageLimiter(windows, ledger, () => now), new UsageLimiter(other, ledger, () => now)];
    const subject = { tenantId: `t-${randomUUID()}`, keyId: "k" };
    const admit = (limiter: UsageLimiter) => limiter.admit({ subject, limits: config, estimate: { tokens: 1, costUsd: 0 } });
    await admit(a);
    await admit(b);
    await admit(a);
    await admit(b);
    const error = await admit(a).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({
      code: "rate_limited",
      retryAfterSeconds: 10,
      message: "Rate limit exceeded: 4 requests per minute for this API key (4 requests already made); retry after 10 s",
    });
    now += 10_000;
    await admit(b);
    await other.close();
  });

  it("a budget refusal takes back the per-minute charge, and settling moves tokens per minute to actual usage", async () => {
    const now = Date.UTC(2026, 11, 2, 10, 0, 0);
    const limiter = new UsageLimiter(windows, new SqlBudgetLedger(store), () => now);
    const subject = { tenantId: `t-${randomUUID()}`, keyId: "k" };
    const config = tenantLimitsSchema.parse({ perKey: { tokensPerMinute: 1000, requestsPerMinute: 100, tokensPerDay: 500 } });
    const admit = (tokens: number) => limiter.admit({ subject, limits: config, estimate: { tokens, costUsd: 0 } });
    const first = await admit(400);
    const error = await admit(400).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "rate_limited" });
    expect((error as Error).message).toMatch(/^Budget exceeded: 500 tokens per day \(UTC\) for this API key/);
    const minute = windowAt("minute", now);
    const key = (measure: string) => `${prefix}{${subject.tenantId}}:key:k:${measure}:minute:${minute.id}`;
    const admin = new Redis(redisUrl);
    try {
      expect(await admin.get(key("tokens"))).toBe("400");
      expect(await admin.get(key("requests"))).toBe("1");
      await first.settle({ tokens: 90, costUsd: 0 });
      expect(await admin.get(key("tokens"))).toBe("90");
    } finally {
      await admin.quit();
    }
  });
});
