import { hash } from "node:crypto";
import type { Db, Executor } from "../../store/database.js";
import { parseJson } from "../../shared/json.js";
import { parsePayloadBody, type PayloadBody } from "../privacy/payload-body.js";
import type { PersonalData } from "../privacy/personal-data.js";
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

/**
 * What a reader of the log sees: the entry with its payload body opened. A body that retention
 * forgot is "pruned" (payload empty); one whose personal data can no longer be opened because
 * its data subject was erased is "erased" (payload without the personal fields).
 */
export interface AuditEvent extends Omit<LogEntry, "payloadHash"> {
  payload: Record<string, unknown>;
  payloadState: "present" | "pruned" | "erased";
}

/** Opens stored entries and their payload bodies, personal data included while its key exists. */
export async function readEvents(executor: Executor, personal: PersonalData, rows: { entry: string; payload: string | null }[]): Promise<AuditEvent[]> {
  const parsed = rows.map((row) => ({ entry: parseJson<LogEntry>(row.entry), body: row.payload === null ? undefined : parsePayloadBody(row.payload) }));
  const sealed = parsed.filter((p): p is { entry: LogEntry; body: Required<PayloadBody> } => p.body?.personal !== undefined && p.entry.tenant !== null);
  const opened = await personal.open(
    executor,
    sealed.map((p) => ({ tenantId: p.entry.tenant as string, personal: p.body.personal })),
  );
  const openedOf = new Map(sealed.map((p, i) => [p.entry.seq, opened[i]]));
  return parsed.map(({ entry, body }) => {
    const { payloadHash: _hash, ...rest } = entry;
    if (!body) return { ...rest, payload: {}, payloadState: "pruned" };
    if (!body.personal) return { ...rest, payload: body.data, payloadState: "present" };
    const personalData = openedOf.get(entry.seq);
    return personalData
      ? { ...rest, payload: { ...body.data, ...personalData }, payloadState: "present" }
      : { ...rest, payload: body.data, payloadState: "erased" };
  });
}

/** One tenant's log entries matching a query, oldest first, a page at a time. */
export async function searchLog(db: Db, personal: PersonalData, tenantId: string, q: AuditQuery): Promise<AuditEvent[]> {
  let query = db.selectFrom("log_entries").select(["entry", "payload"]).where("tenant_id", "=", tenantId).where("seq", ">", q.afterSeq ?? -1);
  if (q.actor) query = query.where("actor_id", "=", q.actor);
  if (q.task) query = query.where("task_id", "=", q.task);
  if (q.action) query = query.where("action", "=", q.action);
  if (q.from !== undefined) query = query.where("at", ">=", q.from);
  if (q.to !== undefined) query = query.where("at", "<", q.to);
  const rows = await query.orderBy("seq").limit(Math.min(q.limit ?? 100, 1000)).execute();
  return readEvents(db, personal, rows);
}

export interface VerifiedEntry {
  entry: AuditEvent;
  /** The entry's text exactly as hashed into the tree, and the payload body it commits to (null once pruned). */
  text: string;
  body: string | null;
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
export async function replayTask(db: Db, log: AuditLog, personal: PersonalData, tenantId: string, task: string): Promise<Replay | undefined> {
  await log.sequencePending();
  await log.checkpoint(true);
  const checkpoint = await log.latestCheckpoint();
  if (!checkpoint) return undefined;
  const root = Buffer.from(checkpoint.root, "hex");
  const rows = await db
    .selectFrom("log_entries")
    .select(["seq", "entry", "payload"])
    .where("tenant_id", "=", tenantId)
    .where("task_id", "=", task)
    .where("seq", "<", checkpoint.size)
    .orderBy("seq")
    .limit(10_000)
    .execute();
  if (rows.length === 0) return undefined;
  const proofs: string[][] = [];
  for (const row of rows) {
    const proof = await log.inclusionProof(row.seq, checkpoint.size);
    const leaf: Hash = leafHash(Buffer.from(row.entry, "utf8"));
    if (!verifyInclusion(row.seq, checkpoint.size, leaf, proof, root)) {
      throw new Error(`log entry ${row.seq} does not verify against checkpoint ${checkpoint.size}`);
    }
    const { payloadHash } = parseJson<LogEntry>(row.entry);
    if (row.payload !== null && hash("sha256", row.payload) !== payloadHash) {
      throw new Error(`the payload body of log entry ${row.seq} does not match the hash the entry commits to`);
    }
    proofs.push(proof.map((h) => h.toString("base64")));
  }
  const events = await readEvents(db, personal, rows);
  return {
    task,
    checkpoint,
    entries: events.map((entry, i) => ({ entry, text: rows[i]?.entry as string, body: rows[i]?.payload ?? null, proof: proofs[i] as string[] })),
  };
}
