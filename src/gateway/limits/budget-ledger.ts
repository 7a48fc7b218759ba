import { randomUUID } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { Store } from "../../store/database.js";
import type { GatewayBudgetHoldTable, Schema } from "../../store/schema.js";
import { GatehouseError } from "../../shared/errors.js";
import { canonicalJson, parseJson } from "../../shared/json.js";

/** Reserves `amount` on a day or month counter whose used plus reserved must stay at or under `limit`. */
export interface BudgetCharge {
  counter: string;
  /** The window id: `2026-12-02` or `2026-12`. */
  period: string;
  limit: number;
  amount: number;
}

export type ReserveResult = { admitted: true; holdId: string } | { admitted: false; refused: BudgetCharge; used: number };

/**
 * Day and month budgets, kept in the database so they survive restarts and are shared by every
 * process on the same PostgreSQL. A call reserves its estimate before it runs (all counters or
 * none) and settles on what it actually used; unsettled holds expire and are released.
 */
export interface BudgetLedger {
  reserve(tenantId: string, charges: readonly BudgetCharge[], now: number): Promise<ReserveResult>;
  /** Turns a hold into actual usage (per counter; counters not named used nothing). Settling twice changes nothing. */
  settle(holdId: string, actual: ReadonlyMap<string, number>, now: number): Promise<void>;
  /** Frees a hold without usage: the call failed. */
  release(holdId: string, now: number): Promise<void>;
  /** Used and reserved on one counter in one period. */
  balance(tenantId: string, counter: string, period: string): Promise<{ used: number; reserved: number }>;
}

export interface SqlBudgetLedgerOptions {
  /** How long a hold may stay unsettled before it is released (a process died mid-call). */
  holdTtlMs: number;
  /** How often reserve() also releases expired holds. */
  sweepEveryMs: number;
  /** The most reservations and settlements one transaction carries. */
  maxBatch: number;
}

type HeldCharge = Pick<BudgetCharge, "counter" | "period" | "amount">;
type Tx = Transaction<Schema>;
type CounterKey = { tenantId: string; counter: string; period: string };

type Operation =
  | { kind: "reserve"; tenantId: string; charges: readonly BudgetCharge[]; now: number; done: Settle<ReserveResult> }
  | { kind: "settle"; holdId: string; actual: ReadonlyMap<string, number>; now: number; done: Settle<void> };
type Settle<T> = { resolve(value: T): void; reject(error: unknown): void };

/**
 * The BudgetLedger on SQLite or PostgreSQL, with group commit: reservations and settlements that
 * arrive together share one transaction (and one fsync), applied one after another inside it.
 * A reservation raises `reserved` only where `used + reserved + amount` stays within the limit,
 * so concurrent calls can never jointly pass a budget. On PostgreSQL each transaction first locks
 * every counter row it will touch, in key order, so the transactions of several processes queue
 * on the rows instead of deadlocking, and each reads the others' committed reservations.
 */
export class SqlBudgetLedger implements BudgetLedger {
  private readonly options: SqlBudgetLedgerOptions;
  private readonly queue: Operation[] = [];
  private draining = false;
  private lastSweep = 0;

  constructor(
    private readonly store: Pick<Store, "db" | "dialect">,
    options: Partial<SqlBudgetLedgerOptions> = {},
  ) {
    this.options = { holdTtlMs: 3_600_000, sweepEveryMs: 60_000, maxBatch: 256, ...options };
  }

  async reserve(tenantId: string, charges: readonly BudgetCharge[], now: number): Promise<ReserveResult> {
    if (now - this.lastSweep >= this.options.sweepEveryMs) {
      this.lastSweep = now;
      await this.releaseExpired(now);
    }
    return new Promise((resolve, reject) => this.enqueue({ kind: "reserve", tenantId, charges, now, done: { resolve, reject } }));
  }

  settle(holdId: string, actual: ReadonlyMap<string, number>, now: number): Promise<void> {
    return new Promise((resolve, reject) => this.enqueue({ kind: "settle", holdId, actual, now, done: { resolve, reject } }));
  }

  async release(holdId: string, now: number): Promise<void> {
    await this.settle(holdId, new Map(), now);
  }

  async balance(tenantId: string, counter: string, period: string): Promise<{ used: number; reserved: number }> {
    const row = await this.store.db
      .selectFrom("gateway_budget_counters")
      .select(["used", "reserved"])
      .where("tenant_id", "=", tenantId)
      .where("counter", "=", counter)
      .where("period", "=", period)
      .executeTakeFirst();
    return { used: Number(row?.used ?? 0), reserved: Number(row?.reserved ?? 0) };
  }

  /** Releases holds whose calls never settled (their process died); returns how many. */
  async releaseExpired(now: number): Promise<number> {
    let expired: { id: string }[];
    try {
      expired = await this.store.db.selectFrom("gateway_budget_holds").select("id").where("expires_at", "<=", now).limit(100).execute();
    } catch (error) {
      throw unavailable(error);
    }
    await Promise.all(expired.map(({ id }) => this.release(id, now)));
    return expired.length;
  }

  private enqueue(operation: Operation): void {
    this.queue.push(operation);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        try {
          const results = await this.store.db.transaction().execute((tx) => this.apply(tx, batch));
          batch.forEach((op, i) => (op.kind === "reserve" ? op.done.resolve(results[i] as ReserveResult) : op.done.resolve()));
        } catch (error) {
          for (const op of batch) op.done.reject(unavailable(error));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * One batch: settlements first (they free room for the reservations beside them), then each
   * reservation in arrival order. Round trips stay few: one statement each for reading,
   * locking and deleting holds, inserting new holds, and releasing per counter.
   */
  private async apply(tx: Tx, batch: Operation[]): Promise<(ReserveResult | undefined)[]> {
    const settleIds = [...new Set(batch.flatMap((op) => (op.kind === "settle" ? [op.holdId] : [])))];
    const holds = new Map<string, { tenantId: string; charges: HeldCharge[] }>();
    if (settleIds.length > 0) {
      const rows = await tx.selectFrom("gateway_budget_holds").select(["id", "tenant_id", "charges"]).where("id", "in", settleIds).execute();
      for (const row of rows) holds.set(row.id, { tenantId: row.tenant_id, charges: parseJson<HeldCharge[]>(row.charges) });
    }
    const keys = [
      ...[...holds.values()].flatMap((h) => h.charges.map((c) => ({ tenantId: h.tenantId, counter: c.counter, period: c.period }))),
      ...batch.flatMap((op) => (op.kind === "reserve" ? op.charges.map((c) => ({ tenantId: op.tenantId, counter: c.counter, period: c.period })) : [])),
    ];
    const now = batch[0]?.now ?? Date.now();
    await this.lockCounters(tx, keys, now);
    if (holds.size > 0) await this.settleHolds(tx, batch, holds, now);

    const newHolds: GatewayBudgetHoldTable[] = [];
    const results = await sequentially(batch, async (op) => (op.kind === "reserve" ? this.reserveIn(tx, op, newHolds) : undefined));
    if (newHolds.length > 0) await tx.insertInto("gateway_budget_holds").values(newHolds).execute();
    return results;
  }

  /** Creates the batch's counter rows and, on PostgreSQL, locks them in key order. */
  private async lockCounters(tx: Tx, keys: CounterKey[], now: number): Promise<void> {
    const unique = [...new Map(keys.map((k) => [`${k.tenantId}|${k.counter}|${k.period}`, k])).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, k]) => k);
    if (unique.length === 0) return;
    await tx
      .insertInto("gateway_budget_counters")
      .values(unique.map((k) => ({ tenant_id: k.tenantId, counter: k.counter, period: k.period, used: 0, reserved: 0, updated_at: now })))
      .onConflict((oc) => oc.columns(["tenant_id", "counter", "period"]).doNothing())
      .execute();
    if (this.store.dialect !== "postgres") return; // SQLite: the transaction already holds the database's write lock
    await tx
      .selectFrom("gateway_budget_counters")
      .select("counter")
      .where((eb) => eb.or(unique.map((k) => eb.and([eb("tenant_id", "=", k.tenantId), eb("counter", "=", k.counter), eb("period", "=", k.period)]))))
      .orderBy("tenant_id")
      .orderBy(sql`counter collate "C"`)
      .orderBy(sql`period collate "C"`)
      .forUpdate()
      .execute();
  }

  private async settleHolds(tx: Tx, batch: Operation[], holds: Map<string, { tenantId: string; charges: HeldCharge[] }>, now: number): Promise<void> {
    // Deleting first makes each settlement count once, whichever process or sweeper gets there first.
    const deleted = await tx.deleteFrom("gateway_budget_holds").where("id", "in", [...holds.keys()]).returning("id").execute();
    const mine = new Set(deleted.map((row) => row.id));
    const totals = new Map<string, CounterKey & { release: number; used: number }>();
    for (const op of batch) {
      if (op.kind !== "settle" || !mine.delete(op.holdId)) continue; // a second settle of one hold changes nothing
      const hold = holds.get(op.holdId);
      for (const charge of hold?.charges ?? []) {
        const id = `${hold?.tenantId}|${charge.counter}|${charge.period}`;
        const total = totals.get(id) ?? { tenantId: hold?.tenantId ?? "", counter: charge.counter, period: charge.period, release: 0, used: 0 };
        total.release += charge.amount;
        total.used += op.actual.get(charge.counter) ?? 0;
        totals.set(id, total);
      }
    }
    for (const total of totals.values()) {
      await this.counterRow(tx.updateTable("gateway_budget_counters"), total.tenantId, total)
        .set({
          reserved: sql`case when reserved >= ${total.release} then reserved - ${total.release} else 0 end`,
          used: sql`used + ${total.used}`,
          updated_at: now,
        })
        .execute();
    }
  }

  private async reserveIn(tx: Tx, op: Extract<Operation, { kind: "reserve" }>, newHolds: GatewayBudgetHoldTable[]): Promise<ReserveResult> {
    const raised: BudgetCharge[] = [];
    for (const charge of op.charges) {
      const result = await this.counterRow(tx.updateTable("gateway_budget_counters"), op.tenantId, charge)
        .set({ reserved: sql`reserved + ${charge.amount}`, updated_at: op.now })
        .where(sql<boolean>`used + reserved + ${charge.amount} <= ${charge.limit}`)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        for (const back of raised) {
          await this.counterRow(tx.updateTable("gateway_budget_counters"), op.tenantId, back)
            .set({ reserved: sql`reserved - ${back.amount}` })
            .execute();
        }
        const row = await this.counterRow(tx.selectFrom("gateway_budget_counters"), op.tenantId, charge).select(["used", "reserved"]).executeTakeFirst();
        return { admitted: false, refused: charge, used: Number(row?.used ?? 0) + Number(row?.reserved ?? 0) };
      }
      raised.push(charge);
    }
    const id = randomUUID();
    const held: HeldCharge[] = op.charges.map(({ counter, period, amount }) => ({ counter, period, amount }));
    newHolds.push({ id, tenant_id: op.tenantId, charges: canonicalJson(held), created_at: op.now, expires_at: op.now + this.options.holdTtlMs });
    return { admitted: true, holdId: id };
  }

  private counterRow<Q extends { where: WhereCounter<Q> }>(query: Q, tenantId: string, key: Pick<BudgetCharge, "counter" | "period">): Q {
    return query.where("tenant_id", "=", tenantId).where("counter", "=", key.counter).where("period", "=", key.period);
  }
}

/** Runs `fn` over the items one at a time, in order (statements of one transaction cannot overlap). */
async function sequentially<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await fn(item));
  return results;
}

type WhereCounter<Q> = (column: "tenant_id" | "counter" | "period", op: "=", value: string) => Q;

const unavailable = (error: unknown) =>
  error instanceof GatehouseError
    ? error
    : new GatehouseError("unavailable", "the budget store is unavailable, so calls are refused", undefined, { cause: error, retryAfterSeconds: 5 });
