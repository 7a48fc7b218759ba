import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatehouseAgent, type DeliveredMessage } from "gatehouse/sdk";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import type { Kind } from "../../src/registry/kinds.js";
import { MessageSigner, type SignedMessage } from "../../src/sdk/message-signer.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { lastLoggedSeq, loggedEventsAfter } from "../support/log.js";
import { storeTargets } from "../support/stores.js";
import { listen } from "../gateway/support.js";
import { TASK_HEADER } from "../../src/agents/identity/proof-format.js";
import { startToolServer, toolFixtures, type ToolServer } from "./tool-server.js";
import { ProofSigner } from "../../src/sdk/proof-signer.js";
import { activeAgent, agentCall, registerKey, type TestAgent, writeRecord } from "./support.js";

/** A local webhook receiver: answers each POST with the next status of `statuses` (the last one repeats). */
async function webhookServer(statuses: number[]): Promise<{ url: string; received: { headers: IncomingMessage["headers"]; body: any }[]; close(): Promise<void> }> {
  const received: { headers: IncomingMessage["headers"]; body: any }[] = [];
  const server: Server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    request.on("end", () => {
      received.push({ headers: request.headers, body: JSON.parse(text) });
      response.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const agentSpec = (extra: { tools?: string[]; dataSources?: string[]; agents?: string[]; webhookUrl?: string } = {}) => ({
  ...sampleSpecs.agent,
  capabilities: { tools: extra.tools ?? [], dataSources: extra.dataSources ?? [], models: ["demo"], agents: extra.agents ?? [] },
  limits: { concurrency: 20 },
  ...(extra.webhookUrl ? { messaging: { webhookUrl: extra.webhookUrl } } : {}),
});

/**
 * Messages between agents (POST /v1/agents/:name/messages, GET /v1/messages): signed by the
 * sender over recipient, sender, task, body, label, time and nonce; checked by Gatehouse
 * (signature, nonce, time, who may talk to whom) before delivery by pull and by webhook.
 */
describe.each(storeTargets)("messages between agents ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let base: string;
  let orders: TestAgent;
  let billing: TestAgent;
  let auditBot: TestAgent;
  let ordersSdk: GatehouseAgent;
  let billingSdk: GatehouseAgent;
  let hook: Awaited<ReturnType<typeof webhookServer>>;
  let deadHook: Awaited<ReturnType<typeof webhookServer>>;
  let tools: ToolServer;
  let desk: TestAgent;

  const write = (kind: Kind, name: string, spec: unknown) => writeRecord(h, t, kind, name, spec);
  const unwrite = (kind: Kind, name: string) =>
    h.gatehouse.transaction((trx) => h.gatehouse.registry.remove(trx, actionContext(systemActor("test", t.id)), { tenantId: t.id, kind, name }));
  const signerOf = (agent: TestAgent) => MessageSigner.create(agent.privateJwk, agent.signer.kid, { tenant: t.name, name: agent.name });
  const openTask = async (agent: TestAgent) => {
    const res = await agentCall(h, agent.signer, "POST", "/v1/tasks", { body: { purpose: "handle order #12345" } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const signed = async (from: TestAgent, to: string, taskId: string, body: unknown = { ask: "refund order #12345" }, options: { sensitivity?: "public" | "internal" | "confidential" | "restricted"; now?: number } = {}) =>
    (await signerOf(from)).sign({ recipient: to, taskId, body, label: { sensitivity: options.sensitivity ?? "internal" } }, options.now);
  const post = (from: TestAgent, to: string, message: SignedMessage | Record<string, unknown>) => agentCall(h, from.signer, "POST", `/v1/agents/${to}/messages`, { body: message });
  const refusalsAfter = async (seq: number) => (await loggedEventsAfter(h, seq)).filter((e) => e.action === "message.send" && e.decision.outcome === "refused");

  beforeAll(async () => {
    hook = await webhookServer([503, 500, 200]);
    deadHook = await webhookServer([500]);
    h = await startHarness(target, { messageWebhooks: { retry: { retries: 3, baseDelayMs: 20, maxDelayMs: 50, maxRetryAfterMs: 1000 }, timeoutMs: 2000 } });
    t = await h.createTenant("agents-messages");
    tools = await startToolServer();
    const fixtures = toolFixtures(tools.url);
    for (const [name, spec] of Object.entries(fixtures.dataSources)) await write("data_source", name, spec);
    for (const [name, spec] of Object.entries(fixtures.tools)) await write("tool", name, spec);
    await write("tool", "refund", { ...sampleSpecs.tool, sideEffect: "write" });
    orders = await activeAgent(h, t, "order-bot", {
      spec: agentSpec({ tools: ["read_customer_db", "public_catalog"], dataSources: ["customer-db", "catalog"], agents: ["billing-bot", "hooked-bot", "dead-hook-bot", "audit-bot", "desk-bot"] }),
    });
    desk = await activeAgent(h, t, "desk-bot", { spec: agentSpec({ tools: ["send_email"] }) });
    billing = await activeAgent(h, t, "billing-bot", { spec: agentSpec({ tools: ["refund"], agents: ["order-bot"] }) });
    auditBot = await activeAgent(h, t, "audit-bot", { spec: agentSpec() });
    await activeAgent(h, t, "hooked-bot", { spec: agentSpec({ webhookUrl: hook.url }) });
    await activeAgent(h, t, "dead-hook-bot", { spec: agentSpec({ webhookUrl: deadHook.url }) });
    await activeAgent(h, t, "stranger-bot", { spec: agentSpec() });
    base = await listen(h);
    ordersSdk = await GatehouseAgent.create({ baseUrl: base, tenant: t.name, agent: "order-bot", environment: "staging", privateKey: orders.privateJwk });
    billingSdk = await GatehouseAgent.create({ baseUrl: base, tenant: t.name, agent: "billing-bot", environment: "staging", privateKey: billing.privateJwk });
  });
  afterAll(async () => {
    await h?.close();
    await hook?.close();
    await deadHook?.close();
    await tools?.close();
  });

  it("delivers a signed message by pull: verified end to end, read again until acknowledged, never lost once acknowledged", async () => {
    const before = await lastLoggedSeq(h);
    const task = await ordersSdk.openTask({ purpose: "refund order #12345" });
    const first = await ordersSdk.messages.send("billing-bot", { task, body: { ask: "refund", order: "12345", amount: 42.5 } });
    expect(first).toMatchObject({ seq: 1, recipient: "billing-bot", flowLabel: { sensitivity: "internal" }, webhook: "none" });
    const second = await ordersSdk.messages.send("billing-bot", { task, body: "and tell the customer", sensitivity: "confidential" });
    expect(second.seq).toBe(2);

    const page = await billingSdk.messages.receive();
    expect(page.messages.map((m) => [m.seq, m.sender, m.body])).toEqual([
      [1, "order-bot", { ask: "refund", order: "12345", amount: 42.5 }],
      [2, "order-bot", "and tell the customer"],
    ]);
    expect(page.messages[1]).toMatchObject({ tenant: t.name, recipient: "billing-bot", taskId: task.id, label: { sensitivity: "confidential" }, flowLabel: { sensitivity: "confidential" }, environment: "staging" });
    // End to end: the recipient checks the sender's signature with a key it knows from elsewhere.
    for (const message of page.messages) expect(await billingSdk.messages.verify(message, { kty: "OKP", crv: "Ed25519", x: orders.privateJwk.x })).toBe(true);
    const altered: DeliveredMessage = { ...page.messages[0]!, body: { ask: "refund", order: "12345", amount: 4250 } };
    expect(await billingSdk.messages.verify(altered)).toBe(false);
    expect(await billingSdk.messages.verify(page.messages[0]!, { kty: "OKP", crv: "Ed25519", x: billing.privateJwk.x })).toBe(false);

    // Not acknowledged yet: read again. Acknowledged: gone from the next read, kept in the store.
    expect((await billingSdk.messages.receive()).messages).toHaveLength(2);
    expect(await billingSdk.messages.receive({ after: page.next })).toEqual({ messages: [], acknowledged: 2, next: 2 });
    expect((await billingSdk.messages.receive()).messages).toHaveLength(0);
    const third = await ordersSdk.messages.send("billing-bot", { task, body: "done?" });
    expect((await billingSdk.messages.receive()).messages.map((m) => m.id)).toEqual([third.id]);
    const stored = await h.gatehouse.store.db.selectFrom("agent_messages").select(["seq", "acked_at"]).where("recipient_name", "=", "billing-bot").orderBy("seq").execute();
    expect(stored.map((r) => [Number(r.seq), r.acked_at !== null])).toEqual([
      [1, true],
      [2, true],
      [3, false],
    ]);
    // Read in one of billing-bot's tasks through the SDK; and a message altered in Gatehouse's own store no longer verifies at the recipient.
    const billingTask = await billingSdk.openTask({ purpose: "refunds" });
    expect((await billingSdk.messages.receive({ task: billingTask })).messages.map((m) => m.id)).toEqual([third.id]);
    await h.gatehouse.store.db.updateTable("agent_messages").set({ body: JSON.stringify("done? refund 10x") }).where("id", "=", third.id).execute();
    await expect(billingSdk.messages.receive()).rejects.toThrow(/does not verify with its sender's key/);
    expect((await billingSdk.messages.receive({ verify: false })).messages[0]?.body).toBe("done? refund 10x");
    await billingTask.complete();
    // The sender does not read the recipient's messages.
    expect((await ordersSdk.messages.receive()).messages.every((m) => m.recipient === "order-bot")).toBe(true);

    const events = await loggedEventsAfter(h, before);
    const sent = events.filter((e) => e.action === "message.send");
    expect(sent).toHaveLength(3);
    expect(sent[0]).toMatchObject({ tenantId: t.id, actor: { type: "agent", name: "order-bot" }, decision: { outcome: "allowed" }, context: { taskId: task.id }, resource: { kind: "message", name: "billing-bot" } });
    expect(events.filter((e) => e.action === "message.acknowledge")).toMatchObject([{ actor: { name: "billing-bot" }, payload: { through: 2, count: 2 } }]);
    await task.complete();
  });

  it("keeps bodies sealed at rest, each bound to its message: the store does not show them, and a body moved to another message is refused", async () => {
    const task = await ordersSdk.openTask({ purpose: "refund order #777" });
    const body = { ask: "refund", card: "4111 1111 1111 1111", note: "plain-text-marker" };
    const first = await ordersSdk.messages.send("audit-bot", { task, body });
    const second = await ordersSdk.messages.send("audit-bot", { task, body: "second-marker" });
    const rows = await h.gatehouse.store.db.selectFrom("agent_messages").select(["id", "body"]).where("id", "in", [first.id, second.id]).orderBy("seq").execute();
    for (const row of rows) {
      expect(row.body).toMatch(/^v1\./);
      expect(row.body).not.toMatch(/plain-text-marker|second-marker|4111/);
    }
    // The recipient reads what was sent, and the sender's signature still verifies.
    const read = async () => agentCall(h, auditBot.signer, "GET", "/v1/messages");
    const page = await read();
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body.messages.map((m: DeliveredMessage) => m.body)).toEqual([body, "second-marker"]);
    for (const message of page.body.messages as DeliveredMessage[]) expect(await ordersSdk.messages.verify(message, { kty: "OKP", crv: "Ed25519", x: orders.privateJwk.x })).toBe(true);
    // Someone with the database but not the master key moves the first body onto the second message: it does not open there.
    await h.gatehouse.store.db.updateTable("agent_messages").set({ body: rows[0]!.body }).where("id", "=", second.id).execute();
    const refused = await read();
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toContain(`the body of message ${second.id} does not open`);
    await h.gatehouse.store.db.updateTable("agent_messages").set({ body: rows[1]!.body }).where("id", "=", second.id).execute();
    expect((await read()).body.messages.map((m: DeliveredMessage) => m.body)).toEqual([body, "second-marker"]);
    await task.complete();
  });

  it("pushes a message to the recipient's webhook (a local HTTP server), retrying with backoff until it answers 2xx", async () => {
    const before = await lastLoggedSeq(h);
    const task = await ordersSdk.openTask({ purpose: "notify" });
    const sent = await ordersSdk.messages.send("hooked-bot", { task, body: { event: "order shipped" } });
    expect(sent.webhook).toBe("pending");
    await h.gatehouse.agentAccess.webhooks.settled();
    expect(hook.received).toHaveLength(3);
    const delivered = hook.received[2]!;
    expect(delivered.headers["x-gatehouse-message-id"]).toBe(sent.id);
    expect(delivered.body).toMatchObject({ id: sent.id, seq: 1, sender: "order-bot", recipient: "hooked-bot", body: { event: "order shipped" }, taskId: task.id });
    expect(await ordersSdk.messages.verify(delivered.body as DeliveredMessage, { kty: "OKP", crv: "Ed25519", x: orders.privateJwk.x })).toBe(true);
    const row = await h.gatehouse.store.db.selectFrom("agent_messages").selectAll().where("id", "=", sent.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ webhook_status: "delivered", webhook_attempts: 3 });
    const [event] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "message.deliver");
    expect(event).toMatchObject({ decision: { outcome: "allowed", reasons: ["webhook answered 200 after 3 attempts"] }, resource: { id: sent.id } });

    // A webhook that never answers 2xx: the failure is recorded, and the message waits on the pull endpoint.
    const lost = await ordersSdk.messages.send("dead-hook-bot", { task, body: "anyone there?" });
    await h.gatehouse.agentAccess.webhooks.settled();
    expect(deadHook.received).toHaveLength(4);
    const failed = (await loggedEventsAfter(h, before)).filter((e) => e.action === "message.deliver" && e.resource.id === lost.id);
    expect(failed).toMatchObject([{ decision: { outcome: "failed", reasons: ["webhook answered 500 after 4 attempts"] } }]);
    const pulled = await agentCall(h, (await activeSigner("dead-hook-bot")).signer, "GET", "/v1/messages");
    expect(pulled.body.messages.map((m: DeliveredMessage) => m.id)).toEqual([lost.id]);
    await task.complete();
  });

  it("resumes a webhook delivery cut short by a stop, on the next start", async () => {
    const task = await ordersSdk.openTask({ purpose: "notify again" });
    const sent = await ordersSdk.messages.send("hooked-bot", { task, body: { event: "order packed" } });
    await h.gatehouse.agentAccess.webhooks.settled();
    const received = hook.received.length;
    // As the process that accepted it would leave it had it stopped mid-delivery.
    await h.gatehouse.store.db.updateTable("agent_messages").set({ webhook_status: "pending", webhook_attempts: 0 }).where("id", "=", sent.id).execute();
    expect(await h.gatehouse.agentAccess.messages.resumeWebhooks()).toBe(1);
    await h.gatehouse.agentAccess.webhooks.settled();
    expect(hook.received.slice(received).map((r) => r.body.id)).toEqual([sent.id]);
    const row = await h.gatehouse.store.db.selectFrom("agent_messages").selectAll().where("id", "=", sent.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ webhook_status: "delivered", webhook_attempts: 1 });
    expect(await h.gatehouse.agentAccess.messages.resumeWebhooks()).toBe(0);
    await task.complete();
  });

  // A second key for an agent set up in beforeAll (its first key's private half is not kept).
  const activeSigner = async (name: string) => {
    const privateJwk = await registerKey(h, t, name, 0);
    return { name, privateJwk, signer: await ProofSigner.create(privateJwk, { tenant: t.name, name }, "staging") };
  };

  it("refuses a tampered message: a changed body, label or task, another recipient, another signer's key", async () => {
    const taskId = await openTask(orders);
    const otherTask = await openTask(orders);
    const before = await lastLoggedSeq(h);
    const message = await signed(orders, "billing-bot", taskId);
    for (const tampered of [
      { ...message, body: { ask: "refund order #99999" } },
      { ...message, label: { sensitivity: "public" } },
      { ...message, taskId: otherTask },
      { ...message, iat: message.iat + 1 },
    ]) {
      const res = await post(orders, "billing-bot", tampered);
      expect(res.status, JSON.stringify(res.body)).toBe(401);
      expect(res.body.error.message).toMatch(/the signature does not verify/);
    }
    // Signed for billing-bot, sent to audit-bot.
    expect((await post(orders, "audit-bot", await signed(orders, "billing-bot", taskId))).status).toBe(401);
    // Signed by audit-bot's key, sent by order-bot naming its own kid or audit-bot's.
    const forged = await (await MessageSigner.create(auditBot.privateJwk, orders.signer.kid, { tenant: t.name, name: "order-bot" })).sign({ recipient: "billing-bot", taskId, body: "x", label: { sensitivity: "internal" } });
    expect((await post(orders, "billing-bot", forged)).status).toBe(401);
    const theirs = await (await MessageSigner.create(auditBot.privateJwk, auditBot.signer.kid, { tenant: t.name, name: "order-bot" })).sign({ recipient: "billing-bot", taskId, body: "x", label: { sensitivity: "internal" } });
    expect((await post(orders, "billing-bot", theirs)).body.error.message).toMatch(/key .* is not registered for agent 'order-bot'/);
    const refusals = await refusalsAfter(before);
    expect(refusals).toHaveLength(7);
    expect(refusals[0]).toMatchObject({ tenantId: t.id, actor: { name: "order-bot" }, resource: { name: "billing-bot" }, decision: { reasons: [expect.stringMatching(/does not verify/)] } });
    // The honest message still goes through.
    expect((await post(orders, "billing-bot", message)).status).toBe(201);
  });

  it("refuses a message signed with a key the sender has since replaced, and accepts one signed with its new key", async () => {
    const rotating = await activeAgent(h, t, "rotating-bot", { spec: agentSpec({ agents: ["billing-bot"] }) });
    const taskId = await openTask(rotating);
    const underOldKey = await signed(rotating, "billing-bot", taskId);
    // The key is replaced with no overlap: from now on only the new one speaks for rotating-bot.
    const privateJwk = await registerKey(h, t, "rotating-bot", 0);
    const renewed: TestAgent = { name: "rotating-bot", privateJwk, signer: await ProofSigner.create(privateJwk, { tenant: t.name, name: "rotating-bot" }, "staging") };
    const before = await lastLoggedSeq(h);
    const stale = await post(renewed, "billing-bot", underOldKey);
    expect(stale.status).toBe(401);
    expect(stale.body.error.message).toMatch(/^the message is refused: key \S+ of agent 'rotating-bot' was replaced by a newer key/);
    expect(await refusalsAfter(before)).toMatchObject([{ actor: { name: "rotating-bot" }, decision: { reasons: [stale.body.error.message] } }]);
    const fresh = await post(renewed, "billing-bot", await signed(renewed, "billing-bot", taskId));
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(201);
  });

  it("refuses a replayed message (its nonce was seen), even in a freshly signed request", async () => {
    const taskId = await openTask(orders);
    const message = await signed(orders, "billing-bot", taskId);
    expect((await post(orders, "billing-bot", message)).status).toBe(201);
    const before = await lastLoggedSeq(h);
    const replay = await post(orders, "billing-bot", message);
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toMatch(/already sent \(replayed nonce\)/);
    expect(await refusalsAfter(before)).toHaveLength(1);
    expect((await post(orders, "billing-bot", await signed(orders, "billing-bot", taskId))).status).toBe(201);
  });

  it("numbers a burst of concurrent messages to one recipient without gaps or duplicates, and loses none", async () => {
    const taskId = await openTask(orders);
    const burst = await Promise.all(Array.from({ length: 10 }, async (_, i) => post(orders, "audit-bot", await signed(orders, "audit-bot", taskId, { i }))));
    expect(burst.map((r) => r.status)).toEqual(Array(10).fill(201));
    const seqs = burst.map((r) => r.body.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => seqs[0]! + i));
    const page = await agentCall(h, auditBot.signer, "GET", `/v1/messages?after=${seqs[0]! - 1}&limit=10`);
    expect(page.body.messages.map((m: DeliveredMessage) => (m.body as { i: number }).i).sort((a: number, b: number) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("refuses a message signed more than 60 s from the server's time, either way; accepts one within", async () => {
    const taskId = await openTask(orders);
    const before = await lastLoggedSeq(h);
    for (const offset of [-120_000, 120_000]) {
      const res = await post(orders, "billing-bot", await signed(orders, "billing-bot", taskId, "late", { now: Date.now() + offset }));
      expect(res.status).toBe(401);
      expect(res.body.error.message).toMatch(/signed 1(19|20|21) s from the server's time; at most 60 s/);
    }
    expect(await refusalsAfter(before)).toHaveLength(2);
    expect((await post(orders, "billing-bot", await signed(orders, "billing-bot", taskId, "a bit slow", { now: Date.now() - 30_000 }))).status).toBe(201);
  });

  it("decides who may talk to whom: capabilities.agents is the upper bound (none by default), Cedar forbids within it", async () => {
    const taskId = await openTask(orders);
    const before = await lastLoggedSeq(h);
    // Not among order-bot's capabilities.agents.
    const stranger = await post(orders, "stranger-bot", await signed(orders, "stranger-bot", taskId));
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.message).toMatch(/'stranger-bot' is not among agent 'order-bot''s capabilities.agents/);
    // An agent whose spec lists no agents messages no one (fail closed without any policy).
    const quiet = await post(auditBot, "order-bot", await signed(auditBot, "order-bot", await openTask(auditBot)));
    expect(quiet.status).toBe(403);

    await write("policy", "no-audit-chatter", {
      text: 'forbid (principal == Gatehouse::Agent::"order-bot", action == Gatehouse::Action::"send_message", resource == Gatehouse::Agent::"audit-bot");',
      environments: [],
      description: "order-bot does not talk to audit-bot",
    });
    try {
      const pair = await post(orders, "audit-bot", await signed(orders, "audit-bot", taskId));
      expect(pair.status).toBe(403);
      expect(pair.body.error.message).toMatch(/may not go to agent audit-bot \(policy no-audit-chatter\)/);
      // The benign twins: allowed pairs.
      const benign = await post(orders, "billing-bot", await signed(orders, "billing-bot", taskId, "order status"));
      expect(benign.status, JSON.stringify(benign.body)).toBe(201);
      expect((await post(billing, "order-bot", await signed(billing, "order-bot", await openTask(billing), "refunded"))).status).toBe(201);
    } finally {
      await unwrite("policy", "no-audit-chatter");
    }
    const refusals = await refusalsAfter(before);
    expect(refusals.map((e) => e.decision.reasons?.[0])).toEqual([
      expect.stringMatching(/capabilities.agents/),
      expect.stringMatching(/capabilities.agents/),
      expect.stringMatching(/no-audit-chatter/),
    ]);
    expect((await post(orders, "audit-bot", await signed(orders, "audit-bot", taskId))).status).toBe(201);
  });

  it("sends only within an open task of the sender, to an existing agent of its tenant that is active in its environment", async () => {
    const taskId = await openTask(orders);
    const theirs = await openTask(billing);
    expect((await post(orders, "billing-bot", await signed(orders, "billing-bot", theirs))).status).toBe(403);
    const ended = await openTask(orders);
    await agentCall(h, orders.signer, "POST", `/v1/tasks/${ended}/complete`, { body: {} });
    expect((await post(orders, "billing-bot", await signed(orders, "billing-bot", ended))).body.error.message).toMatch(/is not an open task of agent 'order-bot'/);
    expect((await post(orders, "ghost-bot", await signed(orders, "ghost-bot", taskId))).status).toBe(404);

    // Tenants never meet: names resolve in the sender's tenant, and another tenant's agent of the same name reads none of these messages.
    const other = await h.createTenant("agents-messages-other");
    await activeAgent(h, other, "billing-bot-2", { spec: agentSpec() });
    expect((await post(orders, "billing-bot-2", await signed(orders, "billing-bot-2", taskId))).status).toBe(404);
    const twin = await activeAgent(h, other, "billing-bot", { spec: agentSpec({ agents: ["order-bot"] }) });
    const twinSigner = await MessageSigner.create(twin.privateJwk, twin.signer.kid, { tenant: other.name, name: "billing-bot" });
    const twinTask = (await agentCall(h, twin.signer, "POST", "/v1/tasks", { body: { purpose: "probe" } })).body.id;
    const across = await agentCall(h, twin.signer, "POST", "/v1/agents/order-bot/messages", {
      body: await twinSigner.sign({ recipient: "order-bot", taskId: twinTask, body: "hello", label: { sensitivity: "public" } }),
    });
    expect(across.status).toBe(404);
    expect((await agentCall(h, twin.signer, "GET", "/v1/messages")).body).toEqual({ messages: [], acknowledged: 0, next: 0 });

    expect((await h.admin(t.keys.admin, "POST", "/agents/audit-bot/suspend", { reason: "investigation" })).status).toBe(200);
    try {
      const suspended = await post(orders, "audit-bot", await signed(orders, "audit-bot", taskId));
      expect(suspended.status).toBe(409);
      expect(suspended.body.error.message).toMatch(/'audit-bot' is not active in environment 'staging'/);
    } finally {
      expect((await h.admin(t.keys.developer, "POST", "/agents/audit-bot/resume", {})).status).toBe(200);
    }
  });

  it("carries the sender task's label: read in a task, the message taints it, so confidential data cannot be laundered through another agent", async () => {
    const invoke = (agent: TestAgent, taskId: string, name: string, args: Record<string, unknown>) =>
      agentCall(h, agent.signer, "POST", `/v1/tools/${name}/invoke`, { body: { arguments: args }, headers: { [TASK_HEADER]: taskId } });
    const grant = async (agent: TestAgent, taskId: string, name: string) =>
      expect((await agentCall(h, agent.signer, "POST", `/v1/tasks/${taskId}/grants`, { body: { resource: { kind: "tool", name } } })).status).toBe(201);
    const read = async (taskId: string) => {
      const res = await agentCall(h, desk.signer, "GET", "/v1/messages", { headers: { [TASK_HEADER]: taskId } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as { messages: DeliveredMessage[]; next: number };
    };
    const mail = { to: "someone@outside.example", subject: "what I was told", body: "see below" };

    // order-bot reads the customer database (confidential), then tells desk-bot about it, declaring it internal.
    const secretTask = await openTask(orders);
    await grant(orders, secretTask, "read_customer_db");
    expect((await invoke(orders, secretTask, "read_customer_db", { id: "12345" })).status).toBe(200);
    const sent = await post(orders, "desk-bot", await signed(orders, "desk-bot", secretTask, { summary: "ACME is a gold customer" }));
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body.flowLabel).toMatchObject({ sensitivity: "confidential", integrity: "untrusted" });
    expect(sent.body.flowLabel.origins).toEqual(expect.arrayContaining([expect.objectContaining({ kind: "data_source", name: "customer-db", via: "read_customer_db" })]));

    // desk-bot reads it in its task: the task is now confidential, and mailing it out is refused, naming where the label came from.
    const deskTask = await openTask(desk);
    const page = await read(deskTask);
    expect(page.messages.map((m) => [m.body, m.label.sensitivity, m.flowLabel.sensitivity])).toEqual([[{ summary: "ACME is a gold customer" }, "internal", "confidential"]]);
    expect((await agentCall(h, desk.signer, "GET", `/v1/tasks/${deskTask}`)).body.label).toMatchObject({ sensitivity: "confidential" });
    await grant(desk, deskTask, "send_email");
    const before = await lastLoggedSeq(h);
    const leak = await invoke(desk, deskTask, "send_email", mail);
    expect(leak.status).toBe(403);
    expect(leak.body.error.message).toMatch(/^flow refused: task label confidential \(from data source customer-db via tool read_customer_db\) may not go to egress tool send_email/);
    expect((await loggedEventsAfter(h, before)).filter((e) => e.action === "tool.invoke")).toMatchObject([{ decision: { outcome: "refused" } }]);

    // The sender's own flows are decided with its label too: a tenant policy keeps confidential tasks from talking to audit-bot.
    await write("policy", "confidential-not-to-audit", {
      text: 'forbid (principal, action == Gatehouse::Action::"send_message", resource == Gatehouse::Agent::"audit-bot") when { context has task_label && context.task_label.sensitivity_rank >= 2 };',
      environments: [],
      description: "audit-bot gets no confidential data",
    });
    try {
      const refused = await post(orders, "audit-bot", await signed(orders, "audit-bot", secretTask));
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/task label confidential .* may not go to agent audit-bot \(policy confidential-not-to-audit\)/);

      // The benign twin: a task that read only the public catalogue messages audit-bot and desk-bot, and desk-bot may mail what it was told.
      const publicTask = await openTask(orders);
      await grant(orders, publicTask, "public_catalog");
      expect((await invoke(orders, publicTask, "public_catalog", {})).status).toBe(200);
      expect((await post(orders, "audit-bot", await signed(orders, "audit-bot", publicTask))).status).toBe(201);
      const told = await post(orders, "desk-bot", await signed(orders, "desk-bot", publicTask, { summary: "the catalogue has 3 items" }, { sensitivity: "public" }));
      expect(told.body.flowLabel.sensitivity).toBe("public");
      const otherTask = await openTask(desk);
      const fresh = await agentCall(h, desk.signer, "GET", `/v1/messages?after=${page.next}`, { headers: { [TASK_HEADER]: otherTask } });
      expect(fresh.body.messages.map((m: DeliveredMessage) => m.body)).toEqual([{ summary: "the catalogue has 3 items" }]);
      await grant(desk, otherTask, "send_email");
      const sentMail = await invoke(desk, otherTask, "send_email", mail);
      expect(sentMail.status, JSON.stringify(sentMail.body)).toBe(200);
    } finally {
      await unwrite("policy", "confidential-not-to-audit");
    }
    // Reading in a task that is not the reader's own is refused.
    expect((await agentCall(h, desk.signer, "GET", "/v1/messages", { headers: { [TASK_HEADER]: secretTask } })).status).toBe(403);
  });

  it("passes no grant on: a message cannot carry one, and what billing-bot holds stays billing-bot's (lateral movement)", async () => {
    // billing-bot holds a live grant for refund in its own task.
    const billingTask = await openTask(billing);
    const grant = await agentCall(h, billing.signer, "POST", `/v1/tasks/${billingTask}/grants`, { body: { resource: { kind: "tool", name: "refund" } } });
    expect(grant.status, JSON.stringify(grant.body)).toBe(201);
    const refund = { name: "refund", sideEffect: "write" as const };
    const covering = (taskId: string) => h.gatehouse.agentAccess.grants.liveGrantCovering({ tenantId: t.id, id: taskId }, refund, {});

    // order-bot (no refund capability) tries to get billing-bot's grant passed to it.
    const ordersTask = await openTask(orders);
    const carrying = await post(orders, "billing-bot", { ...(await signed(orders, "billing-bot", ordersTask)), grant: grant.body.id });
    expect(carrying.status).toBe(400);
    expect(carrying.body.error).toMatchObject({ code: "invalid_request", field: "grant", message: expect.stringMatching(/cannot carry a grant/) });
    const asked = await post(orders, "billing-bot", await signed(orders, "billing-bot", ordersTask, { ask: "please refund order #12345 for me" }));
    expect(asked.status).toBe(201);
    const reply = await post(billing, "order-bot", await signed(billing, "order-bot", billingTask, { grantId: grant.body.id, taskId: billingTask }));
    expect(reply.status).toBe(201);

    // Knowing the grant's id and billing-bot's task gets order-bot nothing.
    expect((await agentCall(h, orders.signer, "GET", `/v1/grants/${grant.body.id}`)).status).toBe(404);
    expect((await agentCall(h, orders.signer, "POST", `/v1/tasks/${billingTask}/grants`, { body: { resource: { kind: "tool", name: "refund" } } })).status).toBe(404);
    const own = await agentCall(h, orders.signer, "POST", `/v1/tasks/${ordersTask}/grants`, { body: { resource: { kind: "tool", name: "refund" } } });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toMatch(/'refund' is not among agent 'order-bot''s capabilities/);
    expect(await covering(ordersTask)).toMatchObject({ covered: false });
    // Invoking the tool, in its own task or naming billing-bot's, is refused.
    for (const taskId of [ordersTask, billingTask]) {
      const call = await agentCall(h, orders.signer, "POST", "/v1/tools/refund/invoke", { body: { arguments: {} }, headers: { [TASK_HEADER]: taskId } });
      expect(call.status, JSON.stringify(call.body)).toBe(403);
    }
    // billing-bot's grant is still billing-bot's, in billing-bot's task.
    expect(await covering(billingTask)).toMatchObject({ covered: true, grant: { id: grant.body.id, agent: { name: "billing-bot" } } });
  });

  it("refuses bad input with 400 naming the field, and records it", async () => {
    const taskId = await openTask(orders);
    const message = await signed(orders, "billing-bot", taskId);
    const before = await lastLoggedSeq(h);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...message, taskId: undefined }, "taskId"],
      [{ ...message, label: { sensitivity: "secret" } }, "label.sensitivity"],
      [{ ...message, label: undefined }, "label"],
      [{ ...message, iat: "now" }, "iat"],
      [{ ...message, nonce: "short" }, "nonce"],
      [{ ...message, signature: "not-a-jws" }, "signature"],
      [{ ...message, extra: 1 }, ""],
    ];
    for (const [body, field] of cases) {
      const res = await post(orders, "billing-bot", body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      if (field) expect(res.body.error.field).toBe(field);
    }
    const badHeader = await post(orders, "billing-bot", { ...message, signature: `${Buffer.from('{"alg":"HS256"}').toString("base64url")}..AAAA` });
    expect(badHeader.status).toBe(401);
    expect(badHeader.body.error.message).toMatch(/EdDSA/);
    for (const query of ["after=-1", "after=x", "limit=0", "limit=501", "cursor=3", "after=999999"]) {
      const res = await agentCall(h, billing.signer, "GET", `/v1/messages?${query}`);
      expect(res.status, `${query}: ${JSON.stringify(res.body)}`).toBe(400);
    }
    const events = (await loggedEventsAfter(h, before)).filter((e) => e.action === "agent_api.call");
    expect(events.length).toBeGreaterThanOrEqual(cases.length + 6);
    expect(events[0]).toMatchObject({ tenantId: t.id, actor: { name: "order-bot" }, decision: { outcome: "refused" } });
    expect((await post(orders, "billing-bot", message)).status).toBe(201);
  });
});

describe("message nonces in Redis", () => {
  let h: Harness;
  const admin = new Redis("redis://127.0.0.1:6379");
  beforeAll(async () => {
    h = await startHarness(storeTargets[0]!, { gateway: { redisUrl: "redis://127.0.0.1:6379" } });
  });
  afterAll(async () => {
    await h?.close();
    await admin.quit();
  });

  it("remembers a message's nonce in Redis, so every process sharing it refuses the replay", async () => {
    const t = await h.createTenant("messages-redis");
    const sender = await activeAgent(h, t, "redis-sender", { spec: agentSpec({ agents: ["redis-receiver"] }) });
    await activeAgent(h, t, "redis-receiver", { spec: agentSpec() });
    const taskId = (await agentCall(h, sender.signer, "POST", "/v1/tasks", { body: { purpose: "redis" } })).body.id;
    const message = await (await MessageSigner.create(sender.privateJwk, sender.signer.kid, { tenant: t.name, name: "redis-sender" })).sign({
      recipient: "redis-receiver",
      taskId,
      body: "once",
      label: { sensitivity: "internal" },
    });
    expect((await agentCall(h, sender.signer, "POST", "/v1/agents/redis-receiver/messages", { body: message })).status).toBe(201);
    const replay = await agentCall(h, sender.signer, "POST", "/v1/agents/redis-receiver/messages", { body: message });
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toMatch(/replayed nonce/);
    const keys = await admin.keys(`gatehouse:agent-nonce:message:*:${message.nonce}`);
    expect(keys).toHaveLength(1);
    expect(await admin.pttl(keys[0]!)).toBeGreaterThan(0);
  });
});
