/**
 * Verification speed of the audit log.
 *
 *   1. Builds a log of BENCH_ENTRIES entries on SQLite: events are bulk-inserted into the outbox and
 *      the real sequencer (AuditLog.flush) moves them into the Merkle log, with a signed checkpoint
 *      every BENCH_CHECKPOINT_EVERY entries, each cosigned by three cosignature/v1 witness keys.
 *   2. Full verification, in memory: SHA-256 leaf hash of every stored entry text, the tree
 *      (Frontier) over them, the root compared with the latest checkpoint and its signature checked.
 *   3. Full verification with the real offline verifier (verifyLogFile) on an exported file,
 *      with the log key and the three witness keys.
 *   4. One inclusion proof plus three cosignature/v1 signatures, verified: verifyInclusion +
 *      3 × verifySignature on a parsed note, and the whole offline check of a proof bundle.
 *
 * Bounded: fixed sizes and iteration counts. Local SQLite only.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { AuditLog } from "../src/audit/log/audit-log.js";
import { exportLogToFile } from "../src/audit/log/export.js";
import { Frontier, leafHash, verifyInclusion, type Hash } from "../src/audit/log/merkle.js";
import {
  formatNote,
  keyTypes,
  parseCheckpointText,
  parseNote,
  parseVerifierKey,
  signatureFor,
  signerFromSeed,
  verifySignature,
  type NoteSigner,
  type NoteVerifier,
} from "../src/audit/log/note.js";
import { proofBundle, verifyProofBundle, type ProofBundle } from "../src/audit/log/proof-bundle.js";
import { ephemeralLogSigner } from "../src/audit/log/signing-key.js";
import { verifyLogFile } from "../src/audit/log/verifier.js";
import { actionContext } from "../src/audit/recorder.js";
import { eventRow } from "../src/audit/recorder.js";
import { benchActor, fmtInt, freshSqlite, machine, sampleEvent, table } from "./support.js";

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 200_000);
const CHECKPOINT_EVERY = Number(process.env.BENCH_CHECKPOINT_EVERY ?? 10_000);
const RUNS = 3;
const PROOFS = 1_000;
const ITERATIONS = Number(process.env.BENCH_PROOF_ITERATIONS ?? 20_000);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Runs fn RUNS times and returns the median wall time in ms. */
async function timed(fn: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** µs per call of fn over `iterations` calls, after a warm-up; median of RUNS rounds. */
function perOp(iterations: number, fn: (i: number) => boolean): number {
  for (let i = 0; i < Math.min(iterations, 2_000); i++) if (!fn(i)) throw new Error("verification failed during warm-up");
  const rounds: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) if (!fn(i)) throw new Error(`verification failed at iteration ${i}`);
    rounds.push(((performance.now() - t0) * 1000) / iterations);
  }
  return median(rounds);
}

const cosignatureLine = (witness: NoteSigner, text: string): string => {
  const sig = signatureFor(witness, text);
  return `\u2014 ${sig.name} ${sig.blob.toString("base64")}`;
};

async function main(): Promise<void> {
  console.log("# audit-verify: verifying the Merkle audit log, its checkpoints and cosignatures");
  console.log(`machine: ${machine()}`);
  const bench = await freshSqlite();
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-export-"));
  try {
    const { db, dialect } = bench.store;
    const signer = ephemeralLogSigner("bench.gatehouse.example/log");
    const log = new AuditLog(db, dialect, signer);
    const witnesses = [1, 2, 3].map((k) => signerFromSeed(`witness-${k}.example`, randomBytes(32), keyTypes.cosignatureV1));
    const logKey: NoteVerifier = parseVerifierKey(signer.text);
    const witnessKeys: NoteVerifier[] = witnesses.map((w) => parseVerifierKey(w.text));

    // 1. Build the log through the real sequencer, a checkpoint (cosigned by three witnesses) every CHECKPOINT_EVERY entries.
    console.log(`\nbuilding a log of ${fmtInt(ENTRIES)} entries, a checkpoint every ${fmtInt(CHECKPOINT_EVERY)}…`);
    const ctx = actionContext(benchActor, randomUUID());
    let sequencing = 0;
    for (let done = 0; done < ENTRIES; ) {
      const n = Math.min(CHECKPOINT_EVERY, ENTRIES - done);
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < n; i += 500) {
          const rows = Array.from({ length: Math.min(500, n - i) }, (_, j) => eventRow(ctx, sampleEvent(done + i + j), Date.now()));
          await trx.insertInto("events").values(rows).execute();
        }
      });
      const t0 = performance.now();
      await log.flush();
      sequencing += performance.now() - t0;
      done += n;
      const checkpoint = await log.latestCheckpoint();
      if (checkpoint?.size !== done) throw new Error(`checkpoint covers ${checkpoint?.size}, expected ${done}`);
      const text = parseNote(checkpoint.note).text;
      await db
        .insertInto("log_cosignatures")
        .values(witnesses.map((w) => ({ size: checkpoint.size, witness: w.name, signature: cosignatureLine(w, text), created_at: Date.now() })))
        .execute();
    }
    const latest = await log.latestCheckpoint();
    if (!latest) throw new Error("no checkpoint");
    const note = parseNote(await log.cosignedNote(latest));
    const checkpoint = parseCheckpointText(note.text);
    console.log(`sequencer: ${fmtInt(ENTRIES)} entries in ${sequencing.toFixed(0)} ms (${fmtInt((ENTRIES / sequencing) * 1000)} entries/s)`);

    // 2. Full verification in memory: every leaf hash and the tree, against the signed checkpoint.
    let texts: string[] = [];
    const readMs = await timed(async () => {
      const rows = await db.selectFrom("log_entries").select(["seq", "entry"]).orderBy("seq").execute();
      texts = rows.map((r) => r.entry);
    });
    if (texts.length !== ENTRIES) throw new Error(`read ${texts.length} entries`);
    const buffers = texts.map((t) => Buffer.from(t, "utf8"));
    const bytes = buffers.reduce((sum, b) => sum + b.length, 0);
    const treeMs = await timed(() => {
      const frontier = new Frontier();
      for (const b of buffers) frontier.append(leafHash(b));
      if (!frontier.root().equals(checkpoint.root) || !verifySignature(note, logKey).ok) throw new Error("root or signature does not verify");
    });
    const fullMs = await timed(() => {
      const frontier = new Frontier();
      let lastAt = 0;
      for (let i = 0; i < texts.length; i++) {
        const text = texts[i] as string;
        const entry = JSON.parse(text) as { seq: number; at: number };
        if (entry.seq !== i || entry.at < lastAt) throw new Error(`entry ${i} out of order`);
        lastAt = entry.at;
        frontier.append(leafHash(Buffer.from(text, "utf8")));
      }
      if (!frontier.root().equals(checkpoint.root) || !verifySignature(note, logKey).ok) throw new Error("root or signature does not verify");
    });

    // 3. The real offline verifier on an exported file.
    const file = path.join(dir, "log.jsonl");
    const exportMs = await timed(() => exportLogToFile(db, log, file));
    const fileBytes = statSync(file).size;
    let verified = 0;
    const verifierMs = await timed(async () => {
      const result = await verifyLogFile(file, { key: logKey, witnesses: witnessKeys });
      if (!result.ok || result.entries !== ENTRIES || result.witnessedSize !== ENTRIES) {
        throw new Error(`verifier: ${JSON.stringify({ ok: result.ok, entries: result.entries, witnessed: result.witnessedSize, divergence: result.divergence })}`);
      }
      verified = result.checkpoints;
    });

    console.log(`\n## full verification of ${fmtInt(ENTRIES)} entries (${(bytes / 1e6).toFixed(1)} MB of entry text), median of ${RUNS}`);
    const rate = (ms: number) => `${fmtInt((ENTRIES / ms) * 1000)} entries/s`;
    table([
      ["", "time", "rate"],
      ["read entries from SQLite", `${readMs.toFixed(0)} ms`, rate(readMs)],
      ["leaf hashes + tree + root + signature (in memory)", `${treeMs.toFixed(0)} ms`, rate(treeMs)],
      ["  … + parse each entry, check seq and time order", `${fullMs.toFixed(0)} ms`, rate(fullMs)],
      ["export to file (exportLogToFile)", `${exportMs.toFixed(0)} ms`, rate(exportMs)],
      [
        `verifyLogFile (${(fileBytes / 1e6).toFixed(1)} MB, ${verified} checkpoints × 1 + 3 signatures)`,
        `${verifierMs.toFixed(0)} ms`,
        `${rate(verifierMs)}, ${((fileBytes / 1e6 / verifierMs) * 1000).toFixed(0)} MB/s`,
      ],
    ]);

    // 4. One inclusion proof + three cosignatures.
    const picks = Array.from({ length: PROOFS }, () => Math.floor(Math.random() * checkpoint.size));
    const t0 = performance.now();
    const proofs: { seq: number; leaf: Hash; proof: Hash[] }[] = [];
    for (const seq of picks) {
      const entry = await log.entry(seq);
      if (!entry) throw new Error(`no entry ${seq}`);
      proofs.push({ seq, leaf: Buffer.from(entry.leafHash, "hex"), proof: await log.inclusionProof(seq, checkpoint.size) });
    }
    const proofServeUs = ((performance.now() - t0) * 1000) / PROOFS;
    const bundles: ProofBundle[] = [];
    for (const seq of picks.slice(0, 100)) bundles.push(await proofBundle(log, seq));
    const bundleJson = bundles.map((b) => JSON.stringify(b));

    const pick = (i: number) => proofs[i % PROOFS] as (typeof proofs)[number];
    const inclusionUs = perOp(ITERATIONS, (i) => {
      const p = pick(i);
      return verifyInclusion(p.seq, checkpoint.size, p.leaf, p.proof, checkpoint.root);
    });
    const cosigUs = perOp(ITERATIONS / 4, (i) => verifySignature(note, witnessKeys[i % 3] as NoteVerifier).ok);
    const combinedUs = perOp(ITERATIONS / 4, (i) => {
      const p = pick(i);
      return (
        verifyInclusion(p.seq, checkpoint.size, p.leaf, p.proof, checkpoint.root) &&
        witnessKeys.every((w) => verifySignature(note, w).ok)
      );
    });
    const bundleUs = perOp(ITERATIONS / 4, (i) => {
      const check = verifyProofBundle(JSON.parse(bundleJson[i % bundleJson.length] as string), { log: logKey, witnesses: witnessKeys, threshold: 3 });
      return check.ok && check.cosignatures === 3;
    });

    const note4 = formatNote(note).length;
    console.log(`\n## one inclusion proof (tree of ${fmtInt(checkpoint.size)}, ${pick(0).proof.length} hashes) + three cosignature/v1 signatures`);
    table([
      ["", "µs per operation"],
      ["verifyInclusion", inclusionUs.toFixed(1)],
      ["verifySignature (one cosignature/v1)", cosigUs.toFixed(1)],
      ["verifyInclusion + 3 × verifySignature", combinedUs.toFixed(1)],
      [`verifyProofBundle (JSON, ${note4}-byte note: log signature + 3 cosignatures + leaf hash + proof)`, bundleUs.toFixed(1)],
      ["serving a proof from SQLite (AuditLog.inclusionProof + entry)", proofServeUs.toFixed(1)],
    ]);

    console.log("\ntargets: full verification ≥ 100,000 entries/s; inclusion proof + 3 cosignatures ≤ 1 ms");
    const verdict = (pass: boolean) => (pass ? "met" : "MISSED");
    const verifierRate = (ENTRIES / verifierMs) * 1000;
    console.log(`full verification (verifyLogFile): ${verdict(verifierRate >= 100_000)} (${fmtInt(verifierRate)} entries/s)`);
    console.log(`inclusion proof + 3 cosignatures: ${verdict(combinedUs <= 1000)} (${combinedUs.toFixed(1)} µs)`);
    console.log(`machine after: ${machine()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await bench.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
