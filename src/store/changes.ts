import type { CompiledQuery, DatabaseConnection, Dialect as KyselyDialect, Driver, QueryResult, TransactionSettings } from "kysely";

/** The tables whose rows are cached in memory (store/read-cache.ts): who may call, and how. */
export const cachedTables = [
  "tenants",
  "environments",
  "principals",
  "api_keys",
  "registry_records",
  "provider_credentials",
  "agent_lifecycle",
] as const;

export interface StoreChangesOptions {
  /** How often the store's change counter is read. */
  pollMs: number;
  /**
   * The longest a change made by another process may go unseen: cached reads are served only
   * while the counter was last read (successfully) less than this long ago; after that, and
   * whenever the store cannot be read, every read goes to the store.
   */
  boundMs: number;
}

export const defaultStoreChangesOptions: StoreChangesOptions = { pollMs: 250, boundMs: 1000 };

/**
 * Knows when what the caches hold may have changed. Its generation moves on
 *  - when this process writes to a cached table: as the statement starts, and again when its
 *    transaction commits (before that commit returns to the writer), so nothing this process
 *    changed is served stale once the change is acknowledged;
 *  - when the store's change counter (kept by triggers, migration 0006) has moved since the last
 *    poll: a change by another process or a direct SQL edit, seen within `boundMs`.
 */
export class StoreChanges {
  private current = 0;
  private stored: number | undefined;
  /** performance.now() when the last successful read of the counter started. */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly readCounter: () => Promise<number>,
    readonly options: StoreChangesOptions = defaultStoreChangesOptions,
  ) {}

  get generation(): number {
    return this.current;
  }

  /** Whether cached reads may be served now (the counter was read within the bound). */
  get trusted(): boolean {
    return performance.now() - this.confirmedAt < this.options.boundMs;
  }

  /** A cached table may have changed. */
  changed(): void {
    this.current++;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
    void this.poll();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.confirmedAt = Number.NEGATIVE_INFINITY;
  }

  /** Reads the store's counter once (concurrent calls share the read). */
  poll(): Promise<void> {
    this.polling ??= this.readOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async readOnce(): Promise<void> {
    const started = performance.now();
    try {
      const counter = await this.readCounter();
      if (counter !== this.stored) {
        this.stored = counter;
        this.changed();
      }
      if (this.timer) this.confirmedAt = started;
    } catch {
      // The store did not answer: once the bound passes, nothing is served from memory.
    }
  }
}

const writeStatement = /^\s*(insert|update|delete|replace|upsert|merge)\b/i;
const cachedTable = new RegExp(`\\b(${cachedTables.join("|")})\\b`, "i");

/** Whether a statement may change a cached table (by its SQL text; remembered per text). */
class WriteClassifier {
  private readonly seen = new Map<string, boolean>();

  changesCachedTable(sql: string): boolean {
    let result = this.seen.get(sql);
    if (result === undefined) {
      result = writeStatement.test(sql) && cachedTable.test(sql);
      if (this.seen.size >= 1024) this.seen.clear();
      this.seen.set(sql, result);
    }
    return result;
  }
}

/** A connection that tells StoreChanges about its writes to cached tables. */
class TrackedConnection implements DatabaseConnection {
  inTransaction = false;
  wroteCachedTable = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly classifier: WriteClassifier,
    private readonly changes: StoreChanges,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.classifier.changesCachedTable(query.sql)) return this.inner.executeQuery<R>(query);
    this.changes.changed();
    if (this.inTransaction) this.wroteCachedTable = true;
    try {
      return await this.inner.executeQuery<R>(query);
    } finally {
      // Autocommitted: the change is visible now, and whatever was read meanwhile is old.
      if (!this.inTransaction) this.changes.changed();
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    if (this.classifier.changesCachedTable(query.sql)) this.changes.changed();
    return this.inner.streamQuery<R>(query, chunkSize);
  }

  /** The transaction ended: if it wrote a cached table, what was read while it ran is old. */
  ended(): void {
    this.inTransaction = false;
    if (this.wroteCachedTable) this.changes.changed();
    this.wroteCachedTable = false;
  }
}

class TrackingDriver implements Driver {
  private readonly tracked = new WeakMap<DatabaseConnection, TrackedConnection>();
  private readonly classifier = new WriteClassifier();

  constructor(
    private readonly inner: Driver,
    private readonly changes: StoreChanges,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let tracked = this.tracked.get(connection);
    if (!tracked) {
      tracked = new TrackedConnection(connection, this.classifier, this.changes);
      this.tracked.set(connection, tracked);
    }
    return tracked;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const tracked = connection as TrackedConnection;
    await this.inner.beginTransaction(tracked.inner, settings);
    tracked.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const tracked = connection as TrackedConnection;
    try {
      await this.inner.commitTransaction(tracked.inner);
    } finally {
      tracked.ended();
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const tracked = connection as TrackedConnection;
    try {
      await this.inner.rollbackTransaction(tracked.inner);
    } finally {
      tracked.ended();
    }
  }

  savepoint: Driver["savepoint"] = (connection, name, compile) =>
    this.inner.savepoint ? this.inner.savepoint((connection as TrackedConnection).inner, name, compile) : Promise.reject(new Error("savepoints are not supported"));

  rollbackToSavepoint: Driver["rollbackToSavepoint"] = (connection, name, compile) =>
    this.inner.rollbackToSavepoint
      ? this.inner.rollbackToSavepoint((connection as TrackedConnection).inner, name, compile)
      : Promise.reject(new Error("savepoints are not supported"));

  releaseSavepoint: Driver["releaseSavepoint"] = (connection, name, compile) =>
    this.inner.releaseSavepoint
      ? this.inner.releaseSavepoint((connection as TrackedConnection).inner, name, compile)
      : Promise.reject(new Error("savepoints are not supported"));

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection((connection as TrackedConnection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** `dialect` with every connection reporting its writes to cached tables to `changes`. */
export function trackingChanges(dialect: KyselyDialect, changes: StoreChanges): KyselyDialect {
  return {
    createDriver: () => new TrackingDriver(dialect.createDriver(), changes),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
