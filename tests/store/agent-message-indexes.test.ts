import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { storeTargets } from "../support/stores.js";

/**
 * Retention and the start-up search for pending webhook pushes read agent_messages by tenant
 * and time, and by webhook state: each must be answered from an index, not by reading every
 * message ever kept. The queries are written here as those two write them.
 */
describe.each(storeTargets)("agent_messages indexes ($name)", (target) => {
  let store: Store;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await target.fresh();
    dispose = fresh.dispose;
    store = await openStore({ databaseUrl: fresh.databaseUrl, schema: fresh.schema });
  });
  afterAll(async () => {
    await store?.close();
    await dispose?.();
  });

  async function plan(query: { compile(): { sql: string; parameters: readonly unknown[] } }): Promise<string> {
    const compiled = query.compile();
    // A plan cannot take bound parameters in PostgreSQL's EXPLAIN: literals stand in for them.
    const text = compiled.parameters.reduce<string>((q, p, i) => q.replace(store.dialect === "postgres" ? `$${i + 1}` : "?", typeof p === "string" ? `'${p}'` : String(p)), compiled.sql);
    if (store.dialect === "sqlite") {
      const rows = await sql<{ detail: string }>`explain query plan ${sql.raw(text)}`.execute(store.db);
      return rows.rows.map((r) => r.detail).join("\n");
    }
    return store.db.transaction().execute(async (trx) => {
      // On an empty table PostgreSQL would rightly scan it: what is asked is whether an index can answer.
      await sql`set local enable_seqscan = off`.execute(trx);
      const rows = await sql<{ "QUERY PLAN": string }>`explain ${sql.raw(text)}`.execute(trx);
      return rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
    });
  }

  it("finds a tenant's messages received before a time through agent_messages_tenant_received", async () => {
    const retention = store.db
      .selectFrom("agent_messages")
      .select("id")
      .where((eb) => eb.and([eb("tenant_id", "=", "t1"), eb("received_at", "<", 1_000), eb.or([eb("acked_at", "is not", null), eb("webhook_status", "=", "delivered")])]));
    expect(await plan(retention)).toContain("agent_messages_tenant_received");
  });

  it("finds the messages whose webhook push is pending through agent_messages_webhook_status", async () => {
    const pending = store.db.selectFrom("agent_messages").selectAll().where("webhook_status", "=", "pending").orderBy("received_at");
    expect(await plan(pending)).toContain("agent_messages_webhook_status");
  });
});
