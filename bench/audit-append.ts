/**
 * Durable append throughput and latency of the audit log, SQLite and PostgreSQL side by side.
 *
 * For each store, on a fresh database:
 *   1. append     — Recorder.record() on the root db (group commit) from CONCURRENCY in-flight callers,
 *                   sequencer idle; latency is from the record() call to its durable acknowledgement.
 *   2. sequencer  — AuditLog.flush(): drains the outbox into the Merkle log and signs a checkpoint
 *                   covering everything appended in 1.
 *   3. end to end — production wiring (onCommitted nudges the running sequencer): appends as in 1 while
 *                   the sequencer runs, then waits until a checkpoint covers every event; the rate is
 *                   events / (first record() call → checkpoint).
 *   4. rate       — latency at fixed offered rates (open loop, BENCH_RATES events/s for BENCH_RATE_SECONDS
 *                   each), production wiring: what a caller waits for under a steady load.
 *   5. baseline   — what a naive audit table does: one single-row INSERT per event, autocommit, same
 *                   callers and rows; our append rate is reported as a ratio to it.
 *
 * Bounded: each phase stops after BENCH_EVENTS events (baseline: BENCH_BASELINE_EVENTS) or
 * BENCH_SECONDS seconds, whichever comes first. Local databases only.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { AuditLog } from "../src/audit/log/audit-log.js";
import { ephemeralLogSigner } from "../src/audit/log/signing-key.js";
import { actionContext, eventRow, Recorder } from "../src/audit/recorder.js";
import {
  benchActor,
  describeStore,
  fmtInt,
  fmtMs,
  freshPostgres,
  freshSqlite,
  machine,
  percentiles,
  pgUrl,
  sampleEvent,
  table,
  type BenchStore,
} from "./support.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BASELINE_EVENTS = Number(process.env.BENCH_BASELINE_EVENTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP = 5_000;
const STORES = (process.env.BENCH_STORES ?? "sqlite,postgres").split(",");
const PHASES = (process.env.BENCH_PHASES ?? "append,sequencer,end-to-end,rate,baseline").split(",");
/** Arrival rates (events/s) of the open-loop latency phase; each runs RATE_SECONDS. */
const RATES = (process.env.BENCH_RATES ?? "2000,5000,10000").split(",").map(Number);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 5);

interface LoopResult {
  count: number;
  ms: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU time of this process (user + system) per event, µs; the PostgreSQL server's is not in it. */
  cpuUs: number;
}

/** Keeps `concurrency` calls of op in flight until `total` calls were made or `seconds` passed. */
async function closedLoop(total: number, concurrency: number, seconds: number, op: (i: number) => Promise<unknown>): Promise<LoopResult> {
  const latencies = new Float64Array(total);
  let next = 0;
  let done = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async () => {
    while (next < total && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      await op(i);
      latencies[done++] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { count: done, ms, rate: (done / ms) * 1000, ...percentiles(latencies.subarray(0, done)), cpuUs: (used.user + used.system) / done };
}

/**
 * Open loop: starts calls at a fixed rate (in bursts of up to 1 ms) regardless of how many are
 * still in flight, for `seconds`; latency is from each call to its acknowledgement.
 */
async function openLoop(rate: number, seconds: number, op: (i: number) => Promise<unknown>): Promise<LoopResult> {
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  let issued = 0;
  let done = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
      while (issued < due) {
        const t0 = performance.now();
        op(issued++).then(() => {
          latencies[done++] = performance.now() - t0;
          if (done === total) resolve();
        }, reject);
      }
      if (issued < total) setTimeout(tick, 1);
    };
    tick();
  });
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { count: done, ms, rate: (done / ms) * 1000, ...percentiles(latencies), cpuUs: (used.user + used.system) / done };
}

interface Drain {
  count: number;
  ms: number;
  rate: number;
}

interface StoreResult {
  store: string;
  append?: LoopResult;
  sequencer?: Drain;
  endToEnd?: Drain & { append: LoopResult };
  /** Open-loop latency at fixed arrival rates, production wiring (sequencer running). */
  rates?: LoopResult[];
  baseline?: LoopResult;
}

async function benchStore(open: () => Promise<BenchStore>): Promise<StoreResult> {
  const bench = await open();
  try {
    const { db, dialect } = bench.store;
    console.log(`\n## ${bench.name}: ${await describeStore(bench)}`);
    const signer = ephemeralLogSigner("bench.gatehouse.example/log");
    const ctx = actionContext(benchActor, randomUUID());
    let n = 0;
    const record = (recorder: Recorder) => () => recorder.record(db, ctx, sampleEvent(n++));
    const result: StoreResult = { store: bench.name };
    const log = new AuditLog(db, dialect, signer);
    const logged = async () => (await log.latestCheckpoint())?.size ?? 0;

    // Warm up the JIT, the pool and the tables, then start from an empty outbox.
    await closedLoop(WARMUP, CONCURRENCY, SECONDS, record(new Recorder()));
    await log.flush();

    // 1. Durable append, sequencer idle.
    if (PHASES.includes("append")) {
      const before = await logged();
      const append = await closedLoop(EVENTS, CONCURRENCY, SECONDS, record(new Recorder()));
      result.append = append;
      console.log(`append:     ${fmtInt(append.count)} events in ${fmtMs(append.ms)}, ${append.cpuUs.toFixed(1)} µs CPU per event in this process`);

      // 2. The sequencer drains the outbox into the Merkle log and signs a checkpoint over it.
      const t0 = performance.now();
      await log.flush();
      const ms = performance.now() - t0;
      const after = await logged();
      if (after !== before + append.count) throw new Error(`checkpoint covers ${after} entries, expected ${before + append.count}`);
      if (PHASES.includes("sequencer")) {
        result.sequencer = { count: append.count, ms, rate: (append.count / ms) * 1000 };
        console.log(`sequencer:  ${fmtInt(append.count)} events in ${fmtMs(ms)}`);
      }
    }

    // 3. End to end with the production wiring: record() nudges the sequencer after each group commit.
    if (PHASES.includes("end-to-end")) {
      const live = new Recorder();
      const liveLog = new AuditLog(db, dialect, signer);
      live.onCommitted = () => liveLog.nudge();
      liveLog.start();
      const before = await logged();
      const t0 = performance.now();
      const append = await closedLoop(EVENTS, CONCURRENCY, SECONDS, record(live));
      await liveLog.stop(); // stop() flushes: sequences the rest and signs a checkpoint over it
      const ms = performance.now() - t0;
      const after = await logged();
      if (after !== before + append.count) throw new Error(`checkpoint covers ${after} entries, expected ${before + append.count}`);
      result.endToEnd = { append, count: append.count, ms, rate: (append.count / ms) * 1000 };
      console.log(`end to end: ${fmtInt(append.count)} events in ${fmtMs(ms)} (appending took ${fmtMs(append.ms)})`);
    }

    // 4. Latency at fixed arrival rates, production wiring.
    if (PHASES.includes("rate")) {
      result.rates = [];
      for (const rate of RATES) {
        const live = new Recorder();
        const liveLog = new AuditLog(db, dialect, signer);
        live.onCommitted = () => liveLog.nudge();
        liveLog.start();
        const r = await openLoop(rate, RATE_SECONDS, record(live));
        await liveLog.stop();
        result.rates.push(r);
        console.log(`at ${fmtInt(rate)}/s:  ${fmtInt(r.count)} events in ${fmtMs(r.ms)}, sequencer running`);
      }
    }

    // 5. Baseline: single-row INSERT per event, autocommit, same callers, same row contents.
    if (PHASES.includes("baseline")) {
      let lastAt = 0;
      result.baseline = await closedLoop(BASELINE_EVENTS, CONCURRENCY, SECONDS, async (i) => {
        lastAt = Math.max(Date.now(), lastAt);
        await db.insertInto("events").values(eventRow(ctx, sampleEvent(i), lastAt)).execute();
      });
      console.log(`baseline:   ${fmtInt(result.baseline.count)} events in ${fmtMs(result.baseline.ms)}`);
    }
    return result;
  } finally {
    await bench.dispose();
  }
}

async function main(): Promise<void> {
  console.log("# audit-append: durable appends through Recorder.record(), and the sequencer into the Merkle log");
  console.log(`machine: ${machine()}`);
  console.log(`events per phase: ${fmtInt(EVENTS)} (baseline ${fmtInt(BASELINE_EVENTS)}), ${CONCURRENCY} calls in flight, at most ${SECONDS} s per phase`);
  const results: StoreResult[] = [];
  if (STORES.includes("sqlite")) results.push(await benchStore(freshSqlite));
  if (STORES.includes("postgres")) {
    const pgResult = await benchStore(freshPostgres).catch(skip);
    if (pgResult) results.push(pgResult);
  }

  console.log("\n## results");
  const dash = "–";
  const cell = <T>(f: (r: StoreResult) => T | undefined, show: (v: T) => string) =>
    results.map((r) => {
      const v = f(r);
      return v === undefined ? dash : show(v);
    });
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? a / b : undefined);
  const times = (x: number) => `${x.toFixed(1)}×`;
  table([
    ["", ...results.map((r) => r.store)],
    ["append events/s (durable, sequencer idle)", ...cell((r) => r.append?.rate, fmtInt)],
    ["append latency p50", ...cell((r) => r.append?.p50, fmtMs)],
    ["append latency p99", ...cell((r) => r.append?.p99, fmtMs)],
    ["append latency max", ...cell((r) => r.append?.max, fmtMs)],
    ["append CPU µs/event (this process)", ...cell((r) => r.append?.cpuUs, (v) => v.toFixed(1))],
    ["sequencer events/s (outbox → log + checkpoint)", ...cell((r) => r.sequencer?.rate, fmtInt)],
    ["end-to-end events/s (record → covered by checkpoint)", ...cell((r) => r.endToEnd?.rate, fmtInt)],
    ["  append events/s while sequencing", ...cell((r) => r.endToEnd?.append.rate, fmtInt)],
    ["  append latency p99 while sequencing", ...cell((r) => r.endToEnd?.append.p99, fmtMs)],
    ...RATES.flatMap((rate, i) => [
      [`at ${fmtInt(rate)} events/s offered, sequencer running: achieved/s`, ...cell((r) => r.rates?.[i]?.rate, fmtInt)],
      [`at ${fmtInt(rate)} events/s offered, sequencer running: p50`, ...cell((r) => r.rates?.[i]?.p50, fmtMs)],
      [`at ${fmtInt(rate)} events/s offered, sequencer running: p99`, ...cell((r) => r.rates?.[i]?.p99, fmtMs)],
      [`at ${fmtInt(rate)} events/s offered, sequencer running: max`, ...cell((r) => r.rates?.[i]?.max, fmtMs)],
    ]),
    ["baseline events/s (1 INSERT per event, autocommit)", ...cell((r) => r.baseline?.rate, fmtInt)],
    ["baseline latency p99", ...cell((r) => r.baseline?.p99, fmtMs)],
    ["ratio append / baseline", ...cell((r) => ratio(r.append?.rate, r.baseline?.rate), times)],
    ["ratio end-to-end / baseline", ...cell((r) => ratio(r.endToEnd?.rate, r.baseline?.rate), times)],
  ]);
  console.log("\ntargets: append ≥ 25,000/s on SQLite, ≥ 10,000/s on PostgreSQL; append p99 ≤ 15 ms");
  for (const r of results) {
    if (!r.append) continue;
    const target = r.store === "sqlite" ? 25_000 : 10_000;
    const verdict = (pass: boolean) => (pass ? "met" : "MISSED");
    console.log(
      `${r.store}: throughput ${verdict(r.append.rate >= target)} (${fmtInt(r.append.rate)}/s), p99 ${verdict(r.append.p99 <= 15)} (${fmtMs(r.append.p99)})`,
    );
  }
  console.log(`machine after: ${machine()}`);
}

function skip(error: unknown): undefined {
  process.exitCode = 1;
  console.log(`\n## postgres skipped: ${error instanceof Error ? error.message : String(error)} (${pgUrl})`);
  return undefined;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
