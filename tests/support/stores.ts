import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

/** A store the suite runs against: SQLite always, PostgreSQL when GATEHOUSE_TEST_PG_URL is set. */
export interface StoreTarget {
  name: "sqlite" | "postgres";
  /** Makes a fresh, empty database for one test file or test; dispose() removes it. */
  fresh(): Promise<{ databaseUrl: string; schema?: string; dispose(): Promise<void> }>;
}

const pgUrl = process.env.GATEHOUSE_TEST_PG_URL;
if (!pgUrl && process.env.CI) {
  throw new Error("CI is set but GATEHOUSE_TEST_PG_URL is not: the PostgreSQL suite must run in CI");
}

const sqlite: StoreTarget = {
  name: "sqlite",
  async fresh() {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-test-"));
    return {
      databaseUrl: `sqlite:${path.join(dir, "gatehouse.db")}`,
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres = (url: string): StoreTarget => ({
  name: "postgres",
  async fresh() {
    const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    return {
      databaseUrl: url,
      schema,
      async dispose() {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`drop schema if exists ${schema} cascade`);
        } finally {
          await client.end();
        }
      },
    };
  },
});

export const storeTargets: StoreTarget[] = pgUrl ? [sqlite, postgres(pgUrl)] : [sqlite];
