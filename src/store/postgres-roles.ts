import { sql } from "kysely";
import type { Db } from "./database.js";

/** The append-only log tables: the application may add rows and read them, never change or remove them. */
export const appendOnlyTables = ["log_entries", "log_nodes", "log_checkpoints", "log_cosignatures"] as const;

/**
 * Grants a PostgreSQL role what a Gatehouse process needs and no more: full use of the
 * working tables, only INSERT and SELECT on the log tables (and on log_entries, UPDATE of the
 * payload column, which retention sets to NULL). Run it as the schema's owner after
 * migrating; then run Gatehouse as that role. The triggers refuse changes to the log even for
 * the owner; this keeps a compromised application from even attempting them.
 */
export async function grantAppRole(db: Db, role: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error("role must be a lower-case SQL identifier");
  const r = sql.id(role);
  const s = sql.id(schema);
  await sql`grant usage on schema ${s} to ${r}`.execute(db);
  await sql`grant select, insert, update, delete on all tables in schema ${s} to ${r}`.execute(db);
  await sql`grant usage, select on all sequences in schema ${s} to ${r}`.execute(db);
  for (const table of appendOnlyTables) {
    await sql`revoke update, delete, truncate, references, trigger on ${sql.id(schema, table)} from ${r}`.execute(db);
  }
  // Retention forgets payload bodies; the trigger lets that, and nothing else, through.
  await sql`grant update (payload) on ${sql.id(schema, "log_entries")} to ${r}`.execute(db);
}
