import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type QueryResult } from "kysely";
import { trackingChanges, type StoreChanges } from "./changes.js";
import type { Schema } from "./schema.js";
import { reusingStatements } from "./statement-cache.js";
import { WalCheckpointer } from "./wal-checkpointer.js";
import { WalSync } from "./wal-sync.js";

/**
 * The embedded store: better-sqlite3 in WAL mode behind Kysely, prepared statements reused
 * (statement-cache.ts), transactions that take the write lock when they begin, and every write
 * acknowledged only once it is on disk, without an fsync on the event loop (wal-sync.ts) or a
 * checkpoint on it (wal-checkpointer.ts).
 */
export function openSqlite(databaseUrl: string, changes: StoreChanges): { db: Kysely<Schema>; durable: () => Promise<void> } {
  const file = databaseUrl.slice("sqlite:".length);
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new SQLite(file);
  const wal = sqlite.pragma("journal_mode = WAL", { simple: true }) === "wal" && file !== ":memory:";
  // In WAL mode commits are made durable by WalSync; anywhere else SQLite syncs every commit itself.
  // NORMAL rather than OFF: this connection's own checkpoints (the backstop below, the one at close)
  // must sync the WAL before copying it and the database after. NORMAL also syncs the WAL's header
  // on the event loop when the WAL starts over; OFF without the backstop did away with that but
  // left the added p99 at 500 calls/s no better (four alternated benchmark runs).
  sqlite.pragma(wal ? "synchronous = NORMAL" : "synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const durability: WalDurability | undefined = wal
    ? { sync: new WalSync(`${path.resolve(file)}-wal`), checkpointer: new WalCheckpointer(path.resolve(file), () => sqlite.pragma("wal_autocheckpoint = 1000")) }
    : undefined;
  if (wal) {
    // A backstop, not the checkpointer: under steady writes a commit lands during nearly every
    // checkpoint of the worker's, so the WAL is never found fully copied when a write begins and is
    // never reused; past this many pages the commit that crosses it checkpoints the rest itself (the
    // worker has copied most of it) and the WAL starts over. Larger than SQLite's default of 1,000,
    // so that happens four times less often; the file is cut back to 64 MB when it restarts.
    sqlite.pragma("wal_autocheckpoint = 4000");
    sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  }
  const sync = durability?.sync;
  return {
    db: new Kysely<Schema>({ dialect: trackingChanges(new DurableSqliteDialect(reusingStatements(sqlite), durability), changes) }),
    durable: () => sync?.durable() ?? Promise.resolve(),
  };
}

/** How a WAL-mode database is kept durable off the event loop: commits synced by WalSync, checkpoints run by WalCheckpointer. */
interface WalDurability {
  sync: WalSync;
  checkpointer: WalCheckpointer;
}

const writeStatement = /^\s*(insert|update|delete|replace|create|drop|alter|with)\b/i;

/**
 * Starts a write that is answered without waiting for the WAL's fsync. It survives the process
 * crashing (its WAL frames reach the operating system at once), not a power loss: only for rows
 * whose loss then is harmless, such as proof nonces (agents/identity/nonces.ts).
 */
export const UNSYNCED_WRITE = "/* unsynced */ ";

/**
 * SQLite's one connection, telling its driver about writes outside a transaction (each its own
 * transaction, to be made durable before it is answered).
 */
class WriteNoticingConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly driver: DurableSqliteDriver,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.inner.executeQuery<R>(query);
    if (writeStatement.test(query.sql) && !query.sql.startsWith(UNSYNCED_WRITE)) this.driver.wrote();
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/**
 * Transactions take the write lock when they begin: a deferred transaction that reads and then
 * writes fails at once with SQLITE_BUSY when another process (a CLI command on the same data
 * directory) committed in between; an immediate one waits for busy_timeout.
 *
 * A write is answered only once durable: the connection is handed back first (so reads and the
 * next transaction go on meanwhile), then the caller waits for the WAL's fsync.
 */
class DurableSqliteDriver extends SqliteDriver {
  private connection: WriteNoticingConnection | undefined;
  private inTransaction = false;
  private dirty = false;

  constructor(
    config: ConstructorParameters<typeof SqliteDriver>[0],
    private readonly wal: WalDurability | undefined,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await super.acquireConnection();
    this.connection ??= new WriteNoticingConnection(inner, this);
    return this.connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
    this.inTransaction = true;
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.commitTransaction(connection);
    } finally {
      this.inTransaction = false;
    }
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } finally {
      this.inTransaction = false;
      this.dirty = false;
    }
  }

  /** A statement that writes ran: in a transaction, its commit must be synced; outside one, the statement itself. */
  wrote(): void {
    this.dirty = true;
  }

  override async releaseConnection(): Promise<void> {
    const wrote = this.dirty && !this.inTransaction;
    if (wrote) this.dirty = false;
    await super.releaseConnection();
    if (wrote && this.wal) await this.wal.sync.durable();
  }

  override async destroy(): Promise<void> {
    await this.wal?.checkpointer.stop();
    await super.destroy();
    await this.wal?.sync.close();
  }
}

class DurableSqliteDialect extends SqliteDialect {
  constructor(
    private readonly database: ReturnType<typeof reusingStatements>,
    private readonly wal: WalDurability | undefined,
  ) {
    super({ database });
  }

  override createDriver(): Driver {
    return new DurableSqliteDriver({ database: this.database }, this.wal);
  }
}
