import { randomUUID } from "node:crypto";
import { CompiledQuery, PostgresAdapter } from "kysely";
import type { Executor } from "../store/database.js";
import { GatehouseError } from "../shared/errors.js";
import { canonicalJson, type Json } from "../shared/json.js";
import type { Actor } from "./actor.js";
import { payloadBodyText, type SealedPersonalData } from "./privacy/payload-body.js";
import type { PersonalData, PersonalInput } from "./privacy/personal-data.js";

export type Outcome = "allowed" | "refused" | "failed";

/** Who is acting, on whose behalf, and for which request; passed down from every surface. */
export interface ActionContext {
  actor: Actor;
  tenantId: string | null;
  requestId?: string;
  /** How many events this action has recorded so far (the HTTP layer records calls that wrote none). */
  recorded: number;
}

export const actionContext = (actor: Actor, requestId?: string): ActionContext => ({
  actor,
  tenantId: actor.tenantId,
  requestId,
  recorded: 0,
});

export interface EventInput {
  /** Dotted verb, e.g. agent.create, change_request.approve, admin.read. */
  action: string;
  resource: { kind: string; id?: string; name?: string };
  decision: { outcome: Outcome; reasons?: string[] };
  context?: { requestId?: string; method?: string; path?: string; status?: number; [key: string]: Json | undefined };
  payload?: { before?: unknown; after?: unknown; justification?: string | null; [key: string]: unknown };
  /** Personal data: sealed with its data subject's key, so erasing the subject makes it unreadable. */
  personal?: PersonalInput;
}

/** A row of the events outbox, in the column order of the INSERT below. */
interface EventRow {
  id: string;
  tenant_id: string | null;
  at: number;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  context: string;
  payload: string;
}

const COLUMNS = ["id", "tenant_id", "at", "actor", "action", "resource", "decision", "context", "payload"] as const;

interface Waiting {
  row: EventRow;
  resolve: (seq: number) => void;
  reject: (error: unknown) => void;
}

/** The outbox row for an event: every structured field as canonical JSON, the payload as its body. */
export function eventRow(ctx: ActionContext, input: EventInput, at: number, personal?: SealedPersonalData): EventRow {
  return {
    id: randomUUID(),
    tenant_id: ctx.tenantId,
    at,
    actor: canonicalJson(ctx.actor),
    action: input.action,
    resource: canonicalJson(input.resource),
    decision: canonicalJson({ outcome: input.decision.outcome, reasons: input.decision.reasons ?? [] }),
    context: canonicalJson({ requestId: ctx.requestId, ...input.context }),
    payload: payloadBodyText(input.payload ?? {}, personal),
  };
}

/** Largest group commit: one multi-row INSERT stays well under both stores' parameter limits. */
const GROUP_MAX = 500;

const insertTexts = new Map<string, string>();

/**
 * The multi-row INSERT of n events, as text. Kysely's query builder spends several µs per row
 * on it (a node per value, then a compile pass), 10–25% of the CPU an append costs, so the
 * statement is written out directly: the SQL Kysely would produce. PostgreSQL returns the ids
 * with their seqs (concurrent inserts from other processes may interleave seqs); SQLite, where
 * the insert holds the only write lock, numbers the rows of one INSERT consecutively up to
 * last_insert_rowid(), so it returns nothing. See bench/audit-append.ts.
 */
function insertText(numbered: boolean, n: number): string {
  const key = `${numbered ? "$" : "?"}${n}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const tuples: string[] = [];
    for (let r = 0; r < n; r++) tuples.push(`(${COLUMNS.map((_, c) => (numbered ? `$${r * COLUMNS.length + c + 1}` : "?")).join(", ")})`);
    text = `insert into "events" (${COLUMNS.map((c) => `"${c}"`).join(", ")}) values ${tuples.join(", ")}${numbered ? ' returning "id", "seq"' : ""}`;
    if (insertTexts.size >= 64) insertTexts.clear();
    insertTexts.set(key, text);
  }
  return text;
}

/**
 * The one entry point through which every state change and every admin call is recorded.
 *
 * Inside a transaction, the event is written in that transaction, so it is durable exactly
 * when the change is, and a change whose event cannot be written does not happen. Outside
 * one, events are group-committed: concurrent calls share one transaction (and one fsync), and
 * each call returns only once its event is durable.
 */
export class Recorder {
  private lastAt = 0;
  private queue: Waiting[] = [];
  private scheduled = false;

  /** Called after every group commit, so the log can sequence the new events promptly. */
  onCommitted: () => void = () => undefined;

  /** Without personal data sealing, an event that carries personal data is refused. */
  constructor(private readonly personalData?: PersonalData) {}

  async record(executor: Executor, ctx: ActionContext, input: EventInput): Promise<{ id: string; seq: number }> {
    let row: EventRow;
    let seq: number;
    try {
      row = this.toRow(ctx, input, input.personal && (await this.seal(executor, ctx, input.personal)));
      seq = executor.isTransaction ? await this.insert(executor, [row]).then((seqs) => seqs[0] as number) : await this.enqueue(executor, row);
    } catch (error) {
      // Fail closed: a change whose event cannot be written must not happen.
      throw new GatehouseError("unavailable", "the event log is unavailable; nothing was changed", undefined, { cause: error });
    }
    ctx.recorded += 1;
    return { id: row.id, seq };
  }

  private toRow(ctx: ActionContext, input: EventInput, personal: SealedPersonalData | undefined): EventRow {
    // Timestamps never go backwards within this process, even if the wall clock does.
    const at = Math.max(Date.now(), this.lastAt);
    this.lastAt = at;
    return eventRow(ctx, input, at, personal);
  }

  private seal(executor: Executor, ctx: ActionContext, personal: PersonalInput): Promise<SealedPersonalData> {
    if (!this.personalData) throw new Error("this recorder cannot seal personal data");
    if (ctx.tenantId === null) throw new Error("personal data is sealed per tenant, and this action has none");
    return this.personalData.seal(executor, ctx.tenantId, personal);
  }

  private async insert(executor: Executor, rows: EventRow[]): Promise<number[]> {
    const params: unknown[] = [];
    for (const row of rows) for (const c of COLUMNS) params.push(row[c] ?? null);
    const postgres = executor.getExecutor().adapter instanceof PostgresAdapter;
    const result = await executor.executeQuery<{ id: string; seq: number }>(CompiledQuery.raw(insertText(postgres, rows.length), params));
    if (!postgres) {
      const last = Number(result.insertId);
      return rows.map((_, i) => last - rows.length + 1 + i);
    }
    const seqs = new Map(result.rows.map((r) => [r.id, r.seq]));
    return rows.map((row) => {
      const seq = seqs.get(row.id);
      if (seq === undefined) throw new Error(`the insert returned no seq for event ${row.id}`);
      return seq;
    });
  }

  private enqueue(db: Executor, row: EventRow): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Let the calls of the current tick join the group.
        setImmediate(() => this.commitQueued(db));
      }
    });
  }

  /**
   * Commits what is queued, in groups. A group does not wait for the one before it to become
   * durable: its INSERT and COMMIT follow at once (SQLite's one connection takes them in turn),
   * and the groups' fsyncs overlap or are shared (store/wal-sync.ts); each caller is answered once
   * its own group is durable.
   */
  private commitQueued(db: Executor): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const group = this.queue.splice(0, GROUP_MAX);
      db.transaction()
        .execute((trx) => this.insert(trx, group.map((w) => w.row)))
        .then(
          (seqs) => group.forEach((w, i) => w.resolve(seqs[i] as number)),
          (error: unknown) => group.forEach((w) => w.reject(error)),
        )
        .finally(() => this.onCommitted());
    }
  }
}
