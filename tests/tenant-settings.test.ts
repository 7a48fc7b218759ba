import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness, type TestTenant } from "./support/harness.js";
import { storeTargets } from "./support/stores.js";

describe.each(storeTargets)("tenant approval settings on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("settings");
  });
  afterAll(async () => h?.close());

  const settings = async () => (await h.admin(t.keys.viewer, "GET", "/tenant")).body.settings.approvals;

  it("tightening the approval rules applies at once", async () => {
    const res = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { approvals: { required: 1, productionPolicy: 3 } });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("applied");
    expect(await settings()).toMatchObject({ required: 1, productionPolicy: 3 });
  });

  it("one admin cannot loosen them alone: it takes the strictest rule in force", async () => {
    const res = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { approvals: { required: 1, productionPolicy: 1 } });
    expect(res.status).toBe(202);
    const cr = res.body.changeRequest;
    expect(cr.requiredApprovals).toBe(3);
    expect(cr.diff).toContainEqual(expect.objectContaining({ path: "settings.approvals.productionPolicy", before: 3, after: 1 }));
    expect((await h.admin(t.keys.admin, "POST", `/change-requests/${cr.id}/approve`, { justification: "mine" })).status).toBe(403);
    await h.admin(t.keys.approver, "POST", `/change-requests/${cr.id}/approve`, { justification: "ok" });
    await h.admin(t.keys.approver2, "POST", `/change-requests/${cr.id}/approve`, { justification: "ok" });
    expect(await settings()).toMatchObject({ productionPolicy: 3 });
    const last = await h.admin(t.keys.owner, "POST", `/change-requests/${cr.id}/approve`, { justification: "ok" });
    expect(last.body.status).toBe("applied");
    expect(await settings()).toMatchObject({ productionPolicy: 1 });
  });

  it("refuses invalid settings naming the field", async () => {
    const res = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { approvals: { required: 0 } });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe("approvals.required");
    const unknown = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { approvals: { requried: 2 } });
    expect(unknown.status).toBe(400);
  });
});

describe.each(storeTargets)("version diffs on $name", (target) => {
  it("compare owner and spec only, not version bookkeeping", async () => {
    const h = await startHarness(target);
    try {
      const t = await h.createTenant("diffs");
      const spec = { kind: "database", sensitivity: "internal", region: "eu", retentionDays: 30 };
      await h.admin(t.keys.developer, "POST", "/data-sources", { name: "crm", owner: "team", spec });
      await h.admin(t.keys.developer, "PUT", "/data-sources/crm", { owner: "team", spec: { ...spec, retentionDays: 60 } });
      const diff = await h.admin(t.keys.viewer, "GET", "/data-sources/crm/diff?from=1&to=2");
      expect(diff.body.changes).toEqual([{ path: "spec.retentionDays", op: "change", before: 30, after: 60 }]);
    } finally {
      await h.close();
    }
  });
});
