import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";
import { cachedTables } from "../changes.js";

/**
 * A counter that moves whenever a table the gateway caches changes (see store/changes.ts), so
 * every process sharing the store can tell within its poll interval that its caches are stale.
 * Triggers keep it, whoever writes: another Gatehouse process, a CLI command, an operator's SQL.
 */
export function storeGeneration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("store_generation")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("generation", "bigint", (c) => c.notNull())
        .execute();
      await sql`insert into store_generation (id, generation) values (1, 0)`.execute(db);
      if (dialect === "postgres") {
        // Deferred to commit, so the counter's row lock is taken last and held only while committing:
        // two transactions that change cached tables never deadlock on it.
        await sql`
          create or replace function gatehouse_store_changed() returns trigger language plpgsql
          set search_path from current as $$
          begin
            update store_generation set generation = generation + 1 where id = 1;
            return null;
          end $$`.execute(db);
        for (const table of cachedTables) {
          await sql`create constraint trigger ${sql.raw(`${table}_changed`)} after insert or update or delete on ${sql.table(table)}
            deferrable initially deferred for each row execute function gatehouse_store_changed()`.execute(db);
        }
        return;
      }
      for (const table of cachedTables) {
        for (const change of ["insert", "update", "delete"]) {
          await sql`create trigger ${sql.raw(`${table}_${change}_changed`)} after ${sql.raw(change)} on ${sql.table(table)}
            begin update store_generation set generation = generation + 1 where id = 1; end`.execute(db);
        }
      }
    },
  };
}
