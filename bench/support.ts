import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import type { Actor } from "../src/audit/actor.js";
import type { EventInput } from "../src/audit/recorder.js";
import { ephemeralLogSigner } from "../src/audit/log/signing-key.js";
import { createGatehouse, type Gatehouse } from "../src/gatehouse.js";
import { ephemeralSecretBox } from "../src/secrets/secret-box.js";
import { openStore, type Store } from "../src/store/database.js";

/** The PostgreSQL the benchmarks use; each run works in a fresh schema and drops it. */
export const pgUrl = process.env.GATEHOUSE_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface BenchStore {
  name: "sqlite" | "postgres";
  store: Store;
  /** Closes the store and removes its database (temporary directory or schema). */
  dispose(): Promise<void>;
}

/** A fresh SQLite database file (WAL, commits made durable by WalSync, as openStore configures it) in a temporary directory. */
export async function freshSqlite(): Promise<BenchStore> {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-"));
  const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, "gatehouse.db")}` });
  return {
    name: "sqlite",
    store,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh schema on the local PostgreSQL; dropped again by dispose(). */
export async function freshPostgres(): Promise<BenchStore> {
  const schema = `bench_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const drop = async () => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  };
  let store: Store;
  try {
    store = await openStore({ databaseUrl: pgUrl, schema });
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
  return {
    name: "postgres",
    store,
    async dispose() {
      await store.close();
      await drop();
    },
  };
}

export async function describeStore(s: BenchStore): Promise<string> {
  if (s.name === "sqlite") {
    const row = await sql<{ v: string }>`select sqlite_version() as v`.execute(s.store.db);
    const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(s.store.db);
    const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(s.store.db);
    const syncNames = ["OFF", "NORMAL", "FULL", "EXTRA"];
    return `SQLite ${row.rows[0]?.v}, journal_mode=${journal.rows[0]?.journal_mode}, synchronous=${syncNames[sync.rows[0]?.synchronous ?? -1] ?? "?"}`;
  }
  const version = await sql<{ v: string }>`show server_version`.execute(s.store.db);
  const commit = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(s.store.db);
  const fsync = await sql<{ fsync: string }>`show fsync`.execute(s.store.db);
  const first = (r: { rows: Record<string, string>[] }) => Object.values(r.rows[0] ?? {})[0];
  return `PostgreSQL ${first(version)} (local), synchronous_commit=${first(commit)}, fsync=${first(fsync)}`;
}

export function machine(): string {
  const cpu = cpus();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  return `node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? "cpu"}, load average ${load}`;
}

/** Sorted-copy percentile (nearest rank) of a sample in milliseconds. */
export function percentiles(sample: Float64Array): { p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(sample).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");
export const fmtMs = (n: number): string => `${n.toFixed(2)} ms`;

/** Prints rows as an aligned table; the first row is the header. */
export function table(rows: string[][]): void {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join("  ");
  console.log(line(rows[0] ?? []));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
}

export const benchActor: Actor = { type: "user", id: "8f7e0c2a-5a0b-4d0e-9b1c-2f4d6a8b0c1d", name: "alice@example.com", tenantId: "tenant-a", role: "admin" };

/** A typical event: an admin call with a request id, a task id and a small payload (~600 bytes as stored). */
export function sampleEvent(i: number): EventInput {
  return {
    action: i % 10 === 0 ? "agent.update" : "admin.call",
    resource: { kind: i % 10 === 0 ? "agent" : "admin_api", name: i % 10 === 0 ? `agent-${i % 500}` : "GET /admin/v1/agents" },
    decision: { outcome: i % 17 === 0 ? "refused" : "allowed", reasons: i % 17 === 0 ? ["role viewer may not update agents"] : [] },
    context: { method: "GET", path: `/admin/v1/agents?cursor=${i}`, status: i % 17 === 0 ? 403 : 200, taskId: `task-${i % 64}` },
    payload: { before: { version: i, owner: "team-ml" }, after: { version: i + 1, owner: "team-ml" }, justification: null },
  };
}


/** A port on 127.0.0.1 that was free a moment ago (for a child process to listen on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1" }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/** A Gatehouse on a fresh SQLite file or PostgreSQL schema, removed again by dispose(). */
export async function benchGatehouse(kind: "sqlite" | "postgres"): Promise<{ gatehouse: Gatehouse; dispose(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-"));
  const schema = `bench_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const drop = async () => {
    rmSync(dir, { recursive: true, force: true });
    if (kind !== "postgres") return;
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`).finally(() => client.end());
  };
  const options = kind === "sqlite" ? { databaseUrl: `sqlite:${path.join(dir, "gatehouse.db")}` } : { databaseUrl: pgUrl, schema };
  let gatehouse: Gatehouse;
  try {
    gatehouse = await createGatehouse({ ...options, logSigner: ephemeralLogSigner(), secrets: ephemeralSecretBox() });
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
  return {
    gatehouse,
    async dispose() {
      await gatehouse.close();
      await drop();
    },
  };
}
