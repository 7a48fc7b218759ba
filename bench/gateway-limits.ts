/**
 * What routing and limits add to a model call, per call, with no upstream in the way.
 *
 *   router       — Router.route() over a two-model primary pool and a fallback, the attempt answering at once.
 *   limits       — UsageLimiter.admit() + settle() for one key with requests and tokens per minute:
 *                  in-process counters, then Redis (127.0.0.1:6379) counters.
 *   budgets      — the same plus a token budget per day (a reservation and a settlement in the store):
 *                  SQLite and PostgreSQL.
 *
 * Closed loop with CONCURRENCY callers for BENCH_SECONDS seconds per row (default 3).
 * Run: npm run bench:build && node dist-bench/bench/gateway-limits.js
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Router, planRoute, routingSettingsSchema, type ModelRecord } from "../src/gateway/routing/index.js";
import { MemoryRateWindowStore, RedisRateWindowStore, SqlBudgetLedger, UsageLimiter, tenantLimitsSchema, type RateWindowStore } from "../src/gateway/limits/index.js";
import { fmtInt, freshPostgres, freshSqlite, machine, percentiles, table, type BenchStore } from "./support.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

async function run(label: string, op: () => Promise<unknown>): Promise<string[]> {
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await op();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const { p50, p99 } = percentiles(Float64Array.from(latencies));
  return [label, fmtInt(latencies.length / elapsed), `${(p50 * 1000).toFixed(0)} µs`, `${(p99 * 1000).toFixed(0)} µs`];
}

const spec = (region: string): ModelRecord["spec"] => ({
  provider: "openai",
  upstreamModel: "m",
  endpoint: "http://127.0.0.1:1/v1",
  region,
  external: false,
  pricing: { inputPer1k: 0.001, outputPer1k: 0.002 },
  taskClasses: ["chat"],
  aliases: [],
});

async function main(): Promise<void> {
  console.log(machine());
  const rows: string[][] = [["what", "calls/s", "p50", "p99"]];

  const models: ModelRecord[] = [{ name: "a", spec: spec("eu") }, { name: "b", spec: spec("eu-west-1") }, { name: "c", spec: spec("eu") }];
  const routes = routingSettingsSchema.parse({ routes: [{ name: "chat", primary: [{ model: "a", weight: 3 }, { model: "b" }], fallbacks: ["c"] }] }).routes;
  const router = new Router();
  rows.push(await run("router: plan + route", async () => router.route(planRoute({ model: "chat", environment: "production", dataRegion: "eu" }, models, routes), async (c) => c.model)));

  const perMinute = tenantLimitsSchema.parse({ perKey: { requestsPerMinute: 1e12, tokensPerMinute: 1e12 } });
  const withBudget = tenantLimitsSchema.parse({ perKey: { requestsPerMinute: 1e12, tokensPerMinute: 1e12, tokensPerDay: 1e15 } });
  const call = (limiter: UsageLimiter, limits = perMinute) => async () => {
    const admission = await limiter.admit({ subject: { tenantId: "bench", keyId: "k" }, limits, estimate: { tokens: 500, costUsd: 0.001 } });
    await admission.settle({ tokens: 120, costUsd: 0.0002 });
  };

  const memory = new MemoryRateWindowStore();
  const noLedger = new SqlBudgetLedger(undefined as never); // not reached without day or month limits
  rows.push(await run("limits: per-minute, in-process", call(new UsageLimiter(memory, noLedger))));
  let redis: RateWindowStore | undefined;
  try {
    redis = await RedisRateWindowStore.connect("redis://127.0.0.1:6379", `gatehouse-bench:${randomUUID()}:`);
    rows.push(await run("limits: per-minute, Redis", call(new UsageLimiter(redis, noLedger))));
  } catch (error) {
    rows.push(["limits: per-minute, Redis", `skipped: ${(error as Error).message}`, "", ""]);
  }

  for (const fresh of [freshSqlite, freshPostgres]) {
    let bench: BenchStore | undefined;
    try {
      bench = await fresh();
      rows.push(await run(`budgets: + day budget, ${bench.name}`, call(new UsageLimiter(memory, new SqlBudgetLedger(bench.store)), withBudget)));
    } catch (error) {
      rows.push([`budgets: ${fresh.name}`, `skipped: ${(error as Error).message}`, "", ""]);
    } finally {
      await bench?.dispose();
    }
  }
  await redis?.close();
  table(rows);
  console.log(machine());
}

await main();
