import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatehouseAgent, GatehouseApiError, GrantDeniedError, PROOF_HEADER, type PrivateAgentJwk } from "gatehouse/sdk";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { lastLoggedSeq, loggedEventsAfter } from "../support/log.js";
import { storeTargets } from "../support/stores.js";
import { invokeRecords, lastInvokeRecord, listen, putRecord, upstreamModel } from "../gateway/support.js";
import { agentIn } from "../support/admin-fixtures.js";
import { registerKey } from "./support.js";

const spec = {
  ...sampleSpecs.agent,
  capabilities: { tools: ["lookup", "refund"], dataSources: [], models: ["demo"] },
  limits: { concurrency: 3, tokensPerDay: 5000 },
};

/**
 * An agent through the SDK (`gatehouse/sdk`: the built package, so `npm run build` first) on a loopback port: its signed
 * fetch handed to the official OpenAI and Anthropic clients, its tasks and grants.
 */
describe.each(storeTargets)("agents calling models and asking for grants through the SDK ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let base: string;
  let agent: GatehouseAgent;
  let privateKey: PrivateAgentJwk;

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("agents-sdk");
    await putRecord(h, t, "model", "demo", upstreamModel("simulator", undefined));
    await putRecord(h, t, "model", "other-model", upstreamModel("simulator", undefined));
    await h.gatehouse.transaction(async (trx) => {
      const ctx = actionContext(systemActor("test", t.id));
      await h.gatehouse.registry.write(trx, ctx, { tenantId: t.id, kind: "tool", name: "lookup", owner: "platform", spec: sampleSpecs.tool });
      await h.gatehouse.registry.write(trx, ctx, { tenantId: t.id, kind: "tool", name: "refund", owner: "platform", spec: { ...sampleSpecs.tool, sideEffect: "write" } });
      const text = '@escalate("refunds need a person") forbid (principal, action == Gatehouse::Action::"request_grant", resource == Gatehouse::Tool::"refund");';
      await h.gatehouse.registry.write(trx, ctx, { tenantId: t.id, kind: "policy", name: "refunds-need-a-person", owner: "platform", spec: { text, environments: [] } });
    });
    await agentIn(h, t, "chat-bot", "active", spec);
    privateKey = await registerKey(h, t, "chat-bot");
    base = await listen(h);
    agent = await GatehouseAgent.create({ baseUrl: base, tenant: t.name, agent: "chat-bot", environment: "staging", privateKey });
  });
  afterAll(async () => h?.close());

  it("answers the official OpenAI client through a task's signed fetch, recorded as the agent's call in its task", async () => {
    const task = await agent.openTask({ purpose: "answer a customer", reference: "ticket 7" });
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", fetch: task.fetch, maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "hello from an agent" }] });
    expect(completion.choices[0]?.message.content).toContain("hello from an agent");
    const record = await lastInvokeRecord(h);
    expect(record).toMatchObject({
      tenantId: t.id,
      actor: { type: "agent", name: "chat-bot" },
      decision: { outcome: "allowed" },
      context: { taskId: task.id, environment: "staging", api: "openai" },
      payload: { modelServed: "demo" },
    });

    const stream = await openai.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "stream it" }], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toContain("stream it");

    const anthropic = new Anthropic({ baseURL: base, apiKey: "unused", fetch: task.fetch, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: "demo", max_tokens: 100, messages: [{ role: "user", content: "and from Anthropic's client" }] });
    expect(message.content[0]?.type === "text" && message.content[0].text).toContain("Anthropic's client");
    await task.complete("answered");
  });

  it("refuses an agent's model call without an open task of its own, or with a model outside its capabilities", async () => {
    const untasked = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", fetch: agent.fetch, maxRetries: 0 });
    const missing = await untasked.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/x-gatehouse-task-id: an agent's model calls name the open task/);

    const task = await agent.openTask({ purpose: "short-lived" });
    await task.cancel();
    const ended = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", fetch: task.fetch, maxRetries: 0 });
    const closed = await ended.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((closed as Error).message).toMatch(/is not an open task of agent 'chat-bot'/);

    const live = await agent.openTask({ purpose: "try another model" });
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", fetch: live.fetch, maxRetries: 0 });
    const outside = await openai.chat.completions.create({ model: "other-model", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((outside as Error).message).toMatch(/agent chat-bot may not use model other-model/);
    const record = await lastInvokeRecord(h);
    expect(record).toMatchObject({ actor: { type: "agent", name: "chat-bot" }, decision: { outcome: "refused" }, context: { taskId: live.id } });
    await live.complete();
  });

  it("holds the agent to its token budget (limits.tokensPerDay) with a 429 naming it", async () => {
    const task = await agent.openTask({ purpose: "a long answer" });
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", fetch: task.fetch, maxRetries: 0 });
    const over = await openai.chat.completions.create({ model: "demo", max_tokens: 6000, messages: [{ role: "user", content: "write a novel" }] }).catch((e: unknown) => e);
    expect(over).toBeInstanceOf(OpenAI.RateLimitError);
    expect((over as Error).message).toMatch(/Budget exceeded: 5000 tokens per day \(UTC\) for agent 'chat-bot'/);
    await task.complete();
  });

  it("accepts a short-lived agent token as the OpenAI client's key, and refuses a replayed signed request", async () => {
    const task = await agent.openTask({ purpose: "use a token" });
    const { token } = await agent.token();
    const withToken = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, defaultHeaders: { "x-gatehouse-task-id": task.id }, maxRetries: 0 });
    const answer = await withToken.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "by token" }] });
    expect(answer.choices[0]?.message.content).toContain("by token");

    // Capture one signed request and send it twice.
    let captured: { url: string; init: RequestInit } | undefined;
    const capturing = await GatehouseAgent.create({
      baseUrl: base,
      tenant: t.name,
      agent: "chat-bot",
      environment: "staging",
      privateKey,
      fetch: async (url, init) => {
        captured = { url: String(url), init: init ?? {} };
        return fetch(url, init);
      },
    });
    const signedTask = await capturing.openTask({ purpose: "replayed" });
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", fetch: signedTask.fetch, maxRetries: 0 });
    await openai.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "once" }] });
    const callsBefore = (await invokeRecords(h)).length;
    const before = await lastLoggedSeq(h);
    const replay = await fetch(captured!.url, captured!.init);
    expect(replay.status).toBe(401);
    const body = (await replay.json()) as any;
    expect(body.error).toMatchObject({ type: "authentication_error", message: expect.stringMatching(/replayed nonce/) });
    expect((await invokeRecords(h)).length).toBe(callsBefore + 1); // recorded as a refused call
    const refusal = (await loggedEventsAfter(h, before)).find((e) => e.action === "agent.authenticate");
    expect(refusal).toMatchObject({ tenantId: t.id, decision: { outcome: "refused" } });
    expect(new Headers(captured!.init.headers).get(PROOF_HEADER)).toBeTruthy();
    expect(new Headers(captured!.init.headers).get("authorization")).toBeNull();
    await task.complete();
    await signedTask.complete();
  });

  it("asks for grants: approved at once, or waited for while a person decides, or denied", async () => {
    const task = await agent.openTask({ purpose: "refund an order", reference: "order #12345" });
    const lookup = await task.requestGrant({ resource: { kind: "tool", name: "lookup" }, scope: { arguments: { id: { equals: "12345" } } }, ttlSeconds: 60 });
    expect(lookup).toMatchObject({ status: "active", resource: { name: "lookup" } });

    const refund = await task.requestGrant({ resource: { kind: "tool", name: "refund" }, scope: { arguments: { amount: { max: 50 } } } });
    expect(refund.status).toBe("pending");
    const waited = task.waitForGrant(refund.id, { intervalMs: 50, timeoutMs: 20_000 });
    const approved = await h.admin(t.keys.approver, "POST", `/grant-requests/${refund.id}/approve`, { justification: "customer called" });
    expect(approved.status).toBe(200);
    expect(await waited).toMatchObject({ id: refund.id, status: "active" });

    const again = await task.requestGrant({ resource: { kind: "tool", name: "refund" } });
    // The expectation holds the waiting promise from the start: a poll that sees the denial while the deny
    // request is still answering would otherwise reject with nobody listening yet.
    const denying = expect(task.waitForGrant(again.id, { intervalMs: 50, timeoutMs: 20_000 })).rejects.toBeInstanceOf(GrantDeniedError);
    await h.admin(t.keys.approver, "POST", `/grant-requests/${again.id}/deny`, { justification: "one refund is enough" });
    await denying;

    await expect(task.requestGrant({ resource: { kind: "tool", name: "mailer" } })).rejects.toBeInstanceOf(GrantDeniedError);
    await expect(task.requestGrant({ resource: { kind: "tool", name: "lookup" }, ttlSeconds: 3600 })).rejects.toMatchObject({ status: 400, field: "ttlSeconds" });
    expect((await task.revokeGrant(lookup.id)).status).toBe("revoked");

    const view = await task.refresh();
    expect(view.grants.map((g) => g.status)).toEqual(["revoked", "active", "denied"]);
    await task.complete("refunded");
    expect((await task.refresh()).grants.map((g) => g.status)).toEqual(["revoked", "ended", "denied"]);
    await expect(task.requestGrant({ resource: { kind: "tool", name: "lookup" } })).rejects.toBeInstanceOf(GatehouseApiError);
  });
});
