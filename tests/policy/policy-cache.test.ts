import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { PolicyEngine } from "../../src/policy/policy-engine.js";
import { TenantPolicies } from "../../src/policy/tenant-policies.js";
import { fakeOpenAiUpstream, type FakeUpstream } from "../support/fake-upstreams.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";
import { listen, putRecord, upstreamModel } from "../gateway/support.js";

const piiNeverExternal = readFileSync(new URL("../../examples/demo/policies/pii-never-external.cedar", import.meta.url), "utf8");
const CARD_PROMPT = "Refund the order paid with card 4111 1111 1111 1111, please.";

/**
 * The gateway keeps each tenant's parsed policies between calls. On PostgreSQL a second
 * Gatehouse on the same database plays the other process; on SQLite (one process by design) the
 * change comes from the same process's registry, which tells the cache nothing either.
 */
describe.each(storeTargets)("a policy changed elsewhere applies from the next call ($name)", (target) => {
  let serving: Harness;
  let other: Harness;
  let t: TestTenant;
  let up: FakeUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    serving = await startHarness(target);
    other = target.name === "postgres" ? await startHarness(target, { sameDatabaseAs: serving }) : serving;
    t = await serving.createTenant("cached");
    up = await fakeOpenAiUpstream();
    await putRecord(serving, t, "model", "gpt-4o-mini", upstreamModel("openai", up.endpoint));
    client = new OpenAI({ baseURL: `${await listen(serving)}/v1`, apiKey: t.appKey, maxRetries: 0 });
  });
  afterAll(async () => {
    if (other !== serving) await other?.close();
    await serving?.close();
    await up?.close();
  });

  const ctx = () => actionContext(systemActor("test", t.id));
  const publish = (environments: string[]) =>
    other.gatehouse.transaction((trx) =>
      other.gatehouse.registry.write(trx, ctx(), {
        tenantId: t.id,
        kind: "policy",
        name: "pii-never-external",
        owner: "security",
        spec: { description: "PII never goes to an external provider.", text: piiNeverExternal, environments },
      }),
    );
  /** "allowed", or the refusal's message. */
  const call = () =>
    client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: CARD_PROMPT }] }).then(
      () => "allowed",
      (error: unknown) => {
        if (error instanceof OpenAI.PermissionDeniedError) return error.message;
        throw error;
      },
    );

  it("publishing, narrowing, widening and deleting a policy each take effect at once in the serving process", async () => {
    // The serving process has decided with no policies (and holds that set).
    expect(await call()).toBe("allowed");
    await publish([]);
    expect(await call()).toMatch(/refused by policy pii-never-external \(PII never goes to an external provider\.\)/);
    await publish(["staging"]);
    expect(await call()).toBe("allowed");
    await publish(["production"]);
    expect(await call()).toMatch(/pii-never-external/);
    await other.gatehouse.transaction((trx) => other.gatehouse.registry.remove(trx, ctx(), { tenantId: t.id, kind: "policy", name: "pii-never-external" }));
    expect(await call()).toBe("allowed");
    // Revived at its old text: a new version, so a new generation, so refused again.
    await publish([]);
    expect(await call()).toMatch(/pii-never-external/);
  });

  it("parses a tenant's policies once per change, not per call", async () => {
    const policies = new TenantPolicies(serving.gatehouse.registry, new PolicyEngine());
    const first = await policies.current(t.id);
    expect(await policies.current(t.id)).toBe(first);
    expect(first.forEnvironment("production")).toBe(first.forEnvironment("production"));
    await publish(["staging", "production"]);
    const second = await policies.current(t.id);
    expect(second).not.toBe(first);
    expect(second.generation).toBeGreaterThan(first.generation);
    expect(second.records.find((r) => r.name === "pii-never-external")?.spec.environments).toEqual(["staging", "production"]);
    expect(await policies.current(t.id)).toBe(second);
  });
});
