/**
 * The model gateway side by side with @portkey-ai/gateway and with nothing in between.
 *
 * One local upstream (bench/chat-upstream.ts, its own process, OpenAI chat completions wire
 * format on 127.0.0.1) serves every path:
 *   nothing    — the load generator calls the upstream directly;
 *   gatehouse  — `node dist/cli/main.js start` (the built CLI, embedded SQLite, demo workspace,
 *                full pipeline: identify → admit → inspect input → decide → execute → inspect
 *                output → record, every call durably recorded before it is answered) with a
 *                model record `bench-upstream` (provider openai-compatible) pointing at the
 *                upstream and its sealed credential, called with the demo application key;
 *   portkey    — @portkey-ai/gateway's own server (--headless), routed to the same upstream with
 *                x-portkey-provider: openai and x-portkey-custom-host.
 * The same non-streaming chat request goes through each with undici keep-alive pools:
 *   throughput — closed loop, BENCH_CONCURRENCY calls in flight for BENCH_SECONDS;
 *   latency    — open loop at BENCH_RATE req/s for BENCH_RATE_SECONDS (latency from each send
 *                to its full answer); added latency = gatehouse − nothing at the same rate.
 * Then Gatehouse's idle RSS (VmRSS after start and a warm-up, Portkey's beside it) and its cold
 * start (spawn → first 200 from GET /readyz on a fresh data directory, median of BENCH_COLD_RUNS).
 * Every Gatehouse call waits for its record to reach the disk, so the latency of the temporary
 * directory's disk (fdatasync of a 4 KB append, idle) is printed beside the added latency.
 *
 * Ends with one JSON line: gatehouse_rps, portkey_rps, ratio, p50_added_ms, p99_added_ms,
 * idle_rss_mb, cold_start_ms. BENCH_CPU_PROF=DIR starts Gatehouse under `node --cpu-prof`
 * and leaves its profile in DIR; BENCH_GATEHOUSE_NODE_ARGS adds node options to its command line
 * (--trace-gc, say) and BENCH_GATEHOUSE_OUTPUT=FILE keeps what it prints. Loopback only.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, closeSync, existsSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { fmtInt, fmtMs, freePort, machine, percentiles, table } from "./support.js";

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const CPU_PROF = process.env.BENCH_CPU_PROF;
const NODE_ARGS = (process.env.BENCH_GATEHOUSE_NODE_ARGS ?? "").split(" ").filter(Boolean);
const OUTPUT_FILE = process.env.BENCH_GATEHOUSE_OUTPUT;
const TARGETS = (process.env.BENCH_TARGETS ?? "nothing,gatehouse,portkey").split(",");

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const gatehouseCli = path.join(root, "bin/gatehouse.js");
const portkeyServer = path.join(root, "node_modules/@portkey-ai/gateway/build/start-server.js");
const upstreamScript = fileURLToPath(new URL("./chat-upstream.js", import.meta.url));

const MODEL = "bench-upstream";
const UPSTREAM_SECRET = "sk-bench-upstream-credential";
const chatBody = (model: string) =>
  JSON.stringify({
    model,
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "Say hello in one short sentence." },
    ],
    max_tokens: 32,
  });

interface Target {
  name: string;
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface LoopResult {
  count: number;
  errors: number;
  ms: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU time of the server process (user + system) per request, µs, when it is a child of ours. */
  serverCpuUs?: number;
}

class Failures {
  count = 0;
  first: string | undefined;
  add(message: string) {
    this.count++;
    this.first ??= message;
  }
}

/** One chat call; resolves when the whole answer has been read. */
async function call(target: Target, failures: Failures): Promise<void> {
  try {
    const res = await target.pool.request({ method: "POST", path: target.path, headers: target.headers, body: target.body });
    const text = await res.body.text();
    if (res.statusCode !== 200) failures.add(`${target.name}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
  } catch (error) {
    failures.add(`${target.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** user + system CPU of a process so far, in µs (Linux /proc; undefined elsewhere). */
function processCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Keeps `concurrency` calls in flight for `seconds`. */
async function closedLoop(target: Target, concurrency: number, seconds: number, serverPid?: number): Promise<LoopResult> {
  const latencies: number[] = [];
  const failures = new Failures();
  const cpu0 = processCpuUs(serverPid);
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await call(target, failures);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - start;
  const cpu1 = processCpuUs(serverPid);
  return summary(latencies, failures, ms, cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / latencies.length : undefined);
}

/** Starts calls at a fixed rate (in bursts of up to a timer tick) whatever is still in flight. */
async function openLoop(target: Target, rate: number, seconds: number, serverPid?: number): Promise<LoopResult> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const failures = new Failures();
  const cpu0 = processCpuUs(serverPid);
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let issued = 0;
    let done = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
      while (issued < due) {
        issued++;
        const t0 = performance.now();
        void call(target, failures).then(() => {
          latencies.push(performance.now() - t0);
          if (++done === total) resolve();
        });
      }
      if (issued < total) setTimeout(tick, 1);
    };
    tick();
  });
  const ms = performance.now() - start;
  const cpu1 = processCpuUs(serverPid);
  return summary(latencies, failures, ms, cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / latencies.length : undefined);
}

function summary(latencies: number[], failures: Failures, ms: number, serverCpuUs: number | undefined): LoopResult {
  if (failures.count > 0) console.log(`  ${fmtInt(failures.count)} calls failed; the first: ${failures.first}`);
  return {
    count: latencies.length,
    errors: failures.count,
    ms,
    rate: ((latencies.length - failures.count) / ms) * 1000,
    ...percentiles(Float64Array.from(latencies)),
    serverCpuUs,
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

/** A child process whose last output is kept for error messages. */
interface Child {
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** outputFile: where everything the child prints is kept as well. */
function spawnChild(command: string, args: string[], env: NodeJS.ProcessEnv, outputFile?: string): Child {
  const proc = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4000);
    if (outputFile) appendFileSync(outputFile, chunk);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return {
    proc,
    output: () => tail,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200; resolves with the ms since `since`. */
async function waitFor200(url: string, child: Child, since: number, timeoutMs = 30_000): Promise<number> {
  const origin = new URL(url);
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`${url}: the process exited (${child.proc.exitCode}):\n${child.output()}`);
    try {
      // A fresh connection per probe: a pool would hold on to a refused socket's error.
      const res = await fetch(origin, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (performance.now() - since > timeoutMs) throw new Error(`${url} not ready after ${timeoutMs} ms:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function startUpstream(): Promise<{ port: number; proc: ChildProcess; stop(): Promise<void> }> {
  const proc = fork(upstreamScript, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once("message", (m) => resolve((m as { port: number }).port));
    proc.once("exit", (code) => reject(new Error(`the upstream exited (${code})`)));
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return {
    port,
    proc,
    async stop() {
      proc.disconnect();
      await exited;
    },
  };
}

/** The environment of a Gatehouse child: ours without any GATEHOUSE_* setting, plus its own. */
function gatehouseEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GATEHOUSE_")));
  return {
    ...env,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_HOST: "127.0.0.1",
    GATEHOUSE_DEMO: "true",
    GATEHOUSE_LOG_LEVEL: process.env.BENCH_GATEHOUSE_LOG_LEVEL ?? "warn",
  };
}

interface Gatehouse {
  child: Child;
  port: number;
  dataDir: string;
  readyMs: number;
  stop(): Promise<void>;
}

async function startGatehouse(nodeArgs: string[] = []): Promise<Gatehouse> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-gw-"));
  const port = await freePort();
  const t0 = performance.now();
  const child = spawnChild(process.execPath, [...nodeArgs, gatehouseCli, "start"], gatehouseEnv(dataDir, port), OUTPUT_FILE);
  try {
    const readyMs = await waitFor200(`http://127.0.0.1:${port}/readyz`, child, t0);
    return {
      child,
      port,
      dataDir,
      readyMs,
      async stop() {
        await child.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function admin(base: string, key: string, method: string, urlPath: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${base}/admin/v1${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer: unknown = await res.json();
  if (res.status !== 200 && res.status !== 201) throw new Error(`${method} ${urlPath}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

/**
 * Registers the upstream as model `bench-upstream` with its credential, as an operator would,
 * through the admin API with the demo owner's key; returns the demo application key.
 */
async function configureGatehouse(g: Gatehouse, upstreamPort: number): Promise<string> {
  const credentials = JSON.parse(readFileSync(path.join(g.dataDir, "bootstrap-credentials.json"), "utf8")) as {
    admin_key: string;
    app_key: string;
  };
  const base = `http://127.0.0.1:${g.port}`;
  const created = (await admin(base, credentials.admin_key, "POST", "/models", {
    name: MODEL,
    owner: "platform-team",
    spec: {
      provider: "openai-compatible",
      upstreamModel: "bench-model",
      endpoint: `http://127.0.0.1:${upstreamPort}/v1`,
      region: "us",
      external: false,
      pricing: { inputPer1k: 0.0001, outputPer1k: 0.0002 },
      taskClasses: ["chat"],
      aliases: [],
    },
    justification: "benchmark upstream on loopback",
  })) as { status: string };
  if (created.status !== "applied") throw new Error(`creating the model did not apply at once: ${JSON.stringify(created)}`);
  await admin(base, credentials.admin_key, "PUT", `/models/${MODEL}/credential`, { secret: UPSTREAM_SECRET });
  return credentials.app_key;
}

function vmRssMb(pid: number | undefined): number {
  const status = pid === undefined ? "" : readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error("no VmRSS in /proc/PID/status");
  return Number(kb) / 1024;
}

/** How long the temporary directory's disk takes to make a small append durable, as a Gatehouse record waits for. */
function diskSyncLatency(syncs = 300): { p50: number; p99: number; max: number } {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-disk-"));
  const fd = openSync(path.join(dir, "probe"), "w");
  const page = Buffer.alloc(4096, 1);
  const times = new Float64Array(syncs);
  try {
    for (let i = 0; i < syncs; i++) {
      writeSync(fd, page);
      const t0 = performance.now();
      fdatasyncSync(fd);
      times[i] = performance.now() - t0;
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return percentiles(times);
}

async function coldStarts(runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const g = await startGatehouse();
    times.push(g.readyMs);
    await g.stop();
  }
  return times;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

const pool = (port: number) => new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 60_000 });

// ---------------------------------------------------------------------------------------------

interface Row {
  target: string;
  closed?: LoopResult;
  open?: LoopResult;
}

async function main(): Promise<void> {
  console.log("# gateway: chat completions through nothing, Gatehouse and Portkey's gateway, one local upstream");
  console.log(`machine: ${machine()}`);
  console.log(
    `closed loop: ${CONCURRENCY} in flight for ${SECONDS} s (after ${WARMUP_SECONDS} s warm-up); open loop: ${fmtInt(RATE)} req/s for ${RATE_SECONDS} s; cold start: median of ${COLD_RUNS}`,
  );
  if (!existsSync(gatehouseCli)) throw new Error(`${gatehouseCli} is missing: run npm run build first`);

  const upstream = await startUpstream();
  const upstreamPath = "/v1/chat/completions";
  const targets: { target: Target; pid?: number }[] = [];
  const stops: (() => Promise<void>)[] = [upstream.stop];
  let idleRssMb = NaN;
  let portkeyIdleRssMb = NaN;
  let gatehouse: Gatehouse | undefined;
  try {
    if (TARGETS.includes("nothing")) {
      targets.push({
        target: { name: "nothing", pool: pool(upstream.port), path: upstreamPath, headers: { "content-type": "application/json", authorization: `Bearer ${UPSTREAM_SECRET}` }, body: chatBody("bench-model") },
      });
    }
    if (TARGETS.includes("gatehouse")) {
      const nodeArgs = [...(CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${CPU_PROF}`] : []), ...NODE_ARGS];
      gatehouse = await startGatehouse(nodeArgs);
      stops.unshift(gatehouse.stop);
      const appKey = await configureGatehouse(gatehouse, upstream.port);
      console.log(
        `gatehouse: ready in ${fmtMs(gatehouse.readyMs)}, RSS ${vmRssMb(gatehouse.child.proc.pid).toFixed(1)} MB, pid ${gatehouse.child.proc.pid}, data dir ${gatehouse.dataDir}`,
      );
      targets.push({
        target: { name: "gatehouse", pool: pool(gatehouse.port), path: "/v1/chat/completions", headers: { "content-type": "application/json", authorization: `Bearer ${appKey}` }, body: chatBody(MODEL) },
        pid: gatehouse.child.proc.pid,
      });
    }
    if (TARGETS.includes("portkey")) {
      const port = await freePort();
      const child = spawnChild(process.execPath, [portkeyServer, "--headless", `--port=${port}`], {
        ...process.env,
        TRUSTED_CUSTOM_HOSTS: "localhost,127.0.0.1",
        NODE_ENV: "production",
      });
      stops.unshift(() => child.stop());
      const readyMs = await waitFor200(`http://127.0.0.1:${port}/`, child, performance.now());
      console.log(`portkey: ready in ${fmtMs(readyMs)}, pid ${child.proc.pid}`);
      targets.push({
        target: {
          name: "portkey",
          pool: pool(port),
          path: "/v1/chat/completions",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${UPSTREAM_SECRET}`,
            "x-portkey-provider": "openai",
            "x-portkey-custom-host": `http://127.0.0.1:${upstream.port}/v1`,
          },
          body: chatBody("bench-model"),
        },
        pid: child.proc.pid,
      });
    }

    // Warm up every path (JIT, pools, SQLite pages), then Gatehouse's idle RSS.
    for (const { target, pid } of targets) {
      const w = await closedLoop(target, CONCURRENCY, WARMUP_SECONDS, pid);
      if (w.errors > 0) throw new Error(`${target.name} fails during warm-up: stopping`);
    }
    if (gatehouse) {
      await new Promise((r) => setTimeout(r, 1_000));
      idleRssMb = vmRssMb(gatehouse.child.proc.pid);
      console.log(`gatehouse idle RSS after start and warm-up: ${idleRssMb.toFixed(1)} MB`);
    }
    const portkeyPid = targets.find(({ target }) => target.name === "portkey")?.pid;
    if (portkeyPid !== undefined) {
      portkeyIdleRssMb = vmRssMb(portkeyPid);
      console.log(`portkey idle RSS after start and warm-up: ${portkeyIdleRssMb.toFixed(1)} MB`);
    }
    const disk = diskSyncLatency();
    console.log(`disk of ${tmpdir()}: fdatasync of a 4 KB append p50 ${fmtMs(disk.p50)}, p99 ${fmtMs(disk.p99)}, max ${fmtMs(disk.max)} (idle)`);

    const rows: Row[] = targets.map(({ target }) => ({ target: target.name }));
    for (const [i, { target, pid }] of targets.entries()) {
      const r = await closedLoop(target, CONCURRENCY, SECONDS, pid);
      (rows[i] as Row).closed = r;
      console.log(`${target.name}: closed loop ${fmtInt(r.rate)} req/s (${fmtInt(r.count)} calls, ${fmtInt(r.errors)} failed)`);
    }
    for (const [i, { target, pid }] of targets.entries()) {
      const r = await openLoop(target, RATE, RATE_SECONDS, pid);
      (rows[i] as Row).open = r;
      console.log(`${target.name}: at ${fmtInt(RATE)} req/s p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)} (${fmtInt(r.errors)} failed)`);
    }
    const rssAfter = gatehouse ? vmRssMb(gatehouse.child.proc.pid) : NaN;
    for (const { target } of targets) await target.pool.close();
    for (const stop of stops.splice(0)) await stop();

    const cold = COLD_RUNS > 0 && TARGETS.includes("gatehouse") ? await coldStarts(COLD_RUNS) : [];
    if (cold.length) console.log(`gatehouse cold starts: ${cold.map((ms) => fmtMs(ms)).join(", ")}`);

    report(rows, { gatehouse: idleRssMb, portkey: portkeyIdleRssMb }, rssAfter, cold);
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

function report(rows: Row[], idleRss: { gatehouse: number; portkey: number }, rssAfterMb: number, cold: number[]): void {
  const idleRssMb = idleRss.gatehouse;
  const dash = "–";
  const by = (name: string) => rows.find((r) => r.target === name);
  const cell = (f: (r: Row) => number | undefined, show: (v: number) => string) =>
    rows.map((r) => {
      const v = f(r);
      return v === undefined || Number.isNaN(v) ? dash : show(v);
    });
  const us = (v: number) => v.toFixed(0);
  console.log("\n## results");
  table([
    ["", ...rows.map((r) => r.target)],
    [`closed loop (${CONCURRENCY} in flight): req/s`, ...cell((r) => r.closed?.rate, fmtInt)],
    ["  latency p50", ...cell((r) => r.closed?.p50, fmtMs)],
    ["  latency p99", ...cell((r) => r.closed?.p99, fmtMs)],
    ["  failed calls", ...cell((r) => r.closed?.errors, fmtInt)],
    ["  server CPU µs per call", ...cell((r) => r.closed?.serverCpuUs, us)],
    [`open loop (${fmtInt(RATE)} req/s offered): achieved req/s`, ...cell((r) => r.open?.rate, fmtInt)],
    ["  latency p50", ...cell((r) => r.open?.p50, fmtMs)],
    ["  latency p99", ...cell((r) => r.open?.p99, fmtMs)],
    ["  latency max", ...cell((r) => r.open?.max, fmtMs)],
    ["  failed calls", ...cell((r) => r.open?.errors, fmtInt)],
    ["  server CPU µs per call", ...cell((r) => r.open?.serverCpuUs, us)],
  ]);

  const gh = by("gatehouse");
  const pk = by("portkey");
  const direct = by("nothing");
  const gatehouseRps = gh?.closed?.rate ?? NaN;
  const portkeyRps = pk?.closed?.rate ?? NaN;
  const ratio = gatehouseRps / portkeyRps;
  const p50Added = (gh?.open?.p50 ?? NaN) - (direct?.open?.p50 ?? NaN);
  const p99Added = (gh?.open?.p99 ?? NaN) - (direct?.open?.p99 ?? NaN);
  const coldMs = cold.length ? median(cold) : NaN;
  console.log(`\ngatehouse RSS: ${idleRssMb.toFixed(1)} MB idle after warm-up, ${rssAfterMb.toFixed(1)} MB after the load`);
  if (Number.isFinite(idleRss.portkey)) console.log(`portkey RSS: ${idleRss.portkey.toFixed(1)} MB idle after warm-up (gatehouse ${(idleRssMb / idleRss.portkey).toFixed(2)}× of it)`);
  console.log(`gatehouse cold start to ready (median of ${cold.length}): ${fmtMs(coldMs)}`);

  const verdict = (pass: boolean) => (pass ? "met" : "MISSED");
  console.log("\ntargets (2-core machine):");
  console.log(`  throughput ≥ 3,000 req/s:           ${verdict(gatehouseRps >= 3000)} (${fmtInt(gatehouseRps)} req/s)`);
  console.log(`  ratio to Portkey ≥ 5:               ${verdict(ratio >= 5)} (${ratio.toFixed(2)}×, Portkey ${fmtInt(portkeyRps)} req/s)`);
  console.log(`  added p50 ≤ 1 ms at ${fmtInt(RATE)} req/s:     ${verdict(p50Added <= 1)} (${fmtMs(p50Added)})`);
  console.log(`  added p99 ≤ 5 ms at ${fmtInt(RATE)} req/s:     ${verdict(p99Added <= 5)} (${fmtMs(p99Added)})`);
  console.log(`  idle RSS ≤ 100 MB:                  ${verdict(idleRssMb <= 100)} (${idleRssMb.toFixed(1)} MB)`);
  console.log(`  cold start ≤ 1 s:                   ${verdict(coldMs <= 1000)} (${fmtMs(coldMs)})`);
  console.log(`machine after: ${machine()}`);

  const round = (v: number, digits: number) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null);
  console.log(
    JSON.stringify({
      gatehouse_rps: round(gatehouseRps, 0),
      portkey_rps: round(portkeyRps, 0),
      ratio: round(ratio, 2),
      p50_added_ms: round(p50Added, 3),
      p99_added_ms: round(p99Added, 3),
      idle_rss_mb: round(idleRssMb, 1),
      cold_start_ms: round(coldMs, 0),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
