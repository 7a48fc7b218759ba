import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * The tamper-evident log. `events` stays the transactional outbox that record() writes into;
 * the sequencer moves its rows into `log_entries` in order, extending the Merkle tree.
 * log_entries, log_nodes, log_checkpoints and log_cosignatures are append-only.
 */
export function auditLog(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("log_entries")
        .addColumn("seq", "bigint", (c) => c.primaryKey())
        .addColumn("entry", "text", (c) => c.notNull())
        .addColumn("leaf_hash", "text", (c) => c.notNull())
        .addColumn("tenant_id", "text")
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("actor_id", "text", (c) => c.notNull())
        .addColumn("task_id", "text")
        .execute();
      await db.schema.createIndex("log_entries_tenant_seq").on("log_entries").columns(["tenant_id", "seq"]).execute();
      await db.schema.createIndex("log_entries_task").on("log_entries").columns(["task_id", "seq"]).execute();

      await db.schema
        .createTable("log_nodes")
        .addColumn("level", "integer", (c) => c.notNull())
        .addColumn("idx", "bigint", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("log_nodes_pk", ["level", "idx"])
        .execute();

      await db.schema
        .createTable("log_state")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("frontier", "text", (c) => c.notNull())
        .addColumn("last_at", "bigint", (c) => c.notNull())
        .execute();
      await db.insertInto("log_state" as never).values({ id: 1, size: 0, frontier: "[]", last_at: 0 } as never).execute();

      await db.schema
        .createTable("log_checkpoints")
        .addColumn("size", "bigint", (c) => c.primaryKey())
        .addColumn("root", "text", (c) => c.notNull())
        .addColumn("note", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("log_cosignatures")
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("witness", "text", (c) => c.notNull())
        .addColumn("signature", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("log_cosignatures_pk", ["size", "witness"])
        .execute();

      if (dialect === "postgres") await hardenPostgres(db);
    },
  };
}

/**
 * On PostgreSQL the log tables refuse UPDATE, DELETE and TRUNCATE for everyone, table owner
 * included: row-level and statement-level triggers, enabled ALWAYS so that replication
 * settings cannot switch them off. Only a superuser who drops the triggers gets past them,
 * and that is what checkpoints and witnesses are for.
 */
async function hardenPostgres(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function gatehouse_log_is_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'gatehouse: % on % is refused: the audit log is append-only', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  for (const table of ["log_entries", "log_nodes", "log_checkpoints", "log_cosignatures"]) {
    await sql`create trigger ${sql.raw(`${table}_no_change_rows`)} before update or delete on ${sql.table(table)}
      for each row execute function gatehouse_log_is_append_only()`.execute(db);
    await sql`create trigger ${sql.raw(`${table}_no_change_statements`)} before update or delete or truncate on ${sql.table(table)}
      for each statement execute function gatehouse_log_is_append_only()`.execute(db);
    await sql`alter table ${sql.table(table)} enable always trigger ${sql.raw(`${table}_no_change_rows`)}`.execute(db);
    await sql`alter table ${sql.table(table)} enable always trigger ${sql.raw(`${table}_no_change_statements`)}`.execute(db);
  }
}
