/**
 * Prompt-injection and jailbreak detection quality and speed, on the public evaluation data in
 * ../shared/eval/injection-dev.jsonl (see its README): recall on attacks and false-positive rate
 * on benign rows at the shipped threshold, recall at 1% false positives (sweeping the score),
 * accuracy on harmless prompts full of trigger words, per kind and overall, and latency per text.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { INJECTION_THRESHOLD, scoreInjection } from "../src/guards/injection/detector.js";
import { machine, percentiles, table } from "./support.js";

interface Row {
  text: string;
  label: "attack" | "benign";
  kind: string;
  source: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const evalFile = process.env.GATEHOUSE_EVAL_INJECTION ?? path.resolve(here, "../../../shared/eval/injection-dev.jsonl");

/** Recall on attacks at the highest threshold whose false-positive rate on benign rows is ≤ fpr. */
function recallAtFpr(attacks: number[], benign: number[], fpr: number): { recall: number; threshold: number } {
  const sorted = [...benign].sort((a, b) => b - a);
  const allowed = Math.floor(benign.length * fpr);
  // Strictly above the (allowed+1)-th highest benign score.
  const threshold = sorted[allowed] ?? 0;
  const caught = attacks.filter((s) => s > threshold).length;
  return { recall: attacks.length ? caught / attacks.length : 0, threshold };
}

function main(): void {
  console.log("# guards-injection: prompt-injection and jailbreak detection against ../shared/eval/injection-dev.jsonl");
  console.log(`machine: ${machine()}, shipped threshold ${INJECTION_THRESHOLD}`);
  const rows = readFileSync(evalFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
  const latencies = new Float64Array(rows.length);
  const scored = rows.map((row, i) => {
    const t0 = performance.now();
    const { score } = scoreInjection(row.text);
    latencies[i] = performance.now() - t0;
    return { ...row, score };
  });
  const allBenign = scored.filter((r) => r.label === "benign").map((r) => r.score);
  const rate = (xs: number[], pass: (s: number) => boolean) => (xs.length ? xs.filter(pass).length / xs.length : 0);
  const out = [["kind", "rows", "attacks caught @ threshold", "benign flagged @ threshold", "recall @ 1% FPR (all benign)"]];
  const kinds = [...new Set(rows.map((r) => r.kind))];
  for (const kind of [...kinds, "all"]) {
    const of = scored.filter((r) => kind === "all" || r.kind === kind);
    const attacks = of.filter((r) => r.label === "attack").map((r) => r.score);
    const benign = of.filter((r) => r.label === "benign").map((r) => r.score);
    out.push([
      kind,
      String(of.length),
      attacks.length ? rate(attacks, (s) => s >= INJECTION_THRESHOLD).toFixed(3) : "–",
      benign.length ? rate(benign, (s) => s >= INJECTION_THRESHOLD).toFixed(3) : "–",
      attacks.length ? recallAtFpr(attacks, allBenign, 0.01).recall.toFixed(3) : "–",
    ]);
  }
  table(out);
  const attacks = scored.filter((r) => r.label === "attack").map((r) => r.score);
  const at1 = recallAtFpr(attacks, allBenign, 0.01);
  const triggers = scored.filter((r) => r.kind === "benign_trigger");
  const triggerAccuracy = rate(triggers.map((r) => r.score), (s) => s < INJECTION_THRESHOLD);
  const { p50, p99 } = percentiles(latencies);
  console.log(`\nlatency per text: p50 ${(p50 * 1000).toFixed(1)} µs, p99 ${(p99 * 1000).toFixed(1)} µs (avg ${Math.round(rows.reduce((n, r) => n + r.text.length, 0) / rows.length)} chars)`);
  console.log("\ntargets: recall ≥ 0.90 at ≤ 1% false positives; ≥ 0.95 accuracy on harmless prompts with trigger words");
  console.log(`recall at 1% FPR: ${at1.recall.toFixed(3)} (threshold ${at1.threshold.toFixed(3)}) ${at1.recall >= 0.9 ? "met" : "MISSED"}`);
  console.log(`recall at the shipped threshold: ${rate(attacks, (s) => s >= INJECTION_THRESHOLD).toFixed(3)}, false-positive rate ${rate(allBenign, (s) => s >= INJECTION_THRESHOLD).toFixed(3)}`);
  console.log(`benign_trigger accuracy: ${triggerAccuracy.toFixed(3)} ${triggerAccuracy >= 0.95 ? "met" : "MISSED"}`);
  if (process.env.BENCH_VERBOSE) {
    console.log("\nmissed attacks (sample):");
    for (const r of scored.filter((r) => r.label === "attack" && r.score < INJECTION_THRESHOLD).slice(0, 40)) console.log(`  [${r.kind}] ${JSON.stringify(r.text.slice(0, 160))}`);
    console.log("\nflagged benign:");
    for (const r of scored.filter((r) => r.label === "benign" && r.score >= INJECTION_THRESHOLD).slice(0, 40)) console.log(`  [${r.kind}] ${r.score.toFixed(2)} ${JSON.stringify(r.text.slice(0, 160))}`);
  }
  console.log(`machine after: ${machine()}`);
}

main();
