import type { FastifyInstance } from "fastify";
import { expect } from "vitest";
import type { AgentState } from "../../src/lifecycle/agent-states.js";
import { kinds, type Kind } from "../../src/registry/kinds.js";
import { sampleSpecs, type Harness, type TestTenant } from "./harness.js";

export interface RegisteredRoute {
  method: string;
  /** The route's URL pattern relative to the prefix, e.g. /agents/:name/submit. */
  url: string;
}

/**
 * Every route registered under a prefix, read back from Fastify's route tree
 * (printRoutes with commonPrefix: false prints one node per path segment that holds routes,
 * children indented under their parent). Throws on any line it cannot parse, so a change in
 * the output format fails loudly instead of yielding an empty list.
 */
export function registeredRoutes(app: FastifyInstance, prefix = "/admin/v1"): RegisteredRoute[] {
  const text = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: RegisteredRoute[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) throw new Error(`cannot parse a line of printRoutes(): ${JSON.stringify(line)}`);
    const depth = (match[1] ?? "").length / 4;
    stack.length = depth;
    stack.push(match[2] ?? "");
    const url = stack.join("");
    for (const method of (match[3] ?? "").split(",").map((m) => m.trim()).filter(Boolean)) {
      routes.push({ method, url });
    }
  }
  for (const route of routes) {
    // The reconstruction must name real routes, or the parse is wrong.
    if (!app.hasRoute({ method: route.method as "GET", url: route.url })) {
      throw new Error(`printRoutes() parse produced ${route.method} ${route.url}, which is not a registered route`);
    }
  }
  return routes.filter((r) => r.url.startsWith(`${prefix}/`)).map((r) => ({ method: r.method, url: r.url.slice(prefix.length) }));
}

/** Approves a change request with the tenant's two approvers until it is no longer pending. */
export async function approveFully(h: Harness, t: TestTenant, changeRequestId: string): Promise<any> {
  for (const key of [t.keys.approver, t.keys.approver2]) {
    const res = await h.admin(key, "POST", `/change-requests/${changeRequestId}/approve`, { justification: "reviewed in a test" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (res.body.status !== "pending") {
      expect(res.body.status).toBe("applied");
      return res.body;
    }
  }
  throw new Error(`change request ${changeRequestId} is still pending after two approvals`);
}

/** Creates or updates a record of any kind through the API (as the developer) and approves it if it needs approval. */
export async function putRecord(
  h: Harness,
  t: TestTenant,
  kind: Kind,
  name: string,
  options: { owner?: string; spec?: unknown } = {},
): Promise<any> {
  const plural = kinds[kind].plural;
  const owner = options.owner ?? "team";
  const spec = options.spec ?? sampleSpecs[kind];
  const exists = (await h.admin(t.keys.viewer, "GET", `/${plural}/${name}`)).status === 200;
  const res = exists
    ? await h.admin(t.keys.developer, "PUT", `/${plural}/${name}`, { owner, spec })
    : await h.admin(t.keys.developer, "POST", `/${plural}`, { name, owner, spec });
  expect([200, 201, 202], `${exists ? "PUT" : "POST"} /${plural}/${name}: ${JSON.stringify(res.body)}`).toContain(res.status);
  if (res.status === 202) await approveFully(h, t, res.body.changeRequest.id);
  const record = await h.admin(t.keys.viewer, "GET", `/${plural}/${name}`);
  expect(record.status).toBe(200);
  return record.body;
}

/** Creates an agent (sampleSpecs.agent unless a spec is given) and walks it to the given lifecycle state through the API. */
export async function agentIn(h: Harness, t: TestTenant, name: string, state: AgentState, spec: unknown = sampleSpecs.agent): Promise<any> {
  const created = await h.admin(t.keys.developer, "POST", "/agents", { name, owner: "team", spec });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const step = async (key: string, op: string, body: unknown, status = 200) => {
    const res = await h.admin(key, "POST", `/agents/${name}/${op}`, body);
    expect(res.status, `${op} ${name}: ${JSON.stringify(res.body)}`).toBe(status);
    return res.body;
  };
  if (state === "retired") {
    await step(t.keys.admin, "retire", { reason: "set up retired" });
  } else if (state !== "draft") {
    const submitted = await step(t.keys.developer, "submit", { justification: "set up" }, 202);
    if (state !== "pending_approval") {
      await approveFully(h, t, submitted.changeRequest.id);
      if (state === "active" || state === "suspended") await step(t.keys.developer, "activate", { environment: "staging" });
      if (state === "suspended") await step(t.keys.developer, "suspend", { reason: "set up suspended" });
    }
  }
  const res = await h.admin(t.keys.viewer, "GET", `/agents/${name}`);
  expect(res.body.lifecycle.state).toBe(state);
  return res.body;
}

/** Proposes a new prompt template, which always waits for approval; returns the pending change request. */
export async function pendingChange(h: Harness, t: TestTenant, name: string, requesterKey = t.keys.developer): Promise<any> {
  const res = await h.admin(requesterKey, "POST", "/prompt-templates", { name, owner: "team", spec: sampleSpecs.prompt_template });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.changeRequest.status).toBe("pending");
  return res.body.changeRequest;
}

/** Creates a principal as the tenant's owner; returns it. */
export async function newPrincipal(
  h: Harness,
  t: TestTenant,
  name: string,
  /** null for an application, which holds no role. */
  role: string | null = "viewer",
  kind: "user" | "service_account" | "application" = "user",
): Promise<any> {
  const res = await h.admin(t.keys.owner, "POST", "/principals", { kind, name, ...(role ? { role } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Issues an admin key for a principal as the tenant's owner; returns the key record with its plain `key`. */
export async function newAdminKey(h: Harness, t: TestTenant, principalId: string): Promise<any> {
  const res = await h.admin(t.keys.owner, "POST", "/keys", { principalId, kind: "admin", label: "test" });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}
