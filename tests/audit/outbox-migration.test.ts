import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/database.js";
import { migrationProvider } from "../../src/store/migrations/index.js";

describe("upgrading a SQLite store to the lean outbox (0003)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-upgrade-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps events not yet sequenced, their seqs and the counter, and drops the outbox's secondary indexes", async () => {
    const file = path.join(dir, "gatehouse.db");
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    const migrated = await new Migrator({ db: old, provider: migrationProvider("sqlite") }).migrateTo("0002-audit-log");
    expect(migrated.error).toBeUndefined();
    const row = (i: number) => sql`insert into events (id, tenant_id, at, actor, action, resource, decision, context, payload)
      values (${`event-${i}`}, null, ${i}, '{}', 'test.event', '{}', '{}', '{}', '{}')`;
    for (let i = 1; i <= 5; i++) await row(i).execute(old);
    await sql`delete from events where seq <= 3 or seq = 5`.execute(old); // sequenced already
    await old.destroy();

    const store = await openStore({ databaseUrl: `sqlite:${file}` });
    try {
      const kept = await store.db.selectFrom("events").select(["seq", "id"]).orderBy("seq").execute();
      expect(kept).toEqual([{ seq: 4, id: "event-4" }]);
      await sql`insert into events (id, tenant_id, at, actor, action, resource, decision, context, payload)
        values ('event-6', null, 6, '{}', 'test.event', '{}', '{}', '{}', '{}')`.execute(store.db);
      const next = await store.db.selectFrom("events").select("seq").where("id", "=", "event-6").executeTakeFirstOrThrow();
      expect(next.seq).toBe(6);
      const indexes = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'events'`.execute(store.db);
      expect(indexes.rows).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
