import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { CallToolResultSchema, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { splitCommandLine } from "./command-line.js";

/** An MCP server as a tool record names it: whose record it is, how to reach the server and where. */
export interface McpServerAddress {
  /** Connections are never shared between tenants: an upstream session or stdio process holds state. */
  tenantId: string;
  transport: "streamable-http" | "stdio";
  /** A URL for streamable-http; a command line (see command-line.ts) for stdio. */
  endpoint: string;
}

export interface McpClientsOptions {
  /** How long connecting (and the MCP initialize handshake) may take. */
  connectTimeoutMs?: number;
  /** How long one tool call may take. */
  callTimeoutMs?: number;
  /** A connection unused this long is closed (a stdio server stopped); the next call opens it again. */
  idleMs?: number;
  /** The client's name and version in the MCP handshake. */
  clientInfo?: { name: string; version: string };
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_MS = 5 * 60_000;

/** The upstream MCP server could not be reached, or the connection broke. */
export class McpConnectionError extends Error {}

const keyOf = (address: McpServerAddress): string => JSON.stringify([address.tenantId, address.transport, address.endpoint]);

/**
 * One MCP client per upstream server and tenant, shared by the tenant's calls to its tools:
 * connected on first use (with a timeout), dropped when its connection closes or fails so the
 * next call connects afresh, closed when idle (so a server whose tool records changed or went
 * away does not linger), and all closed (stdio servers stopped) when Gatehouse shuts down. A
 * failed call is never retried here: a tool may have side effects, and only the caller can know
 * whether trying again is safe.
 *
 * Stdio servers are started without a shell, with only the SDK's minimal environment (HOME,
 * PATH, USER, …), so Gatehouse's own secrets (master key, database URLs) never reach them, and
 * with their stderr discarded.
 */
export class McpClients {
  private readonly clients = new Map<string, Promise<Client>>();
  private readonly lastUsed = new Map<string, number>();
  private readonly busy = new Map<string, number>();
  private closed = false;
  private readonly connectTimeoutMs: number;
  private readonly callTimeoutMs: number;
  private readonly idleMs: number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: McpClientsOptions = {}) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  /** Calls one tool on an MCP server; its answer as the server gave it (isError included). */
  async callTool(address: McpServerAddress, name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
    const key = keyOf(address);
    this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    try {
      const client = await this.client(address);
      try {
        return (await client.callTool({ name, arguments: args }, CallToolResultSchema, { signal, timeout: this.callTimeoutMs })) as CallToolResult;
      } catch (error) {
        // The server answered with a JSON-RPC error: the connection is fine. Anything else may have broken it.
        if (!(error instanceof McpError) || signal?.aborted) this.drop(key, client);
        throw error;
      }
    } finally {
      this.lastUsed.set(key, Date.now());
      const left = (this.busy.get(key) ?? 1) - 1;
      if (left > 0) this.busy.set(key, left);
      else this.busy.delete(key);
    }
  }

  /** Closes the connections nobody has used for idleMs (run every idleMs / 2 while any is open). */
  closeIdle(now: number = Date.now()): void {
    for (const key of this.clients.keys()) {
      if (!this.busy.has(key) && now - (this.lastUsed.get(key) ?? now) >= this.idleMs) {
        const client = this.clients.get(key);
        this.clients.delete(key);
        this.lastUsed.delete(key);
        void client?.then((c) => c.close()).catch(() => undefined);
      }
    }
    if (this.clients.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** How many upstream connections are open or opening (for tests and metrics). */
  get size(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    const pending = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(pending.map(async (client) => (await client).close()));
  }

  private client(address: McpServerAddress): Promise<Client> {
    if (this.closed) return Promise.reject(new McpConnectionError("Gatehouse is shutting down"));
    const key = keyOf(address);
    const existing = this.clients.get(key);
    if (existing) return existing;
    const connecting = this.connect(address);
    this.clients.set(key, connecting);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.closeIdle(), Math.max(1000, this.idleMs / 2));
      this.sweeper.unref();
    }
    connecting.catch(() => {
      if (this.clients.get(key) === connecting) this.clients.delete(key);
    });
    return connecting;
  }

  private async connect(address: McpServerAddress): Promise<Client> {
    const client = new Client(this.options.clientInfo ?? { name: "gatehouse", version: "0.1.0" });
    const key = keyOf(address);
    client.onclose = () => {
      void this.clients.get(key)?.then((current) => current === client && this.clients.delete(key), () => undefined);
    };
    try {
      await client.connect(transportFor(address), { timeout: this.connectTimeoutMs });
    } catch (error) {
      await client.close().catch(() => undefined);
      const reason = error instanceof Error ? error.message : String(error);
      throw new McpConnectionError(`could not connect to the MCP server (${address.transport}): ${reason}`);
    }
    if (this.closed) {
      await client.close();
      throw new McpConnectionError("Gatehouse is shutting down");
    }
    return client;
  }

  private drop(key: string, client: Client): void {
    void this.clients.get(key)?.then(
      (current) => {
        if (current !== client) return;
        this.clients.delete(key);
        void client.close().catch(() => undefined);
      },
      () => undefined,
    );
  }
}

function transportFor(address: McpServerAddress): Transport {
  if (address.transport === "stdio") {
    const { command, args } = splitCommandLine(address.endpoint);
    return new StdioClientTransport({ command, args, stderr: "ignore" });
  }
  // A redirect is not followed: the registered endpoint is the only server the tool may reach.
  return new StreamableHTTPClientTransport(new URL(address.endpoint), { requestInit: { redirect: "error" } });
}
