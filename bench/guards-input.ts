/**
 * All input guards together on a 2 KB prompt: GuardChecker.check (PII and secrets, prompt
 * injection and jailbreaks, classification labels, redaction), as the gateway's inspect-input
 * stage runs it per message. Latency per check (p50, p99, max) on prompts of about 2 KB made of
 * the evaluation texts: the PII set (dense with names, numbers and addresses) and the benign
 * rows of the injection set (ordinary prompts), and each guard alone beside it.
 *
 * A gateway checks thousands of prompts a minute, so the target is read once V8's JIT has
 * settled: BENCH_INPUT_WARMUP passes over the prompts first (20; the PII recognizers take 5-7
 * passes of 60 prompts to be compiled). What the very first pass costs is printed beside it as
 * the cold figure.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { GuardChecker } from "../src/guards/guard-check.js";
import { InputGuard } from "../src/guards/input-guard.js";
import { ScanWorkers } from "../src/guards/offload/scan-workers.js";
import { injectionFindings } from "../src/guards/injection/detector.js";
import { PiiScanner } from "../src/guards/pii/pii-scanner.js";
import { machine, percentiles, table } from "./support.js";

const ROUNDS = Number(process.env.BENCH_INPUT_ROUNDS ?? 30);
const WARMUP_PASSES = Number(process.env.BENCH_INPUT_WARMUP ?? 20);
const here = path.dirname(fileURLToPath(import.meta.url));
const evalDir = process.env.GATEHOUSE_EVAL_DIR ?? path.resolve(here, "../../../shared/eval");

/** Texts joined into prompts of about 2 KB, flat strings as a parsed request body holds them. */
function promptsOf(texts: string[]): string[] {
  const prompts: string[] = [];
  let current = "";
  for (const text of texts) {
    current += (current ? "\n" : "") + text.slice(0, 2048);
    if (current.length >= 2048) {
      prompts.push(JSON.parse(JSON.stringify(current.slice(0, 2048))) as string);
      current = "";
    }
  }
  return prompts;
}

function latency(run: (text: string) => unknown, prompts: string[]) {
  const cold = new Float64Array(prompts.length);
  for (const [i, p] of prompts.entries()) {
    const t0 = performance.now();
    run(p);
    cold[i] = performance.now() - t0;
  }
  for (let pass = 1; pass < WARMUP_PASSES; pass++) for (const p of prompts) run(p);
  const sample = new Float64Array(prompts.length * ROUNDS);
  let k = 0;
  const cpu = process.cpuUsage();
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of prompts) {
      const t0 = performance.now();
      run(p);
      sample[k++] = performance.now() - t0;
    }
  }
  const used = process.cpuUsage(cpu);
  return { ...percentiles(sample), cpuMean: (used.user + used.system) / 1000 / sample.length, coldP99: percentiles(cold).p99 };
}

/** One flat prompt of about `kb` KB made of the texts, as a long request (a document pasted in) holds them. */
function longPromptOf(texts: string[], kb: number): string {
  const parts: string[] = [];
  for (let i = 0, length = 0; length < kb * 1024; i++) {
    const text = texts[i % texts.length] as string;
    parts.push(text);
    length += text.length + 1;
  }
  return JSON.parse(JSON.stringify(parts.join("\n"))) as string;
}

/**
 * CPU time of every input guard on one long prompt, best of a few rounds after a few warm-up
 * checks: what one call of that size holds the event loop for.
 */
function longPromptCpu(check: (text: string) => unknown, prompt: string): number {
  for (let i = 0; i < 3; i++) check(prompt);
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const cpu = process.cpuUsage();
    check(prompt);
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

/**
 * One long prompt through the input guards (InputGuard.review) while a 1 ms timer runs: how long
 * the review took and the longest the event loop went without running the timer, which is how
 * long every other call on the process would have waited. Best of three.
 */
async function eventLoopStall(guard: InputGuard, prompt: string): Promise<{ reviewMs: number; stallMs: number }> {
  await guard.review([{ role: "user", content: prompt }], undefined);
  let best = { reviewMs: Infinity, stallMs: Infinity };
  for (let round = 0; round < 3; round++) {
    let last = performance.now();
    let stall = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 1);
    const start = performance.now();
    await guard.review([{ role: "user", content: prompt }], undefined);
    const reviewMs = performance.now() - start;
    clearInterval(timer);
    stall = Math.max(stall, performance.now() - last);
    if (stall < best.stallMs) best = { reviewMs, stallMs: stall };
  }
  return best;
}

async function main(): Promise<void> {
  console.log("# guards-input: every input guard together (GuardChecker.check) on 2 KB prompts");
  console.log(`machine: ${machine()}`);
  const lines = (file: string) => readFileSync(path.join(evalDir, file), "utf8").split("\n").filter(Boolean);
  const piiTexts = lines("pii-dev.jsonl").map((l) => (JSON.parse(l) as { text: string }).text);
  const benignTexts = lines("injection-dev.jsonl")
    .map((l) => JSON.parse(l) as { text: string; label: string })
    .filter((r) => r.label === "benign")
    .map((r) => r.text);
  const pii = promptsOf(piiTexts);
  const benign = promptsOf(benignTexts);
  const checker = new GuardChecker();
  const scanner = new PiiScanner();
  const ms = (v: number) => `${v.toFixed(3)} ms`;
  const rows = [["prompts", "guards", "p50", "p99", "max", "CPU per check", "p99 of the first pass (cold)"]];
  const results: { name: string; p99: number }[] = [];
  for (const [name, prompts] of [
    [`${pii.length} × 2 KB of pii-dev`, pii],
    [`${benign.length} × 2 KB of benign injection-dev`, benign],
  ] as const) {
    for (const [guards, run] of [
      ["all (GuardChecker.check)", (t: string) => checker.check(t)],
      ["  PII and secrets alone", (t: string) => scanner.scan(t)],
      ["  injection alone", (t: string) => injectionFindings(t)],
    ] as const) {
      const l = latency(run, [...prompts]);
      rows.push([name, guards, ms(l.p50), ms(l.p99), ms(l.max), ms(l.cpuMean), ms(l.coldP99)]);
      if (guards.startsWith("all")) results.push({ name, p99: l.p99 });
    }
  }
  table(rows);
  // The CPU one long prompt costs the guards, wherever they run (docs/operator-guide.md, Sizing).
  const long = [["one prompt of", "made of", "CPU per check (best of 5)", "per KB"]];
  for (const kb of [100, 800]) {
    for (const [name, texts] of [
      ["pii-dev", piiTexts],
      ["benign injection-dev", benignTexts],
    ] as const) {
      const cpu = longPromptCpu((t) => checker.check(t), longPromptOf(texts, kb));
      long.push([`${kb} KB`, name, ms(cpu), ms(cpu / kb)]);
    }
  }
  console.log("\n## long prompts, every input guard (GuardChecker.check)");
  table(long);
  const workers = new ScanWorkers(1);
  const stalls = [["800 KB prompt (benign injection-dev) through InputGuard.review", "review took", "longest event-loop stall"]];
  for (const [name, guard] of [
    ["on the event loop (guardWorkers: 0)", new InputGuard(checker)],
    ["on a worker thread (guardWorkers: 1)", new InputGuard(checker, undefined, workers)],
  ] as const) {
    const { reviewMs, stallMs } = await eventLoopStall(guard, longPromptOf(benignTexts, 800));
    stalls.push([name, ms(reviewMs), ms(stallMs)]);
  }
  await workers.close();
  console.log();
  table(stalls);
  console.log(`\ntarget: all input guards together p99 ≤ 1 ms on a 2 KB prompt (after ${WARMUP_PASSES} warm-up passes)`);
  for (const r of results) console.log(`${r.name}: p99 ${ms(r.p99)} ${r.p99 <= 1 ? "met" : "MISSED"}`);
  console.log(`machine after: ${machine()}`);
}

await main();
