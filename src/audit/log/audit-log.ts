import { hash } from "node:crypto";
import { CompiledQuery, sql } from "kysely";
import type { Db, Executor } from "../../store/database.js";
import type { Dialect } from "../../store/dialect.js";
import { parseJson } from "../../shared/json.js";
import type { Actor } from "../actor.js";
import { entryTextOf, type LogEntry } from "./entry.js";
import { consistencyProof, emptyRoot, Frontier, inclusionProof, leafHash, nodeHash, splitPoint, type Hash } from "./merkle.js";
import { checkpointText, formatNote, parseNote, signatureFor, type NoteSigner } from "./note.js";

/** Perfect subtrees are stored at every 8th level, so every subtree hash is rebuilt from at most 2^7 reads. */
const STORED_LEVEL_STEP = 8;
/**
 * Events moved from the outbox per transaction. Smaller batches hold the write lock (SQLite) and
 * the WAL (PostgreSQL) for less time, which is what appends waiting meanwhile feel: measured with
 * appends saturating (bench/audit-append.ts), 2,000 gave an append p99 of 15 ms on SQLite and
 * 27-31 ms on PostgreSQL, 500 gave 12-14 and 17-20 ms, at the same end-to-end rate.
 */
const BATCH = 500;
// An arbitrary 64-bit number; all Gatehouse processes on one database serialise their batches on it.
const SEQUENCER_LOCK = 0x6761_7465;

export interface SequencerOptions {
  /** How often a checkpoint is issued while entries keep arriving. */
  checkpointIntervalMs?: number;
  /** How often the sequencer looks for new events when nobody nudged it. */
  pollIntervalMs?: number;
  /**
   * How long a nudge waits before the sequencer runs, so that the events committed meanwhile are
   * sequenced in one transaction: at a steady 500 calls/s, running at each commit cost a second
   * write transaction and fsync per call. A read that must see every event drains the outbox itself.
   */
  batchDelayMs?: number;
  /** Resolves once everything committed so far is on disk (Store.durable): checkpoints are read only then. */
  durable?: () => Promise<void>;
}

export interface StoredCheckpoint {
  size: number;
  root: string;
  note: string;
  createdAt: number;
}

const hex = (h: Hash) => h.toString("hex");

const ENTRY_COLUMNS = ["seq", "entry", "leaf_hash", "tenant_id", "at", "action", "actor_id", "task_id", "payload"] as const;
const NODE_COLUMNS = ["level", "idx", "hash"] as const;
const insertTexts = new Map<string, string>();

/**
 * A multi-row INSERT as text, remembered by shape: Kysely's builder spends several µs per value
 * on it (as for the recorder's outbox INSERT), a large share of sequencing an event.
 */
function insertRows(postgres: boolean, table: string, columns: readonly string[], rows: unknown[][]): CompiledQuery {
  const key = `${table}${postgres ? "$" : "?"}${rows.length}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const tuples: string[] = [];
    for (let r = 0; r < rows.length; r++) tuples.push(`(${columns.map((_, c) => (postgres ? `$${r * columns.length + c + 1}` : "?")).join(", ")})`);
    text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) values ${tuples.join(", ")}`;
    if (insertTexts.size >= 64) insertTexts.clear();
    insertTexts.set(key, text);
  }
  return CompiledQuery.raw(text, rows.flat());
}

/** Parses an outbox field that must hold a JSON object. */
function jsonObject<T = Record<string, unknown>>(text: string, field: string): T {
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error(`an outbox event's ${field} is not a JSON object`);
  return value as T;
}
const unhex = (s: string): Hash => Buffer.from(s, "hex");

/**
 * The tamper-evident log: moves recorded events from the outbox into the Merkle log in
 * batches, keeps the tree's state in the store so a restart continues the same tree, issues
 * signed checkpoints, and serves inclusion and consistency proofs.
 */
export class AuditLog {
  private timer: NodeJS.Timeout | undefined;
  private delayed: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private lastCheckpointAt = 0;
  private readonly checkpointIntervalMs: number;
  private readonly pollIntervalMs: number;
  private readonly batchDelayMs: number;
  private readonly durable: () => Promise<void>;

  /** Called after each new checkpoint is committed (the witnesses are asked from here). */
  onCheckpoint: (checkpoint: StoredCheckpoint) => void = () => undefined;

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    readonly signer: NoteSigner,
    options: SequencerOptions = {},
  ) {
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.batchDelayMs = options.batchDelayMs ?? 10;
    this.durable = options.durable ?? (() => Promise.resolve());
  }

  get origin(): string {
    return this.signer.name;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.nudge(), this.pollIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and sequences what is left; what cannot be sequenced now waits in the outbox. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.delayed) clearTimeout(this.delayed);
    this.timer = undefined;
    this.delayed = undefined;
    try {
      await this.flush();
    } catch {
      // The store is going away or unavailable; the next start sequences the rest.
    }
  }

  /** Asks the sequencer to run within batchDelayMs; calls while it waits or runs coalesce into one more run. */
  nudge(): void {
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.delayed) return;
    this.delayed = setTimeout(() => {
      this.delayed = undefined;
      this.running = this.runUntilIdle().finally(() => {
        this.running = undefined;
      });
    }, this.batchDelayMs);
    this.delayed.unref();
  }

  /** Sequences everything recorded so far and issues a checkpoint for it (tests, shutdown, export). */
  async flush(): Promise<void> {
    await this.sequencePending();
    await this.checkpoint(true);
  }

  /** Sequences everything committed to the outbox so far, so a read sees every acknowledged event. */
  async sequencePending(): Promise<void> {
    await this.running;
    while ((await this.sequenceBatch()) > 0);
  }

  private async runUntilIdle(): Promise<void> {
    try {
      do {
        this.rerun = false;
        while ((await this.sequenceBatch()) === BATCH);
        await this.checkpoint(false);
      } while (this.rerun);
    } catch {
      // The next tick retries; events stay in the outbox until they are sequenced.
    }
  }

  /** Moves up to BATCH events from the outbox into the log in one transaction; returns how many. */
  async sequenceBatch(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === "postgres") await sql`select pg_advisory_xact_lock(${SEQUENCER_LOCK})`.execute(trx);
      const events = await trx.selectFrom("events").selectAll().orderBy("seq").limit(BATCH).execute();
      if (events.length === 0) return 0;
      const state = await trx.selectFrom("log_state").selectAll().where("id", "=", 1).executeTakeFirstOrThrow();
      const frontier = new Frontier(state.size, parseJson<string[]>(state.frontier).map(unhex));
      let lastAt = state.last_at;
      const rows: unknown[][] = [];
      const nodes: unknown[][] = [];
      for (const event of events) {
        const seq = frontier.size;
        lastAt = Math.max(lastAt, event.at);
        // The outbox holds these fields as canonical JSON (the recorder writes them so); they are
        // parsed to read the actor and task ids and to refuse anything that is not a JSON object.
        const actor = jsonObject<Actor>(event.actor, "actor");
        const context = jsonObject<LogEntry["context"]>(event.context, "context");
        jsonObject(event.resource, "resource");
        jsonObject(event.decision, "decision");
        const text = entryTextOf({
          seq,
          at: lastAt,
          tenant: event.tenant_id,
          action: event.action,
          actor: event.actor,
          resource: event.resource,
          decision: event.decision,
          context: event.context,
          payloadHash: hash("sha256", event.payload),
        });
        const leaf = leafHash(Buffer.from(text, "utf8"));
        for (const node of frontier.append(leaf)) {
          if (node.level % STORED_LEVEL_STEP === 0) nodes.push([node.level, node.index, hex(node.hash)]);
        }
        const taskId = context.taskId;
        rows.push([seq, text, hex(leaf), event.tenant_id, lastAt, event.action, actor.id, typeof taskId === "string" ? taskId : null, event.payload]);
      }
      const postgres = this.dialect === "postgres";
      for (let i = 0; i < rows.length; i += 500) await trx.executeQuery(insertRows(postgres, "log_entries", ENTRY_COLUMNS, rows.slice(i, i + 500)));
      if (nodes.length > 0) await trx.executeQuery(insertRows(postgres, "log_nodes", NODE_COLUMNS, nodes));
      await trx
        .updateTable("log_state")
        .set({ size: frontier.size, frontier: JSON.stringify(frontier.snapshot().map(hex)), last_at: lastAt })
        .where("id", "=", 1)
        .where("size", "=", state.size)
        .execute();
      // Delete exactly what was read: on PostgreSQL a lower seq may commit after a higher one. On
      // SQLite this transaction holds the write lock, so what was read is every event up to the last seq read.
      const seqs = events.map((e) => e.seq);
      if (postgres) await sql`delete from events where seq = some(${seqs}::bigint[])`.execute(trx);
      else await sql`delete from events where seq <= ${seqs[seqs.length - 1]}`.execute(trx);
      return events.length;
    });
  }

  /** Signs a checkpoint of the current tree when it grew and the interval has passed (or when forced). */
  async checkpoint(force: boolean): Promise<StoredCheckpoint | undefined> {
    if (!force && Date.now() - this.lastCheckpointAt < this.checkpointIntervalMs) return undefined;
    const issued = await this.db.transaction().execute(async (trx) => {
      if (this.dialect === "postgres") await sql`select pg_advisory_xact_lock(${SEQUENCER_LOCK})`.execute(trx);
      const state = await trx.selectFrom("log_state").selectAll().where("id", "=", 1).executeTakeFirstOrThrow();
      const latest = await this.latestCheckpoint(trx);
      if (state.size === 0 || (latest && latest.size >= state.size)) return undefined;
      const root = new Frontier(state.size, parseJson<string[]>(state.frontier).map(unhex)).root();
      const text = checkpointText({ origin: this.origin, size: state.size, root });
      const note = formatNote({ text, signatures: [signatureFor(this.signer, text)] });
      const row = { size: state.size, root: hex(root), note, created_at: Date.now() };
      await trx.insertInto("log_checkpoints").values(row).execute();
      this.lastCheckpointAt = row.created_at;
      return { size: row.size, root: row.root, note, createdAt: row.created_at };
    });
    if (issued) this.onCheckpoint(issued);
    return issued;
  }

  /** The newest checkpoint; outside a transaction, answered only once it is on disk (it may be shown to anyone, witnesses included). */
  async latestCheckpoint(executor: Executor = this.db): Promise<StoredCheckpoint | undefined> {
    const row = await executor.selectFrom("log_checkpoints").selectAll().orderBy("size", "desc").limit(1).executeTakeFirst();
    // After the read: the fsync then starts after the commit of whatever was read.
    if (executor === this.db) await this.durable();
    return row ? { size: row.size, root: row.root, note: row.note, createdAt: row.created_at } : undefined;
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    const rows = await this.db.selectFrom("log_checkpoints").selectAll().orderBy("size").execute();
    await this.durable();
    return rows.map((row) => ({ size: row.size, root: row.root, note: row.note, createdAt: row.created_at }));
  }

  /** The checkpoint's note with every witness cosignature stored for it appended. */
  async cosignedNote(checkpoint: StoredCheckpoint): Promise<string> {
    const cosignatures = await this.db.selectFrom("log_cosignatures").selectAll().where("size", "=", checkpoint.size).orderBy("witness").execute();
    if (cosignatures.length === 0) return checkpoint.note;
    const note = parseNote(checkpoint.note);
    const extra = cosignatures.map((c) => parseNote(`${note.text}\n${c.signature}\n`).signatures[0]).filter((s) => s !== undefined);
    return formatNote({ text: note.text, signatures: [...note.signatures, ...extra] });
  }

  async size(): Promise<number> {
    const state = await this.db.selectFrom("log_state").select("size").where("id", "=", 1).executeTakeFirstOrThrow();
    return state.size;
  }

  async entry(seq: number): Promise<{ text: string; leafHash: string } | undefined> {
    const row = await this.db.selectFrom("log_entries").select(["entry", "leaf_hash"]).where("seq", "=", seq).executeTakeFirst();
    return row ? { text: row.entry, leafHash: row.leaf_hash } : undefined;
  }

  async inclusionProof(seq: number, size: number): Promise<Hash[]> {
    return inclusionProof(seq, size, (start, end) => this.rangeHash(start, end));
  }

  async consistencyProof(from: number, to: number): Promise<Hash[]> {
    return consistencyProof(from, to, (start, end) => this.rangeHash(start, end));
  }

  /** Hash of leaves [start, end): perfect subtrees come from stored nodes, the rest is split RFC 9162-style. */
  async rangeHash(start: number, end: number): Promise<Hash> {
    const n = end - start;
    if (n === 0) return emptyRoot();
    if (n === 1) {
      const row = await this.db.selectFrom("log_entries").select("leaf_hash").where("seq", "=", start).executeTakeFirstOrThrow();
      return unhex(row.leaf_hash);
    }
    const level = Math.log2(n);
    if (Number.isInteger(level) && start % n === 0) return this.perfectHash(level, start / n);
    const k = splitPoint(n);
    return nodeHash(await this.rangeHash(start, start + k), await this.rangeHash(start + k, end));
  }

  private async perfectHash(level: number, index: number): Promise<Hash> {
    const base = level - (level % STORED_LEVEL_STEP);
    if (base === level && level > 0) {
      const row = await this.db.selectFrom("log_nodes").select("hash").where("level", "=", level).where("idx", "=", index).executeTakeFirst();
      if (row) return unhex(row.hash);
    }
    // Rebuild from the stored level below: 2^(level-base) hashes at that level.
    const count = 2 ** (level - base);
    const first = index * count;
    let layer: Hash[];
    if (base === 0) {
      const rows = await this.db
        .selectFrom("log_entries")
        .select("leaf_hash")
        .where("seq", ">=", first)
        .where("seq", "<", first + count)
        .orderBy("seq")
        .execute();
      layer = rows.map((r) => unhex(r.leaf_hash));
    } else {
      const rows = await this.db
        .selectFrom("log_nodes")
        .select("hash")
        .where("level", "=", base)
        .where("idx", ">=", first)
        .where("idx", "<", first + count)
        .orderBy("idx")
        .execute();
      layer = rows.map((r) => unhex(r.hash));
    }
    if (layer.length !== count) throw new Error(`log is missing hashes under node ${level}/${index}`);
    while (layer.length > 1) {
      const next: Hash[] = [];
      for (let i = 0; i < layer.length; i += 2) next.push(nodeHash(layer[i] as Hash, layer[i + 1] as Hash));
      layer = next;
    }
    return layer[0] as Hash;
  }
}
