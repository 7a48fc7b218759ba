/**
 * What the output guards cost a stream: a long answer streamed in token-sized pieces (4
 * characters on average, as an upstream sends them) through the content guard's hold-back
 * (personal data and secrets, 20 restricted terms, toxicity), per piece and per megabyte, and
 * how far the caller's text trails the upstream's. The answer is ordinary prose with a few
 * redactions, so every piece takes the full path.
 */
import { performance } from "node:perf_hooks";
import { Placeholders } from "../src/guards/placeholders.js";
import type { Detection } from "../src/guards/output/detection.js";
import { DEFAULT_HOLD_BACK, HeldText } from "../src/guards/output/held-text.js";
import { PiiLeakDetector } from "../src/guards/output/pii-leaks.js";
import { RestrictedTermDetector } from "../src/guards/output/restricted-terms.js";
import { ToxicityDetector } from "../src/guards/output/toxicity.js";
import { fmtInt, machine, percentiles } from "./support.js";

const STREAMS = Number(process.env.BENCH_OUTPUT_STREAMS ?? 200);

const paragraph =
  "Thanks for the question. The quarterly numbers were reviewed on Tuesday and the roadmap stays as planned; " +
  "contact the account team at accounts@example.com for the invoice, and note that the 2024 figures were restated. " +
  "If you need to kill the stuck job, run kill -9 with its pid and I'll shoot you an email once it restarts. ";

function main(): void {
  console.log("# guards-output: the content guard on a stream, piece by piece");
  console.log(`machine: ${machine()}`);
  const terms = new RestrictedTermDetector(
    Array.from({ length: 20 }, (_, i) => ({ text: `Codename Number${i}`, type: "RESTRICTED_TERM" as const, guard: "restricted-terms", detail: `term ${i + 1}`, action: "block" as const })),
  );
  const detectors = [new PiiLeakDetector({ pii: "redact", secrets: "block" }), terms, new ToxicityDetector("block")];
  const text = paragraph.repeat(20);
  const pieces: string[] = [];
  for (let at = 0, i = 0; at < text.length; i++) {
    const size = 2 + (i % 5);
    pieces.push(text.slice(at, at + size));
    at += size;
  }
  const judge = { note: (_d: Detection) => undefined, refuse: (d: Detection): never => { throw new Error(d.type); } };
  // Warm-up: the recognizers' first use loads their data (phone number metadata) and compiles their patterns.
  for (let i = 0; i < 3; i++) {
    const held = new HeldText(detectors, DEFAULT_HOLD_BACK, judge, new Placeholders());
    for (const piece of pieces) held.push(piece);
    held.flush();
  }
  const perPiece = new Float64Array(STREAMS * pieces.length);
  let lagSum = 0;
  let lagMax = 0;
  let n = 0;
  const start = performance.now();
  for (let s = 0; s < STREAMS; s++) {
    const held = new HeldText(detectors, DEFAULT_HOLD_BACK, judge, new Placeholders());
    let arrived = 0;
    let sent = 0;
    for (const piece of pieces) {
      const t0 = performance.now();
      const out = held.push(piece);
      perPiece[n++] = performance.now() - t0;
      arrived += piece.length;
      sent += out.length;
      const lag = arrived - sent;
      lagSum += lag;
      lagMax = Math.max(lagMax, lag);
    }
    held.flush();
  }
  const seconds = (performance.now() - start) / 1000;
  const { p50, p99, max } = percentiles(perPiece);
  const megabytes = (STREAMS * text.length) / 1e6;
  console.log(`${fmtInt(STREAMS)} streams of ${fmtInt(text.length)} characters in ${fmtInt(pieces.length)} pieces (hold-back ${DEFAULT_HOLD_BACK})`);
  console.log(`per piece: p50 ${(p50 * 1000).toFixed(1)} µs, p99 ${(p99 * 1000).toFixed(1)} µs, max ${(max * 1000).toFixed(1)} µs`);
  console.log(`throughput: ${(megabytes / seconds).toFixed(2)} MB/s of streamed text, ${fmtInt(n / seconds)} pieces/s on one core`);
  console.log(`caller's text behind the upstream's: mean ${(lagSum / n).toFixed(1)} characters (redactions count as placeholders), max ${lagMax}`);
  console.log(`machine after: ${machine()}`);
}

main();
