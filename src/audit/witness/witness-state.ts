import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";

/** What a witness remembers of one log: the latest checkpoint it cosigned. */
export interface WitnessedLog {
  origin: string;
  /** The verifier key the checkpoint's signature was checked with. */
  verifierKey: string;
  size: number;
  root: Buffer;
  /** The signed checkpoint note as submitted. */
  checkpoint: string;
  updatedAt: number;
}

/** A refused request whose log signature verified: possible proof of a log forking or rewriting its history. */
export interface Evidence {
  origin: string;
  at: number;
  reason: string;
  request: string;
}

interface LogRow {
  origin: string;
  verifier_key: string;
  size: number;
  root: string;
  checkpoint: string;
  updated_at: number;
}

/**
 * A witness's own small SQLite file. State is kept per origin, not per key: a log that starts
 * over under a new key with the same origin must still be consistent with what was cosigned.
 */
export class WitnessState {
  private readonly db: SQLite.Database;

  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.db = new SQLite(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(`
      create table if not exists logs (
        origin text primary key,
        verifier_key text not null,
        size integer not null,
        root text not null,
        checkpoint text not null,
        updated_at integer not null
      );
      create table if not exists evidence (
        id integer primary key autoincrement,
        origin text not null,
        at integer not null,
        reason text not null,
        request text not null
      );`);
  }

  /**
   * Runs work in one IMMEDIATE transaction: checking the stored size and storing the new one are
   * one step, even with another process on the same file, so a cosigned size never goes back.
   */
  atomically<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  get(origin: string): WitnessedLog | undefined {
    const row = this.db.prepare("select * from logs where origin = ?").get(origin) as LogRow | undefined;
    if (!row) return undefined;
    return {
      origin: row.origin,
      verifierKey: row.verifier_key,
      size: row.size,
      root: Buffer.from(row.root, "base64"),
      checkpoint: row.checkpoint,
      updatedAt: row.updated_at,
    };
  }

  put(log: WitnessedLog): void {
    this.db
      .prepare(
        `insert into logs (origin, verifier_key, size, root, checkpoint, updated_at) values (?, ?, ?, ?, ?, ?)
         on conflict (origin) do update set verifier_key = excluded.verifier_key, size = excluded.size,
           root = excluded.root, checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
      )
      .run(log.origin, log.verifierKey, log.size, log.root.toString("base64"), log.checkpoint, log.updatedAt);
  }

  keepEvidence(evidence: Evidence): void {
    this.db.prepare("insert into evidence (origin, at, reason, request) values (?, ?, ?, ?)").run(evidence.origin, evidence.at, evidence.reason, evidence.request);
  }

  evidence(origin: string): Evidence[] {
    return this.db.prepare("select origin, at, reason, request from evidence where origin = ? order by id").all(origin) as Evidence[];
  }

  close(): void {
    this.db.close();
  }
}
