import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TenantSettings } from "../src/tenancy/settings.js";
import { approveFully, requestsFor, review } from "./support/change-requests.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "./support/harness.js";
import { storeTargets } from "./support/stores.js";

/** A multi-line Cedar policy whose text differs by one line per label. */
const cedar = (label: string) =>
  [`// ${label}`, `@id("${label}")`, "forbid (principal, action, resource)", `when { context.labels.contains("${label}") };`, ""].join("\n");
const policy = (label: string, environments: string[] = []) => ({ description: "test policy", text: cedar(label), environments });
const template = (greeting: string) => ({ text: `${greeting} {{name}}`, variables: ["name"], maxSensitivity: "internal" });
const agentSpec = {
  purpose: "answers questions",
  capabilities: { tools: ["lookup"], dataSources: ["kb"], models: ["demo"] },
  environments: ["staging"],
  limits: { concurrency: 2, tokensPerDay: 1000 },
};

describe.each(storeTargets)("approvals on $name", (target) => {
  let h: Harness;
  let tenants = 0;
  beforeAll(async () => {
    h = await startHarness(target);
  });
  afterAll(async () => h?.close());

  const tenant = (approvals?: Partial<TenantSettings["approvals"]>) => h.createTenant(`approvals-${++tenants}`, approvals);
  const get = (t: TestTenant, path: string) => h.admin(t.keys.viewer, "GET", path);
  const changeRequest = async (t: TestTenant, id: string) => (await get(t, `/change-requests/${id}`)).body;
  const versions = async (t: TestTenant, plural: string, name: string) => (await get(t, `/${plural}/${name}/versions`)).body.items as any[];

  /** Proposes a change as the developer and expects it to wait for approval. */
  const propose = async (t: TestTenant, method: "POST" | "PUT" | "DELETE", path: string, body: unknown = {}) => {
    const res = await h.admin(t.keys.developer, method, path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.status).toBe("pending");
    expect(res.body.changeRequest.status).toBe("pending");
    return res.body.changeRequest;
  };
  /** Publishes a policy (through its approvals) and returns the tenant. */
  const publishPolicy = async (t: TestTenant, name: string, spec: ReturnType<typeof policy>) => {
    const cr = await propose(t, "POST", "/policies", { name, owner: "security", spec });
    await approveFully(h, t, cr.id);
  };
  /** An agent that has been submitted and approved. */
  const approvedAgent = async (t: TestTenant, name: string, spec: unknown = agentSpec) => {
    expect((await h.admin(t.keys.developer, "POST", "/agents", { name, owner: "team", spec })).status).toBe(201);
    const submitted = await propose(t, "POST", `/agents/${name}/submit`, { justification: "ready for review" });
    await approveFully(h, t, submitted.id);
    expect((await get(t, `/agents/${name}`)).body.lifecycle.state).toBe("approved");
  };

  describe("the two-person rule", () => {
    it("the requester cannot approve or reject their own change request", async () => {
      const t = await tenant();
      // The admin may both write and review, so only the two-person rule stops self-approval.
      const res = await h.admin(t.keys.admin, "POST", "/prompt-templates", { name: "greeting", owner: "team", spec: template("Hello") });
      expect(res.status).toBe(202);
      const id = res.body.changeRequest.id;
      for (const decision of ["approve", "reject"] as const) {
        const own = await review(h, t.keys.admin, id, decision);
        expect(own.status, decision).toBe(403);
        expect(own.body.error.message).toMatch(/two-person rule/);
      }
      expect(await changeRequest(t, id)).toMatchObject({ status: "pending", reviews: [] });
      expect((await get(t, "/prompt-templates/greeting")).status).toBe(404);

      const other = await review(h, t.keys.approver, id);
      expect(other.status).toBe(200);
      expect(other.body).toMatchObject({ status: "applied", reviews: [{ reviewerId: t.principalIds.approver, decision: "approve" }] });
    });

    it("the same approver cannot approve (or then reject) the same request twice", async () => {
      const t = await tenant();
      const cr = await propose(t, "POST", "/policies", { name: "prod", owner: "security", spec: policy("v1") });
      expect(cr.requiredApprovals).toBe(2);
      expect((await review(h, t.keys.approver, cr.id)).body).toMatchObject({ status: "pending" });
      for (const decision of ["approve", "reject"] as const) {
        const again = await review(h, t.keys.approver, cr.id, decision);
        expect(again.status, decision).toBe(409);
        expect(again.body.error.message).toMatch(/already reviewed/);
      }
      const after = await changeRequest(t, cr.id);
      expect(after.status).toBe("pending");
      expect(after.reviews).toHaveLength(1);
      expect((await get(t, "/policies/prod")).status).toBe(404);
      expect((await review(h, t.keys.approver2, cr.id)).body.status).toBe("applied");
    });

    it("a service account with the approver role cannot review", async () => {
      const t = await tenant();
      const cr = await propose(t, "POST", "/prompt-templates", { name: "greeting", owner: "team", spec: template("Hello") });
      for (const decision of ["approve", "reject"] as const) {
        const res = await review(h, t.keys.serviceAccount, cr.id, decision);
        expect(res.status, decision).toBe(403);
        expect(res.body.error.message).toMatch(/people, not service accounts/);
      }
      expect(await changeRequest(t, cr.id)).toMatchObject({ status: "pending", reviews: [] });
    });

    it("viewers, developers and auditors cannot review", async () => {
      const t = await tenant();
      const cr = await propose(t, "POST", "/prompt-templates", { name: "greeting", owner: "team", spec: template("Hello") });
      for (const role of ["viewer", "developer", "auditor"] as const) {
        for (const decision of ["approve", "reject"] as const) {
          const res = await review(h, t.keys[role], cr.id, decision);
          expect(res.status, `${role} ${decision}`).toBe(403);
          expect(res.body.error.code).toBe("forbidden");
        }
      }
      expect(await changeRequest(t, cr.id)).toMatchObject({ status: "pending", reviews: [] });
      expect((await get(t, "/prompt-templates/greeting")).status).toBe(404);
    });
  });

  describe("required approvals", () => {
    it("is one by default", async () => {
      const t = await tenant();
      const cr = await propose(t, "POST", "/prompt-templates", { name: "greeting", owner: "team", spec: template("Hello") });
      expect(cr).toMatchObject({ requiredApprovals: 1, reasons: ["publishing a prompt template version"] });
      expect((await review(h, t.keys.approver, cr.id)).body.status).toBe("applied");
      expect((await get(t, "/prompt-templates/greeting")).body).toMatchObject({ version: 1, spec: { text: "Hello {{name}}" } });
    });

    it.each([
      ["every environment", []],
      ["production only", ["production"]],
      ["staging and production", ["staging", "production"]],
    ])("a policy for %s needs two distinct approvers and changes nothing until the second", async (_label, environments) => {
      const t = await tenant();
      const created = await propose(t, "POST", "/policies", { name: "p", owner: "security", spec: policy("v1", environments) });
      expect(created).toMatchObject({ requiredApprovals: 2, reasons: ["changing a policy that applies in production"] });
      expect((await review(h, t.keys.approver, created.id)).body).toMatchObject({ status: "pending", reviews: [{ decision: "approve" }] });
      expect((await get(t, "/policies/p")).status).toBe(404);
      expect((await review(h, t.keys.approver2, created.id)).body.status).toBe("applied");

      const updated = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("v2", environments) });
      expect(updated.requiredApprovals).toBe(2);
      const first = await review(h, t.keys.approver2, updated.id);
      expect(first.status).toBe(200);
      expect(first.body.status).toBe("pending");
      expect(first.body.reviews).toHaveLength(1);
      const live = (await get(t, "/policies/p")).body;
      expect(live.version).toBe(1);
      expect(live.spec.text).toBe(cedar("v1"));
      expect(await changeRequest(t, updated.id)).toMatchObject({ status: "pending", reviews: [{ reviewerId: t.principalIds.approver2 }] });

      expect((await review(h, t.keys.approver, updated.id)).body.status).toBe("applied");
      expect((await get(t, "/policies/p")).body).toMatchObject({ version: 2, spec: { text: cedar("v2") } });
    });

    it("a staging-only policy needs one approval, but moving it into or out of production needs two", async () => {
      const t = await tenant();
      const created = await propose(t, "POST", "/policies", { name: "staging-rule", owner: "security", spec: policy("v1", ["staging"]) });
      expect(created).toMatchObject({ requiredApprovals: 1, reasons: ["changing a policy"] });
      expect((await review(h, t.keys.approver, created.id)).body.status).toBe("applied");

      const edited = await propose(t, "PUT", "/policies/staging-rule", { owner: "security", spec: policy("v2", ["staging"]) });
      expect(edited.requiredApprovals).toBe(1);
      await approveFully(h, t, edited.id);

      const widened = await propose(t, "PUT", "/policies/staging-rule", { owner: "security", spec: policy("v2", []) });
      expect(widened).toMatchObject({ requiredApprovals: 2, reasons: ["changing a policy that applies in production"] });
      await approveFully(h, t, widened.id);

      const narrowed = await propose(t, "PUT", "/policies/staging-rule", { owner: "security", spec: policy("v2", ["staging"]) });
      expect(narrowed.requiredApprovals).toBe(2);
      const deleted = await propose(t, "DELETE", "/policies/staging-rule");
      expect(deleted.requiredApprovals).toBe(2);
    });

    it("the tenant's required setting raises it", async () => {
      const t = await tenant({ required: 2 });
      const tmpl = await propose(t, "POST", "/prompt-templates", { name: "greeting", owner: "team", spec: template("Hello") });
      expect(tmpl.requiredApprovals).toBe(2);
      const staging = await propose(t, "POST", "/policies", { name: "staging-rule", owner: "security", spec: policy("v1", ["staging"]) });
      expect(staging.requiredApprovals).toBe(2);
      expect((await h.admin(t.keys.developer, "POST", "/agents", { name: "bot", owner: "team", spec: sampleSpecs.agent })).status).toBe(201);
      const submitted = await propose(t, "POST", "/agents/bot/submit", {});
      expect(submitted.requiredApprovals).toBe(2);

      for (const cr of [tmpl, staging, submitted]) {
        expect((await review(h, t.keys.approver, cr.id)).body.status).toBe("pending");
      }
      expect((await get(t, "/prompt-templates/greeting")).status).toBe(404);
      expect((await get(t, "/policies/staging-rule")).status).toBe(404);
      expect((await get(t, "/agents/bot")).body.lifecycle.state).toBe("pending_approval");
      for (const cr of [tmpl, staging, submitted]) {
        expect((await review(h, t.keys.approver2, cr.id)).body.status).toBe("applied");
      }
      expect((await get(t, "/agents/bot")).body.lifecycle.state).toBe("approved");
      const prod = await propose(t, "POST", "/agents/bot/activate", { environment: "production" });
      expect(prod.requiredApprovals).toBe(2);
    });
  });

  describe("what needs approval", () => {
    it("publishing a prompt template version: create, update and delete", async () => {
      const t = await tenant();
      await approveFully(h, t, (await propose(t, "POST", "/prompt-templates", { name: "greeting", owner: "team", spec: template("Hello") })).id);
      const update = await propose(t, "PUT", "/prompt-templates/greeting", { owner: "team", spec: template("Hi") });
      expect((await get(t, "/prompt-templates/greeting")).body.spec.text).toBe("Hello {{name}}");
      await approveFully(h, t, update.id);
      expect((await get(t, "/prompt-templates/greeting")).body).toMatchObject({ version: 2, spec: { text: "Hi {{name}}" } });
      await approveFully(h, t, (await propose(t, "DELETE", "/prompt-templates/greeting")).id);
      expect((await get(t, "/prompt-templates/greeting")).status).toBe(404);
      const history = await versions(t, "prompt-templates", "greeting");
      expect(history.map((v) => v.change)).toEqual(["create", "update", "delete"]);
      expect(history.every((v) => typeof v.changeRequestId === "string")).toBe(true);
    });

    it("publishing a policy version: create, update and delete", async () => {
      const t = await tenant();
      const created = await propose(t, "POST", "/policies", { name: "p", owner: "security", spec: policy("v1") });
      expect((await get(t, "/policies")).body.items).toEqual([]);
      await approveFully(h, t, created.id);
      const updated = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("v2") });
      expect((await get(t, "/policies/p")).body.version).toBe(1);
      await approveFully(h, t, updated.id);
      const deleted = await propose(t, "DELETE", "/policies/p");
      expect((await get(t, "/policies/p")).body.version).toBe(2);
      await approveFully(h, t, deleted.id);
      expect((await get(t, "/policies/p")).status).toBe(404);
      expect((await versions(t, "policies", "p")).map((v) => [v.change, v.changeRequestId])).toEqual([
        ["create", created.id],
        ["update", updated.id],
        ["delete", deleted.id],
      ]);
    });

    it("agents: creating and editing a draft applies at once, submitting needs approval", async () => {
      const t = await tenant();
      const created = await h.admin(t.keys.developer, "POST", "/agents", { name: "bot", owner: "team", spec: agentSpec });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: "applied", record: { version: 1, lifecycle: { state: "draft" } } });
      // A draft is not approved yet, so even widening it applies at once.
      const edited = await h.admin(t.keys.developer, "PUT", "/agents/bot", {
        owner: "team",
        spec: { ...agentSpec, capabilities: { ...agentSpec.capabilities, tools: ["lookup", "search"] }, environments: ["staging", "production"] },
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ status: "applied", record: { version: 2, lifecycle: { state: "draft" } } });
      expect(await requestsFor(h, t, "agent", "bot")).toEqual([]);

      const submitted = await propose(t, "POST", "/agents/bot/submit", { justification: "ready" });
      expect(submitted).toMatchObject({ requiredApprovals: 1, reasons: ["a new agent needs approval before it can be activated"], baseVersion: 2 });
      expect((await get(t, "/agents/bot")).body.lifecycle.state).toBe("pending_approval");
      // While it waits, the definition under review cannot change.
      const blocked = await h.admin(t.keys.developer, "PUT", "/agents/bot", { owner: "team", spec: agentSpec });
      expect(blocked.status).toBe(409);
      await approveFully(h, t, submitted.id);
      expect((await get(t, "/agents/bot")).body.lifecycle.state).toBe("approved");
    });

    it("widening an approved or active agent needs approval; narrowing applies at once", async () => {
      const t = await tenant();
      await approvedAgent(t, "bot");
      const withSpec = (change: (spec: any) => void) => {
        const spec = structuredClone(agentSpec) as any;
        change(spec);
        return { owner: "team", spec };
      };
      const widenings: [string, ReturnType<typeof withSpec>, string][] = [
        ["new tool", withSpec((s) => s.capabilities.tools.push("search")), "adds tool search"],
        ["an agent to message", withSpec((s) => (s.capabilities.agents = ["billing-bot"])), "adds agent to message billing-bot"],
        ["a messaging webhook", withSpec((s) => (s.messaging = { webhookUrl: "https://hooks.example.test/bot" })), "sends its messages to webhook https://hooks.example.test/bot"],
        ["new environment", withSpec((s) => s.environments.push("production")), "adds environment production"],
        ["raised limit", withSpec((s) => (s.limits.concurrency = 3)), "raises limit concurrency from 2 to 3"],
        ["removed limit", withSpec((s) => delete s.limits.tokensPerDay), "removes limit tokensPerDay"],
      ];
      for (const [label, body, reason] of widenings) {
        const res = await h.admin(t.keys.developer, "PUT", "/agents/bot", body);
        expect(res.status, label).toBe(202);
        expect(res.body.changeRequest.reasons, label).toEqual([reason]);
        expect(res.body.changeRequest.requiredApprovals).toBe(1);
      }
      expect((await get(t, "/agents/bot")).body).toMatchObject({ version: 1, spec: agentSpec });
      for (const cr of await requestsFor(h, t, "agent", "bot", "pending")) {
        expect((await h.admin(t.keys.developer, "POST", `/change-requests/${cr.id}/cancel`, {})).status).toBe(200);
      }

      // Narrowing: fewer data sources, a lower limit, a new limit, one environment fewer.
      const narrowed = withSpec((s) => {
        s.capabilities.dataSources = [];
        s.limits.concurrency = 1;
        s.limits.tokensPerMonth = 10_000;
        s.purpose = "answers fewer questions";
      });
      const applied = await h.admin(t.keys.developer, "PUT", "/agents/bot", narrowed);
      expect(applied.status).toBe(200);
      expect(applied.body).toMatchObject({ status: "applied", record: { version: 2, lifecycle: { state: "approved" } } });

      // Once active, widening still needs approval and narrowing still does not.
      expect((await h.admin(t.keys.developer, "POST", "/agents/bot/activate", { environment: "staging" })).status).toBe(200);
      const active = await h.admin(t.keys.developer, "PUT", "/agents/bot", {
        ...narrowed,
        spec: { ...narrowed.spec, capabilities: { ...narrowed.spec.capabilities, models: ["demo", "big-model"] } },
      });
      expect(active.status).toBe(202);
      expect(active.body.changeRequest.reasons).toEqual(["adds model big-model"]);
      const lower = await h.admin(t.keys.developer, "PUT", "/agents/bot", {
        ...narrowed,
        spec: { ...narrowed.spec, limits: { ...narrowed.spec.limits, tokensPerDay: 10 } },
      });
      expect(lower.status).toBe(200);
      expect(lower.body.record).toMatchObject({ version: 3, lifecycle: { state: "active", environments: ["staging"] } });
    });

    it("activating in production needs approval, activating in staging does not", async () => {
      const t = await tenant();
      await approvedAgent(t, "bot", sampleSpecs.agent);
      const staging = await h.admin(t.keys.developer, "POST", "/agents/bot/activate", { environment: "staging" });
      expect(staging.status).toBe(200);
      expect(staging.body).toMatchObject({ status: "applied", record: { state: "active", environments: ["staging"] } });
      const prod = await propose(t, "POST", "/agents/bot/activate", { environment: "production" });
      expect(prod).toMatchObject({ requiredApprovals: 1, reasons: ["activating an agent in production environment production"] });
      expect(prod.diff).toEqual([{ path: "environments", op: "change", before: ["staging"], after: ["production", "staging"] }]);
      expect((await get(t, "/agents/bot")).body.lifecycle.environments).toEqual(["staging"]);
      await approveFully(h, t, prod.id);
      expect((await get(t, "/agents/bot")).body.lifecycle.environments).toEqual(["production", "staging"]);
    });

    it("tools, data sources and models change without approval", async () => {
      const t = await tenant();
      const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
        ["tools", sampleSpecs.tool, { ...sampleSpecs.tool, description: "looks things up" }],
        ["data-sources", sampleSpecs.data_source, { ...sampleSpecs.data_source, retentionDays: 60 }],
        ["models", sampleSpecs.model, { ...sampleSpecs.model, region: "eu" }],
      ];
      for (const [plural, spec, changed] of cases) {
        const created = await h.admin(t.keys.developer, "POST", `/${plural}`, { name: "thing", owner: "team", spec });
        expect(created.status, plural).toBe(201);
        expect(created.body).toMatchObject({ status: "applied", record: { version: 1 } });
        const updated = await h.admin(t.keys.developer, "PUT", `/${plural}/thing`, { owner: "team", spec: changed });
        expect(updated.status, plural).toBe(200);
        expect(updated.body).toMatchObject({ status: "applied", record: { version: 2 } });
        const deleted = await h.admin(t.keys.developer, "DELETE", `/${plural}/thing`, {});
        expect(deleted.status, plural).toBe(200);
        expect(deleted.body).toEqual({ status: "deleted" });
        expect((await versions(t, plural, "thing")).map((v) => v.changeRequestId)).toEqual([null, null, null]);
      }
      expect((await get(t, "/change-requests")).body.items).toEqual([]);
    });
  });

  describe("change requests carry the diff and the reasons", () => {
    it("a policy text change carries a unified patch of spec.text", async () => {
      const t = await tenant();
      await publishPolicy(t, "p", policy("v1"));
      const res = await h.admin(t.keys.developer, "PUT", "/policies/p", {
        owner: "security",
        spec: policy("v2"),
        justification: "tighten the label",
      });
      expect(res.status).toBe(202);
      const cr = await changeRequest(t, res.body.changeRequest.id);
      expect(cr).toMatchObject({
        target: { kind: "policy", name: "p" },
        baseVersion: 1,
        justification: "tighten the label",
        requestedBy: `user:developer@${t.name}`,
        requesterId: t.principalIds.developer,
        reasons: ["changing a policy that applies in production"],
        proposal: { action: "record.put", kind: "policy", name: "p" },
      });
      expect(cr.diff).toHaveLength(1);
      const [text] = cr.diff;
      expect(text).toMatchObject({ path: "spec.text", op: "change", before: cedar("v1"), after: cedar("v2") });
      expect(text.patch).toContain("--- spec.text");
      expect(text.patch).toContain("+++ spec.text");
      expect(text.patch).toMatch(/^-\/\/ v1$/m);
      expect(text.patch).toMatch(/^\+\/\/ v2$/m);
      expect(text.patch).toMatch(/^ forbid \(principal, action, resource\)$/m);
    });

    it("an agent widening shows the changed field paths and why it needs approval", async () => {
      const t = await tenant();
      await approvedAgent(t, "bot");
      const spec = structuredClone(agentSpec);
      spec.capabilities.tools.push("search");
      spec.limits.concurrency = 5;
      const res = await h.admin(t.keys.developer, "PUT", "/agents/bot", { owner: "team", spec });
      expect(res.status).toBe(202);
      const cr = await changeRequest(t, res.body.changeRequest.id);
      expect(cr.reasons).toEqual(["adds tool search", "raises limit concurrency from 2 to 5"]);
      expect(cr.diff).toEqual([
        { path: "spec.capabilities.tools", op: "change", before: ["lookup"], after: ["lookup", "search"] },
        { path: "spec.limits.concurrency", op: "change", before: 2, after: 5 },
      ]);
    });

    it("an agent submission carries the agent's whole definition", async () => {
      const t = await tenant();
      await h.admin(t.keys.developer, "POST", "/agents", { name: "bot", owner: "team", spec: agentSpec });
      const cr = await propose(t, "POST", "/agents/bot/submit", {});
      expect(cr.diff).toEqual([{ path: "", op: "add", after: { owner: "team", spec: agentSpec } }]);
    });
  });

  describe("rejected, cancelled and expired requests change nothing", () => {
    it("a rejected policy update leaves the policy as it was", async () => {
      const t = await tenant();
      await publishPolicy(t, "p", policy("v1"));
      const cr = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("v2") });
      expect((await review(h, t.keys.approver, cr.id)).body.status).toBe("pending");
      const rejected = await review(h, t.keys.approver2, cr.id, "reject", "too broad");
      expect(rejected.status).toBe(200);
      expect(rejected.body).toMatchObject({ status: "rejected", outcome: `rejected by approver2@${t.name}: too broad` });
      expect(rejected.body.reviews.map((r: any) => r.decision)).toEqual(["approve", "reject"]);
      expect((await get(t, "/policies/p")).body).toMatchObject({ version: 1, spec: { text: cedar("v1") } });
      expect(await versions(t, "policies", "p")).toHaveLength(1);
      // A closed request cannot be reopened by approving it.
      const late = await review(h, t.keys.admin, cr.id);
      expect(late.status).toBe(409);
      expect(late.body.error.message).toMatch(/is rejected, not pending/);
    });

    it("a cancelled request changes nothing; only its requester or an admin may cancel it", async () => {
      const t = await tenant();
      await publishPolicy(t, "p", policy("v1", ["staging"]));
      const cr = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("v2", ["staging"]) });
      const byViewer = await h.admin(t.keys.viewer, "POST", `/change-requests/${cr.id}/cancel`, {});
      expect(byViewer.status).toBe(403);
      const cancelled = await h.admin(t.keys.developer, "POST", `/change-requests/${cr.id}/cancel`, {});
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: "cancelled", outcome: `cancelled by developer@${t.name}` });
      const late = await review(h, t.keys.approver, cr.id);
      expect(late.status).toBe(409);
      expect((await get(t, "/policies/p")).body).toMatchObject({ version: 1, spec: { text: cedar("v1") } });

      const other = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("v3", ["staging"]) });
      const byAdmin = await h.admin(t.keys.admin, "POST", `/change-requests/${other.id}/cancel`, {});
      expect(byAdmin.body.status).toBe("cancelled");
      expect((await get(t, "/policies/p")).body.version).toBe(1);
    });

    it("a rejected or cancelled agent submission returns the agent to draft", async () => {
      const t = await tenant();
      await h.admin(t.keys.developer, "POST", "/agents", { name: "bot", owner: "team", spec: agentSpec });
      const first = await propose(t, "POST", "/agents/bot/submit", {});
      expect((await review(h, t.keys.approver, first.id, "reject", "purpose too vague")).body.status).toBe("rejected");
      let agent = (await get(t, "/agents/bot")).body;
      expect(agent.lifecycle).toMatchObject({ state: "draft", environments: [] });
      expect(agent.lifecycle.reason).toMatch(/purpose too vague/);
      expect(agent.version).toBe(1);

      // Back in draft it can be edited freely and submitted again.
      expect((await h.admin(t.keys.developer, "PUT", "/agents/bot", { owner: "team", spec: { ...agentSpec, purpose: "clearer" } })).status).toBe(200);
      const second = await propose(t, "POST", "/agents/bot/submit", {});
      expect((await h.admin(t.keys.developer, "POST", `/change-requests/${second.id}/cancel`, {})).body.status).toBe("cancelled");
      agent = (await get(t, "/agents/bot")).body;
      expect(agent.lifecycle.state).toBe("draft");
      expect(agent.version).toBe(2);
    });

    it("an expired request is listed as expired, cannot be approved and changes nothing", async () => {
      const t = await tenant();
      await publishPolicy(t, "p", policy("v1"));
      await h.admin(t.keys.developer, "POST", "/agents", { name: "bot", owner: "team", spec: agentSpec });
      const update = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("v2") });
      const submit = await propose(t, "POST", "/agents/bot/submit", {});
      expect(update.expiresAt - update.createdAt).toBe(168 * 3_600_000);
      await h.gatehouse.store.db
        .updateTable("change_requests")
        .set({ expires_at: Date.now() - 1000 })
        .where("id", "in", [update.id, submit.id])
        .execute();

      const listed = (await get(t, "/change-requests")).body.items as any[];
      for (const id of [update.id, submit.id]) {
        const cr = listed.find((c) => c.id === id);
        expect(cr.status).toBe("expired");
        expect(cr.outcome).toMatch(/^expired at /);
      }
      expect((await get(t, "/change-requests?status=pending")).body.items).toEqual([]);
      expect((await get(t, "/change-requests?status=expired")).body.items.map((c: any) => c.id).sort()).toEqual([update.id, submit.id].sort());

      for (const id of [update.id, submit.id]) {
        const late = await review(h, t.keys.approver, id);
        expect(late.status).toBe(409);
        expect(late.body.error.message).toMatch(/is expired, not pending/);
      }
      expect((await get(t, "/policies/p")).body).toMatchObject({ version: 1, spec: { text: cedar("v1") } });
      expect((await get(t, "/agents/bot")).body.lifecycle.state).toBe("draft");
      const events = (await h.admin(t.keys.auditor, "GET", "/events?action=change_request.expired")).body.items as any[];
      expect(events.map((e) => e.resource.id).sort()).toEqual([update.id, submit.id].sort());
      expect(events.every((e) => e.actor.type === "system")).toBe(true);
    });

    it("an expired request is noticed even when nobody has listed it: proposing the change again opens a new request", async () => {
      const t = await tenant();
      await publishPolicy(t, "p", policy("v1"));
      const body = { owner: "security", spec: policy("v2") };
      const first = await propose(t, "PUT", "/policies/p", body);
      await h.gatehouse.store.db.updateTable("change_requests").set({ expires_at: Date.now() - 1000 }).where("id", "=", first.id).execute();
      // No GET in between: the expired request must not be handed back as the pending one.
      const again = await propose(t, "PUT", "/policies/p", body);
      expect(again.id).not.toBe(first.id);
      expect(again.expiresAt).toBeGreaterThan(Date.now());
      await approveFully(h, t, again.id);
      expect((await get(t, "/policies/p")).body).toMatchObject({ version: 2, spec: { text: cedar("v2") } });
      expect((await changeRequest(t, first.id)).status).toBe("expired");
    });
  });

  describe("stale requests", () => {
    it("approving a policy update whose target changed since it was requested ends stale and overwrites nothing", async () => {
      const t = await tenant();
      await publishPolicy(t, "p", policy("v1"));
      const a = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("from-a") });
      const b = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("from-b") });
      expect([a.baseVersion, b.baseVersion]).toEqual([1, 1]);
      await approveFully(h, t, a.id);
      expect((await get(t, "/policies/p")).body).toMatchObject({ version: 2, spec: { text: cedar("from-a") } });

      expect((await review(h, t.keys.approver, b.id)).body.status).toBe("pending");
      const last = await review(h, t.keys.approver2, b.id);
      expect(last.status).toBe(409);
      expect(last.body.error.message).toMatch(/stale/);
      const stale = await changeRequest(t, b.id);
      expect(stale.status).toBe("stale");
      expect(stale.outcome).toMatch(/could not be applied: .*changed since version 1 \(now version 2\)/);
      expect((await get(t, "/policies/p")).body).toMatchObject({ version: 2, spec: { text: cedar("from-a") } });
      expect(await versions(t, "policies", "p")).toHaveLength(2);
    });

    it("two requests creating the same template: the second to be approved is stale", async () => {
      const t = await tenant();
      const a = await propose(t, "POST", "/prompt-templates", { name: "greeting", owner: "team", spec: template("Hello") });
      const b = await propose(t, "POST", "/prompt-templates", { name: "greeting", owner: "team", spec: template("Howdy") });
      await approveFully(h, t, b.id);
      const late = await review(h, t.keys.approver, a.id);
      expect(late.status).toBe(409);
      expect((await changeRequest(t, a.id)).status).toBe("stale");
      expect((await get(t, "/prompt-templates/greeting")).body).toMatchObject({ version: 1, spec: { text: "Howdy {{name}}" } });
    });

    it("a production activation requested before the agent changed is stale", async () => {
      const t = await tenant();
      await approvedAgent(t, "bot", sampleSpecs.agent);
      const prod = await propose(t, "POST", "/agents/bot/activate", { environment: "production" });
      const narrowed = await h.admin(t.keys.developer, "PUT", "/agents/bot", { owner: "team", spec: { ...sampleSpecs.agent, purpose: "narrower" } });
      expect(narrowed.status).toBe(200);
      const late = await review(h, t.keys.approver, prod.id);
      expect(late.status).toBe(409);
      expect((await changeRequest(t, prod.id)).status).toBe("stale");
      expect((await get(t, "/agents/bot")).body.lifecycle).toMatchObject({ state: "approved", environments: [] });
    });
  });

  describe("justification", () => {
    it("is required to approve or reject (400 naming the field)", async () => {
      const t = await tenant();
      const cr = await propose(t, "POST", "/prompt-templates", { name: "greeting", owner: "team", spec: template("Hello") });
      for (const decision of ["approve", "reject"] as const) {
        for (const body of [undefined, {}, { justification: "" }]) {
          const res = await h.admin(t.keys.approver, "POST", `/change-requests/${cr.id}/${decision}`, body);
          expect(res.status, `${decision} ${JSON.stringify(body)}`).toBe(400);
          expect(res.body.error.field).toBe("justification");
        }
      }
      expect(await changeRequest(t, cr.id)).toMatchObject({ status: "pending", reviews: [] });
    });

    it("is recorded in the reviews and the events", async () => {
      const t = await tenant();
      await publishPolicy(t, "p", policy("v1"));
      const approved = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("v2"), justification: "incident 42" });
      await review(h, t.keys.approver, approved.id, "approve", "checked against the incident report");
      const applied = await review(h, t.keys.approver2, approved.id, "approve", "second pair of eyes");
      expect(applied.body.reviews.map((r: any) => [r.reviewer, r.justification])).toEqual([
        [`approver@${t.name}`, "checked against the incident report"],
        [`approver2@${t.name}`, "second pair of eyes"],
      ]);
      const rejected = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy("v3") });
      await review(h, t.keys.approver, rejected.id, "reject", "no ticket for this");

      const events = async (action: string) =>
        ((await h.admin(t.keys.auditor, "GET", `/events?action=${action}`)).body.items as any[]);
      const approvals = (await events("change_request.approve")).filter((e) => e.resource.id === approved.id);
      expect(approvals.map((e) => [e.actor.name, e.payload.justification])).toEqual([
        [`approver@${t.name}`, "checked against the incident report"],
        [`approver2@${t.name}`, "second pair of eyes"],
      ]);
      const rejections = (await events("change_request.reject")).filter((e) => e.resource.id === rejected.id);
      expect(rejections.map((e) => e.payload.justification)).toEqual(["no ticket for this"]);
      const closed = (await events("change_request.rejected")).find((e) => e.resource.id === rejected.id);
      expect(closed.decision.reasons).toEqual([`rejected by approver@${t.name}: no ticket for this`]);
      const update = (await events("policy.update")).find((e) => e.payload.changeRequestId === approved.id);
      expect(update.payload).toMatchObject({ version: 2, justification: "incident 42" });
      // Reviews need an auditor's key to read the events, not an approver's.
      expect((await h.admin(t.keys.approver, "GET", "/events")).status).toBe(403);
    });
  });

  describe("concurrency", () => {
    it("two approvers approving a two-approval request at the same time apply it exactly once", async () => {
      const t = await tenant();
      await publishPolicy(t, "p", policy("v0"));
      for (let round = 1; round <= 5; round++) {
        const cr = await propose(t, "PUT", "/policies/p", { owner: "security", spec: policy(`v${round}`) });
        expect(cr.requiredApprovals).toBe(2);
        const results = await Promise.all([review(h, t.keys.approver, cr.id), review(h, t.keys.approver2, cr.id)]);
        expect(results.map((r) => r.status), JSON.stringify(results.map((r) => r.body))).toEqual([200, 200]);
        expect(results.map((r) => r.body.status).sort()).toEqual(["applied", "pending"]);
        const final = await changeRequest(t, cr.id);
        expect(final.status).toBe("applied");
        expect(final.reviews).toHaveLength(2);
        const history = await versions(t, "policies", "p");
        expect(history).toHaveLength(round + 1);
        expect(history.filter((v) => v.changeRequestId === cr.id)).toHaveLength(1);
        expect((await get(t, "/policies/p")).body).toMatchObject({ version: round + 1, spec: { text: cedar(`v${round}`) } });
      }
    });

    it("one approver approving twice at the same time counts once", async () => {
      const t = await tenant();
      const cr = await propose(t, "POST", "/policies", { name: "p", owner: "security", spec: policy("v1") });
      const results = await Promise.all([review(h, t.keys.approver, cr.id), review(h, t.keys.approver, cr.id)]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(await changeRequest(t, cr.id)).toMatchObject({ status: "pending", reviews: [{ reviewerId: t.principalIds.approver }] });
      expect((await get(t, "/policies/p")).status).toBe(404);
    });
  });
});
