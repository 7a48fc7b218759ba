import type SQLite from "better-sqlite3";
import type { SqliteDatabase } from "kysely";

/**
 * better-sqlite3 behind Kysely, with prepared statements reused by their SQL text. Kysely's
 * SQLite driver prepares every statement it runs; compiling the SQL again on every call was
 * the largest single cost of a gateway call's queries (bench/gateway.ts). Statements are
 * immutable and SQLite re-prepares them itself after a schema change, so reuse is safe; a
 * statement still being iterated (busy) is never handed out twice: that call gets a fresh one.
 * The least recently used statements are dropped beyond `max`.
 */
export function reusingStatements(db: SQLite.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached && !cached.busy) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = db.prepare(sql);
      if (!cached) {
        if (cache.size >= max) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
