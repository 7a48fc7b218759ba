import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../../store/database.js";
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

type HeldCharge = Pick<BudgetCharge, "counter" | "period" | "amount">;

class Refused extends Error {
  constructor(
    readonly charge: BudgetCharge,
    readonly used: number,
  ) {
    super("budget refused");
  }
}

export interface SqlBudgetLedgerOptions {
  /** How long a hold may stay unsettled before it is released (a process died mid-call). */
  holdTtlMs: number;
  /** How often reserve() also releases expired holds. */
  sweepEveryMs: number;
}

/**
 * The BudgetLedger on SQLite or PostgreSQL. Each reservation is one transaction that takes the
 * counter rows in a fixed order and raises `reserved` only where `used + reserved + amount`
 * stays within the limit, so concurrent calls (in this process or others) can never jointly
 * pass a budget: on PostgreSQL the conditional UPDATE waits for the row lock and re-checks.
 */
export class SqlBudgetLedger implements BudgetLedger {
  private readonly options: SqlBudgetLedgerOptions;
  private lastSweep = 0;

  constructor(
    private readonly db: Db,
    options: Partial<SqlBudgetLedgerOptions> = {},
  ) {
    this.options = { holdTtlMs: 3_600_000, sweepEveryMs: 60_000, ...options };
  }

  async reserve(tenantId: string, charges: readonly BudgetCharge[], now: number): Promise<ReserveResult> {
    if (now - this.lastSweep >= this.options.sweepEveryMs) {
      this.lastSweep = now;
      await this.releaseExpired(now);
    }
    const ordered = [...charges].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    try {
      return await this.db.transaction().execute(async (tx) => {
        for (const charge of ordered) {
          const row = { tenant_id: tenantId, counter: charge.counter, period: charge.period };
          await tx
            .insertInto("gateway_budget_counters")
            .values({ ...row, used: 0, reserved: 0, updated_at: now })
            .onConflict((oc) => oc.columns(["tenant_id", "counter", "period"]).doNothing())
            .execute();
          const raised = await tx
            .updateTable("gateway_budget_counters")
            .set({ reserved: sql`reserved + ${charge.amount}`, updated_at: now })
            .where("tenant_id", "=", tenantId)
            .where("counter", "=", charge.counter)
            .where("period", "=", charge.period)
            .where(sql<boolean>`used + reserved + ${charge.amount} <= ${charge.limit}`)
            .executeTakeFirst();
          if (Number(raised.numUpdatedRows) === 0) {
            const current = await this.balance(tenantId, charge.counter, charge.period, tx);
            throw new Refused(charge, current.used + current.reserved);
          }
        }
        const holdId = randomUUID();
        const held: HeldCharge[] = ordered.map(({ counter, period, amount }) => ({ counter, period, amount }));
        await tx
          .insertInto("gateway_budget_holds")
          .values({ id: holdId, tenant_id: tenantId, charges: canonicalJson(held), created_at: now, expires_at: now + this.options.holdTtlMs })
          .execute();
        return { admitted: true as const, holdId };
      });
    } catch (error) {
      if (error instanceof Refused) return { admitted: false, refused: error.charge, used: error.used };
      throw unavailable(error);
    }
  }

  async settle(holdId: string, actual: ReadonlyMap<string, number>, now: number): Promise<void> {
    try {
      await this.db.transaction().execute(async (tx) => {
        const hold = await tx.selectFrom("gateway_budget_holds").selectAll().where("id", "=", holdId).executeTakeFirst();
        if (!hold) return;
        const deleted = await tx.deleteFrom("gateway_budget_holds").where("id", "=", holdId).executeTakeFirst();
        if (Number(deleted.numDeletedRows) === 0) return;
        for (const charge of parseJson<HeldCharge[]>(hold.charges)) {
          const used = actual.get(charge.counter) ?? 0;
          await tx
            .updateTable("gateway_budget_counters")
            .set({
              reserved: sql`case when reserved >= ${charge.amount} then reserved - ${charge.amount} else 0 end`,
              used: sql`used + ${used}`,
              updated_at: now,
            })
            .where("tenant_id", "=", hold.tenant_id)
            .where("counter", "=", charge.counter)
            .where("period", "=", charge.period)
            .execute();
        }
      });
    } catch (error) {
      throw unavailable(error);
    }
  }

  async release(holdId: string, now: number): Promise<void> {
    await this.settle(holdId, new Map(), now);
  }

  async balance(tenantId: string, counter: string, period: string, executor: Pick<Db, "selectFrom"> = this.db): Promise<{ used: number; reserved: number }> {
    const row = await executor
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
    const expired = await this.db
      .selectFrom("gateway_budget_holds")
      .select("id")
      .where("expires_at", "<=", now)
      .limit(100)
      .execute()
      .catch((error: unknown) => {
        throw unavailable(error);
      });
    for (const { id } of expired) await this.release(id, now);
    return expired.length;
  }
}

const keyOf = (c: BudgetCharge) => `${c.counter}|${c.period}`;

const unavailable = (error: unknown) =>
  error instanceof GatehouseError
    ? error
    : new GatehouseError("unavailable", "the budget store is unavailable, so calls are refused", undefined, { cause: error, retryAfterSeconds: 5 });
