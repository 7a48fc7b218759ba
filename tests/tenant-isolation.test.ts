import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentState } from "../src/lifecycle/agent-states.js";
import { kindNames, kinds, type Kind } from "../src/registry/kinds.js";
import { agentIn, newAdminKey, newPrincipal, pendingChange, putRecord, registeredRoutes } from "./support/admin-fixtures.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "./support/harness.js";
import { actionContext } from "../src/audit/recorder.js";
import { systemActor } from "../src/audit/actor.js";
import { loggedEventsAfter } from "./support/log.js";
import { storeTargets } from "./support/stores.js";
import { generateAgentKey } from "../src/sdk/proof-signer.js";
import { activeAgent, agentCall } from "./agents/support.js";

type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A call to one of tenant B's resources by id or name, and the same call naming something that never existed. */
interface Probe {
  method: Method;
  /** The route pattern relative to /admin/v1, as registered. */
  route: string;
  path: string;
  body?: unknown;
  /** The identifiers of B the call names (in its path or body). */
  names: string[];
  ghostPath: string;
  ghostBody?: unknown;
  ghosts: string[];
}

const agentOperations: [op: string, body: unknown][] = [
  ["submit", {}],
  ["activate", { environment: "staging" }],
  ["deactivate", { environment: "staging" }],
  ["suspend", { reason: "probing" }],
  ["resume", {}],
  ["retire", { reason: "probing" }],
];

interface Bravo {
  /** Names of B's live records by kind; each of them would accept the probes made against it if asked in B. */
  records: Record<Kind, string[]>;
  changeRequestIds: string[];
  logSeqs: string[];
  taskId: string;
  pendingChangeRequestId: string;
  principalIds: string[];
  ownerId: string;
  keyIds: string[];
  /** A public key registered for B's active agent (and offered again to each of B's agents by A). */
  agentPublicKey: { kty: string; crv: string; x: string };
  grantIds: string[];
  /** Strings that must never appear in anything tenant A reads. */
  secrets: string[];
}

describe.each(storeTargets)("tenant isolation on $name", (target) => {
  let h: Harness;
  let a: TestTenant;
  let b: TestTenant;
  const bravo = { records: {} } as Bravo;
  let probes: Probe[];

  const read = async (t: TestTenant, path: string) => {
    const res = await h.admin(t.keys.owner, "GET", path);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body;
  };

  const eventCount = async (tenantId: string): Promise<number> =>
    (await loggedEventsAfter(h, -1)).filter((e) => e.tenantId === tenantId).length;

  /** Everything a tenant's owner can read about its own state (reads are recorded as events, so events are counted apart). */
  const snapshot = async (t: TestTenant, records: Partial<Record<Kind, string[]>>) => {
    const state: Record<string, unknown> = {};
    const paths = ["/config/export", "/tenant", "/environments", "/principals", "/keys", "/change-requests"];
    for (const kind of kindNames) {
      paths.push(`/${kinds[kind].plural}`);
      for (const name of records[kind] ?? []) paths.push(`/${kinds[kind].plural}/${name}/versions`);
    }
    for (const path of paths) state[path] = await read(t, path);
    return state;
  };

  beforeAll(async () => {
    h = await startHarness(target);
    a = await h.createTenant("iso-alpha");
    b = await h.createTenant("iso-bravo");

    // Tenant A has things of its own, so its lists are not trivially empty.
    await putRecord(h, a, "tool", "alpha-tool");
    await agentIn(h, a, "alpha-agent", "active");
    await pendingChange(h, a, "alpha-pending");

    // Tenant B: a record of every kind, with two versions each.
    for (const kind of kindNames.filter((k) => k !== "agent")) {
      const name = `bravo-${kinds[kind].plural}`;
      await putRecord(h, b, kind, name);
      const second = await putRecord(h, b, kind, name, { owner: "bravo-team" });
      expect(second.version).toBe(2);
      bravo.records[kind] = [name];
    }
    // Agents in every state an operation can start from.
    const agentStates: AgentState[] = ["draft", "approved", "active", "suspended"];
    bravo.records.agent = [];
    for (const state of agentStates) {
      const name = `bravo-${state}-agent`;
      await agentIn(h, b, name, state);
      bravo.records.agent.push(name);
    }
    expect((await putRecord(h, b, "agent", "bravo-draft-agent", { owner: "bravo-team" })).version).toBe(2);
    bravo.agentPublicKey = (await generateAgentKey()).publicJwk;
    const keyed = await h.admin(b.keys.admin, "PUT", "/agents/bravo-active-agent/keys", { publicKey: bravo.agentPublicKey });
    expect(keyed.status, JSON.stringify(keyed.body)).toBe(201);
    // A grant of B's waiting for a person, and a live one.
    const granting = await activeAgent(h, b, "bravo-granting-agent", {
      spec: { ...sampleSpecs.agent, capabilities: { tools: ["bravo-tools"], dataSources: [], models: [] } },
    });
    await h.gatehouse.transaction((trx) =>
      h.gatehouse.registry.write(trx, actionContext(systemActor("test", b.id)), {
        tenantId: b.id,
        kind: "policy",
        name: "bravo-escalation",
        owner: "bravo-team",
        spec: { text: '@escalate forbid (principal, action == Gatehouse::Action::"request_grant", resource) when { context.grant.ttl_seconds > 100 };', environments: [] },
      }),
    );
    const task = (await agentCall(h, granting.signer, "POST", "/v1/tasks", { body: { purpose: "bravo work" } })).body;
    bravo.grantIds = [];
    for (const ttlSeconds of [300, 60]) {
      const grant = await agentCall(h, granting.signer, "POST", `/v1/tasks/${task.id}/grants`, { body: { resource: { kind: "tool", name: "bravo-tools" }, ttlSeconds } });
      expect(grant.status, JSON.stringify(grant.body)).toBe(ttlSeconds === 300 ? 202 : 201);
      bravo.grantIds.push(grant.body.id);
    }
    bravo.records.agent.push("bravo-granting-agent");
    bravo.pendingChangeRequestId = (await pendingChange(h, b, "bravo-pending-template")).id;
    const extra = await newPrincipal(h, b, "bravo-extra", "developer");
    await newAdminKey(h, b, extra.id);
    await newPrincipal(h, b, "bravo-app", null, "application");

    const changeRequests = (await read(b, "/change-requests")).items;
    bravo.changeRequestIds = changeRequests.map((cr: any) => cr.id);
    expect(changeRequests.filter((cr: any) => cr.status === "pending").map((cr: any) => cr.id)).toEqual([bravo.pendingChangeRequestId]);
    const principals = (await read(b, "/principals")).items;
    bravo.principalIds = principals.map((p: any) => p.id);
    bravo.ownerId = b.principalIds.owner;
    const keys = (await read(b, "/keys")).items;
    bravo.keyIds = keys.map((k: any) => k.id);

    const recordIds: string[] = [];
    for (const kind of kindNames) recordIds.push(...(await read(b, `/${kinds[kind].plural}`)).items.map((r: any) => r.id));
    bravo.taskId = "bravo-task-1";
    await h.gatehouse.recorder.record(h.gatehouse.store.db, actionContext(systemActor("test", b.id)), {
      action: "task.step",
      resource: { kind: "task", name: bravo.taskId },
      decision: { outcome: "allowed" },
      context: { taskId: bravo.taskId },
    });
    const events = (await read(b, "/events?limit=1000")).items;
    bravo.logSeqs = events.slice(0, 3).map((e: any) => String(e.seq));
    bravo.secrets = [
      bravo.agentPublicKey.x,
      ...bravo.grantIds,
      "bravo", // every name in B contains it, including the tenant's and its principals'
      b.id,
      ...recordIds,
      ...bravo.changeRequestIds,
      ...bravo.principalIds,
      ...bravo.keyIds,
      ...keys.map((k: any) => k.prefix),
      ...events.map((e: any) => e.id),
    ];
    expect(recordIds).toHaveLength(12);
    expect(bravo.principalIds.length).toBeGreaterThanOrEqual(11);
    expect(bravo.keyIds.length).toBeGreaterThanOrEqual(10);
    expect(bravo.changeRequestIds.length).toBeGreaterThanOrEqual(5);

    probes = buildProbes();
  });
  afterAll(async () => h?.close());

  function buildProbes(): Probe[] {
    const out: Probe[] = [];
    const add = (method: Method, route: string, params: Record<string, string>, body?: unknown, query = "") => {
      const ghostParams: Record<string, string> = {};
      const names: string[] = [];
      const ghosts: string[] = [];
      for (const [key, value] of Object.entries(params)) {
        if (key === "version") {
          ghostParams[key] = value;
          continue;
        }
        const ghost = key === "id" ? randomUUID() : `ghost-${randomUUID().slice(0, 8)}`;
        ghostParams[key] = ghost;
        names.push(value);
        ghosts.push(ghost);
      }
      const fill = (values: Record<string, string>) =>
        route.replace(/:(\w+)/g, (_, key: string) => {
          const value = values[key];
          if (value === undefined) throw new Error(`no value for :${key} in ${route}`);
          return encodeURIComponent(value);
        }) + query;
      out.push({ method, route, path: fill(params), body, names, ghostPath: fill(ghostParams), ghostBody: body, ghosts });
      if (method === "GET") out.push({ method: "HEAD", route, path: fill(params), names, ghostPath: fill(ghostParams), ghosts });
    };

    for (const kind of kindNames) {
      const base = `/${kinds[kind].plural}`;
      for (const name of bravo.records[kind]) {
        add("GET", `${base}/:name`, { name });
        add("PUT", `${base}/:name`, { name }, { owner: "mallory", spec: sampleSpecs[kind] });
        add("DELETE", `${base}/:name`, { name }, {});
        add("GET", `${base}/:name/versions`, { name });
        add("GET", `${base}/:name/versions/:version`, { name, version: "1" });
        add("GET", `${base}/:name/versions/:version`, { name, version: "2" });
        add("GET", `${base}/:name/diff`, { name });
        add("GET", `${base}/:name/diff`, { name }, undefined, "?from=1&to=2");
      }
    }
    for (const name of bravo.records.agent) {
      for (const [op, body] of agentOperations) add("POST", `/agents/:name/${op}`, { name }, body);
      add("PUT", "/agents/:name/keys", { name }, { publicKey: bravo.agentPublicKey });
      add("GET", "/agents/:name/keys", { name });
    }
    for (const id of bravo.changeRequestIds) {
      add("GET", "/change-requests/:id", { id });
      add("POST", "/change-requests/:id/approve", { id }, { justification: "looks fine to me" });
      add("POST", "/change-requests/:id/reject", { id }, { justification: "not for you" });
      add("POST", "/change-requests/:id/cancel", { id }, {});
    }
    for (const id of bravo.principalIds) {
      add("GET", "/principals/:id", { id });
      add("PATCH", "/principals/:id", { id }, { role: id === bravo.ownerId ? "viewer" : "owner" });
      add("POST", "/principals/:id/disable", { id });
    }
    for (const id of bravo.keyIds) add("DELETE", "/keys/:id", { id });
    for (const id of bravo.grantIds) {
      add("POST", "/grant-requests/:id/approve", { id }, { justification: "not yours" });
      add("POST", "/grant-requests/:id/deny", { id }, { justification: "not yours" });
      add("POST", "/grant-requests/:id/revoke", { id }, { reason: "not yours" });
    }
    for (const name of bravo.records.model) add("PUT", "/models/:name/credential", { name }, { secret: "sk-mallory" });
    for (const id of bravo.logSeqs) add("GET", "/audit/entries/:id/proof", { id });
    add("GET", "/audit/tasks/:id/replay", { id: bravo.taskId });
    // Ids in bodies: issuing a key for another tenant's principal.
    for (const principalId of bravo.principalIds) {
      const ghost = randomUUID();
      out.push({
        method: "POST",
        route: "/keys",
        path: "/keys",
        body: { principalId, kind: "admin", label: "stolen" },
        names: [principalId],
        ghostPath: "/keys",
        ghostBody: { principalId: ghost, kind: "admin", label: "stolen" },
        ghosts: [ghost],
      });
    }
    return out;
  }

  const normalise = (message: unknown, values: string[]) =>
    typeof message === "string" ? values.reduce((m, v) => m.split(v).join("<x>"), message) : message;

  it("lists and exports read with A's key never mention anything of B", async () => {
    const lists = registeredRoutes(h.app)
      .filter((r) => r.method === "GET" && !r.url.includes(":") && r.url !== "/audit/consistency")
      .map((r) => r.url);
    expect(lists).toEqual(expect.arrayContaining(["/agents", "/change-requests", "/principals", "/keys", "/events", "/config/export"]));
    const paths = [
      ...lists,
      "/change-requests?status=pending",
      "/change-requests?status=applied",
      "/events?limit=1000",
      "/events?action=tool.create",
      "/events?action=change_request.create",
      `/audit?task=${bravo.taskId}`,
      "/audit?limit=1000",
    ];
    const leaks: string[] = [];
    const bodies: Record<string, string> = {};
    for (const path of paths) {
      const text = JSON.stringify(await read(a, path));
      bodies[path] = text;
      for (const secret of bravo.secrets) if (text.includes(secret)) leaks.push(`${path} mentions ${secret}`);
    }
    expect(leaks).toEqual([]);
    // A sees its own things, so the lists above were real lists.
    expect(bodies["/tools"]).toContain("alpha-tool");
    expect(bodies["/agents"]).toContain("alpha-agent");
    expect(bodies["/change-requests?status=pending"]).toContain("alpha-pending");
    expect(bodies["/principals"]).toContain("owner@iso-alpha");
    expect(bodies["/config/export"]).toContain("alpha-tool");
    expect(bodies["/keys"]).toContain(a.principalIds.owner);
    expect(bodies["/events?action=tool.create"]).toContain("alpha-tool");
    // …and B sees its own, so the secrets were real.
    expect(JSON.stringify(await read(b, "/config/export"))).toContain("bravo-tools");
  });

  it("planning B's records with A's key treats them as new and reveals nothing of B", async () => {
    const exported = (await read(b, "/config/export")).documents.filter((d: any) => d.kind !== "Tenant");
    const documents = [...exported, { kind: "PromptTemplate", name: "bravo-pending-template", owner: "team", spec: sampleSpecs.prompt_template }];
    expect(documents).toHaveLength(13);
    const plan = await h.admin(a.keys.owner, "POST", "/config/plan", { documents });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    for (const entry of plan.body.entries) {
      expect(entry.action, `${entry.kind}/${entry.name}`).toBe("create");
      expect(entry.pendingChangeRequest, `${entry.kind}/${entry.name}`).toBeUndefined();
      expect(entry.changes.some((c: any) => c.before !== undefined), `${entry.kind}/${entry.name}`).toBe(false);
    }
    const pruned = await h.admin(a.keys.owner, "POST", "/config/plan", { documents: [], prune: true });
    expect(pruned.status).toBe(200);
    const text = JSON.stringify(pruned.body);
    for (const secret of bravo.secrets) expect(text.includes(secret), secret).toBe(false);
    expect(pruned.body.entries.map((e: any) => `${e.kind}/${e.name}/${e.action}`)).toContain("Tool/alpha-tool/delete");
  });

  it("probes every route that takes a name or id, so a new one fails here until it is probed", () => {
    const routes = registeredRoutes(h.app);
    const registered = new Set(routes.map((r) => `${r.method} ${r.url}`));
    const probed = new Set(probes.map((p) => `${p.method} ${p.route}`));
    const parameterised = routes.filter((r) => /:(name|id)\b/.test(r.url)).map((r) => `${r.method} ${r.url}`);
    expect(parameterised.length).toBeGreaterThan(50);
    expect(parameterised.filter((r) => !probed.has(r))).toEqual([]);
    // Every route with any parameter at all is a name or id route (a new kind of parameter needs a probe too).
    expect(routes.filter((r) => r.url.includes(":") && !/:(name|id)\b/.test(r.url))).toEqual([]);
    expect([...probed].filter((p) => !registered.has(p))).toEqual([]);
  });

  it("answers 404 to A's owner key for every one of B's resources, exactly as for one that never existed, and changes nothing", async () => {
    const bravoBefore = await snapshot(b, bravo.records);
    const alphaBefore = await snapshot(a, { tool: ["alpha-tool"], agent: ["alpha-agent"] });
    const bravoEventsBefore = await eventCount(b.id);
    const alphaEventsBefore = await eventCount(a.id);

    const problems: string[] = [];
    let calls = 0;
    for (const probe of probes) {
      const res = await h.admin(a.keys.owner, probe.method, probe.path, probe.body);
      const ghost = await h.admin(a.keys.owner, probe.method, probe.ghostPath, probe.ghostBody);
      calls += 2;
      const what = `${probe.method} ${probe.path}${probe.body ? ` ${JSON.stringify(probe.body)}` : ""}`;
      if (res.status !== 404) {
        problems.push(`${what} → ${res.status} ${JSON.stringify(res.body)}`);
        continue;
      }
      if (probe.method !== "HEAD" && res.body?.error?.code !== "not_found") problems.push(`${what} → 404 ${JSON.stringify(res.body)}`);
      // Indistinguishable from something that does not exist: same status, same error, same message.
      const real = { status: res.status, code: res.body?.error?.code, message: normalise(res.body?.error?.message, probe.names) };
      const none = { status: ghost.status, code: ghost.body?.error?.code, message: normalise(ghost.body?.error?.message, probe.ghosts) };
      if (JSON.stringify(real) !== JSON.stringify(none)) problems.push(`${what} → ${JSON.stringify(real)}, but for a ghost ${JSON.stringify(none)}`);
    }
    expect(problems).toEqual([]);
    expect(probes.length).toBeGreaterThan(200);

    // Nothing happened in B: not even an event.
    expect(await eventCount(b.id)).toBe(bravoEventsBefore);
    // Every refused call is on A's own record.
    expect(await eventCount(a.id)).toBe(alphaEventsBefore + calls);
    expect(await snapshot(b, bravo.records)).toEqual(bravoBefore);
    expect(await snapshot(a, { tool: ["alpha-tool"], agent: ["alpha-agent"] })).toEqual(alphaBefore);
    // B's people and keys still work, and its pending request is still pending.
    const whoami = await read(b, "/whoami");
    expect(whoami.tenant).toEqual({ id: b.id, name: "iso-bravo" });
    expect(whoami.principal).toMatchObject({ id: bravo.ownerId, role: "owner", disabled: false });
    expect((await read(b, `/change-requests/${bravo.pendingChangeRequestId}`)).status).toBe("pending");
    for (const role of ["viewer", "developer", "approver"] as const) expect((await h.admin(b.keys[role], "GET", "/whoami")).status).toBe(200);
  });

  it("names are per tenant: A can use B's names for its own records and principals without touching B's", async () => {
    const bravoBefore = await snapshot(b, bravo.records);
    const theirs = await read(b, "/tools/bravo-tools");
    expect(theirs).toMatchObject({ tenantId: b.id, version: 2, owner: "bravo-team" });
    const bravoEventsBefore = await eventCount(b.id);

    const created = await h.admin(a.keys.developer, "POST", "/tools", { name: "bravo-tools", owner: "alpha-team", spec: sampleSpecs.tool });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.record).toMatchObject({ tenantId: a.id, version: 1, owner: "alpha-team" });
    const principal = await h.admin(a.keys.owner, "POST", "/principals", { kind: "user", name: "owner@iso-bravo", role: "viewer" });
    expect(principal.status, JSON.stringify(principal.body)).toBe(201);
    expect(principal.body.tenantId).toBe(a.id);

    const mine = await read(a, "/tools/bravo-tools");
    expect(mine.id).not.toBe(theirs.id);

    expect((await h.admin(a.keys.developer, "PUT", "/tools/bravo-tools", { owner: "alpha-team-2", spec: sampleSpecs.tool })).status).toBe(200);
    expect((await h.admin(a.keys.developer, "DELETE", "/tools/bravo-tools", {})).status).toBe(200);
    expect((await h.admin(a.keys.viewer, "GET", "/tools/bravo-tools")).status).toBe(404);
    expect((await h.admin(a.keys.owner, "POST", `/principals/${principal.body.id}/disable`)).status).toBe(200);

    expect(await eventCount(b.id)).toBe(bravoEventsBefore);
    expect(await snapshot(b, bravo.records)).toEqual(bravoBefore);
    expect(await read(b, "/tools/bravo-tools")).toEqual(theirs);
  });
});
