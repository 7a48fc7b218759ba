import { z } from "zod";
import type { AuditLog, StoredCheckpoint } from "./audit-log.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import type { NoteVerifier } from "./note.js";
import { checkCheckpointNote } from "./signed-checkpoint.js";

/**
 * One entry with everything needed to check, offline, that it is in the log: the entry text,
 * its leaf index, a checkpoint note (with its cosignatures) and the inclusion proof (base64).
 * GET /admin/v1/audit/entries/:seq/proof answers the same shape (without "index").
 */
export interface ProofBundle {
  seq: number;
  index: number;
  entry: string;
  leafHash: string;
  checkpoint: string;
  proof: string[];
}

/** The proof of entry `seq` against a checkpoint (by default the latest); the caller flushes the log first. */
export async function proofBundle(log: AuditLog, seq: number, against?: StoredCheckpoint): Promise<ProofBundle> {
  const checkpoint = against ?? (await log.latestCheckpoint());
  const entry = await log.entry(seq);
  if (!checkpoint || !entry || seq >= checkpoint.size) {
    throw new RangeError(`entry ${seq} is not in the log (the checkpoint covers ${checkpoint?.size ?? 0} entries)`);
  }
  const proof = await log.inclusionProof(seq, checkpoint.size);
  return {
    seq,
    index: seq,
    entry: entry.text,
    leafHash: entry.leafHash,
    checkpoint: await log.cosignedNote(checkpoint),
    proof: proof.map((h) => h.toString("base64")),
  };
}

const bundleSchema = z.object({
  seq: z.number().int().min(0),
  index: z.number().int().min(0).optional(),
  entry: z.string(),
  checkpoint: z.string(),
  proof: z.array(z.string().regex(/^[A-Za-z0-9+/]{43}=$/, "must be a base64 SHA-256 hash")),
});

export type ProofCheck =
  | { ok: true; index: number; size: number; root: string; cosignatures: number }
  | { ok: false; problem: string };

export function verifyProofBundle(
  bundle: unknown,
  keys: { log: NoteVerifier; witnesses?: NoteVerifier[]; threshold?: number },
): ProofCheck {
  const parsed = bundleSchema.safeParse(bundle);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `not a proof: ${issue?.path.join(".") || "document"}: ${issue?.message}` };
  }
  const { entry, proof } = parsed.data;
  const index = parsed.data.index ?? parsed.data.seq;
  const witnesses = keys.witnesses ?? [];
  const threshold = keys.threshold ?? witnesses.length;
  const check = checkCheckpointNote(parsed.data.checkpoint, keys.log, witnesses);
  if (!check.ok) return { ok: false, problem: `checkpoint: ${check.problem}` };
  const { size, root } = check.checkpoint;
  if (check.cosignatures < threshold) {
    return { ok: false, problem: `checkpoint ${size}: ${check.cosignatures} valid witness cosignatures, ${threshold} required` };
  }
  if (index >= size) return { ok: false, problem: `entry ${index} is beyond checkpoint ${size}` };
  const seqField = entrySeq(entry);
  if (seqField !== index) return { ok: false, problem: `entry ${index}: seq field says ${seqField ?? "nothing"}` };
  const hashes = proof.map((h) => Buffer.from(h, "base64"));
  if (!verifyInclusion(index, size, leafHash(Buffer.from(entry, "utf8")), hashes, root)) {
    return { ok: false, problem: `entry ${index}: the inclusion proof does not lead to checkpoint ${size}'s root` };
  }
  return { ok: true, index, size, root: root.toString("base64"), cosignatures: check.cosignatures };
}

function entrySeq(text: string): unknown {
  try {
    return (JSON.parse(text) as { seq?: unknown } | null)?.seq;
  } catch {
    return undefined;
  }
}
