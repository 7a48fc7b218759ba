import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GatehouseError } from "../../src/shared/errors.js";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { openStore, type Store } from "../../src/store/database.js";
import type { Schema } from "../../src/store/schema.js";
import { tenantSettingsSchema } from "../../src/tenancy/settings.js";
import {
  MemoryRateWindowStore,
  SqlBudgetLedger,
  UsageLimiter,
  limitRulesFor,
  tenantLimitsSchema,
  usageOf,
  windowAt,
  type Admission,
  type LimitSubject,
  type TenantLimits,
} from "../../src/gateway/limits/index.js";
import { freePort } from "../support/service.js";
import { storeTargets } from "../support/stores.js";

const refusal = async (promise: Promise<unknown>): Promise<GatehouseError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatehouseError)) throw new Error(`expected a GatehouseError, got ${String(error)}`);
  return error;
};

const subject: LimitSubject = { tenantId: "t1", keyId: "key-a" };
const limits = (input: unknown): TenantLimits => tenantLimitsSchema.parse(input);

describe("limit rules", () => {
  it("there are none by default; tenant settings carry the section, validated", () => {
    const settings = tenantSettingsSchema.parse({});
    expect(settings.limits).toBeUndefined();
    expect(limitRulesFor({ ...subject, agent: "bot", businessUnit: "sales" }, settings.limits)).toEqual([]);
    const configured = tenantSettingsSchema.parse({ limits: { perKey: { requestsPerMinute: 60 } }, routing: { routes: [{ name: "chat", primary: [{ model: "m" }] }] } });
    expect(configured.limits?.perKey).toEqual({ requestsPerMinute: 60 });
    expect(configured.limits?.tenant).toEqual({});
    expect(configured.routing?.routes[0]).toEqual({ name: "chat", taskClasses: [], environments: [], primary: [{ model: "m", weight: 1 }], fallbacks: [] });
    expect(tenantSettingsSchema.safeParse({ limits: { perKey: { requestsPerMinute: "many" } } }).success).toBe(false);
    expect(limitRulesFor({ ...subject, agent: "bot" }, undefined, { tokensPerDay: 10 }).map((r) => [r.scope, r.limit])).toEqual([["agent", 10]]);
  });

  it("apply per scope; an agent's spec limits replace perAgent, a named business unit replaces perBusinessUnit", () => {
    const config = limits({
      tenant: { requestsPerMinute: 100 },
      perKey: { tokensPerMinute: 5000 },
      perAgent: { tokensPerDay: 10, requestsPerMinute: 7 },
      perBusinessUnit: { costPerMonthUsd: 50 },
      businessUnits: { finance: { costPerDayUsd: 1.5 } },
    });
    const rules = limitRulesFor({ ...subject, agent: "bot", businessUnit: "finance" }, config, { tokensPerDay: 2000, concurrency: 4 } as never);
    expect(rules.map((r) => [r.scope, r.subject, r.measure, r.window, r.limit])).toEqual([
      ["tenant", "t1", "requests", "minute", 100],
      ["key", "key-a", "tokens", "minute", 5000],
      ["agent", "bot", "requests", "minute", 7],
      ["agent", "bot", "tokens", "day", 2000],
      ["business_unit", "finance", "cost", "day", 1_500_000],
    ]);
    expect(rules[0]?.counter).toBe("{t1}:tenant:t1:requests:minute");
    expect(limitRulesFor({ ...subject, businessUnit: "ops" }, config).map((r) => [r.scope, r.measure, r.window])).toContainEqual(["business_unit", "cost", "month"]);
  });

  it("settings are validated", () => {
    expect(tenantLimitsSchema.safeParse({ tenant: { requestsPerMinute: -1 } }).success).toBe(false);
    expect(tenantLimitsSchema.safeParse({ perKey: { requestsPerHour: 1 } }).success).toBe(false);
    expect(tenantLimitsSchema.safeParse({ businessUnits: { "Not A Name": {} } }).success).toBe(false);
  });
});

describe("windows", () => {
  it("minutes count from the epoch minute; days and months are UTC calendar periods", () => {
    const at = Date.UTC(2026, 11, 31, 23, 59, 30);
    expect(windowAt("minute", at)).toMatchObject({ startMs: Date.UTC(2026, 11, 31, 23, 59), endMs: Date.UTC(2027, 0, 1) });
    expect(windowAt("day", at)).toMatchObject({ id: "2026-12-31", endMs: Date.UTC(2027, 0, 1) });
    expect(windowAt("month", at)).toMatchObject({ id: "2026-12", startMs: Date.UTC(2026, 11, 1), endMs: Date.UTC(2027, 0, 1) });
    expect(windowAt("month", Date.UTC(2027, 0, 1)).id).toBe("2027-01");
  });
});

describe("cost", () => {
  it("prices input and output tokens per thousand", () => {
    expect(usageOf({ inputPer1k: 0.5, outputPer1k: 1.5 }, { input: 2000, output: 1000 })).toEqual({ tokens: 3000, costUsd: 2.5 });
  });
});

describe.each(storeTargets)("limits and budgets on $name", (target) => {
  let fresh: Awaited<ReturnType<typeof target.fresh>>;
  let store: Store;
  let now: number;
  let tenant = 0;
  const open = () => openStore({ databaseUrl: fresh.databaseUrl, schema: fresh.schema });
  /**
   * Another process's view of the same, already migrated database: on PostgreSQL a new connection
   * pool of its own. (Opening with openStore would migrate again, and Kysely's migrator inspects
   * every schema in the database, which races with other test files renaming their tables.)
   */
  const connectAgain = async (databaseUrl = fresh.databaseUrl): Promise<Store> => {
    if (target.name !== "postgres") return open();
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, options: `-c search_path=${fresh.schema}` });
    pool.on("error", () => undefined);
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: "postgres", close: () => db.destroy() };
  };
  /** A store that cannot answer: a closed SQLite database, or a PostgreSQL address where nothing listens. */
  const unreachable = async (): Promise<Store> => {
    if (target.name !== "postgres") {
      const closed = await open();
      await closed.close();
      return closed;
    }
    return connectAgain(`postgres://postgres@127.0.0.1:${await freePort()}/test`);
  };
  const limiterOn = (s: Store, windows = new MemoryRateWindowStore()) => new UsageLimiter(windows, new SqlBudgetLedger(s), () => now);

  beforeAll(async () => {
    fresh = await target.fresh();
    store = await open();
  });
  afterAll(async () => {
    await store?.close();
    await fresh?.dispose();
  });
  let who: LimitSubject;
  beforeEach(() => {
    now = Date.UTC(2026, 11, 2, 10, 0, 15);
    who = { tenantId: `tenant-${target.name}-${++tenant}`, keyId: "key-a" };
  });

  it("requests per minute: the call over the limit gets 429 naming the limit, with Retry-After to the end of the minute", async () => {
    const limiter = limiterOn(store);
    const config = limits({ perKey: { requestsPerMinute: 3 }, tenant: { requestsPerMinute: 5 } });
    const admit = (keyId = "key-a") => limiter.admit({ subject: { ...who, keyId }, limits: config, estimate: { tokens: 10, costUsd: 0 } });
    for (let i = 0; i < 3; i++) await admit();
    const error = await refusal(admit());
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfterSeconds).toBe(45);
    expect(error.message).toBe("Rate limit exceeded: 3 requests per minute for this API key (3 requests already made); retry after 45 s");
    // Another key has its own counter, but the tenant's limit caps both.
    await admit("key-b");
    await admit("key-b");
    expect((await refusal(admit("key-b"))).message).toMatch(/^Rate limit exceeded: 5 requests per minute for the tenant/);
    // A refused call did not count: the window rolls over and the key is back to its full allowance.
    now += 45_000;
    for (let i = 0; i < 3; i++) await admit();
    expect((await refusal(admit())).retryAfterSeconds).toBe(60);
  });

  it("tokens per minute count the estimate, and settling gives back what was not used", async () => {
    const limiter = limiterOn(store);
    const config = limits({ perAgent: { tokensPerMinute: 1000 } });
    const admit = (tokens: number) => limiter.admit({ subject: { ...who, agent: "bot" }, limits: config, estimate: { tokens, costUsd: 0 } });
    const first = await admit(600);
    expect((await refusal(admit(600))).message).toBe(
      "Rate limit exceeded: 1000 tokens per minute for agent 'bot' (600 tokens used or reserved, this call needs up to 600 tokens); retry after 45 s",
    );
    await first.settle({ tokens: 150, costUsd: 0 });
    await admit(600);
    await refusal(admit(300));
  });

  it("day budgets: estimates are reserved, actual usage settles, the 429 names the business unit and waits for UTC midnight", async () => {
    const limiter = limiterOn(store);
    const config = limits({ businessUnits: { finance: { tokensPerDay: 1000 } } });
    const admit = () => limiter.admit({ subject: { ...who, businessUnit: "finance" }, limits: config, estimate: { tokens: 400, costUsd: 0 } });
    const a = await admit();
    await admit();
    const error = await refusal(admit());
    const midnight = (Date.UTC(2026, 11, 3) - now) / 1000;
    expect(error.retryAfterSeconds).toBe(midnight);
    expect(error.message).toBe(
      `Budget exceeded: 1000 tokens per day (UTC) for business unit 'finance' (800 tokens used or reserved, this call needs up to 400 tokens); retry after ${midnight} s`,
    );
    await a.settle({ tokens: 100, costUsd: 0 });
    await admit(); // 100 used + 400 reserved + 400
    await refusal(admit());
    now = Date.UTC(2026, 11, 3, 0, 0, 1); // the next day starts empty
    await admit();
  });

  it("cost budgets per month, in dollars", async () => {
    const limiter = limiterOn(store);
    const config = limits({ tenant: { costPerMonthUsd: 0.05 } });
    const estimate = usageOf({ inputPer1k: 0.01, outputPer1k: 0.03 }, { input: 500, output: 500 }); // $0.02
    await limiter.admit({ subject: who, limits: config, estimate });
    await limiter.admit({ subject: who, limits: config, estimate });
    const error = await refusal(limiter.admit({ subject: who, limits: config, estimate }));
    expect(error.message).toMatch(/^Budget exceeded: \$0\.05 per month \(UTC\) for the tenant \(\$0\.04 used or reserved, this call needs up to \$0\.02\); retry after \d+ s$/);
    expect(error.retryAfterSeconds).toBe((Date.UTC(2027, 0, 1) - now) / 1000);
  });

  it("settle after a stream: the reservation holds while it streams, then only what was streamed counts", async () => {
    const ledger = new SqlBudgetLedger(store);
    const limiter = new UsageLimiter(new MemoryRateWindowStore(), ledger, () => now);
    const config = limits({ perKey: { tokensPerDay: 1000 } });
    const counter = `{${who.tenantId}}:key:key-a:tokens:day`;
    const admission = await limiter.admit({ subject: who, limits: config, estimate: { tokens: 700, costUsd: 0 } });

    async function* stream(chunks: number): AsyncGenerator<number> {
      for (let i = 0; i < chunks; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        yield 10;
      }
    }
    let streamed = 0;
    for await (const tokens of stream(12)) {
      streamed += tokens;
      if (streamed === 60) {
        expect(await ledger.balance(who.tenantId, counter, "2026-12-02")).toEqual({ used: 0, reserved: 700 });
        await refusal(limiter.admit({ subject: who, limits: config, estimate: { tokens: 400, costUsd: 0 } }));
      }
    }
    await admission.settle({ tokens: 200 + streamed, costUsd: 0 }); // prompt + streamed output
    expect(await ledger.balance(who.tenantId, counter, "2026-12-02")).toEqual({ used: 320, reserved: 0 });
    await admission.settle({ tokens: 999, costUsd: 0 }); // settling twice changes nothing
    expect(await ledger.balance(who.tenantId, counter, "2026-12-02")).toEqual({ used: 320, reserved: 0 });

    // A stream the client abandoned part way settles on what was delivered; a failed call releases everything.
    const abandoned = await limiter.admit({ subject: who, limits: config, estimate: { tokens: 300, costUsd: 0 } });
    await abandoned.settle({ tokens: 40, costUsd: 0 });
    const failed = await limiter.admit({ subject: who, limits: config, estimate: { tokens: 600, costUsd: 0 } });
    await failed.release();
    expect(await ledger.balance(who.tenantId, counter, "2026-12-02")).toEqual({ used: 360, reserved: 0 });
  });

  it("budgets survive a restart", async () => {
    const config = limits({ perKey: { tokensPerMonth: 500 } });
    const first = await limiterOn(store).admit({ subject: who, limits: config, estimate: { tokens: 450, costUsd: 0 } });
    await first.settle({ tokens: 450, costUsd: 0 });
    const reopened = await connectAgain();
    try {
      const error = await refusal(limiterOn(reopened).admit({ subject: who, limits: config, estimate: { tokens: 100, costUsd: 0 } }));
      expect(error.message).toMatch(/^Budget exceeded: 500 tokens per month \(UTC\) for this API key \(450 tokens used/);
    } finally {
      await reopened.close();
    }
  });

  it("concurrent calls cannot jointly pass a budget: exactly the allowed number get through", async () => {
    // On PostgreSQL three connection pools, as three Gatehouse processes would have. SQLite is the
    // one-process store: a second synchronous connection in this process would only block the
    // event loop while it waits for the first one's write lock.
    const others = target.name === "postgres" ? [await connectAgain(), await connectAgain()] : [];
    try {
      const config = limits({ tenant: { tokensPerDay: 1000 }, perKey: { tokensPerDay: 400 }, perBusinessUnit: { tokensPerDay: 700 } });
      const limiters = [store, ...others].map((s) => limiterOn(s));
      // Every call charges the tenant, its key and its unit: overlapping counter sets taken in different orders.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          limiters[i % limiters.length]!.admit({
            subject: { ...who, keyId: `key-${i % 4}`, businessUnit: `unit-${i % 3}` },
            limits: config,
            estimate: { tokens: 100, costUsd: 0 },
          }),
        ),
      );
      const admitted = outcomes.filter((o) => o.status === "fulfilled");
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
      expect(admitted).toHaveLength(10);
      expect(refused.map((o) => (o.reason as GatehouseError).code)).toEqual(Array(50).fill("rate_limited"));
      const ledger = new SqlBudgetLedger(store);
      const tenantCounter = `{${who.tenantId}}:tenant:${who.tenantId}:tokens:day`;
      expect(await ledger.balance(who.tenantId, tenantCounter, "2026-12-02")).toEqual({ used: 0, reserved: 1000 });
      for (let k = 0; k < 4; k++) {
        const key = await ledger.balance(who.tenantId, `{${who.tenantId}}:key:key-${k}:tokens:day`, "2026-12-02");
        expect(key.reserved).toBeLessThanOrEqual(400);
      }
      await Promise.all(admitted.map((o) => (o as PromiseFulfilledResult<Admission>).value.settle({ tokens: 50, costUsd: 0 })));
      expect(await ledger.balance(who.tenantId, tenantCounter, "2026-12-02")).toEqual({ used: 500, reserved: 0 });
    } finally {
      for (const other of others) await other.close();
    }
  });

  it("the ledger settles a hold once, however many settlements race for it", async () => {
    const ledger = new SqlBudgetLedger(store);
    const charge = { counter: `{${who.tenantId}}:key:k:tokens:day`, period: "2026-12-02", limit: 100, amount: 100 };
    const held = await ledger.reserve(who.tenantId, [charge], now);
    if (!held.admitted) throw new Error("expected a hold");
    const blocked = ledger.reserve(who.tenantId, [{ ...charge, amount: 50 }], now);
    const settlements = [ledger.settle(held.holdId, new Map([[charge.counter, 30]]), now), ledger.settle(held.holdId, new Map([[charge.counter, 99]]), now), ledger.release(held.holdId, now)];
    const after = ledger.reserve(who.tenantId, [{ ...charge, amount: 70 }], now);
    await Promise.all(settlements);
    expect(await blocked).toMatchObject({ admitted: false, used: 100 });
    expect(await after).toMatchObject({ admitted: true });
    expect(await ledger.balance(who.tenantId, charge.counter, "2026-12-02")).toEqual({ used: 30, reserved: 70 });
  });

  it("holds a dead process never settled expire and are released", async () => {
    const ledger = new SqlBudgetLedger(store, { holdTtlMs: 60_000 });
    const limiter = new UsageLimiter(new MemoryRateWindowStore(), ledger, () => now);
    const config = limits({ perKey: { tokensPerDay: 100 } });
    await limiter.admit({ subject: who, limits: config, estimate: { tokens: 100, costUsd: 0 } }); // never settled
    await refusal(limiter.admit({ subject: who, limits: config, estimate: { tokens: 1, costUsd: 0 } }));
    now += 60_000;
    expect(await ledger.releaseExpired(now)).toBeGreaterThanOrEqual(1);
    await limiter.admit({ subject: who, limits: config, estimate: { tokens: 100, costUsd: 0 } });
  });

  it("fails closed: when the budget store is gone, calls are refused with 503", async () => {
    const gone = await unreachable();
    const error = await refusal(limiterOn(gone).admit({ subject: who, limits: limits({ tenant: { tokensPerDay: 10 } }), estimate: { tokens: 1, costUsd: 0 } }));
    expect(error.code).toBe("unavailable");
    expect(error.message).toBe("the budget store is unavailable, so calls are refused");
    await gone.close().catch(() => undefined);
  });

  it("a call with no limits in force touches no store", async () => {
    const gone = await unreachable();
    const admission = await limiterOn(gone).admit({ subject: who, limits: limits({}), estimate: { tokens: 1, costUsd: 0 } });
    await admission.settle({ tokens: 1, costUsd: 0 });
    await gone.close().catch(() => undefined);
  });
});
