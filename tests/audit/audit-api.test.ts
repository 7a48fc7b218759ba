import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemActor } from "../../src/audit/actor.js";
import { leafHash, verifyConsistency, verifyInclusion } from "../../src/audit/log/merkle.js";
import { parseCheckpointText, parseNote, parseVerifierKey, verifySignature } from "../../src/audit/log/note.js";
import { actionContext } from "../../src/audit/recorder.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";

describe.each(storeTargets)("the audit API on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  let other: TestTenant;

  const step = (tenant: TestTenant, taskId: string, action: string, i: number) =>
    h.gatehouse.recorder.record(h.gatehouse.store.db, actionContext(systemActor("agent-runtime", tenant.id)), {
      action,
      resource: { kind: "tool", name: `tool-${i}` },
      decision: { outcome: i % 2 ? "refused" : "allowed", reasons: [`policy-${i}`] },
      context: { taskId },
      payload: { step: i },
    });

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("audited");
    other = await h.createTenant("audited-other");
    for (let i = 0; i < 6; i++) await step(t, "order-12345", i < 3 ? "tool.call" : "model.invoke", i);
    await step(other, "order-12345", "tool.call", 99);
    await h.admin(t.keys.developer, "POST", "/tools", { name: "searchable", owner: "team", spec: sampleSpecs.tool });
  });
  afterAll(async () => h?.close());

  it("queries the tenant's log by task, action, actor and time, a page at a time", async () => {
    const byTask = await h.admin(t.keys.auditor, "GET", "/audit?task=order-12345");
    expect(byTask.status).toBe(200);
    expect(byTask.body.items.map((e: any) => e.payload.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(byTask.body.items.every((e: any) => e.tenant === t.id)).toBe(true);

    const models = await h.admin(t.keys.auditor, "GET", "/audit?task=order-12345&action=model.invoke");
    expect(models.body.items.map((e: any) => e.payload.step)).toEqual([3, 4, 5]);

    const developer = await h.admin(t.keys.auditor, "GET", `/audit?actor=${t.principalIds.developer}`);
    expect(developer.body.items.map((e: any) => e.action)).toEqual(["tool.create"]);

    const page1 = await h.admin(t.keys.auditor, "GET", "/audit?task=order-12345&limit=4");
    const page2 = await h.admin(t.keys.auditor, "GET", `/audit?task=order-12345&limit=4&after=${page1.body.next}`);
    expect([...page1.body.items, ...page2.body.items].map((e: any) => e.payload.step)).toEqual([0, 1, 2, 3, 4, 5]);

    const future = await h.admin(t.keys.auditor, "GET", `/audit?from=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future.body.items).toEqual([]);
    expect((await h.admin(t.keys.auditor, "GET", "/audit?from=yesterday")).status).toBe(400);
  });

  it("never shows another tenant's entries, even for the same task id", async () => {
    const theirs = await h.admin(other.keys.auditor, "GET", "/audit?task=order-12345");
    expect(theirs.body.items.map((e: any) => e.payload.step)).toEqual([99]);
    const all = await h.admin(other.keys.auditor, "GET", "/audit?limit=1000");
    expect(all.body.items.every((e: any) => e.tenant === other.id)).toBe(true);
  });

  it("gives inclusion proofs that verify against the signed checkpoint with the log's key", async () => {
    const { key } = (await h.admin(t.keys.auditor, "GET", "/audit/key")).body;
    const entry = (await h.admin(t.keys.auditor, "GET", "/audit?task=order-12345")).body.items[2];
    const res = await h.admin(t.keys.auditor, "GET", `/audit/entries/${entry.seq}/proof`);
    expect(res.status).toBe(200);
    const note = parseNote(res.body.checkpoint);
    expect(verifySignature(note, parseVerifierKey(key)).ok).toBe(true);
    const checkpoint = parseCheckpointText(note.text);
    const proof = res.body.proof.map((p: string) => Buffer.from(p, "base64"));
    expect(verifyInclusion(entry.seq, checkpoint.size, leafHash(Buffer.from(res.body.entry, "utf8")), proof, checkpoint.root)).toBe(true);
    // The entry commits to its payload body by hash; the body carries the payload the search showed.
    const { payload, payloadState, ...fields } = entry;
    expect(payloadState).toBe("present");
    expect(JSON.parse(res.body.entry)).toEqual({ ...fields, payloadHash: createHash("sha256").update(res.body.payload).digest("hex") });
    expect(JSON.parse(res.body.payload).data).toEqual(payload);
    // Another tenant's entry is not found, and neither is nonsense.
    expect((await h.admin(other.keys.auditor, "GET", `/audit/entries/${entry.seq}/proof`)).status).toBe(404);
    expect((await h.admin(t.keys.auditor, "GET", "/audit/entries/not-a-number/proof")).status).toBe(404);
  });

  it("gives consistency proofs between checkpoints", async () => {
    await h.gatehouse.auditLog.flush();
    await step(t, "later", "tool.call", 7);
    await h.gatehouse.auditLog.flush();
    const checkpoints = (await h.admin(t.keys.auditor, "GET", "/audit/checkpoints")).body.items;
    const [newer, older] = checkpoints;
    const res = await h.admin(t.keys.auditor, "GET", `/audit/consistency?from=${older.size}&to=${newer.size}`);
    expect(res.status).toBe(200);
    const proof = res.body.proof.map((p: string) => Buffer.from(p, "base64"));
    expect(verifyConsistency(older.size, newer.size, Buffer.from(older.root, "hex"), Buffer.from(newer.root, "hex"), proof)).toBe(true);
    expect((await h.admin(t.keys.auditor, "GET", `/audit/consistency?from=${newer.size}&to=${older.size}`)).status).toBe(400);
    expect((await h.admin(t.keys.auditor, "GET", `/audit/consistency?from=1&to=${newer.size + 1000}`)).status).toBe(404);
  });

  it("replays a task as an ordered, verified timeline with decisions and reasons", async () => {
    const res = await h.admin(t.keys.auditor, "GET", "/audit/tasks/order-12345/replay");
    expect(res.status).toBe(200);
    expect(res.body.entries.map((e: any) => [e.entry.action, e.entry.decision.outcome, e.entry.decision.reasons[0]])).toEqual([
      ["tool.call", "allowed", "policy-0"],
      ["tool.call", "refused", "policy-1"],
      ["tool.call", "allowed", "policy-2"],
      ["model.invoke", "refused", "policy-3"],
      ["model.invoke", "allowed", "policy-4"],
      ["model.invoke", "refused", "policy-5"],
    ]);
    const root = Buffer.from(res.body.checkpoint.root, "hex");
    // Each replayed entry carries a proof that the auditor can check on their own.
    for (const { entry, text, body, proof } of res.body.entries) {
      expect(JSON.parse(text)).toMatchObject({ seq: entry.seq, action: entry.action, payloadHash: createHash("sha256").update(body).digest("hex") });
      const leaf = leafHash(Buffer.from(text, "utf8"));
      const hashes = proof.map((p: string) => Buffer.from(p, "base64"));
      expect(verifyInclusion(entry.seq, res.body.checkpoint.size, leaf, hashes, root)).toBe(true);
    }
    expect((await h.admin(other.keys.auditor, "GET", "/audit/tasks/order-12345/replay")).body.entries).toHaveLength(1);
    expect((await h.admin(t.keys.auditor, "GET", "/audit/tasks/no-such-task/replay")).status).toBe(404);
  });

  it("is for auditors: a developer may not read the log", async () => {
    expect((await h.admin(t.keys.developer, "GET", "/audit")).status).toBe(403);
    expect((await h.admin(t.keys.owner, "GET", "/audit")).status).toBe(200);
  });
});
