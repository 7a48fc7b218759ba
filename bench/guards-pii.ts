/**
 * PII scanning quality and speed, on the public evaluation data in ../shared/eval/pii-dev.jsonl
 * (see its README): span-level precision, recall and F1 per entity type at the minimum score the
 * product ships with (a found span is a hit when its type matches a labelled span it overlaps),
 * the names and addresses also per half of the file, then scanning throughput on one core over
 * prompts of about 2 KB made of the same texts, and per-text latency.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Finding } from "../src/guards/finding.js";
import { defaultMinScore } from "../src/guards/guard-policy.js";
import { defaultRecognizers, PiiScanner } from "../src/guards/pii/pii-scanner.js";
import { TextIndex } from "../src/guards/pii/text-index.js";
import { fmtInt, machine, percentiles, table } from "./support.js";

interface Row {
  text: string;
  spans: { start: number; end: number; type: string }[];
}

const MEGABYTES = Number(process.env.BENCH_PII_MB ?? 20);
const here = path.dirname(fileURLToPath(import.meta.url));
const evalFile = process.env.GATEHOUSE_EVAL_PII ?? path.resolve(here, "../../../shared/eval/pii-dev.jsonl");
/** Ordinary prompts, for a second throughput figure: the harmless rows of the injection evaluation file. */
const ordinaryFile = process.env.GATEHOUSE_EVAL_INJECTION ?? path.resolve(here, "../../../shared/eval/injection-dev.jsonl");

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;

interface Stat {
  found: number;
  correct: number;
  labelled: number;
  recalled: number;
}

const scores = (s: Stat) => {
  const precision = s.found ? s.correct / s.found : 1;
  const recall = s.labelled ? s.recalled / s.labelled : 1;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
};

function quality(scanner: PiiScanner, rows: Row[], verbose: { misses: string[]; falseAlarms: string[] }): Map<string, Stat> {
  const stats = new Map(scanner.types.map((t) => [t, { found: 0, correct: 0, labelled: 0, recalled: 0 }]));
  for (const row of rows) {
    const found: Finding[] = scanner.scan(row.text).filter((f) => f.score >= defaultMinScore);
    for (const f of found) {
      const s = stats.get(f.type);
      if (!s) continue;
      s.found++;
      if (row.spans.some((l) => l.type === f.type && overlaps(l, f))) s.correct++;
      else verbose.falseAlarms.push(`${f.type}: ${JSON.stringify(row.text.slice(f.start, f.end))} in ${JSON.stringify(row.text.slice(0, 120))}`);
    }
    for (const l of row.spans) {
      const s = stats.get(l.type);
      if (!s) continue;
      s.labelled++;
      if (found.some((f) => f.type === l.type && overlaps(l, f))) s.recalled++;
      else verbose.misses.push(`${l.type}: ${JSON.stringify(row.text.slice(l.start, l.end))}`);
    }
  }
  return stats;
}

/**
 * MB/s on one core: this process's CPU time (user + system), the best of several rounds, so
 * that other work on a shared machine shows as little as it can; wall-clock MB/s beside it.
 */
function throughput(scan: (text: string) => unknown, inputs: string[]) {
  const bytes = inputs.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const rounds = Math.max(1, Math.ceil((MEGABYTES * 1e6) / bytes / 5));
  for (const t of inputs) scan(t); // warm up
  const latencies = new Float64Array(inputs.length * rounds * 5);
  let k = 0;
  let bestCpu = Infinity;
  let bestWall = Infinity;
  for (let repeat = 0; repeat < 5; repeat++) {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (const t of inputs) {
        const t0 = performance.now();
        scan(t);
        latencies[k++] = performance.now() - t0;
      }
    }
    const used = process.cpuUsage(cpu);
    bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6);
    bestWall = Math.min(bestWall, (performance.now() - wall) / 1000);
  }
  const mb = (bytes * rounds) / 1e6;
  return { mb: mb * 5, cpuMbps: mb / bestCpu, wallMbps: mb / bestWall, ...percentiles(latencies) };
}

/**
 * Prompts of about 2 KB made of the texts (what a guard sees per request). Each is a flat string,
 * as JSON.parse makes a request body's (a string built by += is a rope, slower to read).
 */
function promptsOf(texts: string[]): string[] {
  const prompts: string[] = [];
  for (let i = 0, current = ""; i < texts.length; i++) {
    current += (current ? "\n" : "") + texts[i];
    if (current.length >= 2048 || i === texts.length - 1) {
      prompts.push(JSON.parse(JSON.stringify(current)) as string);
      current = "";
    }
  }
  return prompts;
}

function main(): void {
  console.log("# guards-pii: PII recognizers against ../shared/eval/pii-dev.jsonl");
  console.log(`machine: ${machine()}`);
  const rows = readFileSync(evalFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
  const loading = performance.now();
  const scanner = new PiiScanner();
  console.log(`word lists loaded in ${(performance.now() - loading).toFixed(0)} ms (once per process, when the scanner is built)`);
  const verbose = { misses: [] as string[], falseAlarms: [] as string[] };
  const stats = quality(scanner, rows, verbose);
  const rowsOut = [["type", "labelled", "found", "precision", "recall", "F1"]];
  for (const [type, s] of stats) {
    const { precision, recall, f1 } = scores(s);
    rowsOut.push([type, String(s.labelled), String(s.found), precision.toFixed(3), s.labelled ? recall.toFixed(3) : "–", s.labelled ? f1.toFixed(3) : "–"]);
  }
  console.log(`\n## quality over ${fmtInt(rows.length)} texts, findings scored ≥ ${defaultMinScore} (the default minScore)`);
  table(rowsOut);
  // The name and address heuristics were developed looking at the first half only: the second is held out.
  const half = Math.floor(rows.length / 2);
  const first = quality(scanner, rows.slice(0, half), { misses: [], falseAlarms: [] });
  const second = quality(scanner, rows.slice(half), { misses: [], falseAlarms: [] });
  const halves = [["type", "half", "precision", "recall", "F1"]];
  for (const type of ["PERSON", "STREET_ADDRESS"]) {
    for (const [name, s] of [["1 (development)", first.get(type)], ["2 (held out)", second.get(type)]] as const) {
      if (!s) continue;
      const { precision, recall, f1 } = scores(s);
      halves.push([type, name, precision.toFixed(3), recall.toFixed(3), f1.toFixed(3)]);
    }
  }
  console.log(`\n## names and addresses per half of the file (rows 1–${half} and ${half + 1}–${rows.length})`);
  table(halves);
  if (process.env.BENCH_VERBOSE) {
    console.log("\nmissed:\n  " + verbose.misses.join("\n  "));
    console.log("\nfalse alarms:\n  " + verbose.falseAlarms.join("\n  "));
  }

  // Throughput: prompts of about 2 KB made of the texts and of ordinary prompts, and the short
  // texts one at a time (where the fixed cost per call dominates).
  const texts = rows.map((r) => r.text);
  const prompts = promptsOf(texts);
  const ordinary = promptsOf(
    readFileSync(ordinaryFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { text: string; label: string })
      .filter((r) => r.label === "benign")
      .map((r) => r.text),
  );
  const isNameOrAddress = (r: (typeof defaultRecognizers)[number]) => r.types.includes("PERSON") || r.types.includes("STREET_ADDRESS");
  const structured = new PiiScanner(defaultRecognizers.filter((r) => !isNameOrAddress(r)));
  const names = new PiiScanner(defaultRecognizers.filter((r) => r.types.includes("PERSON")));
  const addresses = new PiiScanner(defaultRecognizers.filter((r) => r.types.includes("STREET_ADDRESS")));
  const all = throughput((t) => scanner.scan(t), prompts);
  const checksummed = throughput((t) => structured.scan(t), prompts);
  // Where the time of the dense figure goes: each part alone, with the text index it reads.
  const indexed = throughput((t) => {
    const index = new TextIndex(t);
    return [index.runs, index.capitalised];
  }, prompts);
  const named = throughput((t) => names.scan(t), prompts);
  const addressed = throughput((t) => addresses.scan(t), prompts);
  const small = throughput((t) => scanner.scan(t), texts);
  const plain = throughput((t) => scanner.scan(t), ordinary);
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  console.log(`\n## speed (one core: CPU time, best of 5 rounds; wall clock beside it)`);
  table([
    ["", "MB scanned", "MB/s (CPU)", "MB/s (wall)", "p50 per text", "p99 per text"],
    [`${prompts.length} prompts of ~2 KB, every recognizer`, all.mb.toFixed(1), all.cpuMbps.toFixed(1), all.wallMbps.toFixed(1), us(all.p50), us(all.p99)],
    [`  the same, without PERSON and STREET_ADDRESS`, checksummed.mb.toFixed(1), checksummed.cpuMbps.toFixed(1), checksummed.wallMbps.toFixed(1), us(checksummed.p50), us(checksummed.p99)],
    [`  the text index alone (number runs, capitalised words)`, indexed.mb.toFixed(1), indexed.cpuMbps.toFixed(1), indexed.wallMbps.toFixed(1), us(indexed.p50), us(indexed.p99)],
    [`  PERSON alone, with the index`, named.mb.toFixed(1), named.cpuMbps.toFixed(1), named.wallMbps.toFixed(1), us(named.p50), us(named.p99)],
    [`  STREET_ADDRESS alone, with the index`, addressed.mb.toFixed(1), addressed.cpuMbps.toFixed(1), addressed.wallMbps.toFixed(1), us(addressed.p50), us(addressed.p99)],
    [`${ordinary.length} ordinary prompts of ~2 KB (harmless rows of injection-dev)`, plain.mb.toFixed(1), plain.cpuMbps.toFixed(1), plain.wallMbps.toFixed(1), us(plain.p50), us(plain.p99)],
    [`${texts.length} short texts (avg ${Math.round(texts.join("").length / texts.length)} chars)`, small.mb.toFixed(1), small.cpuMbps.toFixed(1), small.wallMbps.toFixed(1), us(small.p50), us(small.p99)],
  ]);
  const structuredTypes = ["CREDIT_CARD", "IBAN_CODE", "US_SSN", "EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS"];
  console.log("\ntargets: F1 ≥ 0.95 on each structured type; PERSON above Presidio's published precision 0.57 and recall 0.65; PII scanning ≥ 50 MB/s on one core");
  for (const type of structuredTypes) {
    const s = stats.get(type);
    if (!s || s.labelled === 0) continue;
    const { f1 } = scores(s);
    console.log(`${type}: F1 ${f1.toFixed(3)} ${f1 >= 0.95 ? "met" : "MISSED"}`);
  }
  const person = stats.get("PERSON");
  if (person) {
    const { precision, recall } = scores(person);
    console.log(`PERSON: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} ${precision > 0.57 && recall > 0.65 ? "met" : "MISSED"}`);
  }
  console.log(`throughput on PII-dense 2 KB prompts, every recognizer: ${all.cpuMbps.toFixed(1)} MB/s ${all.cpuMbps >= 50 ? "met" : "MISSED"}`);
  console.log(`throughput on ordinary 2 KB prompts, every recognizer: ${plain.cpuMbps.toFixed(1)} MB/s ${plain.cpuMbps >= 50 ? "met" : "MISSED"}`);
  console.log(`machine after: ${machine()}`);
}

main();
