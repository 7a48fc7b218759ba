import { CompiledQuery, type Compilable, type QueryResult } from "kysely";
import type { Executor } from "./database.js";

type Values = Record<string, unknown>;

interface Compiled<P> {
  sql: string;
  /** Per parameter of the compiled query: the value's name, or undefined for a constant of the query itself. */
  slots: (keyof P | undefined)[];
  constants: readonly unknown[];
}

/**
 * A query Kysely builds and compiles once, then runs with new values. Building and compiling
 * costs tens of microseconds for a join, on every call; for the queries every agent request runs
 * (authentication, the grant check, the nonce) that was a good part of their cost. The query is
 * compiled with a unique sentinel string in place of each value, so each run puts the values in
 * the sentinels' places. Only queries whose shape does not depend on the values qualify (no
 * lists whose length varies, no conditions added for some values).
 */
export class CompiledOnce<P extends Values, R> {
  private readonly compiled = new WeakMap<Executor, Compiled<P>>();

  constructor(
    private readonly names: readonly (keyof P & string)[],
    private readonly build: (db: Executor, values: P) => Compilable<R>,
  ) {}

  execute(db: Executor, values: P): Promise<QueryResult<R>> {
    return db.executeQuery(this.with(db, values));
  }

  /** The compiled query with these values, to run as it is or changed (see UNSYNCED_WRITE). */
  with(db: Executor, values: P): CompiledQuery<R> {
    let compiled = this.compiled.get(db);
    if (!compiled) {
      compiled = this.compile(db);
      this.compiled.set(db, compiled);
    }
    const { slots, constants } = compiled;
    return CompiledQuery.raw(compiled.sql, slots.map((name, i) => (name === undefined ? constants[i] : values[name]))) as CompiledQuery<R>;
  }

  async first(db: Executor, values: P): Promise<R | undefined> {
    return (await this.execute(db, values)).rows[0];
  }

  private compile(db: Executor): Compiled<P> {
    const sentinels = Object.fromEntries(this.names.map((name) => [name, `\u0000compiled-once:${name}\u0000`])) as Values;
    const byValue = new Map(this.names.map((name) => [sentinels[name], name]));
    const query = this.build(db, sentinels as P).compile();
    const slots = query.parameters.map((value) => byValue.get(value));
    const seen = new Set(slots.filter((s) => s !== undefined));
    const missing = this.names.filter((name) => !seen.has(name));
    if (missing.length > 0) throw new Error(`compiled query does not use ${missing.join(", ")}`);
    return { sql: query.sql, slots, constants: query.parameters };
  }
}
