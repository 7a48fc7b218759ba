import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import type { ToolRef } from "../../src/agents/grants/grants.js";
import type { Kind } from "../../src/registry/kinds.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { lastLoggedSeq, loggedEventsAfter } from "../support/log.js";
import { storeTargets } from "../support/stores.js";
import { activeAgent, agentCall, type TestAgent, writeRecord } from "./support.js";

const lookup = { name: "lookup", sideEffect: "read" as const };
const refund = { name: "refund", sideEffect: "write" as const };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(storeTargets)("just-in-time grants ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let bot: TestAgent;

  const write = (kind: Kind, name: string, spec: unknown) => writeRecord(h, t, kind, name, spec);
  const policy = (name: string, text: string) => write("policy", name, { text, environments: [], description: `test policy ${name}` });
  const unpolicy = (name: string) =>
    h.gatehouse.transaction((trx) => h.gatehouse.registry.remove(trx, actionContext(systemActor("test", t.id)), { tenantId: t.id, kind: "policy", name }));

  const openTask = async (agent: TestAgent = bot) => {
    const res = await agentCall(h, agent.signer, "POST", "/v1/tasks", { body: { purpose: "handle a refund", reference: "order #12345" } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; tenantId: string };
  };
  const ask = (taskId: string, body: unknown, agent: TestAgent = bot) => agentCall(h, agent.signer, "POST", `/v1/tasks/${taskId}/grants`, { body });
  const covering = (task: { id: string; tenantId: string }, tool: ToolRef, args: unknown) => h.gatehouse.agentAccess.grants.liveGrantCovering(task, tool, args);

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("agents-grants");
    await write("tool", "lookup", sampleSpecs.tool);
    await write("tool", "refund", { ...sampleSpecs.tool, sideEffect: "write" });
    await write("tool", "mailer", { ...sampleSpecs.tool, sideEffect: "egress" });
    await write("data_source", "kb", sampleSpecs.data_source);
    const spec = { ...sampleSpecs.agent, capabilities: { tools: ["lookup", "refund", "ghost-tool"], dataSources: ["kb"], models: ["demo"] }, limits: { concurrency: 10 } };
    bot = await activeAgent(h, t, "refund-bot", { spec });
  });
  afterAll(async () => h?.close());

  it("approves a grant at once when no policy forbids it; it covers calls within its scope, and expires within 1 s of its time", async () => {
    const task = await openTask();
    const before = await lastLoggedSeq(h);
    const res = await ask(task.id, { resource: { kind: "tool", name: "lookup" }, scope: { arguments: { id: { equals: "12345" } } }, ttlSeconds: 1 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const grant = res.body;
    expect(grant).toMatchObject({ status: "active", actions: ["call"], ttlSeconds: 1, taskId: task.id, decision: { outcome: "approved", by: "policy" } });
    expect(grant.expiresAt - grant.decidedAt).toBe(1000);
    const [event] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "grant.request");
    expect(event).toMatchObject({ tenantId: t.id, actor: { type: "agent", name: "refund-bot" }, context: { taskId: task.id }, decision: { outcome: "allowed" } });

    expect(await covering(task, lookup, { id: "12345" })).toMatchObject({ covered: true, grant: { id: grant.id } });
    expect(await covering(task, lookup, { id: "99999" })).toMatchObject({ covered: false, reason: expect.stringMatching(/argument id = "99999" is outside/) });
    expect(await covering(task, refund, { id: "12345" })).toEqual({ covered: false, reason: `no live grant for tool 'refund' in task '${task.id}'` });
    expect(await covering({ ...task, tenantId: "another-tenant" }, lookup, { id: "12345" })).toMatchObject({ covered: false });

    await sleep(Math.max(0, grant.expiresAt - Date.now()) + 20);
    expect(await covering(task, lookup, { id: "12345" })).toMatchObject({ covered: false, reason: expect.stringMatching(/no live grant/) });
    const read = await agentCall(h, bot.signer, "GET", `/v1/tasks/${task.id}`);
    expect(read.body.grants).toMatchObject([{ id: grant.id, status: "expired" }]);
  });

  it("revocation takes effect on the next check, by the agent or by an operator", async () => {
    const task = await openTask();
    const mine = (await ask(task.id, { resource: { kind: "tool", name: "lookup" } })).body;
    const theirs = (await ask(task.id, { resource: { kind: "tool", name: "refund" } })).body;
    expect((await covering(task, lookup, {})).covered).toBe(true);
    const given = await agentCall(h, bot.signer, "DELETE", `/v1/grants/${mine.id}`);
    expect(given.status, JSON.stringify(given.body)).toBe(200);
    expect(given.body).toMatchObject({ status: "revoked", endReason: "given up by the agent" });
    expect((await covering(task, lookup, {})).covered).toBe(false);
    expect((await agentCall(h, bot.signer, "DELETE", `/v1/grants/${mine.id}`)).status).toBe(409);

    expect((await covering(task, refund, {})).covered).toBe(true);
    const revoked = await h.admin(t.keys.developer, "POST", `/grant-requests/${theirs.id}/revoke`, { reason: "suspicious refunds" });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect((await covering(task, refund, {})).covered).toBe(false);
    expect((await agentCall(h, bot.signer, "GET", `/v1/grants/${theirs.id}`)).body).toMatchObject({ status: "revoked", endReason: "suspicious refunds" });
  });

  it("grants end with their task, pending ones included", async () => {
    await policy("refunds-need-a-person", '@escalate("refunds need a person") forbid (principal, action == Gatehouse::Action::"request_grant", resource == Gatehouse::Tool::"refund");');
    try {
      const task = await openTask();
      const live = (await ask(task.id, { resource: { kind: "tool", name: "lookup" } })).body;
      const pending = await ask(task.id, { resource: { kind: "tool", name: "refund" } });
      expect(pending.status).toBe(202);
      const done = await agentCall(h, bot.signer, "POST", `/v1/tasks/${task.id}/complete`, { body: { reason: "refunded" } });
      expect(done.status).toBe(200);
      expect((await covering(task, lookup, {})).covered).toBe(false);
      const grants = (await agentCall(h, bot.signer, "GET", `/v1/tasks/${task.id}`)).body.grants;
      expect(grants.map((g: any) => [g.id, g.status])).toEqual([
        [live.id, "ended"],
        [pending.body.id, "ended"],
      ]);
      expect(grants[0].endReason).toBe("the task ended: refunded");
      const approve = await h.admin(t.keys.approver, "POST", `/grant-requests/${pending.body.id}/approve`, { justification: "too late" });
      expect(approve.status).toBe(409);
      expect((await ask(task.id, { resource: { kind: "tool", name: "lookup" } })).status).toBe(409);
    } finally {
      await unpolicy("refunds-need-a-person");
    }
  });

  it("holds grants to the agent's capabilities, now and later", async () => {
    const task = await openTask();
    const before = await lastLoggedSeq(h);
    const outside = await ask(task.id, { resource: { kind: "tool", name: "mailer" } });
    expect(outside.status).toBe(403);
    expect(outside.body.error.message).toMatch(/'mailer' is not among agent 'refund-bot''s capabilities/);
    const [refusal] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "grant.request");
    expect(refusal).toMatchObject({ decision: { outcome: "refused" }, context: { taskId: task.id } });
    expect((await ask(task.id, { resource: { kind: "data_source", name: "other-db" } })).status).toBe(403);
    expect((await ask(task.id, { resource: { kind: "tool", name: "ghost-tool" } })).status).toBe(404);
    const readOnlyWrite = await ask(task.id, { resource: { kind: "tool", name: "refund" }, scope: { readOnly: true } });
    expect(readOnlyWrite.status).toBe(400);
    expect(readOnlyWrite.body.error.field).toBe("scope.readOnly");
    expect((await ask(task.id, { resource: { kind: "tool", name: "lookup" }, ttlSeconds: 600 })).body.error.field).toBe("ttlSeconds");
    expect((await ask(task.id, { resource: { kind: "data_source", name: "kb" }, actions: ["read"] })).status).toBe(201);

    // The bound is read at every check: narrowing the agent's capabilities cuts its live grants.
    const spec = (await h.admin(t.keys.viewer, "GET", "/agents/refund-bot")).body.spec;
    expect((await ask(task.id, { resource: { kind: "tool", name: "lookup" } })).status).toBe(201);
    expect((await covering(task, lookup, {})).covered).toBe(true);
    await write("agent", "refund-bot", { ...spec, capabilities: { ...spec.capabilities, tools: ["refund"] } });
    expect(await covering(task, lookup, {})).toMatchObject({ covered: false, reason: expect.stringMatching(/no longer among agent 'refund-bot''s capabilities/) });
    await write("agent", "refund-bot", spec);
    expect((await covering(task, lookup, {})).covered).toBe(true);
  });

  it("a suspended agent's grants cover nothing until it is resumed", async () => {
    const task = await openTask();
    expect((await ask(task.id, { resource: { kind: "tool", name: "lookup" } })).status).toBe(201);
    expect((await h.admin(t.keys.developer, "POST", "/agents/refund-bot/suspend", { reason: "checking" })).status).toBe(200);
    expect(await covering(task, lookup, {})).toMatchObject({ covered: false, reason: "agent 'refund-bot' is suspended" });
    expect((await h.admin(t.keys.developer, "POST", "/agents/refund-bot/resume", {})).status).toBe(200);
    expect((await covering(task, lookup, {})).covered).toBe(true);
  });

  it("Cedar denies a grant request a policy forbids, naming the policy", async () => {
    await policy(
      "short-writes",
      'forbid (principal, action == Gatehouse::Action::"request_grant", resource is Gatehouse::Tool) when { resource.side_effect == "write" && context.grant.ttl_seconds > 60 };',
    );
    try {
      const task = await openTask();
      const before = await lastLoggedSeq(h);
      const denied = await ask(task.id, { resource: { kind: "tool", name: "refund" }, ttlSeconds: 300 });
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toMatch(/refused by policy short-writes \(test policy short-writes\) \(grant [0-9a-f-]{36}\)/);
      const [event] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "grant.request");
      expect(event).toMatchObject({ decision: { outcome: "refused" }, payload: { status: "denied", policies: ["short-writes"] } });
      expect((await covering(task, refund, {})).covered).toBe(false);
      // Within the policy, the same request is approved.
      expect((await ask(task.id, { resource: { kind: "tool", name: "refund" }, ttlSeconds: 60 })).status).toBe(201);
      expect((await h.admin(t.keys.viewer, "GET", "/grant-requests?status=denied")).body.items.map((g: any) => g.id)).toContain(
        /grant ([0-9a-f-]{36})/.exec(denied.body.error.message)?.[1],
      );
    } finally {
      await unpolicy("short-writes");
    }
  });

  it("Cedar sends an @escalate request to a person: the approvals queue, approve and deny through the API", async () => {
    await policy("refunds-need-a-person", '@escalate("refunds need a person") forbid (principal, action == Gatehouse::Action::"request_grant", resource == Gatehouse::Tool::"refund");');
    try {
      const task = await openTask();
      const first = await ask(task.id, { resource: { kind: "tool", name: "refund" }, scope: { arguments: { amount: { max: 50 } } }, ttlSeconds: 120 });
      expect(first.status, JSON.stringify(first.body)).toBe(202);
      expect(first.body).toMatchObject({ status: "pending", expiresAt: null, decision: { outcome: "escalated", reasons: ["sent to a person: refunds need a person"], by: null } });
      expect(await covering(task, refund, { amount: 10 })).toMatchObject({ covered: false });

      const queue = await h.admin(t.keys.approver, "GET", "/grant-requests");
      expect(queue.status).toBe(200);
      expect(queue.body.items.map((g: any) => g.id)).toEqual([first.body.id]);
      expect(queue.body.items[0]).toMatchObject({ agent: { name: "refund-bot" }, resource: { kind: "tool", name: "refund" }, scope: { arguments: { amount: { max: 50 } } } });

      const before = await lastLoggedSeq(h);
      const approved = await h.admin(t.keys.approver, "POST", `/grant-requests/${first.body.id}/approve`, { justification: "customer called" });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      expect(approved.body).toMatchObject({ status: "active", decision: { outcome: "approved", by: `user:approver@${t.name}` } });
      expect(approved.body.expiresAt - approved.body.decidedAt).toBe(120_000);
      const [event] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "grant.approve");
      expect(event).toMatchObject({ actor: { id: t.principalIds.approver }, context: { taskId: task.id }, decision: { reasons: ["customer called"] } });
      expect(await covering(task, refund, { amount: 10 })).toMatchObject({ covered: true });
      expect(await covering(task, refund, { amount: 60 })).toMatchObject({ covered: false });
      expect((await h.admin(t.keys.approver, "POST", `/grant-requests/${first.body.id}/deny`, { justification: "changed my mind" })).status).toBe(409);

      const second = await ask(task.id, { resource: { kind: "tool", name: "refund" } });
      expect(second.status).toBe(202);
      const denied = await h.admin(t.keys.approver2, "POST", `/grant-requests/${second.body.id}/deny`, { justification: "no" });
      expect(denied.body).toMatchObject({ status: "denied", decision: { outcome: "denied" } });
      expect((await agentCall(h, bot.signer, "GET", `/v1/grants/${second.body.id}`)).body.status).toBe("denied");
      expect((await h.admin(t.keys.approver, "GET", "/grant-requests")).body.items).toEqual([]);
      // Deciding takes an approver; a developer may look but not decide.
      const third = await ask(task.id, { resource: { kind: "tool", name: "refund" } });
      expect((await h.admin(t.keys.developer, "POST", `/grant-requests/${third.body.id}/approve`, { justification: "me" })).status).toBe(403);

      // An escalating forbid and a plain one both matching: the plain one denies.
      await policy("no-refunds-in-staging", 'forbid (principal, action == Gatehouse::Action::"request_grant", resource == Gatehouse::Tool::"refund") when { context.environment == "staging" };');
      const fourth = await ask(task.id, { resource: { kind: "tool", name: "refund" } });
      expect(fourth.status).toBe(403);
      expect(fourth.body.error.message).toMatch(/no-refunds-in-staging/);
    } finally {
      await unpolicy("refunds-need-a-person");
      await unpolicy("no-refunds-in-staging").catch(() => undefined);
    }
  });

  it("keeps grants to their agent and tenant", async () => {
    const other = await activeAgent(h, t, "other-grant-bot");
    const task = await openTask();
    const grant = (await ask(task.id, { resource: { kind: "tool", name: "lookup" } })).body;
    expect((await agentCall(h, other.signer, "GET", `/v1/grants/${grant.id}`)).status).toBe(404);
    expect((await agentCall(h, other.signer, "DELETE", `/v1/grants/${grant.id}`)).status).toBe(404);
    expect((await ask(task.id, { resource: { kind: "tool", name: "lookup" } }, other)).status).toBe(404);
    const stranger = await h.createTenant("agents-grants-other");
    expect((await h.admin(stranger.keys.owner, "POST", `/grant-requests/${grant.id}/revoke`, {})).status).toBe(404);
    expect((await covering(task, lookup, {})).covered).toBe(true);
  });
});
