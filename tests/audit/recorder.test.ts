import { ephemeralSecretBox } from "../../src/secrets/secret-box.js";
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemActor } from "../../src/audit/actor.js";
import { seedOf, signerFromSeed } from "../../src/audit/log/note.js";
import { actionContext } from "../../src/audit/recorder.js";
import { createGatehouse, type Gatehouse } from "../../src/gatehouse.js";
import { storeTargets } from "../support/stores.js";

const signer = signerFromSeed("gatehouse.test/log", seedOf(generateKeyPairSync("ed25519").privateKey));

describe.each(storeTargets)("group commit of record() on $name", (target) => {
  let fresh: Awaited<ReturnType<typeof target.fresh>>;
  let gatehouse: Gatehouse;

  beforeAll(async () => {
    fresh = await target.fresh();
    gatehouse = await createGatehouse({ databaseUrl: fresh.databaseUrl, schema: fresh.schema, logSigner: signer, secrets: ephemeralSecretBox() });
    await gatehouse.auditLog.stop();
  });
  afterAll(async () => {
    await gatehouse?.close();
    await fresh?.dispose();
  });

  it("gives each of many concurrent calls (several groups) the seq of its own committed row", async () => {
    // Hold the sequencer off, so that the outbox still holds every row to compare with.
    gatehouse.recorder.onCommitted = () => undefined;
    const ctx = actionContext(systemActor("test"));
    const results = await Promise.all(
      Array.from({ length: 1234 }, (_, i) =>
        gatehouse.recorder.record(gatehouse.store.db, ctx, {
          action: "test.event",
          resource: { kind: "test", name: `item-${i}` },
          decision: { outcome: "allowed" },
          payload: { i },
        }),
      ),
    );
    const rows = await gatehouse.store.db.selectFrom("events").select(["id", "seq", "payload"]).execute();
    expect(rows).toHaveLength(1234);
    const byId = new Map(rows.map((r) => [r.id, r]));
    results.forEach((result, i) => {
      const row = byId.get(result.id);
      expect(row?.seq).toBe(result.seq);
      expect(JSON.parse(row?.payload ?? "null").data).toEqual({ i });
    });
    expect(new Set(results.map((r) => r.seq)).size).toBe(1234);

    await gatehouse.auditLog.flush();
    expect(await gatehouse.auditLog.size()).toBe(1234);
  });
});
