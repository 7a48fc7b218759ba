import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/database.js";
import { packageRoot } from "../../src/shared/package-root.js";
import { WalCheckpointer } from "../../src/store/wal-checkpointer.js";
import { WalSync } from "../../src/store/wal-sync.js";

/**
 * SQLite commits are made durable by an fsync of the WAL on libuv's thread pool, not on the
 * event loop: each waiter is answered only by an fsync that started after it asked, concurrent
 * waiters share one, and once an fsync fails nothing is acknowledged any more.
 */
describe("WAL sync", () => {
  let dir: string;
  let db: SQLite.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-wal-"));
    db = new SQLite(path.join(dir, "db.sqlite"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec("create table t (v text)");
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a waiter only with an fsync that started after it asked", async () => {
    const sync = new WalSync(path.join(dir, "db.sqlite-wal"));
    db.prepare("insert into t values ('a')").run();
    const first = sync.durable();
    // Committed while the first fsync may already be running: it needs one of its own.
    db.prepare("insert into t values ('b')").run();
    const second = sync.durable();
    await first;
    expect(sync.syncs).toBe(1);
    await second;
    expect(sync.syncs).toBe(2);
    await sync.close();
  });

  it("lets concurrent waiters share fsyncs", async () => {
    const sync = new WalSync(path.join(dir, "db.sqlite-wal"));
    for (let i = 0; i < 100; i++) db.prepare("insert into t values (?)").run(String(i));
    await Promise.all(Array.from({ length: 100 }, () => sync.durable()));
    expect(sync.syncs).toBeLessThanOrEqual(2);
    await sync.close();
  });

  it("acknowledges nothing once an fsync has failed (fail closed)", async () => {
    const sync = new WalSync(path.join(dir, "missing", "db.sqlite-wal"));
    await expect(sync.durable()).rejects.toThrow(/could not be synced/);
    await expect(sync.durable()).rejects.toThrow(/could not be synced/);
    await sync.close();
  });
});

describe("the SQLite store", () => {
  it("runs in WAL mode with synchronous=NORMAL (WalSync makes commits durable) and answers writes", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-wal-store-"));
    const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, "gatehouse.db")}` });
    try {
      const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
      expect(journal.rows[0]?.journal_mode).toBe("wal");
      expect(synchronous.rows[0]?.synchronous).toBe(1);
      await store.db.transaction().execute((trx) => trx.insertInto("log_state").values({ id: 2, size: 0, frontier: "[]", last_at: 0 }).execute());
      await store.db.deleteFrom("log_state").where("id", "=", 2).execute();
      await store.durable?.();
      expect(await store.db.selectFrom("log_state").select("id").execute()).toEqual([{ id: 1 }]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checkpoints the WAL beside the event loop, not inside a commit, and removes it on close", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-wal-checkpoint-"));
    const file = path.join(dir, "gatehouse.db");
    const store = await openStore({ databaseUrl: `sqlite:${file}` });
    try {
      const automatic = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
      // The main connection's own checkpoint is a backstop far above what this test writes.
      expect(automatic.rows[0]?.wal_autocheckpoint).toBe(4000);
      await sql`create table bulk (v text)`.execute(store.db);
      const before = statSync(file).size;
      for (let i = 0; i < 200; i++) await sql`insert into bulk (v) values (${"x".repeat(4000)})`.execute(store.db);
      // The worker copies the WAL into the database file within its interval.
      await expect.poll(() => statSync(file).size, { timeout: 5000 }).toBeGreaterThan(before + 500_000);
    } finally {
      await store.close();
    }
    expect(existsSync(`${file}-wal`)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
  it("keeps the WAL bounded under steady writes: it starts over once the backstop is crossed", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-wal-bounded-"));
    const file = path.join(dir, "gatehouse.db");
    const store = await openStore({ databaseUrl: `sqlite:${file}` });
    try {
      await sql`create table bulk (v text)`.execute(store.db);
      // 60 MB in 15,000 commits, with the worker checkpointing all along: without the backstop the
      // WAL is never found fully copied when a write begins, and grows by all of it.
      for (let i = 0; i < 15_000; i++) await sql`insert into bulk (v) values (${"x".repeat(4000)})`.execute(store.db);
      expect(statSync(`${file}-wal`).size).toBeLessThan(40 * 1024 * 1024);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("the WAL checkpointer", () => {
  it("lets a process that closes its Gatehouse finish closing with nothing else to keep it alive", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-wal-exit-"));
    const dist = (module: string) => JSON.stringify(pathToFileURL(path.join(packageRoot(), "dist", module)).href);
    // Many events leave the worker a checkpoint to finish while the store closes, as at a busy shutdown.
    const script = `
      const { createGatehouse } = await import(${dist("gatehouse.js")});
      const { ephemeralLogSigner } = await import(${dist("audit/log/signing-key.js")});
      const { ephemeralSecretBox } = await import(${dist("secrets/secret-box.js")});
      const { actionContext } = await import(${dist("audit/recorder.js")});
      const { systemActor } = await import(${dist("audit/actor.js")});
      const gatehouse = await createGatehouse({ databaseUrl: ${JSON.stringify(`sqlite:${path.join(dir, "gatehouse.db")}`)}, logSigner: ephemeralLogSigner(), secrets: ephemeralSecretBox() });
      const ctx = actionContext(systemActor("test", null));
      const events = [];
      for (let i = 0; i < 20000; i++) events.push(gatehouse.recorder.record(gatehouse.store.db, ctx, { action: "test.event", resource: { kind: "test", name: String(i) }, decision: { outcome: "allowed" }, payload: { text: "x".repeat(200) } }));
      await Promise.all(events);
      await gatehouse.close();
      console.log("closed");`;
    // A file, not -e: a script given with -e keeps the process alive on its own.
    const file = path.join(dir, "close.mjs");
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
    rmSync(dir, { recursive: true, force: true });
    expect(child.stderr).toBe("");
    expect(child.stdout.trim()).toBe("closed");
  });

  it("reports a failure, so that the main connection checkpoints automatically again", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-wal-broken-"));
    const file = path.join(dir, "not-a-database");
    writeFileSync(file, "this is not an SQLite database, and a checkpoint of it fails".repeat(100));
    let failed = false;
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    const checkpointer = new WalCheckpointer(file, () => (failed = true), 10);
    await expect.poll(() => failed, { timeout: 5000 }).toBe(true);
    await checkpointer.stop();
    await expect.poll(() => warnings.length).toBeGreaterThan(0);
    process.off("warning", onWarning);
    // The operator is told SQLite's own reason, not "undefined".
    expect(warnings[0]).toMatch(/^the SQLite checkpoint worker failed \(SQLITE_NOTADB: file is not a database\)/);
    rmSync(dir, { recursive: true, force: true });
  });
});
