/**
 * PII scanning quality and speed, on the public evaluation data in ../shared/eval/pii-dev.jsonl
 * (see its README): span-level precision, recall and F1 per entity type (a found span is a hit
 * when its type matches a labelled span it overlaps), then scanning throughput on one core over
 * the same texts repeated to BENCH_PII_MB megabytes, and per-text latency.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Finding } from "../src/guards/finding.js";
import { PiiScanner } from "../src/guards/pii/pii-scanner.js";
import { fmtInt, machine, percentiles, table } from "./support.js";

interface Row {
  text: string;
  spans: { start: number; end: number; type: string }[];
}

const MEGABYTES = Number(process.env.BENCH_PII_MB ?? 20);
const here = path.dirname(fileURLToPath(import.meta.url));
const evalFile = process.env.GATEHOUSE_EVAL_PII ?? path.resolve(here, "../../../shared/eval/pii-dev.jsonl");

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;

function main(): void {
  console.log("# guards-pii: PII recognizers against ../shared/eval/pii-dev.jsonl");
  console.log(`machine: ${machine()}`);
  const rows = readFileSync(evalFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
  const scanner = new PiiScanner();
  const types = scanner.types;
  const stats = new Map(types.map((t) => [t, { found: 0, correct: 0, labelled: 0, recalled: 0 }]));
  const misses: string[] = [];
  const falseAlarms: string[] = [];
  for (const row of rows) {
    const found: Finding[] = scanner.scan(row.text);
    for (const f of found) {
      const s = stats.get(f.type);
      if (!s) continue;
      s.found++;
      if (row.spans.some((l) => l.type === f.type && overlaps(l, f))) s.correct++;
      else falseAlarms.push(`${f.type}: ${JSON.stringify(row.text.slice(f.start, f.end))} in ${JSON.stringify(row.text.slice(0, 120))}`);
    }
    for (const l of row.spans) {
      const s = stats.get(l.type);
      if (!s) continue;
      s.labelled++;
      if (found.some((f) => f.type === l.type && overlaps(l, f))) s.recalled++;
      else misses.push(`${l.type}: ${JSON.stringify(row.text.slice(l.start, l.end))}`);
    }
  }
  const rowsOut = [["type", "labelled", "found", "precision", "recall", "F1"]];
  for (const [type, s] of stats) {
    const precision = s.found ? s.correct / s.found : 1;
    const recall = s.labelled ? s.recalled / s.labelled : 1;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    rowsOut.push([type, String(s.labelled), String(s.found), precision.toFixed(3), s.labelled ? recall.toFixed(3) : "–", s.labelled ? f1.toFixed(3) : "–"]);
  }
  console.log(`\n## quality over ${fmtInt(rows.length)} texts`);
  table(rowsOut);
  if (process.env.BENCH_VERBOSE) {
    console.log("\nmissed:\n  " + misses.join("\n  "));
    console.log("\nfalse alarms:\n  " + falseAlarms.join("\n  "));
  }

  // Throughput: prompts of about 2 KB made of the texts (what a guard sees per request), repeated,
  // and the short texts one at a time (where the fixed cost per call dominates).
  const texts = rows.map((r) => r.text);
  const prompts: string[] = [];
  for (let i = 0, current = ""; i < texts.length; i++) {
    current += (current ? "\n" : "") + texts[i];
    if (current.length >= 2048 || i === texts.length - 1) {
      prompts.push(current);
      current = "";
    }
  }
  const throughput = (inputs: string[]) => {
    const bytes = inputs.reduce((n, t) => n + Buffer.byteLength(t), 0);
    const rounds = Math.max(1, Math.ceil((MEGABYTES * 1e6) / bytes));
    for (const t of inputs) scanner.scan(t); // warm up
    const latencies = new Float64Array(inputs.length * rounds);
    let k = 0;
    const start = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (const t of inputs) {
        const t0 = performance.now();
        scanner.scan(t);
        latencies[k++] = performance.now() - t0;
      }
    }
    const seconds = (performance.now() - start) / 1000;
    return { mb: (bytes * rounds) / 1e6, seconds, mbps: (bytes * rounds) / 1e6 / seconds, ...percentiles(latencies) };
  };
  const big = throughput(prompts);
  const small = throughput(texts);
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  console.log(`\n## speed (one core)`);
  table([
    ["", "MB scanned", "MB/s", "p50 per text", "p99 per text"],
    [`${prompts.length} prompts of ~2 KB`, big.mb.toFixed(1), big.mbps.toFixed(1), us(big.p50), us(big.p99)],
    [`${texts.length} short texts (avg ${Math.round(texts.join("").length / texts.length)} chars)`, small.mb.toFixed(1), small.mbps.toFixed(1), us(small.p50), us(small.p99)],
  ]);
  const mbps = big.mbps;
  const structured = ["CREDIT_CARD", "IBAN_CODE", "US_SSN", "EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS"];
  console.log("\ntargets: F1 ≥ 0.95 on each structured type; PII scanning ≥ 50 MB/s on one core");
  for (const type of structured) {
    const s = stats.get(type);
    if (!s || s.labelled === 0) continue;
    const precision = s.found ? s.correct / s.found : 1;
    const recall = s.recalled / s.labelled;
    const f1 = (2 * precision * recall) / (precision + recall || 1);
    console.log(`${type}: F1 ${f1.toFixed(3)} ${f1 >= 0.95 ? "met" : "MISSED"}`);
  }
  console.log(`throughput on 2 KB prompts: ${mbps.toFixed(1)} MB/s ${mbps >= 50 ? "met" : "MISSED"}`);
  console.log(`machine after: ${machine()}`);
}

main();
