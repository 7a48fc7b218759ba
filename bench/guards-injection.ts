/**
 * Prompt-injection and jailbreak detection quality and speed, on the public evaluation data in
 * ../shared/eval/injection-dev.jsonl (see its README): recall on attacks and false-positive rate
 * on benign rows at the shipped threshold, recall at 1% false positives (sweeping the score),
 * accuracy on harmless prompts full of trigger words, per kind and overall, and latency per text
 * and per 2 KB prompt.
 *
 * The eval's rows are chat prompts, a few KB at most. What users also paste is documents, so the
 * bench also scores benign documents the fit never sees (benignDocuments), as the guard scores
 * them — window by window — and prints how many are flagged.
 *
 * The feature weights (src/guards/injection/weights.ts) are fitted on one half of the file, split
 * by a hash of each row's text; the other half is held out and reported separately, so the
 * figures are not just the fit describing its own data.
 *
 *   node dist-bench/bench/guards-injection.js            quality and latency, whole file and held-out half
 *   node dist-bench/bench/guards-injection.js --fit      fit the weights on the fitting half and print weights.ts
 *   node dist-bench/bench/guards-injection.js --fit --write   … and write it
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { INJECTION_THRESHOLD, injectionFeatures, injectionWindows, scoreInjection, scoreWindows } from "../src/guards/injection/detector.js";
import { looksLikeDocument } from "../src/guards/injection/documents.js";
import { DECISIVE_WEIGHT, FEATURES, WEAK_WEIGHT } from "../src/guards/injection/features.js";
import { machine, percentiles, table } from "./support.js";

interface Row {
  text: string;
  label: "attack" | "benign";
  kind: string;
  source: string;
}

interface Scored extends Row {
  score: number;
  /** In the half the weights were fitted on. */
  fitting: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const evalFile = process.env.GATEHOUSE_EVAL_INJECTION ?? path.resolve(here, "../../../shared/eval/injection-dev.jsonl");
const weightsFile = path.resolve(here, "../../src/guards/injection/weights.ts");

/** FNV-1a over UTF-16 code units: a stable split that keeps duplicate texts on the same side. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}
const inFittingHalf = (text: string) => fnv1a(text) % 2 === 0;

const root = path.resolve(here, "../..");

/** Every file under dir (recursively) whose name passes, read as text (gzip'd ones unpacked), over 1 KB, each text once, in path order. */
function textsUnder(dir: string, named: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const seen = new Set<string>();
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => named(path.basename(f).toLowerCase()))
    .sort();
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path.join(dir, f));
      if (f.endsWith(".gz")) bytes = gunzipSync(bytes);
    } catch {
      continue; // a directory named like a file, a dangling link, a broken archive
    }
    const text = bytes.toString("utf8");
    if (text.length > 1024 && !text.includes("\u0000")) seen.add(text);
  }
  return [...seen];
}

/**
 * Benign documents, none of them seen by the fit: the installed dependencies' READMEs (the lockfile
 * pins them), this project's own docs (which discuss attacks at length), and where the machine has
 * them, the Debian packages' documentation (READMEs, NEWS, specifications, plain text mostly).
 */
function benignDocuments(): { name: string; texts: string[] }[] {
  return [
    { name: "dependencies' READMEs", texts: textsUnder(path.join(root, "node_modules"), (n) => n === "readme.md") },
    { name: "Gatehouse's docs", texts: [...textsUnder(path.join(root, "docs"), (n) => n.endsWith(".md")), readFileSync(path.join(root, "README.md"), "utf8")] },
    { name: "/usr/share/doc", texts: textsUnder("/usr/share/doc", (n) => /^(?:readme|news)|\.(?:md|txt|markdown)(?:\.gz)?$/.test(n)) },
  ].filter((set) => set.texts.length > 0);
}

function reportDocuments(sets: { name: string; texts: string[] }[]): void {
  console.log("\n## benign documents, scored window by window as the guard does (not used to fit the weights)");
  const out = [["documents", "count", "MB", "flagged @ threshold", "windows", "windows flagged"]];
  for (const { name, texts } of sets) {
    let flagged = 0;
    let windows = 0;
    let windowsFlagged = 0;
    for (const d of texts) {
      // As scoreWindows reads it: a document is flagged when one of its windows is.
      const inDocument = looksLikeDocument(d);
      const scores = injectionWindows(d).map(([start, end]) => scoreInjection(d.slice(start, end), inDocument).score);
      windows += scores.length;
      const hits = scores.filter((s) => s >= INJECTION_THRESHOLD).length;
      windowsFlagged += hits;
      if (hits > 0) flagged++;
    }
    const mb = texts.reduce((n, d) => n + d.length, 0) / 1e6;
    out.push([name, String(texts.length), mb.toFixed(1), `${flagged} (${((flagged / texts.length) * 100).toFixed(1)}%)`, String(windows), `${windowsFlagged} (${((windowsFlagged / windows) * 100).toFixed(2)}%)`]);
  }
  table(out);
}

/** Recall on attacks at the highest threshold whose false-positive rate on benign rows is ≤ fpr. */
function recallAtFpr(attacks: number[], benign: number[], fpr: number): { recall: number; threshold: number } {
  const sorted = [...benign].sort((a, b) => b - a);
  const allowed = Math.floor(benign.length * fpr);
  // Strictly above the (allowed+1)-th highest benign score.
  const threshold = sorted[allowed] ?? 0;
  const caught = attacks.filter((s) => s > threshold).length;
  return { recall: attacks.length ? caught / attacks.length : 0, threshold };
}

const rate = (xs: number[], pass: (s: number) => boolean) => (xs.length ? xs.filter(pass).length / xs.length : 0);

function report(title: string, scored: Scored[]): void {
  console.log(`\n## ${title} (${scored.length} rows)`);
  const allBenign = scored.filter((r) => r.label === "benign").map((r) => r.score);
  const out = [["kind", "rows", "attacks caught @ threshold", "benign flagged @ threshold", "recall @ 1% FPR (all benign)"]];
  const kinds = [...new Set(scored.map((r) => r.kind))];
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
  console.log(`recall at 1% FPR: ${at1.recall.toFixed(3)} (threshold ${at1.threshold.toFixed(3)}) ${at1.recall >= 0.9 ? "met" : "MISSED"}`);
  console.log(`recall at the shipped threshold: ${rate(attacks, (s) => s >= INJECTION_THRESHOLD).toFixed(3)}, false-positive rate ${rate(allBenign, (s) => s >= INJECTION_THRESHOLD).toFixed(3)}`);
  console.log(`benign_trigger accuracy: ${triggerAccuracy.toFixed(3)} ${triggerAccuracy >= 0.95 ? "met" : "MISSED"}`);
}

/**
 * Per-text latency over the rows, and over 2 KB prompts cut from them (the budget is for a
 * 2 KB prompt). Wall-clock time, and the process's CPU time per call, which a busy machine (other
 * processes taking turns on the cores) inflates far less.
 */
function latency(rows: Row[]): void {
  const corpus = rows.map((r) => r.text).join("\n");
  const prompts: string[] = [];
  for (let at = 0; at + 2048 <= corpus.length && prompts.length < 500; at += Math.floor(corpus.length / 500)) prompts.push(corpus.slice(at, at + 2048));
  const measure = (texts: string[]) => {
    for (const t of texts) scoreInjection(t); // warm-up: JIT and regex compilation
    const wall = new Float64Array(texts.length);
    const cpu = new Float64Array(texts.length);
    texts.forEach((t, i) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      scoreInjection(t);
      wall[i] = performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpu[i] = (c.user + c.system) / 1000;
    });
    return { wall: percentiles(wall), cpu: percentiles(cpu) };
  };
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  const avg = Math.round(rows.reduce((n, r) => n + r.text.length, 0) / rows.length);
  const line = (label: string, m: ReturnType<typeof measure>) =>
    console.log(`${label}: wall p50 ${us(m.wall.p50)}, p99 ${us(m.wall.p99)}, max ${us(m.wall.max)}; cpu p50 ${us(m.cpu.p50)}, p99 ${us(m.cpu.p99)}, max ${us(m.cpu.max)}`);
  console.log("");
  line(`latency per text (${rows.length} rows, avg ${avg} chars)`, measure(rows.map((r) => r.text)));
  line(`latency per 2 KB prompt (${prompts.length} prompts)`, measure(prompts));
}

// ── Fitting: L2-regularised logistic regression with sign constraints, on the fitting half only ──

interface Sample {
  x: Float64Array;
  y: number;
  weight: number;
}

/** Benign rows weigh more: the target is recall at a 1% false-positive rate, so false positives cost more. */
const BENIGN_WEIGHT = 2;

function fitLogistic(samples: Sample[], lambda: number, iterations = 4000): { bias: number; w: Float64Array } {
  const d = FEATURES.length;
  const w = Float64Array.from(FEATURES, (f) => (f.strength === "decisive" ? DECISIVE_WEIGHT : 0));
  let bias = 0;
  // Adam, with each weight projected back onto the sign its feature declares.
  const m = new Float64Array(d + 1);
  const v = new Float64Array(d + 1);
  const lr = 0.05;
  const totalWeight = samples.reduce((n, s) => n + s.weight, 0);
  for (let t = 1; t <= iterations; t++) {
    const g = new Float64Array(d + 1);
    for (const s of samples) {
      let z = bias;
      for (let j = 0; j < d; j++) z += (w[j] as number) * (s.x[j] as number);
      const err = (1 / (1 + Math.exp(-z)) - s.y) * s.weight;
      for (let j = 0; j < d; j++) g[j] = (g[j] as number) + err * (s.x[j] as number);
      g[d] = (g[d] as number) + err;
    }
    for (let j = 0; j <= d; j++) {
      const grad = (g[j] as number) / totalWeight + (j < d ? lambda * (w[j] as number) : 0);
      m[j] = 0.9 * (m[j] as number) + 0.1 * grad;
      v[j] = 0.999 * (v[j] as number) + 0.001 * grad * grad;
      const step = (lr * ((m[j] as number) / (1 - 0.9 ** t))) / (Math.sqrt((v[j] as number) / (1 - 0.999 ** t)) + 1e-8);
      if (j === d) bias -= step;
      else {
        let next = (w[j] as number) - step;
        const feature = FEATURES[j] as (typeof FEATURES)[number];
        if (feature.sign * next < 0) next = 0;
        if (feature.strength === "decisive" && next < DECISIVE_WEIGHT) next = DECISIVE_WEIGHT;
        if (feature.strength === "weak" && Math.abs(next) > WEAK_WEIGHT) next = Math.sign(next) * WEAK_WEIGHT;
        w[j] = next;
      }
    }
  }
  return { bias, w };
}

const predict = (model: { bias: number; w: Float64Array }, x: Float64Array) => {
  let z = model.bias;
  for (let j = 0; j < x.length; j++) z += (model.w[j] as number) * (x[j] as number);
  return 1 / (1 + Math.exp(-z));
};

function fit(rows: Row[], write: boolean): void {
  const samples = rows
    .filter((r) => inFittingHalf(r.text))
    .map((r) => ({ x: injectionFeatures(r.text), y: r.label === "attack" ? 1 : 0, weight: r.label === "attack" ? 1 : BENIGN_WEIGHT, fold: (fnv1a(r.text) >>> 1) % 5 }));
  console.log(`fitting on ${samples.length} rows (${samples.filter((s) => s.y === 1).length} attacks), ${FEATURES.length} features`);
  // λ by 5-fold cross-validation inside the fitting half: pooled out-of-fold recall at 1% FPR.
  let best = { lambda: 0, recall: -1, threshold: 0 };
  for (const lambda of [0.0003, 0.001, 0.003, 0.01, 0.03]) {
    const oof = new Float64Array(samples.length);
    for (let k = 0; k < 5; k++) {
      const model = fitLogistic(samples.filter((s) => s.fold !== k), lambda, 1500);
      samples.forEach((s, i) => {
        if (s.fold === k) oof[i] = predict(model, s.x);
      });
    }
    const attacks = samples.flatMap((s, i) => (s.y === 1 ? [oof[i] as number] : []));
    const benign = samples.flatMap((s, i) => (s.y === 0 ? [oof[i] as number] : []));
    const { recall, threshold } = recallAtFpr(attacks, benign, 0.01);
    console.log(`  λ ${lambda}: out-of-fold recall @ 1% FPR ${recall.toFixed(3)} (above ${threshold.toFixed(3)})`);
    if (recall > best.recall) best = { lambda, recall, threshold };
  }
  const model = fitLogistic(samples, best.lambda);
  const fitted = samples.map((s) => predict(model, s.x));
  const inSample = recallAtFpr(
    fitted.filter((_, i) => samples[i]?.y === 1),
    fitted.filter((_, i) => samples[i]?.y === 0),
    0.01,
  );
  console.log(`1% FPR threshold: out of fold ${best.threshold.toFixed(3)}, in the fitting half ${inSample.threshold.toFixed(3)} (INJECTION_THRESHOLD is ${INJECTION_THRESHOLD})`);
  const entries = FEATURES.map((f, j) => `  "${f.name}": ${(model.w[j] as number).toFixed(3)},`);
  const source = `/**
 * Weights for the features in features.ts (a logistic regression): score = σ(bias + Σ wᵢ·xᵢ).
 * Fitted by \`node dist-bench/bench/guards-injection.js --fit\` on the fitting half of the public
 * dev file only (rows split by a hash of their text; λ ${best.lambda} by 5-fold cross-validation
 * inside that half); regenerate after changing a feature. Feature weights, not texts.
 */
export const BIAS = ${model.bias.toFixed(3)};

export const WEIGHTS: Readonly<Record<string, number>> = {
${entries.join("\n")}
};
`;
  if (write) {
    writeFileSync(weightsFile, source);
    console.log(`wrote ${weightsFile}`);
  } else console.log(source);
}

function main(): void {
  const rows = readFileSync(evalFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
  if (process.argv.includes("--fit")) return fit(rows, process.argv.includes("--write"));

  console.log("# guards-injection: prompt-injection and jailbreak detection against ../shared/eval/injection-dev.jsonl");
  console.log(`machine: ${machine()}, shipped threshold ${INJECTION_THRESHOLD}`);
  const scored: Scored[] = rows.map((row) => ({ ...row, score: scoreWindows(row.text).score, fitting: inFittingHalf(row.text) }));
  report("whole file", scored);
  report("held-out half (not used to fit the weights)", scored.filter((r) => !r.fitting));
  reportDocuments(benignDocuments());
  latency(rows);
  console.log("\ntargets: recall ≥ 0.90 at ≤ 1% false positives; ≥ 0.95 accuracy on harmless prompts with trigger words");
  if (process.env.BENCH_VERBOSE) {
    const half = scored.filter((r) => r.fitting);
    console.log("\nmissed attacks (fitting half, sample):");
    for (const r of half.filter((r) => r.label === "attack" && r.score < INJECTION_THRESHOLD).slice(0, 60)) console.log(`  [${r.kind}] ${r.score.toFixed(2)} ${JSON.stringify(r.text.slice(0, 160))}`);
    console.log("\nflagged benign (fitting half):");
    for (const r of half.filter((r) => r.label === "benign" && r.score >= INJECTION_THRESHOLD).slice(0, 40)) console.log(`  [${r.kind}] ${r.score.toFixed(2)} ${JSON.stringify(r.text.slice(0, 160))}`);
  }
  console.log(`machine after: ${machine()}`);
}

main();
