import { PROOF_HEADER, TASK_HEADER } from "../agents/identity/proof-format.js";
import { ProofSigner, type PrivateAgentJwk } from "./proof-signer.js";
import type { AgentTaskInfo, AgentToken, GrantInfo, GrantRequestInput, ToolCallResult } from "./types.js";

/** A refusal from Gatehouse, in its own error shape. */
export class GatehouseApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "GatehouseApiError";
  }
}

export interface GatehouseAgentOptions {
  /** Gatehouse's address, e.g. https://gatehouse.example.com (the API is under /v1). */
  baseUrl: string;
  /** The tenant's name. */
  tenant: string;
  /** The agent's name in the registry. */
  agent: string;
  /** The environment this deployment of the agent acts in (it must be active there). */
  environment: string;
  /** The agent's Ed25519 private key (a JWK with d); Gatehouse holds only its public half. */
  privateKey: PrivateAgentJwk;
  /** The fetch to send requests with; the global one by default. */
  fetch?: typeof fetch;
}

type Fetch = typeof fetch;

/**
 * An agent talking to Gatehouse. Every request it sends is signed afresh (a proof bound to the
 * method, URL, body, time and a nonce), so nothing it sends can be replayed and no bearer
 * secret travels. `agent.fetch` (or a task's `task.fetch`, which also names the task) can be
 * handed to the official OpenAI or Anthropic client:
 *
 *   const agent = await GatehouseAgent.create({ baseUrl, tenant, agent: "order-bot", environment: "production", privateKey });
 *   const task = await agent.openTask({ purpose: "complete an order", reference: "order #12345" });
 *   const openai = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: "unused", fetch: task.fetch });
 */
export class GatehouseAgent {
  /** A fetch that signs every request for this agent (it replaces any Authorization or x-api-key header). */
  readonly fetch: Fetch;

  private constructor(
    private readonly options: GatehouseAgentOptions,
    private readonly signer: ProofSigner,
  ) {
    this.fetch = ((input, init) => this.signedFetch(input, init)) as Fetch;
  }

  static async create(options: GatehouseAgentOptions): Promise<GatehouseAgent> {
    const signer = await ProofSigner.create(options.privateKey, { tenant: options.tenant, name: options.agent }, options.environment);
    return new GatehouseAgent(options, signer);
  }

  /** The id Gatehouse knows this agent's key by (its thumbprint). */
  get kid(): string {
    return this.signer.kid;
  }

  /** Gatehouse's MCP endpoint (streamable HTTP); a task's `mcp` holds what the MCP client needs to use it. */
  get mcpUrl(): URL {
    return new URL("/mcp", this.options.baseUrl);
  }

  /** Who Gatehouse says this agent is: tenant, name, environment, key, capabilities and limits. */
  me(): Promise<Record<string, unknown>> {
    return this.request("GET", "/v1/agents/me");
  }

  /**
   * A short-lived bearer token (at most 5 minutes) for clients that cannot sign requests. Signed
   * requests are safer: a token can be replayed by whoever obtains it, until it expires.
   */
  token(): Promise<AgentToken> {
    return this.request("POST", "/v1/agents/token");
  }

  async openTask(input: { purpose: string; reference?: string }): Promise<AgentTask> {
    return new AgentTask(this, await this.request<AgentTaskInfo>("POST", "/v1/tasks", { body: input }));
  }

  /**
   * One call to the agent API, signed: the JSON answer, or a GatehouseApiError. This is where
   * the SDK's other calls (tool calls, messages) are made from.
   */
  async request<T>(method: string, path: string, options: { body?: unknown; taskId?: string } = {}): Promise<T> {
    const response = await this.signedFetch(
      new URL(path, this.options.baseUrl),
      {
        method,
        headers: options.body === undefined ? {} : { "content-type": "application/json" },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      },
      options.taskId,
    );
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
      throw new GatehouseApiError(response.status, error?.code ?? "error", error?.message ?? `${response.status} ${response.statusText}`, error?.field);
    }
    return parsed as T;
  }

  /** Signs a request (and names a task when given) and sends it. */
  async signedFetch(input: string | URL | Request, init?: RequestInit, taskId?: string): Promise<Response> {
    const request = new Request(input, init);
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const headers = new Headers(request.headers);
    headers.delete("authorization");
    headers.delete("x-api-key");
    if (taskId !== undefined) headers.set(TASK_HEADER, taskId);
    headers.set(PROOF_HEADER, await this.signer.sign({ method: request.method, url: request.url, body }));
    // A proof is made for one URL: a redirect would only be refused, so it is not followed.
    return (this.options.fetch ?? globalThis.fetch)(request.url, { method: request.method, headers, body, signal: request.signal, redirect: "error" });
  }
}

/** The agent refused a grant (policy denied it, or a person did). */
export class GrantDeniedError extends GatehouseApiError {
  constructor(message: string) {
    super(403, "forbidden", message);
    this.name = "GrantDeniedError";
  }
}

/**
 * One of the agent's tasks: its model calls (through `fetch`), its grants, and its end.
 *
 * Messages between agents will be added here by the messaging work: each is a signed
 * `agent.request(…, { taskId: this.id })`, like the methods below.
 */
export class AgentTask {
  /** A fetch that signs every request and names this task (x-gatehouse-task-id): hand it to the OpenAI or Anthropic client. */
  readonly fetch: Fetch;

  /**
   * The task's tool calls, mediated by Gatehouse: `await task.tools.invoke("lookup", { id: "12345" })`.
   * Refusals (no live grant, arguments outside its scope or the tool's schema, a flow the task's
   * label may not take) throw GatehouseApiError with the reason; a tool's own failure is a
   * result with isError.
   */
  readonly tools: { invoke<S extends Record<string, unknown> = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<ToolCallResult<S>> };

  constructor(
    readonly agent: GatehouseAgent,
    private info: AgentTaskInfo,
  ) {
    this.fetch = ((input, init) => agent.signedFetch(input, init, info.id)) as Fetch;
    this.tools = {
      invoke: (name, args = {}) => agent.request("POST", `/v1/tools/${encodeURIComponent(name)}/invoke`, { body: { arguments: args }, taskId: this.id }),
    };
  }

  get id(): string {
    return this.info.id;
  }

  /**
   * What the official MCP client needs to reach this task's tools through Gatehouse's /mcp:
   *
   *   const client = new Client({ name: "order-bot", version: "1.0.0" });
   *   await client.connect(new StreamableHTTPClientTransport(task.mcp.url, { fetch: task.mcp.fetch }));
   *
   * Every request is signed and names this task; tools/list shows the tools it holds live grants for.
   */
  get mcp(): { url: URL; fetch: Fetch } {
    return { url: this.agent.mcpUrl, fetch: this.fetch };
  }

  get status(): AgentTaskInfo["status"] {
    return this.info.status;
  }

  /** The task as Gatehouse holds it now, with its grants. */
  async refresh(): Promise<AgentTaskInfo & { grants: GrantInfo[] }> {
    const current = await this.agent.request<AgentTaskInfo & { grants: GrantInfo[] }>("GET", `/v1/tasks/${encodeURIComponent(this.id)}`);
    this.info = current;
    return current;
  }

  /**
   * Asks for a grant: active at once, or pending while a person decides (see waitForGrant).
   * Throws GrantDeniedError when policy denies it.
   */
  async requestGrant(input: GrantRequestInput): Promise<GrantInfo> {
    try {
      return await this.agent.request<GrantInfo>("POST", `/v1/tasks/${encodeURIComponent(this.id)}/grants`, { body: input });
    } catch (error) {
      if (error instanceof GatehouseApiError && error.status === 403) throw new GrantDeniedError(error.message);
      throw error;
    }
  }

  /** Waits until a person decides a pending grant; returns it active, or throws GrantDeniedError. */
  async waitForGrant(id: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<GrantInfo> {
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    for (;;) {
      const grant = await this.agent.request<GrantInfo>("GET", `/v1/grants/${encodeURIComponent(id)}`);
      if (grant.status === "active") return grant;
      if (grant.status !== "pending") throw new GrantDeniedError(`grant ${id} is ${grant.status}: ${[...grant.decision.reasons, grant.endReason ?? ""].filter(Boolean).join("; ")}`);
      if (Date.now() >= deadline) throw new Error(`grant ${id} is still waiting for a person`);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
    }
  }

  /** Gives a grant up before it expires. */
  revokeGrant(id: string): Promise<GrantInfo> {
    return this.agent.request("DELETE", `/v1/grants/${encodeURIComponent(id)}`);
  }

  complete(reason?: string): Promise<AgentTaskInfo> {
    return this.end("complete", reason);
  }

  fail(reason?: string): Promise<AgentTaskInfo> {
    return this.end("fail", reason);
  }

  cancel(reason?: string): Promise<AgentTaskInfo> {
    return this.end("cancel", reason);
  }

  private async end(verb: "complete" | "fail" | "cancel", reason: string | undefined): Promise<AgentTaskInfo> {
    this.info = await this.agent.request<AgentTaskInfo>("POST", `/v1/tasks/${encodeURIComponent(this.id)}/${verb}`, { body: reason ? { reason } : {} });
    return this.info;
  }
}
