import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitCommandLine } from "../../src/agents/tools/transports/command-line.js";
import { McpClients, McpConnectionError } from "../../src/agents/tools/transports/mcp-clients.js";
import { McpToolTransport } from "../../src/agents/tools/transports/mcp-tool-transport.js";
import { MAX_TOOL_RESULT_BYTES } from "../../src/agents/tools/http-transport.js";
import type { RegistryRecord } from "../../src/registry/registry.js";
import { mcpHttpUpstream, mcpStdioCommand, type McpUpstream } from "../support/mcp-upstreams.js";

describe("stdio command lines", () => {
  it("splits words like a shell would, without interpreting anything", () => {
    expect(splitCommandLine("node server.js --port 1")).toEqual({ command: "node", args: ["server.js", "--port", "1"] });
    expect(splitCommandLine(`"/opt/my tools/node" 'a b' "c \\"d\\"" e\\ f ""`)).toEqual({ command: "/opt/my tools/node", args: ["a b", 'c "d"', "e f", ""] });
    // Shell syntax is only text: no variables, substitutions, pipes or separators.
    expect(splitCommandLine("server $HOME `id` $(id) ; rm -rf / | cat")).toEqual({ command: "server", args: ["$HOME", "`id`", "$(id)", ";", "rm", "-rf", "/", "|", "cat"] });
  });

  it("refuses what cannot be split", () => {
    expect(() => splitCommandLine("   ")).toThrow(/empty/);
    expect(() => splitCommandLine("node 'open")).toThrow(/unclosed ' quote/);
    expect(() => splitCommandLine("node \\")).toThrow(/lone backslash/);
  });
});

describe("MCP client pool", () => {
  let upstream: McpUpstream;
  let clients: McpClients;
  beforeAll(async () => {
    upstream = await mcpHttpUpstream();
    clients = new McpClients({ connectTimeoutMs: 5000, callTimeoutMs: 5000 });
  });
  afterAll(async () => {
    await clients.close();
    await upstream.close();
  });

  it("calls tools over streamable HTTP and stdio, one connection per server", async () => {
    const http = { tenantId: "t1", transport: "streamable-http" as const, endpoint: upstream.endpoint };
    const stdio = { tenantId: "t1", transport: "stdio" as const, endpoint: mcpStdioCommand("pool test") };
    const [a, b] = await Promise.all([clients.callTool(http, "order-status", { orderId: "1" }), clients.callTool(http, "order-status", { orderId: "2" })]);
    expect(a).toMatchObject({ content: [{ type: "text", text: "order 1: shipped" }], structuredContent: { orderId: "1", status: "shipped" } });
    expect(b.structuredContent).toEqual({ orderId: "2", status: "shipped" });
    const s = await clients.callTool(stdio, "warehouse-stock", { sku: "A-1" });
    expect(s).toMatchObject({ content: [{ type: "text", text: "A-1: 7 in stock (pool test)" }] });
    expect(clients.size).toBe(2);
    expect(await clients.callTool(http, "failing-tool", {})).toMatchObject({ isError: true, content: [{ text: "the warehouse is on fire" }] });
    expect(clients.size).toBe(2);
    // Another tenant's record of the same server gets its own connection (and its own stdio process).
    await clients.callTool({ ...stdio, tenantId: "t2" }, "warehouse-stock", { sku: "A-1" });
    expect(clients.size).toBe(3);
  });

  it("closes connections left idle and stops their stdio servers; the next call opens them again", async () => {
    const label = `idle-${process.pid}-${Date.now()}`;
    const running = () => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).includes(label);
    const pool = new McpClients({ idleMs: 60_000 });
    const stdio = { tenantId: "t1", transport: "stdio" as const, endpoint: mcpStdioCommand(label) };
    await pool.callTool(stdio, "warehouse-stock", { sku: "C" });
    pool.closeIdle(Date.now() + 30_000);
    expect(pool.size).toBe(1);
    pool.closeIdle(Date.now() + 60_000);
    expect(pool.size).toBe(0);
    for (let i = 0; i < 50 && running(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(running()).toBe(false);
    expect((await pool.callTool(stdio, "warehouse-stock", { sku: "C" })).isError).toBeFalsy();
    expect(pool.size).toBe(1);
    await pool.close();
  });

  it("reports a result larger than HTTP tools may answer as a tool error", async () => {
    const transport = new McpToolTransport(clients);
    const spec = { kind: "mcp", transport: "streamable-http", endpoint: upstream.endpoint, description: "", argumentsSchema: {}, sideEffect: "read", dataSources: [], permissions: [] };
    const result = await transport.call({ tenantId: "t1", name: "huge-report", spec } as unknown as RegistryRecord<"tool">, {}, { signal: AbortSignal.timeout(5000) });
    expect(result).toEqual({ content: [{ type: "text", text: `tool huge-report answered more than ${MAX_TOOL_RESULT_BYTES} bytes` }], isError: true });
  });

  it("fails clearly, within its timeout, when a server cannot be reached, and tries again next time", async () => {
    const missing = { tenantId: "t1", transport: "stdio" as const, endpoint: "/nonexistent/mcp-server" };
    await expect(clients.callTool(missing, "x", {})).rejects.toBeInstanceOf(McpConnectionError);
    const closed = { tenantId: "t1", transport: "streamable-http" as const, endpoint: "http://127.0.0.1:9/mcp" };
    await expect(clients.callTool(closed, "x", {})).rejects.toBeInstanceOf(McpConnectionError);
    expect(clients.size).toBe(3);
  });

  it("notices a stdio server that died and starts it again on the next call", async () => {
    const label = `dying-${process.pid}-${Date.now()}`;
    const pids = () =>
      execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
        .split("\n")
        .filter((line) => line.includes(label))
        .map((line) => Number(line.trim().split(/\s+/)[0]));
    const pool = new McpClients();
    const stdio = { tenantId: "t1", transport: "stdio" as const, endpoint: mcpStdioCommand(label) };
    await pool.callTool(stdio, "warehouse-stock", { sku: "D" });
    const [pid] = pids();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, "SIGKILL");
    for (let i = 0; i < 100 && pool.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pool.size).toBe(0);
    expect(await pool.callTool(stdio, "warehouse-stock", { sku: "D" })).toMatchObject({ content: [{ type: "text", text: `D: 7 in stock (${label})` }] });
    expect(pids()).not.toContain(pid);
    await pool.close();
  });

  it("stops its stdio servers and refuses calls once closed", async () => {
    const label = `closing-${process.pid}-${Date.now()}`;
    const running = () => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).includes(label);
    const pool = new McpClients();
    await pool.callTool({ tenantId: "t1", transport: "stdio", endpoint: mcpStdioCommand(label) }, "warehouse-stock", { sku: "B" });
    expect(running()).toBe(true);
    await pool.close();
    for (let i = 0; i < 50 && running(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(running()).toBe(false);
    expect(pool.size).toBe(0);
    await expect(pool.callTool({ tenantId: "t1", transport: "stdio", endpoint: mcpStdioCommand("closing") }, "warehouse-stock", { sku: "B" })).rejects.toThrow(/shutting down/);
  });
});
