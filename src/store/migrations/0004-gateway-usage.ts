import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Token and cost budgets (per day and per month) for the model gateway. One row per counter
 * and period holds what was used and what calls in flight have reserved; a hold row per
 * admitted call says what it reserved, so settling is exactly-once and a process that dies
 * mid-call leaves a hold that expires instead of a reservation that never goes away.
 */
export function gatewayUsage(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("gateway_budget_counters")
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("counter", "text", (c) => c.notNull())
        .addColumn("period", "text", (c) => c.notNull())
        .addColumn("used", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("reserved", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("gateway_budget_counters_pk", ["tenant_id", "counter", "period"])
        .execute();

      await db.schema
        .createTable("gateway_budget_holds")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("charges", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("gateway_budget_holds_expiry").on("gateway_budget_holds").column("expires_at").execute();
    },
  };
}
