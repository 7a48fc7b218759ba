import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemActor } from "../../src/audit/actor.js";
import { exportLogToFile } from "../../src/audit/log/export.js";
import { leafHash, verifyInclusion } from "../../src/audit/log/merkle.js";
import { parseCheckpointText, parseNote, parseVerifierKey } from "../../src/audit/log/note.js";
import { verifyLogFile } from "../../src/audit/log/verifier.js";
import { subjectRef } from "../../src/audit/privacy/subject-keys.js";
import { actionContext } from "../../src/audit/recorder.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";

const DAY = 24 * 60 * 60 * 1000;

describe.each(storeTargets)("audit retention and erasure on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  let other: TestTenant;
  let dir: string;

  const verifyExport = async (name: string) => {
    await h.gatehouse.auditLog.flush();
    const file = path.join(dir, name);
    await exportLogToFile(h.gatehouse.store.db, h.gatehouse.auditLog, file);
    return verifyLogFile(file, { key: parseVerifierKey(h.gatehouse.auditLog.signer.text) });
  };
  const search = async (tenant: TestTenant, query: string) => (await h.admin(tenant.keys.auditor, "GET", `/audit?${query}`)).body.items;
  const setRetention = (tenant: TestTenant, retentionDays: number) =>
    h.gatehouse.transaction(async (trx) => {
      const { settings } = await h.gatehouse.tenants.get(tenant.id, trx);
      await h.gatehouse.tenants.updateSettings(trx, actionContext(systemActor("test", tenant.id)), tenant.id, { ...settings, audit: { retentionDays } });
    });
  const note = (tenant: TestTenant, i: number) =>
    h.gatehouse.recorder.record(h.gatehouse.store.db, actionContext(systemActor("agent-runtime", tenant.id)), {
      action: "test.note",
      resource: { kind: "test", name: `note-${i}` },
      decision: { outcome: "allowed" },
      payload: { i, text: `remember ${i}` },
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-retention-"));
    h = await startHarness(target);
    t = await h.createTenant("kept");
    other = await h.createTenant("kept-other");
  });
  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe("erasure", () => {
    let ann: { id: string };

    beforeAll(async () => {
      ann = (await h.admin(t.keys.admin, "POST", "/principals", { kind: "user", name: "ann", email: "ann.private@example.com", role: "viewer" })).body;
    });

    it("seals a person's record in the log: readable through the API, never stored in the clear", async () => {
      const [created] = await search(t, "action=principal.create&limit=1000").then((items) => items.filter((e: any) => e.resource.id === ann.id));
      expect(created).toMatchObject({ payloadState: "present", payload: { after: { email: "ann.private@example.com" } } });
      const rows = await h.gatehouse.store.db.selectFrom("log_entries").select(["entry", "payload"]).where("tenant_id", "=", t.id).execute();
      expect(rows.some((r) => `${r.entry}${r.payload}`.includes("ann.private@example.com"))).toBe(false);
    });

    it("shreds the person's data with their key; the erasure is logged without naming them, and the log still verifies", async () => {
      const res = await h.admin(t.keys.admin, "POST", "/audit/erasures", { subject: `principal:${ann.id}`, justification: "GDPR art. 17 request #42" });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ subjectRef: subjectRef(t.id, `principal:${ann.id}`), keyDestroyed: true });

      const [created] = (await search(t, "action=principal.create&limit=1000")).filter((e: any) => e.resource.id === ann.id);
      expect(created.payloadState).toBe("erased");
      expect(JSON.stringify(created.payload)).not.toContain("ann.private@example.com");

      const [erasure] = await search(t, "action=audit.subject_erased");
      expect(erasure).toMatchObject({
        resource: { kind: "data_subject", id: subjectRef(t.id, `principal:${ann.id}`) },
        payload: { keyDestroyed: true, justification: "GDPR art. 17 request #42" },
      });
      expect(JSON.stringify(erasure)).not.toContain(ann.id);

      const again = await h.admin(t.keys.admin, "POST", "/audit/erasures", { subject: `principal:${ann.id}`, justification: "again" });
      expect(again.body.keyDestroyed).toBe(false);
      expect(await verifyExport("after-erasure.jsonl")).toMatchObject({ ok: true });
    });

    it("needs the subject named, or the tenant-wide key asked for explicitly", async () => {
      const neither = await h.admin(t.keys.admin, "POST", "/audit/erasures", { justification: "forgot the subject" });
      expect(neither.status).toBe(400);
      expect(neither.body.error).toMatchObject({ code: "invalid_request", field: "subject" });
      const both = await h.admin(t.keys.admin, "POST", "/audit/erasures", { subject: "user:x", tenantWide: true, justification: "both" });
      expect(both.status).toBe(400);
      const tenantWide = await h.admin(t.keys.admin, "POST", "/audit/erasures", { tenantWide: true, justification: "tenant leaves" });
      expect(tenantWide.body).toEqual({ subjectRef: subjectRef(t.id, null), keyDestroyed: false });
    });

    it("erases only within the caller's tenant, and only for owners and admins", async () => {
      const bob = (await h.admin(other.keys.admin, "POST", "/principals", { kind: "user", name: "bob", email: "bob@example.com", role: "viewer" })).body;
      // The same subject string in another tenant names another subject.
      await h.admin(t.keys.admin, "POST", "/audit/erasures", { subject: `principal:${bob.id}`, justification: "wrong tenant" });
      const [created] = (await search(other, "action=principal.create&limit=1000")).filter((e: any) => e.resource.id === bob.id);
      expect(created).toMatchObject({ payloadState: "present", payload: { after: { email: "bob@example.com" } } });
      for (const role of ["auditor", "developer", "approver", "viewer"] as const) {
        expect((await h.admin(other.keys[role], "POST", "/audit/erasures", { subject: `principal:${bob.id}`, justification: "x" })).status).toBe(403);
      }
    });
  });

  describe("retention", () => {
    it("refuses a run for a tenant that keeps payloads for ever", async () => {
      const res = await h.admin(other.keys.admin, "POST", "/audit/retention-runs", {});
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(/audit.retentionDays/);
    });

    it("prunes bodies past the retention period; entries, proofs and the exported log stay verifiable", async () => {
      for (let i = 0; i < 20; i++) await note(t, i);
      for (let i = 0; i < 5; i++) await note(other, i);
      await setRetention(t, 30);
      await h.gatehouse.auditLog.flush();
      const before = await search(t, "action=test.note");
      expect(before.map((e: any) => e.payload.i)).toEqual([...Array(20).keys()]);

      // Today nothing is old enough; 31 days from now everything recorded so far is.
      const today = await h.admin(t.keys.admin, "POST", "/audit/retention-runs", {});
      expect(today.body).toMatchObject({ tenantId: t.id, retentionDays: 30, pruned: 0 });
      // Today's run is in the log before the later one, as it would be 31 days on: its body is pruned too.
      await h.gatehouse.auditLog.flush();
      const later = await h.gatehouse.retention.run(actionContext(systemActor("retention", t.id)), t.id, Date.now() + 31 * DAY);
      expect(later?.pruned).toBeGreaterThanOrEqual(20);

      const after = await search(t, "action=test.note");
      expect(after.map((e: any) => [e.seq, e.payloadState, e.payload])).toEqual(before.map((e: any) => [e.seq, "pruned", {}]));
      expect((await search(other, "action=test.note")).every((e: any) => e.payloadState === "present")).toBe(true);

      const runs = await search(t, "action=audit.retention_run");
      expect(runs.map((r: any) => r.payloadState)).toEqual(["pruned", "present"]);
      expect(runs[1].payload.pruned).toBe(later?.pruned);
      expect(runs[1].context.prunedBefore).toBe(later?.prunedBefore);

      // A pruned entry's inclusion proof still verifies.
      const proof = (await h.admin(t.keys.auditor, "GET", `/audit/entries/${before[3].seq}/proof`)).body;
      expect(proof.payload).toBeNull();
      const checkpoint = parseCheckpointText(parseNote(proof.checkpoint).text);
      const hashes = proof.proof.map((p: string) => Buffer.from(p, "base64"));
      expect(verifyInclusion(before[3].seq, checkpoint.size, leafHash(Buffer.from(proof.entry, "utf8")), hashes, checkpoint.root)).toBe(true);

      const result = await verifyExport("after-retention.jsonl");
      expect(result).toMatchObject({ ok: true });
      expect(result.prunedPayloads).toBe(later?.pruned);
    });

    it("deletes delivered messages between agents received before the retention period; the undelivered stay, and numbering goes on", async () => {
      const now = Date.now();
      let seq = 0;
      const message = (tenant: TestTenant, recipient: string, id: string, receivedAt: number, delivered: { acked?: boolean; webhook?: boolean } = {}) =>
        h.gatehouse.store.db
          .insertInto("agent_messages")
          .values({
            id,
            tenant_id: tenant.id,
            recipient_id: `${tenant.id}:${recipient}`,
            recipient_name: recipient,
            seq: ++seq,
            sender_id: "sender",
            sender_name: "research-bot",
            environment: "production",
            task_id: "task",
            body: JSON.stringify({ text: `message ${id}` }),
            declared_sensitivity: "internal",
            flow_label: "{}",
            sensitivity: "internal",
            iat: Math.floor(receivedAt / 1000),
            nonce: id,
            kid: "kid",
            public_key: "{}",
            signature: "signature",
            received_at: receivedAt,
            acked_at: delivered.acked ? receivedAt : null,
            webhook_status: delivered.webhook ? "delivered" : "none",
            webhook_attempts: 0,
          })
          .execute();
      const old = now - 40 * DAY;
      await message(t, "mailer-bot", "acked-old", old, { acked: true });
      await message(t, "mailer-bot", "pushed-old", old, { webhook: true });
      await message(t, "mailer-bot", "unread-old", old);
      await message(t, "mailer-bot", "acked-recent", now - 2 * DAY, { acked: true });
      await message(t, "billing-bot", "acked-old-latest", old, { acked: true });
      await message(other, "mailer-bot", "other-tenant", old, { acked: true });
      const run = await h.gatehouse.retention.run(actionContext(systemActor("retention", t.id)), t.id, now);
      expect(run?.messagesDeleted).toBe(2);
      const left = await h.gatehouse.store.db.selectFrom("agent_messages").select(["id", "seq", "body"]).where("id", "in", ["acked-old", "pushed-old", "unread-old", "acked-recent", "acked-old-latest", "other-tenant"]).orderBy("id").execute();
      // billing-bot's only message is its latest: kept, so its next is numbered after it, but emptied.
      expect(left.map((m) => [m.id, m.body === "null"])).toEqual([
        ["acked-old-latest", true],
        ["acked-recent", false],
        ["other-tenant", false],
        ["unread-old", false],
      ]);
      await h.gatehouse.auditLog.flush();
      const runs = await search(t, "action=audit.retention_run");
      expect(runs.at(-1).payload).toMatchObject({ messagesDeleted: 2 });
    });

    it("runs for every tenant with a retention period from the service's scheduler", async () => {
      await setRetention(other, 1);
      const runs = await h.gatehouse.retention.runAll(Date.now() + 2 * DAY);
      expect(runs.map((r) => r.tenantId).sort()).toEqual([t.id, other.id].sort());
      expect((await search(other, "action=test.note")).every((e: any) => e.payloadState === "pruned")).toBe(true);
      expect(await verifyExport("after-scheduled.jsonl")).toMatchObject({ ok: true });
    });

    it("shows a body removed without a retention run covering it", async () => {
      await note(t, 100);
      await h.gatehouse.auditLog.flush();
      const [fresh] = await search(t, "action=test.note&limit=1000").then((items) => items.filter((e: any) => e.payload.i === 100));
      // What an operator with write access to the store could do (PostgreSQL lets a body be set to NULL, as retention does).
      await sql`update log_entries set payload = null where seq = ${fresh.seq}`.execute(h.gatehouse.store.db);
      expect((await verifyExport("forgotten.jsonl")).divergence).toMatchObject({
        seq: fresh.seq,
        message: `entry ${fresh.seq}: payload body missing, and no retention run of its tenant covers it`,
      });
    });
  });
});
