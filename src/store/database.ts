import { Kysely, Migrator, PostgresDialect, type Transaction } from "kysely";
import { StoreChanges, trackingChanges, type StoreChangesOptions } from "./changes.js";
import { dialectOf, type Dialect } from "./dialect.js";
import { migrationProvider } from "./migrations/index.js";
import { openSqlite } from "./sqlite.js";
import type { Schema } from "./schema.js";

export type Db = Kysely<Schema>;
/** Anything queries can run on: the database itself or an open transaction. */
export type Executor = Kysely<Schema> | Transaction<Schema>;

export interface Store {
  db: Db;
  dialect: Dialect;
  /** When the cached tables may have changed (every store openStore opens has one). */
  changes?: StoreChanges;
  /**
   * Resolves once everything committed so far is on disk. Writers need not call it (a write is
   * answered only once durable); readers call it before they publish what they read, such as a
   * signed checkpoint, since SQLite shows a commit a moment before its fsync ends.
   */
  durable?(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  databaseUrl: string;
  /** PostgreSQL schema to work in (search_path); ignored by SQLite. */
  schema?: string;
  /** Size of the PostgreSQL connection pool. */
  poolSize?: number;
  /** How often other processes' changes to cached tables are looked for, and how late they may be seen. */
  changes?: StoreChangesOptions;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const dialect = dialectOf(options.databaseUrl);
  const changes: StoreChanges = new StoreChanges(() => readChangeCounter(db), options.changes);
  const sqlite = dialect === "sqlite" ? openSqlite(options.databaseUrl, changes) : undefined;
  const db: Db = sqlite ? sqlite.db : await openPostgres(options, changes);
  if (dialect === "postgres" && options.schema && options.schema !== "public") {
    await db.schema.createSchema(options.schema).ifNotExists().execute();
  }
  const store: Store = {
    db,
    dialect,
    changes,
    durable: sqlite ? sqlite.durable : () => Promise.resolve(),
    close: () => {
      changes.stop();
      return db.destroy();
    },
  };
  try {
    await migrate(store, dialect === "postgres" ? (options.schema ?? "public") : undefined);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  changes.start();
  return store;
}

async function readChangeCounter(db: Db): Promise<number> {
  const row = await db.selectFrom("store_generation").select("generation").where("id", "=", 1).executeTakeFirstOrThrow();
  return Number(row.generation);
}

/** The pg driver is loaded only when a PostgreSQL store is opened: an embedded (SQLite) process saves its memory and start-up time. */
async function openPostgres(options: StoreOptions, changes: StoreChanges): Promise<Db> {
  const { default: pg } = await import("pg");
  // int8 (bigint) columns hold epoch milliseconds and sequence numbers, well inside 2^53.
  pg.types.setTypeParser(20, (value) => Number(value));
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? 10,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
  });
  // An idle client that loses its connection must not crash the process; the next query fails instead.
  pool.on("error", () => undefined);
  return new Kysely<Schema>({ dialect: trackingChanges(new PostgresDialect({ pool }), changes) });
}

async function migrate(store: Store, schema: string | undefined): Promise<void> {
  // Naming the schema keeps Kysely's migration and lock tables in ours, not in whichever
  // schema of the same database happens to have them first.
  const migrator = new Migrator({
    db: store.db,
    provider: migrationProvider(store.dialect),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === "Error");
    if (!error && !failed) return;
    // Kysely looks for its tables by listing every schema's tables; another schema dropped at that
    // moment (another tenant's deployment, a test) fails the listing, not our migration: look again.
    if (!failed && isOtherSchemaDropped(error, schema) && attempt < 5) continue;
    const reason = error instanceof Error ? error.message : String(error ?? "unknown error");
    throw new Error(`Database migration ${failed?.migrationName ?? ""} failed: ${reason}`);
  }
}

function isOtherSchemaDropped(error: unknown, own: string | undefined): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : "";
  const named = /schema "([^"]+)" does not exist/.exec(message)?.[1];
  return code === "3F000" && named !== undefined && named !== own;
}
