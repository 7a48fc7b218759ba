import type { Db } from "../../store/database.js";
import { parseJson } from "../../shared/json.js";
import type { LogEntry } from "./entry.js";
import { leafHash, verifyInclusion, type Hash } from "./merkle.js";
import type { AuditLog, StoredCheckpoint } from "./audit-log.js";

export interface AuditQuery {
  actor?: string;
  task?: string;
  action?: string;
  /** Milliseconds since the epoch, inclusive. */
  from?: number;
  /** Milliseconds since the epoch, exclusive. */
  to?: number;
  afterSeq?: number;
  limit?: number;
}

/** One tenant's log entries matching a query, oldest first, a page at a time. */
export async function searchLog(db: Db, tenantId: string, q: AuditQuery): Promise<LogEntry[]> {
  let query = db.selectFrom("log_entries").select("entry").where("tenant_id", "=", tenantId).where("seq", ">", q.afterSeq ?? -1);
  if (q.actor) query = query.where("actor_id", "=", q.actor);
  if (q.task) query = query.where("task_id", "=", q.task);
  if (q.action) query = query.where("action", "=", q.action);
  if (q.from !== undefined) query = query.where("at", ">=", q.from);
  if (q.to !== undefined) query = query.where("at", "<", q.to);
  const rows = await query.orderBy("seq").limit(Math.min(q.limit ?? 100, 1000)).execute();
  return rows.map((r) => parseJson<LogEntry>(r.entry));
}

export interface VerifiedEntry {
  entry: LogEntry;
  proof: string[];
}

export interface Replay {
  task: string;
  checkpoint: StoredCheckpoint;
  entries: VerifiedEntry[];
}

/**
 * Rebuilds the ordered timeline of one task from log entries, each checked against the latest
 * checkpoint with an inclusion proof before it is returned; an entry that fails the check
 * makes the whole replay fail rather than show an unverified history.
 */
export async function replayTask(db: Db, log: AuditLog, tenantId: string, task: string): Promise<Replay | undefined> {
  await log.sequencePending();
  await log.checkpoint(true);
  const checkpoint = await log.latestCheckpoint();
  if (!checkpoint) return undefined;
  const root = Buffer.from(checkpoint.root, "hex");
  const rows = await db
    .selectFrom("log_entries")
    .select(["seq", "entry"])
    .where("tenant_id", "=", tenantId)
    .where("task_id", "=", task)
    .where("seq", "<", checkpoint.size)
    .orderBy("seq")
    .limit(10_000)
    .execute();
  if (rows.length === 0) return undefined;
  const entries: VerifiedEntry[] = [];
  for (const row of rows) {
    const proof = await log.inclusionProof(row.seq, checkpoint.size);
    const leaf: Hash = leafHash(Buffer.from(row.entry, "utf8"));
    if (!verifyInclusion(row.seq, checkpoint.size, leaf, proof, root)) {
      throw new Error(`log entry ${row.seq} does not verify against checkpoint ${checkpoint.size}`);
    }
    entries.push({ entry: parseJson<LogEntry>(row.entry), proof: proof.map((h) => h.toString("base64")) });
  }
  return { task, checkpoint, entries };
}
