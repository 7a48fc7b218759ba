import { ephemeralSecretBox } from "../../src/secrets/secret-box.js";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ephemeralLogSigner } from "../../src/audit/log/signing-key.js";
import { createGatehouse, type Gatehouse } from "../../src/gatehouse.js";
import { grantAppRole } from "../../src/store/postgres-roles.js";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { storeTargets } from "../support/stores.js";

const postgres = storeTargets.find((t) => t.name === "postgres");

describe.runIf(postgres)("the application role on PostgreSQL", () => {
  const role = `gh_app_${randomBytes(4).toString("hex")}`;
  let fresh: Awaited<ReturnType<NonNullable<typeof postgres>["fresh"]>>;
  let owner: Gatehouse;
  let asApp: pg.Client;

  beforeAll(async () => {
    fresh = await postgres!.fresh();
    owner = await createGatehouse({ databaseUrl: fresh.databaseUrl, schema: fresh.schema, logSigner: ephemeralLogSigner(), secrets: ephemeralSecretBox() });
    await owner.recorder.record(owner.store.db, actionContext(systemActor("test")), {
      action: "test.event",
      resource: { kind: "test" },
      decision: { outcome: "allowed" },
    });
    await owner.auditLog.flush();
    const admin = new pg.Client({ connectionString: fresh.databaseUrl });
    await admin.connect();
    await admin.query(`create role ${role} login`);
    await admin.end();
    await grantAppRole(owner.store.db, role, fresh.schema!);
    const url = new URL(fresh.databaseUrl);
    url.username = role;
    url.password = "";
    asApp = new pg.Client({ connectionString: url.toString(), options: `-c search_path=${fresh.schema}` });
    await asApp.connect();
  });

  afterAll(async () => {
    await asApp?.end();
    await owner?.close();
    await fresh?.dispose();
    const admin = new pg.Client({ connectionString: fresh.databaseUrl });
    await admin.connect();
    await admin.query(`drop owned by ${role}`).catch(() => undefined);
    await admin.query(`drop role if exists ${role}`);
    await admin.end();
  });

  it("may read and append to the log but not change, remove or truncate it", async () => {
    expect((await asApp.query("select count(*)::int as n from log_entries")).rows[0].n).toBe(1);
    for (const statement of ["update log_entries set entry = '{}'", "delete from log_entries", "truncate log_entries", "delete from log_checkpoints"]) {
      await expect(asApp.query(statement)).rejects.toThrow(/permission denied/);
    }
  });

  it("may still do the application's work on the other tables", async () => {
    await asApp.query("select * from registry_records limit 1");
    await asApp.query("update log_state set last_at = last_at");
    await asApp.query("delete from events where seq < 0");
  });
});
