import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveFully, review } from "../support/change-requests.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { runCli } from "../support/service.js";
import { storeTargets } from "../support/stores.js";
import { listen } from "../gateway/support.js";

const demoPolicy = (name: string) => readFileSync(new URL(`../../examples/demo/policies/${name}.cedar`, import.meta.url), "utf8");
const externalModel = { type: "Model", id: "gpt-4o-mini", attrs: { provider: "openai", region: "us", external: true, task_classes: ["chat"], owner: "platform" } };
const internalModel = { type: "Model", id: "internal", attrs: { provider: "vllm", region: "eu-west-1", external: false, task_classes: ["chat"], owner: "platform" } };
const app = { type: "Application", id: "support-app", attrs: { environment: "production" } };

const CARD = "a card number never goes to an external model";
const INTERNAL = "the same data may reach an internal model";
const EU = "EU-resident data stays in the EU";
const fixtures = [
  { name: CARD, principal: app, action: "invoke_model", resource: externalModel, context: { data_classes: ["pii"] }, expect: "deny", policies: ["pii-never-external"] },
  { name: INTERNAL, principal: app, action: "invoke_model", resource: internalModel, context: { data_classes: ["pii"] }, expect: "allow" },
  { name: EU, principal: app, action: "invoke_model", resource: externalModel, context: { data_regions: ["eu"] }, expect: "deny", policies: ["eu-data-stays-in-eu"] },
];
const passing = (passed: number) => ({ passed, failed: 0, broken: 0, failures: [] });

describe.each(storeTargets)("policy change requests run the tenant's policy fixtures ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("fixtures");
    for (const name of ["pii-never-external", "eu-data-stays-in-eu"]) {
      const res = await h.admin(t.keys.developer, "POST", "/policies", { name, owner: "security-team", spec: { text: demoPolicy(name), environments: [] } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      await approveFully(h, t, res.body.changeRequest.id);
    }
    const res = await h.admin(t.keys.developer, "POST", "/policy-tests", { name: "baseline", owner: "security-team", spec: { description: "the baseline", fixtures } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    // The fixtures are a reviewed change too, and their request shows how they fare against the live policies.
    expect(res.body.changeRequest).toMatchObject({ requiredApprovals: 1, reasons: ["changing the policy test fixtures"], fixtures: passing(3) });
    await approveFully(h, t, res.body.changeRequest.id);
  });
  afterAll(async () => h?.close());

  const propose = async (method: "PUT" | "DELETE", route: string, body: unknown) => {
    const res = await h.admin(t.keys.developer, method, route, body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.changeRequest;
  };
  const get = async (id: string) => (await h.admin(t.keys.viewer, "GET", `/change-requests/${id}`)).body;
  const policyVersion = async (name: string) => (await h.admin(t.keys.viewer, "GET", `/policies/${name}`)).body.version;
  const weakened = demoPolicy("pii-never-external").replace('context.data_classes.contains("pii")', 'context.data_classes.contains("phi")');

  it("a policy change that breaks a fixture shows it, and no approver can approve it", async () => {
    const version = await policyVersion("pii-never-external");
    const cr = await propose("PUT", "/policies/pii-never-external", { owner: "security-team", spec: { text: weakened, environments: [] } });
    const expected = {
      passed: 2,
      failed: 1,
      broken: 1,
      failures: [{ test: "baseline", name: CARD, problem: "expected deny, got allow", preexisting: false }],
    };
    expect(cr.fixtures).toEqual(expected);
    expect(cr.diff).toEqual([expect.objectContaining({ path: "spec.text", op: "change" })]);
    expect((await get(cr.id)).fixtures).toEqual(expected);

    for (const approver of [t.keys.approver, t.keys.approver2, t.keys.owner]) {
      const refused = await review(h, approver, cr.id);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toEqual({
        code: "conflict",
        message: `change request ${cr.id} cannot be approved: it makes 1 of 3 policy fixtures fail that pass without it: baseline: ${CARD} — expected deny, got allow`,
      });
    }
    expect(await get(cr.id)).toMatchObject({ status: "pending", reviews: [] });
    expect(await policyVersion("pii-never-external")).toBe(version);
    // Rejecting it is still possible.
    expect((await review(h, t.keys.approver, cr.id, "reject")).body.status).toBe("rejected");
  });

  it("the gatehouse CLI shows the fixture results with the change request", async () => {
    const cr = await propose("PUT", "/policies/pii-never-external", { owner: "security-team", spec: { text: weakened, environments: [] } });
    const url = await listen(h);
    const cwd = mkdtempSync(path.join(tmpdir(), "gatehouse-fixtures-cli-"));
    const shown = await runCli(["changes", "show", cr.id], { cwd, env: { GATEHOUSE_URL: url, GATEHOUSE_ADMIN_KEY: t.keys.viewer } });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: cr.id, fixtures: { passed: 2, failed: 1, broken: 1, failures: [{ name: CARD, problem: "expected deny, got allow" }] } });
    await review(h, t.keys.approver, cr.id, "reject");
  });

  it("a policy change whose fixtures pass is approved and applied", async () => {
    const version = await policyVersion("pii-never-external");
    const text = `${demoPolicy("pii-never-external")}// reviewed by security\n`;
    const cr = await propose("PUT", "/policies/pii-never-external", { owner: "security-team", spec: { text, environments: [] } });
    expect(cr.fixtures).toEqual(passing(3));
    await approveFully(h, t, cr.id);
    expect(await policyVersion("pii-never-external")).toBe(version + 1);
  });

  it("runs the fixtures again when the request is read and when it is approved: changing the fixtures first unblocks a deletion", async () => {
    const deletion = await propose("DELETE", "/policies/eu-data-stays-in-eu", {});
    expect(deletion.fixtures).toMatchObject({ passed: 2, failed: 1, broken: 1, failures: [{ name: EU, problem: "expected deny, got allow" }] });
    expect((await review(h, t.keys.approver, deletion.id)).status).toBe(409);

    const retired = fixtures.filter((f) => f.name !== EU);
    const fixtureChange = await propose("PUT", "/policy-tests/baseline", { owner: "security-team", spec: { fixtures: retired } });
    expect(fixtureChange.fixtures).toEqual(passing(2));
    await approveFully(h, t, fixtureChange.id);

    expect((await get(deletion.id)).fixtures).toEqual(passing(2));
    await approveFully(h, t, deletion.id);
    expect((await h.admin(t.keys.viewer, "GET", "/policies/eu-data-stays-in-eu")).status).toBe(404);
  });

  it("a fixture change is shown failing but not held back; a later policy change is not blamed for that failure", async () => {
    const wishful = { name: "nothing reaches gpt-4o-mini", principal: app, action: "invoke_model", resource: externalModel, expect: "deny" };
    const current = (await h.admin(t.keys.viewer, "GET", "/policy-tests/baseline")).body.spec.fixtures;
    const fixtureChange = await propose("PUT", "/policy-tests/baseline", { owner: "security-team", spec: { fixtures: [...current, wishful] } });
    expect(fixtureChange.fixtures).toMatchObject({ failed: 1, broken: 1, failures: [{ name: wishful.name, problem: "expected deny, got allow", preexisting: false }] });
    await approveFully(h, t, fixtureChange.id);

    const text = `${demoPolicy("pii-never-external")}// reviewed again\n`;
    const cr = await propose("PUT", "/policies/pii-never-external", { owner: "security-team", spec: { text, environments: [] } });
    expect(cr.fixtures).toMatchObject({ passed: current.length, failed: 1, broken: 0, failures: [{ name: wishful.name, preexisting: true }] });
    await approveFully(h, t, cr.id);
  });

  it("refuses malformed fixtures with the field at fault", async () => {
    const res = await h.admin(t.keys.developer, "POST", "/policy-tests", {
      name: "broken",
      owner: "security-team",
      spec: { fixtures: [{ ...fixtures[0], action: "fly" }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", field: "spec.fixtures[0].action" });
    expect((await h.admin(t.keys.developer, "POST", "/policy-tests", { name: "empty", owner: "security-team", spec: { fixtures: [] } })).status).toBe(400);
  });
});
