import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { TASK_HEADER } from "../../src/agents/identity/proof-format.js";
import { ProofSigner } from "../../src/sdk/proof-signer.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { lastLoggedSeq, loggedEventsAfter } from "../support/log.js";
import { storeTargets } from "../support/stores.js";
import { putRecord, upstreamModel } from "../gateway/support.js";
import { activeAgent, agentCall, type TestAgent } from "./support.js";

const spec = (overrides: { environments?: string[]; limits?: Record<string, number>; tools?: string[]; models?: string[] } = {}) => ({
  ...sampleSpecs.agent,
  capabilities: { tools: overrides.tools ?? ["lookup"], dataSources: [], models: overrides.models ?? ["demo"] },
  environments: overrides.environments ?? ["staging", "production"],
  limits: overrides.limits ?? { concurrency: 10 },
});

/**
 * The deployment constraints an agent's registry record sets, enforced on every call at run
 * time: the environments it may act in, its maximum of concurrent tasks, its token and cost
 * budgets, and its capabilities as the upper bound of what it reaches. Each is attacked, and
 * its legitimate twin goes through.
 */
describe.each(storeTargets)("an agent's deployment constraints at run time ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;

  const openTask = async (agent: TestAgent) => {
    const res = await agentCall(h, agent.signer, "POST", "/v1/tasks", { body: { purpose: "constraints" } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const chat = (agent: TestAgent, taskId: string, body: Record<string, unknown>) =>
    agentCall(h, agent.signer, "POST", "/v1/chat/completions", {
      body: { model: "demo", messages: [{ role: "user", content: "hello" }], ...body },
      headers: { [TASK_HEADER]: taskId },
    });

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("agents-constraints");
    await putRecord(h, t, "model", "demo", upstreamModel("simulator", undefined));
    await putRecord(h, t, "model", "big-model", upstreamModel("simulator", undefined));
    await h.gatehouse.transaction((trx) =>
      h.gatehouse.registry.write(trx, actionContext(systemActor("test", t.id)), { tenantId: t.id, kind: "tool", name: "lookup", owner: "platform", spec: sampleSpecs.tool }),
    );
    await h.gatehouse.transaction((trx) =>
      h.gatehouse.registry.write(trx, actionContext(systemActor("test", t.id)), {
        tenantId: t.id,
        kind: "tool",
        name: "refund",
        owner: "platform",
        spec: { ...sampleSpecs.tool, sideEffect: "write" },
      }),
    );
  });
  afterAll(async () => h?.close());

  it("environments: an agent acts only where its spec allows and it was activated; narrowing the spec cuts it off on the next request", async () => {
    const bot = await activeAgent(h, t, "staging-bot", { spec: spec({ environments: ["staging"] }) });
    expect((await agentCall(h, bot.signer, "GET", "/v1/agents/me")).status).toBe(200);

    const before = await lastLoggedSeq(h);
    const production = await ProofSigner.create(bot.privateJwk, { tenant: t.name, name: "staging-bot" }, "production");
    const there = await agentCall(h, production, "GET", "/v1/agents/me");
    expect(there.status).toBe(403);
    expect(there.body.error.message).toMatch(/not active in environment 'production'/);
    const activate = await h.admin(t.keys.developer, "POST", "/agents/staging-bot/activate", { environment: "production" });
    expect(activate.status).toBeGreaterThanOrEqual(400);
    expect(activate.status).toBeLessThan(500);
    expect(JSON.stringify(activate.body)).toMatch(/may only run in staging/);
    const refusals = (await loggedEventsAfter(h, before)).filter((e) => e.action === "agent.authenticate");
    expect(refusals).toMatchObject([{ decision: { outcome: "refused", reasons: [expect.stringMatching(/not active in environment 'production'/)] } }]);

    // Active in staging, allowed in both; the spec narrowed to production applies at once.
    const both = await activeAgent(h, t, "two-env-bot", { spec: spec() });
    expect((await agentCall(h, both.signer, "GET", "/v1/agents/me")).status).toBe(200);
    const narrowed = await h.admin(t.keys.developer, "PUT", "/agents/two-env-bot", { owner: "team", spec: spec({ environments: ["production"] }) });
    expect(narrowed.status, JSON.stringify(narrowed.body)).toBe(200);
    const cut = await agentCall(h, both.signer, "GET", "/v1/agents/me");
    // Its only active environment is no longer allowed: it is no longer active anywhere.
    expect(cut.status, JSON.stringify(cut.body)).toBe(401);
    expect(cut.body.error.message).toBe("agent 'two-env-bot' is approved; only active agents act");
  });

  it("maximum concurrent tasks (limits.concurrency): a burst opens exactly the limit, the rest 429 with the reason, recorded", async () => {
    const bot = await activeAgent(h, t, "busy-bot", { spec: spec({ limits: { concurrency: 2 } }) });
    const before = await lastLoggedSeq(h);
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => agentCall(h, bot.signer, "POST", "/v1/tasks", { body: { purpose: `burst ${i}` } })));
    const opened = burst.filter((r) => r.status === 201);
    const refused = burst.filter((r) => r.status === 429);
    expect(opened).toHaveLength(2);
    expect(refused).toHaveLength(4);
    expect(refused[0]!.body.error.message).toMatch(/already has 2 open tasks, its limit \(limits.concurrency: 2\); end one first/);
    const events = (await loggedEventsAfter(h, before)).filter((e) => e.action === "task.open");
    expect(events.filter((e) => e.decision.outcome === "refused")).toHaveLength(4);
    expect(events.filter((e) => e.decision.outcome === "allowed")).toHaveLength(2);

    // The legitimate twin: once a task ends, the next one opens.
    expect((await agentCall(h, bot.signer, "POST", `/v1/tasks/${opened[0]!.body.id}/complete`, { body: {} })).status).toBe(200);
    expect((await agentCall(h, bot.signer, "POST", "/v1/tasks", { body: { purpose: "after one ended" } })).status).toBe(201);
  });

  it("token budget (limits.tokensPerDay): a call that could exceed it is refused 429 naming it; a call within it is answered", async () => {
    const bot = await activeAgent(h, t, "token-bot", { spec: spec({ limits: { concurrency: 10, tokensPerDay: 300 } }) });
    const taskId = await openTask(bot);
    const over = await chat(bot, taskId, { max_tokens: 1000 });
    expect(over.status).toBe(429);
    expect(over.body.error.message).toMatch(/Budget exceeded: 300 tokens per day \(UTC\) for agent 'token-bot'/);
    const within = await chat(bot, taskId, { max_tokens: 20 });
    expect(within.status, JSON.stringify(within.body)).toBe(200);
  });

  it("cost budget (limits.costPerDayUsd): a call that could cost more than is left is refused 429 naming it; a cheap one is answered", async () => {
    // demo costs $1 per 1k input tokens and $2 per 1k output tokens.
    const bot = await activeAgent(h, t, "cost-bot", { spec: spec({ limits: { concurrency: 10, costPerDayUsd: 0.5 } }) });
    const taskId = await openTask(bot);
    const over = await chat(bot, taskId, { max_tokens: 1000 });
    expect(over.status).toBe(429);
    expect(over.body.error.message).toMatch(/Budget exceeded: \$0.50 per day \(UTC\) for agent 'cost-bot'/);
    const within = await chat(bot, taskId, { max_tokens: 20 });
    expect(within.status, JSON.stringify(within.body)).toBe(200);
  });

  it("capabilities are the upper bound: a model or tool outside them is refused, one inside them is not", async () => {
    const bot = await activeAgent(h, t, "bounded-bot", { spec: spec({ tools: ["lookup"], models: ["demo"] }) });
    const taskId = await openTask(bot);
    const model = await agentCall(h, bot.signer, "POST", "/v1/chat/completions", {
      body: { model: "big-model", messages: [{ role: "user", content: "hello" }], max_tokens: 5 },
      headers: { [TASK_HEADER]: taskId },
    });
    expect(model.status).toBe(403);
    expect(model.body.error.message).toMatch(/agent bounded-bot may not use model big-model/);
    expect((await chat(bot, taskId, { max_tokens: 5 })).status).toBe(200);

    const tool = await agentCall(h, bot.signer, "POST", `/v1/tasks/${taskId}/grants`, { body: { resource: { kind: "tool", name: "refund" } } });
    expect(tool.status).toBe(403);
    expect(tool.body.error.message).toMatch(/'refund' is not among agent 'bounded-bot''s capabilities/);
    expect((await agentCall(h, bot.signer, "POST", `/v1/tasks/${taskId}/grants`, { body: { resource: { kind: "tool", name: "lookup" } } })).status).toBe(201);
  });
});
