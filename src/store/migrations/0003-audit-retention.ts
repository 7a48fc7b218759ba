import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Retention and erasure. A log entry commits to its payload body by hash (payloadHash), and the
 * body sits beside it in log_entries.payload, so retention can forget a body while the entry,
 * its leaf hash and every proof stay intact. Personal data inside a body is sealed with its data
 * subject's key from audit_subject_keys; erasing the subject deletes that key (crypto-shredding).
 */
export function auditRetention(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("log_entries").addColumn("payload", "text").execute();
      await db.schema.createIndex("log_entries_tenant_at").on("log_entries").columns(["tenant_id", "at"]).execute();

      await db.schema
        .createTable("audit_subject_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        /** SHA-256 of tenant and subject: the subject's own identifier is not kept here. */
        .addColumn("subject_ref", "text", (c) => c.notNull())
        /** The data key, sealed with the master key. */
        .addColumn("sealed_key", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("audit_subject_keys_subject").unique().on("audit_subject_keys").columns(["tenant_id", "subject_ref"]).execute();

      if (dialect === "postgres") await allowForgettingPayloads(db);
      await leanOutbox(db, dialect);
    },
  };
}

/**
 * The outbox is read only in seq order by the sequencer and emptied within milliseconds, yet
 * every append paid for two secondary indexes on it (UNIQUE on id, and tenant_id+seq): one
 * B-tree insert each per event. Event ids are random UUIDs and nothing looks events up by them.
 * SQLite cannot drop an inline UNIQUE, so there the table is rebuilt, keeping any unsequenced
 * rows and the AUTOINCREMENT counter.
 */
async function leanOutbox(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.dropIndex("events_tenant_seq").execute();
  if (dialect === "postgres") {
    await sql`alter table events drop constraint events_id_key`.execute(db);
    return;
  }
  await sql`create table events_outbox (
    seq integer primary key autoincrement, id text not null, tenant_id text, at bigint not null, actor text not null,
    action text not null, resource text not null, decision text not null, context text not null, payload text not null)`.execute(db);
  await sql`insert into events_outbox select seq, id, tenant_id, at, actor, action, resource, decision, context, payload from events`.execute(db);
  const counter = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'events'`.execute(db);
  await sql`drop table events`.execute(db);
  await sql`alter table events_outbox rename to events`.execute(db);
  const last = counter.rows[0]?.seq ?? 0;
  await sql`delete from sqlite_sequence where name = 'events'`.execute(db);
  await sql`insert into sqlite_sequence (name, seq) values ('events', ${last})`.execute(db);
}

/**
 * The one change PostgreSQL allows to a log entry: setting its payload body to NULL, with every
 * other column unchanged. Deleting and truncating stay refused by the statement trigger.
 */
async function allowForgettingPayloads(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function gatehouse_log_entry_may_forget_payload() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and new.payload is null
         and new.seq = old.seq and new.entry = old.entry and new.leaf_hash = old.leaf_hash
         and new.tenant_id is not distinct from old.tenant_id and new.at = old.at and new.action = old.action
         and new.actor_id = old.actor_id and new.task_id is not distinct from old.task_id then
        return new;
      end if;
      raise exception 'gatehouse: % on log_entries is refused: the audit log is append-only (only a payload body may be forgotten)', tg_op
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`drop trigger log_entries_no_change_rows on log_entries`.execute(db);
  await sql`drop trigger log_entries_no_change_statements on log_entries`.execute(db);
  await sql`create trigger log_entries_no_change_rows before update or delete on log_entries
    for each row execute function gatehouse_log_entry_may_forget_payload()`.execute(db);
  await sql`create trigger log_entries_no_change_statements before delete or truncate on log_entries
    for each statement execute function gatehouse_log_is_append_only()`.execute(db);
  await sql`alter table log_entries enable always trigger log_entries_no_change_rows`.execute(db);
  await sql`alter table log_entries enable always trigger log_entries_no_change_statements`.execute(db);
}
