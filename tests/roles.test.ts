import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kindNames, kinds, type Kind } from "../src/registry/kinds.js";
import { can, canAssignRole, permissions, roles, type Permission, type Role } from "../src/tenancy/roles.js";
import {
  agentIn,
  newAdminKey,
  newPrincipal,
  pendingChange,
  putRecord,
  registeredRoutes,
} from "./support/admin-fixtures.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "./support/harness.js";
import { actionContext } from "../src/audit/recorder.js";
import { systemActor } from "../src/audit/actor.js";
import { lastLoggedSeq } from "./support/log.js";
import { generateAgentKey } from "../src/sdk/proof-signer.js";
import { activeAgent, agentCall, type TestAgent } from "./agents/support.js";
import { storeTargets } from "./support/stores.js";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface Call {
  path: string;
  body?: unknown;
}

/** One admin route, the permission it needs, and how to make a call to it that succeeds when allowed. */
interface Probe {
  method: Method;
  /** The route pattern, relative to /admin/v1, exactly as registered. */
  route: string;
  permission: Permission;
  /** A rule of the route's own, on top of the permission (the call is refused with 403 when it does not hold). */
  also?: { rule: string; holds: (role: Role) => boolean };
  /** The status of an allowed call; any 2xx when absent. */
  status?: number;
  /** Sets up what the call needs (acting as other users) and returns the call `role` makes. */
  prepare: (role: Role) => Promise<Call>;
}

const label = (p: { method: string; route: string }) => `${p.method} ${p.route}`;

/** The status an allowed call answers per kind: prompt templates and policies are always change requests. */
const approvalKinds: readonly Kind[] = ["prompt_template", "policy", "policy_test"];

function buildProbes(h: Harness, t: TestTenant): Probe[] {
  let counter = 0;
  const unique = (prefix: string, role: Role) => `${prefix}-${role}-${++counter}`;
  const call = (path: string, body?: unknown) => async (): Promise<Call> => ({ path, body });
  /** Records an event of the tenant's own (inside a task when one is named) and returns its log position. */
  const ownEntrySeq = async (taskId?: string): Promise<number> => {
    await h.gatehouse.recorder.record(h.gatehouse.store.db, actionContext(systemActor("test", t.id)), {
      action: "test.step",
      resource: { kind: "test" },
      decision: { outcome: "allowed" },
      context: taskId ? { taskId } : {},
    });
    return lastLoggedSeq(h);
  };

  /** An agent with a key and an open task, and two tools: grants of "probe-escalated" wait for a person, of "probe-free" are approved. */
  let grantSetup: Promise<{ agent: TestAgent; taskId: string }> | undefined;
  const grantFixture = () =>
    (grantSetup ??= (async () => {
      await h.gatehouse.transaction(async (trx) => {
        const ctx = actionContext(systemActor("test", t.id));
        for (const name of ["probe-escalated", "probe-free"]) {
          await h.gatehouse.registry.write(trx, ctx, { tenantId: t.id, kind: "tool", name, owner: "team", spec: sampleSpecs.tool });
        }
        const text = '@escalate("probe") forbid (principal, action == Gatehouse::Action::"request_grant", resource == Gatehouse::Tool::"probe-escalated");';
        await h.gatehouse.registry.write(trx, ctx, { tenantId: t.id, kind: "policy", name: "probe-escalation", owner: "team", spec: { text, environments: [] } });
      });
      const spec = { ...sampleSpecs.agent, capabilities: { tools: ["probe-escalated", "probe-free"], dataSources: [], models: [] } };
      const agent = await activeAgent(h, t, "probe-grant-bot", { spec });
      const task = await agentCall(h, agent.signer, "POST", "/v1/tasks", { body: { purpose: "probing roles" } });
      return { agent, taskId: task.body.id as string };
    })());
  const grantFor = async (tool: "probe-escalated" | "probe-free"): Promise<string> => {
    const { agent, taskId } = await grantFixture();
    const res = await agentCall(h, agent.signer, "POST", `/v1/tasks/${taskId}/grants`, { body: { resource: { kind: "tool", name: tool } } });
    if (res.status !== (tool === "probe-free" ? 201 : 202)) throw new Error(`grant for ${tool}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  };

  const probes: Probe[] = [
    // Tenant
    { method: "GET", route: "/whoami", permission: "registry.read", prepare: call("/whoami") },
    { method: "GET", route: "/tenant", permission: "registry.read", prepare: call("/tenant") },
    { method: "GET", route: "/environments", permission: "registry.read", prepare: call("/environments") },
    {
      method: "PUT",
      route: "/tenant/settings",
      permission: "tenant.manage",
      status: 200,
      prepare: call("/tenant/settings", { approvals: { required: 1, productionPolicy: 2, expiresAfterHours: 168 } }),
    },
    {
      method: "POST",
      route: "/environments",
      permission: "tenant.manage",
      status: 201,
      prepare: async (role) => ({ path: "/environments", body: { name: unique("env", role), production: false } }),
    },

    // Principals and keys
    { method: "GET", route: "/principals", permission: "principals.read", prepare: call("/principals") },
    {
      method: "GET",
      route: "/principals/:id",
      permission: "principals.read",
      prepare: async () => ({ path: `/principals/${t.principalIds.viewer}` }),
    },
    {
      method: "POST",
      route: "/principals",
      permission: "principals.manage",
      status: 201,
      prepare: async (role) => ({ path: "/principals", body: { kind: "user", name: unique("person", role), role: "viewer" } }),
    },
    {
      method: "PATCH",
      route: "/principals/:id",
      permission: "principals.manage",
      status: 200,
      prepare: async (role) => {
        const p = await newPrincipal(h, t, unique("promoted", role), "viewer");
        return { path: `/principals/${p.id}`, body: { role: "developer" } };
      },
    },
    {
      method: "POST",
      route: "/principals/:id/disable",
      permission: "principals.manage",
      status: 200,
      prepare: async (role) => {
        const p = await newPrincipal(h, t, unique("leaver", role), "developer");
        return { path: `/principals/${p.id}/disable` };
      },
    },
    { method: "GET", route: "/keys", permission: "keys.manage", prepare: call("/keys") },
    {
      method: "POST",
      route: "/keys",
      permission: "keys.manage",
      status: 201,
      prepare: async (role) => {
        const p = await newPrincipal(h, t, unique("keyholder", role), "viewer");
        return { path: "/keys", body: { principalId: p.id, kind: "admin", label: "issued" } };
      },
    },
    {
      method: "DELETE",
      route: "/keys/:id",
      permission: "keys.manage",
      status: 200,
      prepare: async (role) => {
        const p = await newPrincipal(h, t, unique("revokee", role), "viewer");
        const key = await newAdminKey(h, t, p.id);
        return { path: `/keys/${key.id}` };
      },
    },

    // Provider credentials (write-only)
    {
      method: "PUT",
      route: "/models/:name/credential",
      permission: "tenant.manage",
      status: 200,
      prepare: async (role) => {
        const name = unique("credentialed", role);
        await putRecord(h, t, "model", name);
        return { path: `/models/${name}/credential`, body: { secret: "sk-probe-secret" } };
      },
    },

    // Agent operations
    ...(
      [
        ["submit", "draft", {}, 202],
        ["activate", "approved", { environment: "staging" }, 200],
        ["deactivate", "active", { environment: "staging" }, 200],
        ["suspend", "active", { reason: "investigating" }, 200],
        ["resume", "suspended", {}, 200],
      ] as const
    ).map(
      ([op, state, body, status]): Probe => ({
        method: "POST",
        route: `/agents/:name/${op}`,
        permission: "agents.operate",
        status,
        prepare: async (role) => {
          const name = unique(`op-${op}`, role);
          await agentIn(h, t, name, state);
          return { path: `/agents/${name}/${op}`, body };
        },
      }),
    ),
    {
      method: "POST",
      route: "/agents/:name/retire",
      permission: "agents.retire",
      status: 200,
      prepare: async (role) => {
        const name = unique("op-retire", role);
        await agentIn(h, t, name, "active");
        return { path: `/agents/${name}/retire`, body: { reason: "replaced" } };
      },
    },

    // Agent keys
    {
      method: "PUT",
      route: "/agents/:name/keys",
      permission: "keys.manage",
      status: 201,
      prepare: async (role) => {
        const name = unique("keyed", role);
        await agentIn(h, t, name, "draft");
        return { path: `/agents/${name}/keys`, body: { publicKey: (await generateAgentKey()).publicJwk } };
      },
    },
    {
      method: "GET",
      route: "/agents/:name/keys",
      permission: "keys.manage",
      prepare: async (role) => {
        const name = unique("key-list", role);
        await agentIn(h, t, name, "draft");
        return { path: `/agents/${name}/keys` };
      },
    },

    // Grant requests (the approvals queue)
    { method: "GET", route: "/grant-requests", permission: "changes.read", prepare: call("/grant-requests") },
    ...(["approve", "deny"] as const).map(
      (verdict): Probe => ({
        method: "POST",
        route: `/grant-requests/:id/${verdict}`,
        permission: "changes.review",
        status: 200,
        prepare: async () => ({ path: `/grant-requests/${await grantFor("probe-escalated")}/${verdict}`, body: { justification: "checked" } }),
      }),
    ),
    {
      method: "POST",
      route: "/grant-requests/:id/revoke",
      permission: "agents.operate",
      status: 200,
      prepare: async () => ({ path: `/grant-requests/${await grantFor("probe-free")}/revoke`, body: { reason: "probing" } }),
    },

    // Change requests
    { method: "GET", route: "/change-requests", permission: "changes.read", prepare: call("/change-requests?status=pending") },
    {
      method: "GET",
      route: "/change-requests/:id",
      permission: "changes.read",
      prepare: async (role) => ({ path: `/change-requests/${(await pendingChange(h, t, unique("cr-read", role))).id}` }),
    },
    ...(["approve", "reject"] as const).map(
      (decision): Probe => ({
        method: "POST",
        route: `/change-requests/:id/${decision}`,
        permission: "changes.review",
        status: 200,
        prepare: async (role) => {
          // Requested by the developer, so no reviewing role is the requester.
          const cr = await pendingChange(h, t, unique(`cr-${decision}`, role));
          return { path: `/change-requests/${cr.id}/${decision}`, body: { justification: "checked" } };
        },
      }),
    ),
    {
      method: "POST",
      route: "/change-requests/:id/cancel",
      permission: "changes.read",
      also: {
        rule: "only the requester or a tenant manager cancels; roles that cannot write have no requests of their own",
        holds: (role) => can(role, "registry.write") || can(role, "tenant.manage"),
      },
      status: 200,
      prepare: async (role) => {
        // A role that can propose changes cancels its own request; any other role someone else's.
        const requester = can(role, "registry.write") ? t.keys[role] : t.keys.developer;
        const cr = await pendingChange(h, t, unique("cr-cancel", role), requester);
        return { path: `/change-requests/${cr.id}/cancel`, body: {} };
      },
    },

    // Configuration as code
    { method: "POST", route: "/config/plan", permission: "registry.read", status: 200, prepare: call("/config/plan", { documents: [] }) },
    {
      method: "POST",
      route: "/config/apply",
      permission: "registry.write",
      status: 200,
      prepare: async (role) => ({
        path: "/config/apply",
        body: { documents: [{ kind: "Tool", name: unique("cfg", role), owner: "team", spec: sampleSpecs.tool }] },
      }),
    },
    { method: "GET", route: "/config/export", permission: "registry.read", prepare: call("/config/export") },

    // Events and the audit log
    { method: "GET", route: "/events", permission: "events.read", prepare: call("/events?limit=5") },
    { method: "GET", route: "/audit", permission: "events.read", prepare: call("/audit?limit=5") },
    { method: "GET", route: "/audit/key", permission: "events.read", prepare: call("/audit/key") },
    { method: "GET", route: "/audit/checkpoints", permission: "events.read", prepare: call("/audit/checkpoints") },
    {
      method: "GET",
      route: "/audit/entries/:id/proof",
      permission: "events.read",
      prepare: async () => ({ path: `/audit/entries/${await ownEntrySeq()}/proof` }),
    },
    {
      method: "GET",
      route: "/audit/consistency",
      permission: "events.read",
      prepare: async () => {
        await ownEntrySeq();
        await h.gatehouse.auditLog.flush();
        await ownEntrySeq();
        await h.gatehouse.auditLog.flush();
        const sizes = (await h.gatehouse.auditLog.checkpoints()).map((c) => c.size);
        return { path: `/audit/consistency?from=${sizes.at(-2)}&to=${sizes.at(-1)}` };
      },
    },
    {
      method: "GET",
      route: "/audit/tasks/:id/replay",
      permission: "events.read",
      prepare: async () => {
        await ownEntrySeq("roles-task");
        return { path: "/audit/tasks/roles-task/replay" };
      },
    },
    {
      method: "POST",
      route: "/audit/erasures",
      permission: "audit.manage",
      status: 200,
      prepare: call("/audit/erasures", { subject: "user:roles-probe", justification: "asked by the data subject" }),
    },
    {
      method: "POST",
      route: "/audit/retention-runs",
      permission: "audit.manage",
      status: 200,
      prepare: async () => {
        const tenant = await h.gatehouse.tenants.get(t.id);
        const ctx = actionContext(systemActor("test", t.id));
        await h.gatehouse.transaction((trx) => h.gatehouse.tenants.updateSettings(trx, ctx, t.id, { ...tenant.settings, audit: { retentionDays: 36_500 } }));
        return { path: "/audit/retention-runs", body: {} };
      },
    },
  ];

  // Registry routes, for every kind.
  for (const kind of kindNames) {
    const plural = kinds[kind].plural;
    const fixture = async (role: Role, prefix: string) => {
      const name = unique(`${prefix}-${kind.replace("_", "-")}`, role);
      if (kind === "agent") await agentIn(h, t, name, "draft");
      else await putRecord(h, t, kind, name);
      return name;
    };
    const writeStatus = approvalKinds.includes(kind) ? 202 : undefined;
    probes.push(
      { method: "GET", route: `/${plural}`, permission: "registry.read", prepare: call(`/${plural}`) },
      {
        method: "GET",
        route: `/${plural}/:name`,
        permission: "registry.read",
        prepare: async (role) => ({ path: `/${plural}/${await fixture(role, "read")}` }),
      },
      {
        method: "GET",
        route: `/${plural}/:name/versions`,
        permission: "registry.read",
        prepare: async (role) => ({ path: `/${plural}/${await fixture(role, "versions")}/versions` }),
      },
      {
        method: "GET",
        route: `/${plural}/:name/versions/:version`,
        permission: "registry.read",
        prepare: async (role) => ({ path: `/${plural}/${await fixture(role, "version")}/versions/1` }),
      },
      {
        method: "GET",
        route: `/${plural}/:name/diff`,
        permission: "registry.read",
        prepare: async (role) => ({ path: `/${plural}/${await fixture(role, "diff")}/diff?from=1&to=1` }),
      },
      {
        method: "POST",
        route: `/${plural}`,
        permission: "registry.write",
        status: writeStatus ?? 201,
        prepare: async (role) => ({
          path: `/${plural}`,
          body: { name: unique(`new-${kind.replace("_", "-")}`, role), owner: "team", spec: sampleSpecs[kind] },
        }),
      },
      {
        method: "PUT",
        route: `/${plural}/:name`,
        permission: "registry.write",
        status: writeStatus ?? 200,
        prepare: async (role) => ({ path: `/${plural}/${await fixture(role, "put")}`, body: { owner: "other-team", spec: sampleSpecs[kind] } }),
      },
      {
        method: "DELETE",
        route: `/${plural}/:name`,
        permission: "registry.write",
        // Agents are retired, never deleted: an allowed delete of an agent is a 409 that says so.
        status: kind === "agent" ? 409 : (writeStatus ?? 200),
        prepare: async (role) => ({ path: `/${plural}/${await fixture(role, "delete")}`, body: {} }),
      },
    );
  }
  return probes;
}

describe("the permission matrix", () => {
  it("gives owners and admins every permission and every other role a strict subset", () => {
    for (const permission of permissions) {
      expect(can("owner", permission)).toBe(true);
      expect(can("admin", permission)).toBe(true);
    }
    for (const role of roles.filter((r) => r !== "owner" && r !== "admin")) {
      const granted = permissions.filter((p) => can(role, p));
      expect(granted.length, role).toBeGreaterThan(0);
      expect(granted.length, role).toBeLessThan(permissions.length);
    }
  });

  it("lets only owners assign the owner role", () => {
    for (const actor of roles) {
      for (const role of roles) {
        expect(canAssignRole(actor, role), `${actor} → ${role}`).toBe(actor === "owner" || (actor === "admin" && role !== "owner"));
      }
    }
  });
});

describe.each(storeTargets)("roles through the admin API on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  let probes: Probe[];
  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("roles");
    probes = buildProbes(h, t);
  });
  afterAll(async () => h?.close());

  it("has a probe for every admin route and every permission", () => {
    const routes = registeredRoutes(h.app).filter((r) => r.method !== "HEAD");
    expect(routes.length).toBeGreaterThan(50);
    const registered = routes.map((r) => `${r.method} ${r.url}`).sort();
    const probed = probes.map(label).sort();
    expect(new Set(probed).size, "each route is probed once").toBe(probed.length);
    expect(probed).toEqual(registered);
    expect([...new Set(probes.map((p) => p.permission))].sort()).toEqual([...permissions].sort());
  });

  it.each(roles)("%s is allowed exactly what its permissions grant, on every route", async (role) => {
    const expected: string[] = [];
    const observed: string[] = [];
    const problems: string[] = [];
    for (const probe of probes) {
      const name = label(probe);
      const { path, body } = await probe.prepare(role);
      const res = await h.admin(t.keys[role], probe.method, path, body);
      const permitted = can(role, probe.permission);
      const allowed = permitted && (probe.also?.holds(role) ?? true);
      if (allowed) expected.push(name);
      if (res.status !== 403 && res.status !== 401) observed.push(name);
      const got = `${name} as ${role}: ${res.status} ${JSON.stringify(res.body)}`;
      if (allowed) {
        const ok = probe.status ? res.status === probe.status : res.status >= 200 && res.status < 300;
        if (!ok) problems.push(`expected ${probe.status ?? "2xx"}, got ${got}`);
      } else {
        const error = res.body?.error;
        const shaped =
          res.status === 403 &&
          error?.code === "forbidden" &&
          typeof error.message === "string" &&
          error.message.length > 0 &&
          Object.keys(res.body).length === 1;
        if (!shaped) problems.push(`expected 403 {error:{code:"forbidden",message}}, got ${got}`);
        // Refused by the permission check itself, naming the route.
        else if (!permitted && error.message !== `role ${role} may not ${probe.method} /admin/v1${probe.route}`) {
          problems.push(`unexpected refusal message: ${got}`);
        }
      }
      if (probe.method === "GET") {
        // HEAD runs the same checks as GET.
        const head = await h.admin(t.keys[role], "HEAD", path);
        if ((head.status === 403) !== (res.status === 403)) problems.push(`HEAD ${probe.route} as ${role}: ${head.status}, GET: ${res.status}`);
      }
    }
    expect(problems).toEqual([]);
    expect(observed).toEqual(expected);
    // The matrix and the probes agree on every permission the role holds or lacks.
    for (const permission of permissions) {
      const routesOf = probes.filter((p) => p.permission === permission && !p.also).map(label);
      for (const route of routesOf) expect(observed.includes(route), `${role} ${permission} ${route}`).toBe(can(role, permission));
    }
  });
});

describe.each(storeTargets)("owners and admins on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("owners");
  });
  afterAll(async () => h?.close());

  const roleOf = async (id: string) => (await h.admin(t.keys.owner, "GET", `/principals/${id}`)).body.role;
  const expectForbidden = (res: { status: number; body: any }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body).toEqual({ error: { code: "forbidden", message: expect.any(String) } });
  };

  it("an admin cannot create an owner; an owner can", async () => {
    for (const kind of ["user", "service_account"] as const) {
      const refused = await h.admin(t.keys.admin, "POST", "/principals", { kind, name: `would-be-owner-${kind}`, role: "owner" });
      expectForbidden(refused);
      const names = (await h.admin(t.keys.owner, "GET", "/principals")).body.items.map((p: any) => p.name);
      expect(names).not.toContain(`would-be-owner-${kind}`);
    }
    // An admin may create every other role.
    for (const role of roles.filter((r) => r !== "owner")) {
      const res = await h.admin(t.keys.admin, "POST", "/principals", { kind: "user", name: `by-admin-${role}`, role });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.role).toBe(role);
    }
    const created = await h.admin(t.keys.owner, "POST", "/principals", { kind: "user", name: "second-owner", role: "owner" });
    expect(created.status).toBe(201);
    expect(created.body.role).toBe("owner");
  });

  it("an admin cannot promote anyone to owner, nor demote or disable an owner; an owner can", async () => {
    const p = await newPrincipal(h, t, "climber", "developer");
    expectForbidden(await h.admin(t.keys.admin, "PATCH", `/principals/${p.id}`, { role: "owner" }));
    expect(await roleOf(p.id)).toBe("developer");
    expectForbidden(await h.admin(t.keys.admin, "PATCH", `/principals/${t.principalIds.admin}`, { role: "owner" }));
    expect(await roleOf(t.principalIds.admin)).toBe("admin");

    const promoted = await h.admin(t.keys.owner, "PATCH", `/principals/${p.id}`, { role: "owner" });
    expect(promoted.status).toBe(200);
    expect(promoted.body.role).toBe("owner");

    expectForbidden(await h.admin(t.keys.admin, "PATCH", `/principals/${p.id}`, { role: "viewer" }));
    expectForbidden(await h.admin(t.keys.admin, "POST", `/principals/${p.id}/disable`));
    expect(await roleOf(p.id)).toBe("owner");
    expect((await h.admin(t.keys.owner, "GET", `/principals/${p.id}`)).body.disabled).toBe(false);

    const demoted = await h.admin(t.keys.owner, "PATCH", `/principals/${p.id}`, { role: "viewer" });
    expect(demoted.status).toBe(200);
    expect(await roleOf(p.id)).toBe("viewer");
    // Admins manage every role but owner.
    const byAdmin = await h.admin(t.keys.admin, "PATCH", `/principals/${p.id}`, { role: "approver" });
    expect(byAdmin.status).toBe(200);
    expect(await roleOf(p.id)).toBe("approver");
  });

  it("an admin cannot issue a key for an owner, which would let it act as that owner; an owner can", async () => {
    const owner = await newPrincipal(h, t, "guarded-owner", "owner");
    const issued = await h.admin(t.keys.admin, "POST", "/keys", { principalId: owner.id, kind: "admin", label: "takeover" });
    let consequence = "";
    if (issued.status === 201) {
      const escalated = await h.admin(issued.body.key, "POST", "/principals", { kind: "user", name: "admin-made-owner", role: "owner" });
      consequence = `; with that key the admin then created an owner principal: ${escalated.status} ${escalated.body.role ?? ""}`;
    }
    expect(issued.status, `an admin issued a key for an owner: ${issued.status}${consequence}`).toBe(403);
    expectForbidden(issued);
    const keys = (await h.admin(t.keys.owner, "GET", "/keys")).body.items.filter((k: any) => k.principalId === owner.id);
    expect(keys).toEqual([]);

    const byOwner = await h.admin(t.keys.owner, "POST", "/keys", { principalId: owner.id, kind: "admin" });
    expect(byOwner.status).toBe(201);
    expect((await h.admin(byOwner.body.key, "GET", "/whoami")).body.principal.role).toBe("owner");
  });

  it("an admin cannot revoke an owner's key (as it cannot disable an owner); an owner can", async () => {
    const owner = await newPrincipal(h, t, "keyed-owner", "owner");
    const ownerKey = await newAdminKey(h, t, owner.id);
    expectForbidden(await h.admin(t.keys.admin, "DELETE", `/keys/${ownerKey.id}`));
    expect((await h.admin(ownerKey.key, "GET", "/whoami")).status).toBe(200);

    expect((await h.admin(t.keys.owner, "DELETE", `/keys/${ownerKey.id}`)).status).toBe(200);
    expect((await h.admin(ownerKey.key, "GET", "/whoami")).status).toBe(401);
    // An admin still revokes the keys of everyone else.
    const other = await newPrincipal(h, t, "keyed-developer", "developer");
    const otherKey = await newAdminKey(h, t, other.id);
    expect((await h.admin(t.keys.admin, "DELETE", `/keys/${otherKey.id}`)).status).toBe(200);
  });
});

describe.each(storeTargets)("the last active owner on $name", (target) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(target);
  });
  afterAll(async () => h?.close());

  const expectConflict = (res: { status: number; body: any }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error.code).toBe("conflict");
    expect(res.body.error.message).toMatch(/at least one active owner/);
  };

  it("can be neither demoted nor disabled", async () => {
    const t = await h.createTenant("solo");
    const self = t.principalIds.owner;
    for (const role of roles.filter((r) => r !== "owner")) {
      expectConflict(await h.admin(t.keys.owner, "PATCH", `/principals/${self}`, { role }));
    }
    expectConflict(await h.admin(t.keys.owner, "POST", `/principals/${self}/disable`));
    const me = (await h.admin(t.keys.owner, "GET", "/whoami")).body.principal;
    expect(me).toMatchObject({ role: "owner", disabled: false });

    // A disabled owner does not count as the other owner.
    const other = await newPrincipal(h, t, "other-owner", "owner");
    expect((await h.admin(t.keys.owner, "POST", `/principals/${other.id}/disable`)).status).toBe(200);
    expectConflict(await h.admin(t.keys.owner, "PATCH", `/principals/${self}`, { role: "admin" }));
    expectConflict(await h.admin(t.keys.owner, "POST", `/principals/${self}/disable`));

    // With another active owner, an owner may step down; the new owner is then the last one.
    const successor = await newPrincipal(h, t, "successor", "owner");
    const successorKey = (await newAdminKey(h, t, successor.id)).key;
    const stepDown = await h.admin(t.keys.owner, "PATCH", `/principals/${self}`, { role: "admin" });
    expect(stepDown.status).toBe(200);
    expectConflict(await h.admin(successorKey, "PATCH", `/principals/${successor.id}`, { role: "admin" }));
    expectConflict(await h.admin(successorKey, "POST", `/principals/${successor.id}/disable`));
  });

  it("survives two owners demoting or disabling each other at the same time", async () => {
    for (let round = 0; round < 5; round++) {
      const t = await h.createTenant(`race-${round}`);
      const second = await newPrincipal(h, t, "second-owner", "owner");
      const secondKey = (await newAdminKey(h, t, second.id)).key;
      const [x, y] =
        round % 2 === 0
          ? await Promise.all([
              h.admin(t.keys.owner, "PATCH", `/principals/${second.id}`, { role: "admin" }),
              h.admin(secondKey, "PATCH", `/principals/${t.principalIds.owner}`, { role: "admin" }),
            ])
          : await Promise.all([
              h.admin(t.keys.owner, "POST", `/principals/${second.id}/disable`),
              h.admin(secondKey, "POST", `/principals/${t.principalIds.owner}/disable`),
            ]);
      const statuses = [x.status, y.status].sort();
      const owners = await h.gatehouse.store.db
        .selectFrom("principals")
        .select("id")
        .where("tenant_id", "=", t.id)
        .where("role", "=", "owner")
        .where("disabled_at", "is", null)
        .execute();
      expect(owners.length, `round ${round}: statuses ${statuses.join(", ")}`).toBeGreaterThanOrEqual(1);
    }
  });
});

describe.each(storeTargets)("admin API authentication on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("authn");
  });
  afterAll(async () => h?.close());

  const expectUnauthenticated = (res: { status: number; body: any; headers: Record<string, unknown> }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(401);
    expect(res.body).toEqual({ error: { code: "unauthenticated", message: expect.any(String) } });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="gatehouse-admin"');
  };

  it("refuses a call without a key with 401 and a www-authenticate challenge", async () => {
    for (const [method, path, body] of [
      ["GET", "/whoami", undefined],
      ["GET", "/tools", undefined],
      ["POST", "/tools", { name: "anon", owner: "team", spec: sampleSpecs.tool }],
      ["GET", "/events", undefined],
    ] as const) {
      const res = await h.admin(undefined, method, path, body);
      expectUnauthenticated(res);
      expect(res.body.error.message).toMatch(/missing admin API key/);
    }
    expect((await h.admin(t.keys.viewer, "GET", "/tools/anon")).status).toBe(404);
  });

  it("refuses malformed and unknown keys with 401", async () => {
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer", `Bearer ${t.keys.owner} extra`, `Token ${t.keys.owner}`]) {
      const res = await h.app.inject({ method: "GET", url: "/admin/v1/whoami", headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="gatehouse-admin"');
    }
    expectUnauthenticated(await h.admin("gh_adm_not-a-real-key", "GET", "/whoami"));
    expectUnauthenticated(await h.admin(`${t.keys.owner}x`, "GET", "/whoami"));
  });

  it("refuses an app key on the admin API with 401", async () => {
    for (const [method, path] of [
      ["GET", "/whoami"],
      ["GET", "/agents"],
      ["POST", "/agents"],
    ] as const) {
      const res = await h.admin(t.appKey, method, path, method === "POST" ? { name: "by-app", owner: "team", spec: sampleSpecs.agent } : undefined);
      expectUnauthenticated(res);
      expect(res.body.error.message).toMatch(/invalid, expired or revoked/);
    }
    expect((await h.admin(t.keys.viewer, "GET", "/agents/by-app")).status).toBe(404);

    // An app key is refused for its kind, even when its principal holds an admin role.
    const person = await newPrincipal(h, t, "app-key-holder", "owner");
    const appKey = await h.admin(t.keys.owner, "POST", "/keys", { principalId: person.id, kind: "app", environment: "staging" });
    expect(appKey.status, JSON.stringify(appKey.body)).toBe(201);
    expect(appKey.body.key).toMatch(/^gh_app_/);
    expectUnauthenticated(await h.admin(appKey.body.key, "GET", "/whoami"));
    expectUnauthenticated(await h.admin(appKey.body.key, "POST", "/principals", { kind: "user", name: "via-app-key", role: "owner" }));
  });

  it("refuses a revoked key with 401 and leaves the principal's other keys working", async () => {
    const p = await newPrincipal(h, t, "rotating", "developer");
    const first = await newAdminKey(h, t, p.id);
    const second = await newAdminKey(h, t, p.id);
    expect((await h.admin(first.key, "GET", "/whoami")).status).toBe(200);
    const revoked = await h.admin(t.keys.admin, "DELETE", `/keys/${first.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(Number));
    expectUnauthenticated(await h.admin(first.key, "GET", "/whoami"));
    expectUnauthenticated(await h.admin(first.key, "POST", "/tools", { name: "after-revoke", owner: "team", spec: sampleSpecs.tool }));
    expect((await h.admin(t.keys.viewer, "GET", "/tools/after-revoke")).status).toBe(404);
    const whoami = await h.admin(second.key, "GET", "/whoami");
    expect(whoami.status).toBe(200);
    expect(whoami.body.key.id).toBe(second.id);
  });

  it("refuses every key of a disabled principal with 401, and issues it no new one", async () => {
    const p = await newPrincipal(h, t, "departing", "admin");
    const keys = [await newAdminKey(h, t, p.id), await newAdminKey(h, t, p.id)];
    for (const key of keys) expect((await h.admin(key.key, "GET", "/whoami")).status).toBe(200);
    const disabled = await h.admin(t.keys.owner, "POST", `/principals/${p.id}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled).toBe(true);
    for (const key of keys) {
      expectUnauthenticated(await h.admin(key.key, "GET", "/whoami"));
      expectUnauthenticated(await h.admin(key.key, "GET", "/principals"));
    }
    const listed = (await h.admin(t.keys.owner, "GET", "/keys")).body.items.filter((k: any) => k.principalId === p.id);
    expect(listed).toHaveLength(2);
    for (const key of listed) expect(key.revokedAt).toEqual(expect.any(Number));
    const reissued = await h.admin(t.keys.owner, "POST", "/keys", { principalId: p.id, kind: "admin" });
    expect(reissued.status).toBe(400);
    expect(reissued.body.error.field).toBe("principalId");

    // Authentication itself checks the principal: a disabled principal's unrevoked key does not work either.
    const q = await newPrincipal(h, t, "disabled-elsewhere", "admin");
    const live = await newAdminKey(h, t, q.id);
    await h.gatehouse.store.db.updateTable("principals").set({ disabled_at: Date.now() }).where("id", "=", q.id).execute();
    expect((await h.admin(t.keys.owner, "GET", "/keys")).body.items.find((k: any) => k.id === live.id).revokedAt).toBeNull();
    expectUnauthenticated(await h.admin(live.key, "GET", "/whoami"));
  });

  it("applies a role change to the principal's existing keys at once", async () => {
    const p = await newPrincipal(h, t, "growing", "viewer");
    const key = (await newAdminKey(h, t, p.id)).key;
    const create = () => h.admin(key, "POST", "/tools", { name: "grown-tool", owner: "team", spec: sampleSpecs.tool });
    expect((await create()).status).toBe(403);
    expect((await h.admin(t.keys.admin, "PATCH", `/principals/${p.id}`, { role: "developer" })).status).toBe(200);
    expect((await create()).status).toBe(201);
    expect((await h.admin(t.keys.admin, "PATCH", `/principals/${p.id}`, { role: "viewer" })).status).toBe(200);
    expect((await h.admin(key, "DELETE", "/tools/grown-tool", {})).status).toBe(403);
  });
});
