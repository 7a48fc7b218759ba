import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { createGatehouse, type Gatehouse } from "../../src/gatehouse.js";
import { defaultStoreChangesOptions } from "../../src/store/changes.js";
import { defaultTenantSettings } from "../../src/tenancy/settings.js";
import { fakeOpenAiUpstream, type FakeUpstream } from "../support/fake-upstreams.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";
import { putRecord, upstreamModel } from "../gateway/support.js";

const { boundMs } = defaultStoreChangesOptions;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keys, tenants, environments, registry records and provider credentials are read from memory on
 * the gateway's hot path. A change takes effect at once in the process that made it, and within
 * the stated bound (1 s) in every other process on the same store; a process that cannot read the
 * store's change counter stops serving from memory.
 */
describe.each(storeTargets)("cached reads on $name", (target) => {
  let h: Harness;
  /** Another Gatehouse process on the same store. */
  let other: Gatehouse;
  let upstream: FakeUpstream;
  const ctx = () => actionContext(systemActor("test"));

  beforeAll(async () => {
    h = await startHarness(target);
    other = await createGatehouse({ ...h.database, logSigner: h.gatehouse.auditLog.signer, secrets: h.gatehouse.secrets });
    upstream = await fakeOpenAiUpstream();
  });

  afterAll(async () => {
    await other?.close();
    await h?.close();
    await upstream?.close();
  });

  async function tenantWithModel(name: string): Promise<TestTenant> {
    const t = await h.createTenant(name);
    await putRecord(h, t, "model", "gpt-up", upstreamModel("openai", upstream.endpoint));
    await h.gatehouse.transaction((trx) => h.gatehouse.gateway.credentials.set(trx, ctx(), t.id, "gpt-up", "sk-first"));
    return t;
  }

  async function call(key: string): Promise<{ status: number; body: any }> {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      payload: { model: "gpt-up", messages: [{ role: "user", content: "hello" }] },
    });
    return { status: res.statusCode, body: res.json() };
  }

  /** Calls until a call is answered (so the caches hold the tenant's records), then returns the answer. */
  async function warm(t: TestTenant) {
    const first = await call(t.appKey);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const second = await call(t.appKey);
    expect(second.status).toBe(200);
  }

  const appKeyId = async (g: Gatehouse, t: TestTenant) => (await g.apiKeys.list(t.id)).find((k) => k.kind === "app")!.id;
  const revokeIn = async (g: Gatehouse, t: TestTenant) => {
    const id = await appKeyId(g, t);
    await g.transaction((trx) => g.apiKeys.revoke(trx, ctx(), t.id, id));
  };
  const refuseAllCallsIn = (g: Gatehouse, t: TestTenant) =>
    g.transaction((trx) =>
      g.tenants.updateSettings(trx, ctx(), t.id, { ...defaultTenantSettings(), limits: { tenant: { requestsPerMinute: 0 }, perKey: {}, perAgent: {}, perBusinessUnit: {}, businessUnits: {} } }),
    );
  const retireIn = (g: Gatehouse, t: TestTenant) => g.transaction((trx) => g.registry.remove(trx, ctx(), { tenantId: t.id, kind: "model", name: "gpt-up" }));
  const rotateIn = (g: Gatehouse, t: TestTenant) => g.transaction((trx) => g.gateway.credentials.set(trx, ctx(), t.id, "gpt-up", "sk-second"));
  const lastCredential = () => upstream.received.at(-1)?.headers.authorization;

  it("refuses a key revoked by this process at once, and one revoked by another process within the bound", async () => {
    const here = await tenantWithModel("revoked-here");
    await warm(here);
    await revokeIn(h.gatehouse, here);
    expect((await call(here.appKey)).status).toBe(401);

    const there = await tenantWithModel("revoked-there");
    await warm(there);
    await revokeIn(other, there);
    await pause(boundMs);
    const refused = await call(there.appKey);
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain("revoked");
  });

  it("refuses the key of a principal disabled by another process within the bound", async () => {
    const t = await tenantWithModel("disabled-there");
    await warm(t);
    await other.transaction((trx) => other.principals.disable(trx, ctx(), t.id, t.principalIds.app));
    await pause(boundMs);
    expect((await call(t.appKey)).status).toBe(401);
  });

  it("applies changed tenant settings at once here, and within the bound when another process changed them", async () => {
    const here = await tenantWithModel("settings-here");
    await warm(here);
    await refuseAllCallsIn(h.gatehouse, here);
    expect((await call(here.appKey)).status).toBe(429);

    const there = await tenantWithModel("settings-there");
    await warm(there);
    await refuseAllCallsIn(other, there);
    await pause(boundMs);
    const refused = await call(there.appKey);
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toContain("0 requests per minute for the tenant");
  });

  it("stops routing to a retired model at once here, and within the bound when another process retired it", async () => {
    const here = await tenantWithModel("retired-here");
    await warm(here);
    await retireIn(h.gatehouse, here);
    expect((await call(here.appKey)).status).toBe(404);

    const there = await tenantWithModel("retired-there");
    await warm(there);
    await retireIn(other, there);
    await pause(boundMs);
    const refused = await call(there.appKey);
    expect(refused.status).toBe(404);
    expect(refused.body.error.message).toContain("model 'gpt-up' does not exist");
  });

  it("calls the upstream with a rotated credential at once here, and within the bound when another process rotated it", async () => {
    const here = await tenantWithModel("rotated-here");
    await warm(here);
    expect(lastCredential()).toBe("Bearer sk-first");
    await rotateIn(h.gatehouse, here);
    expect((await call(here.appKey)).status).toBe(200);
    expect(lastCredential()).toBe("Bearer sk-second");

    const there = await tenantWithModel("rotated-there");
    await warm(there);
    expect(lastCredential()).toBe("Bearer sk-first");
    await rotateIn(other, there);
    await pause(boundMs);
    expect((await call(there.appKey)).status).toBe(200);
    expect(lastCredential()).toBe("Bearer sk-second");
  });

  it("still answers from the store what it has cached (the legitimate use)", async () => {
    const t = await tenantWithModel("steady");
    await warm(t);
    for (let i = 0; i < 5; i++) expect((await call(t.appKey)).status).toBe(200);
  });

  it("serves nothing from memory once the store's change counter cannot be read for longer than the bound", async () => {
    const t = await tenantWithModel("unreachable");
    await warm(t);
    const lost = await createGatehouse({ ...h.database, logSigner: h.gatehouse.auditLog.signer, secrets: h.gatehouse.secrets });
    try {
      expect(await lost.apiKeys.authenticate(t.appKey)).toBeDefined();
      expect(await lost.apiKeys.authenticate(t.appKey)).toBeDefined();
      // The store goes away under the running process: its polls fail from now on.
      await lost.store.db.destroy();
      await pause(boundMs);
      await expect(lost.apiKeys.authenticate(t.appKey)).rejects.toThrow();
      await expect(lost.tenants.get(t.id)).rejects.toThrow();
      await expect(lost.registry.list(t.id, "model")).rejects.toThrow();
    } finally {
      await lost.close().catch(() => undefined);
    }
  });
});
