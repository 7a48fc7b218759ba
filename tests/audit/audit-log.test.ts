import { ephemeralSecretBox } from "../../src/secrets/secret-box.js";
import { createHash, generateKeyPairSync } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { AuditLog } from "../../src/audit/log/audit-log.js";
import { Frontier, leafHash, verifyConsistency, verifyInclusion } from "../../src/audit/log/merkle.js";
import { parseCheckpointText, parseNote, seedOf, signerFromSeed, verifySignature } from "../../src/audit/log/note.js";
import { createGatehouse, type Gatehouse } from "../../src/gatehouse.js";
import { canonicalJson } from "../../src/shared/json.js";
import { storeTargets } from "../support/stores.js";

const signer = signerFromSeed("gatehouse.test/log", seedOf(generateKeyPairSync("ed25519").privateKey));

describe.each(storeTargets)("the Merkle audit log on $name", (target) => {
  let fresh: Awaited<ReturnType<typeof target.fresh>>;
  let gatehouse: Gatehouse;
  let log: AuditLog;

  const open = async () => {
    gatehouse = await createGatehouse({ databaseUrl: fresh.databaseUrl, schema: fresh.schema, logSigner: signer, secrets: ephemeralSecretBox() });
    log = gatehouse.auditLog;
  };
  const record = async (count: number, from = 0) => {
    const ctx = actionContext(systemActor("test"));
    for (let i = from; i < from + count; i++) {
      await gatehouse.recorder.record(gatehouse.store.db, ctx, {
        action: "test.event",
        resource: { kind: "test", name: `item-${i}` },
        decision: { outcome: "allowed" },
        context: { taskId: `task-${i % 3}` },
        payload: { i },
      });
    }
  };
  const leaves = async () => {
    const rows = await gatehouse.store.db.selectFrom("log_entries").select(["seq", "entry", "payload"]).orderBy("seq").execute();
    return rows.map((r) => ({ seq: r.seq, text: r.entry, body: r.payload, leaf: leafHash(Buffer.from(r.entry, "utf8")) }));
  };

  beforeAll(async () => {
    fresh = await target.fresh();
    await open();
  });
  afterAll(async () => {
    await gatehouse?.close();
    await fresh?.dispose();
  });

  it("moves recorded events into the log in order, as canonical JSON, and empties the outbox", async () => {
    await record(300);
    await log.flush();
    expect(await log.size()).toBe(300);
    expect(await gatehouse.store.db.selectFrom("events").selectAll().execute()).toEqual([]);
    const entries = await leaves();
    let lastAt = 0;
    entries.forEach((e, i) => {
      const parsed = JSON.parse(e.text);
      expect(parsed.seq).toBe(i);
      expect(parsed.payload).toBeUndefined();
      expect(parsed.payloadHash).toBe(createHash("sha256").update(e.body ?? "").digest("hex"));
      expect(JSON.parse(e.body ?? "null")).toEqual({ data: { i }, salt: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
      expect(parsed.at).toBeGreaterThanOrEqual(lastAt);
      lastAt = parsed.at;
      expect(canonicalJson(parsed)).toBe(e.text);
    });
  });

  it("signs a checkpoint whose root is the RFC 9162 root of the stored entries", async () => {
    const checkpoint = await log.latestCheckpoint();
    expect(checkpoint?.size).toBe(300);
    const note = parseNote(checkpoint!.note);
    expect(verifySignature(note, signer).ok).toBe(true);
    const frontier = new Frontier();
    for (const e of await leaves()) frontier.append(e.leaf);
    expect(parseCheckpointText(note.text)).toEqual({ origin: "gatehouse.test/log", size: 300, root: frontier.root() });
  });

  it("serves inclusion proofs that verify against the checkpoint, across stored subtrees", async () => {
    const checkpoint = (await log.latestCheckpoint())!;
    const root = Buffer.from(checkpoint.root, "hex");
    const entries = await leaves();
    for (const seq of [0, 1, 127, 255, 256, 257, 299]) {
      const proof = await log.inclusionProof(seq, checkpoint.size);
      expect(verifyInclusion(seq, checkpoint.size, entries[seq]!.leaf, proof, root), `seq ${seq}`).toBe(true);
      expect(verifyInclusion(seq, checkpoint.size, entries[(seq + 1) % 300]!.leaf, proof, root)).toBe(false);
    }
  });

  it("continues the same tree after a restart, consistent with the earlier checkpoint", async () => {
    const before = (await log.latestCheckpoint())!;
    await gatehouse.close();
    await open();
    await record(250, 300);
    await log.flush();
    const after = (await log.latestCheckpoint())!;
    expect(after.size).toBe(550);
    const proof = await log.consistencyProof(before.size, after.size);
    expect(verifyConsistency(before.size, after.size, Buffer.from(before.root, "hex"), Buffer.from(after.root, "hex"), proof)).toBe(true);
    const frontier = new Frontier();
    for (const e of await leaves()) frontier.append(e.leaf);
    expect(frontier.root().toString("hex")).toBe(after.root);
    // Every checkpoint is kept, growing with the log.
    const sizes = (await log.checkpoints()).map((c) => c.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(sizes).toEqual(expect.arrayContaining([300, 550]));
  });

  it("issues no checkpoint when nothing new arrived", async () => {
    expect(await log.checkpoint(true)).toBeUndefined();
  });

  it.runIf(target.name === "postgres")("refuses UPDATE, DELETE and TRUNCATE on the log tables, even for their owner", async () => {
    const db = gatehouse.store.db;
    for (const statement of [
      sql`update log_entries set entry = '{}' where seq = 1`,
      sql`delete from log_entries where seq = 1`,
      sql`truncate log_entries`,
      sql`update log_checkpoints set note = 'x'`,
      sql`delete from log_nodes`,
      sql`truncate log_cosignatures`,
    ]) {
      await expect(statement.execute(db)).rejects.toThrow(/append-only/);
    }
    expect(await log.size()).toBe(550);
  });
});

describe.each(storeTargets)("the sequencer's batching on $name", (target) => {
  let fresh: Awaited<ReturnType<typeof target.fresh>>;
  let gatehouse: Gatehouse;

  beforeAll(async () => {
    fresh = await target.fresh();
    gatehouse = await createGatehouse({ databaseUrl: fresh.databaseUrl, schema: fresh.schema, logSigner: signer, secrets: ephemeralSecretBox() });
    await gatehouse.auditLog.stop(); // this test's sequencer alone moves the events
  });
  afterAll(async () => {
    await gatehouse?.close();
    await fresh?.dispose();
  });

  it("sequences the events committed while a nudge waits in one transaction, without waiting for a poll", async () => {
    const log = new AuditLog(gatehouse.store.db, gatehouse.store.dialect, signer, { batchDelayMs: 300, pollIntervalMs: 60_000 });
    const batches: number[] = [];
    const sequenceBatch = log.sequenceBatch.bind(log);
    log.sequenceBatch = async () => {
      const moved = await sequenceBatch();
      if (moved > 0) batches.push(moved);
      return moved;
    };
    gatehouse.recorder.onCommitted = () => log.nudge();
    const before = await log.size();
    const ctx = actionContext(systemActor("test"));
    // One commit after another, each nudging: before batching, each ran the sequencer on its own.
    for (let i = 0; i < 10; i++) {
      await gatehouse.recorder.record(gatehouse.store.db, ctx, { action: "test.burst", resource: { kind: "test", name: `burst-${i}` }, decision: { outcome: "allowed" } });
    }
    // Waited for through the sequencer's own count, not the log's size: a batch's commit is
    // visible to readers before its fsync returns and sequenceBatch resolves.
    await expect.poll(() => batches.reduce((sum, moved) => sum + moved, 0), { timeout: 5_000, interval: 50 }).toBe(10);
    expect(batches).toEqual([10]);
    expect(await log.size()).toBe(before + 10);
    await log.stop();
  });
});
