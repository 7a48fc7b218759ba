import type { InjectOptions } from "fastify";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemActor, type Actor } from "../src/audit/actor.js";
import { actionContext } from "../src/audit/recorder.js";
import { sampleSpecs, startHarness, type Harness, type Response, type TestTenant } from "./support/harness.js";
import { lastLoggedSeq, loggedEventsAfter, type StoredEvent } from "./support/log.js";
import { storeTargets } from "./support/stores.js";

/**
 * Every admin call leaves exactly one trace: refusals and reads one admin.call event, changes
 * their change events (and no admin.call on top), each with actor, action, resource, outcome
 * and request id. And when the event log cannot be written, nothing happens at all.
 */


interface Call {
  res: Response;
  requestId: string;
  events: StoredEvent[];
}

const anonymous: Actor = { type: "system", id: "anonymous", name: "anonymous", tenantId: null, role: null };

function recorder(h: () => Harness) {
  const lastSeq = () => lastLoggedSeq(h());
  const eventsAfter = (seq: number) => loggedEventsAfter(h(), seq);
  /** Makes one admin call and returns the events it left. */
  const call = async (key: string | undefined, method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<Call> => {
    const before = await lastSeq();
    const res = await h().admin(key, method, path, body);
    const requestId = String(res.headers["x-request-id"] ?? "");
    expect(requestId, "every response carries x-request-id").toMatch(/^[0-9a-f-]{36}$/);
    return { res, requestId, events: await eventsAfter(before) };
  };
  /** The same, for requests h.admin cannot make (other content types, raw payloads). */
  const callRaw = async (options: InjectOptions): Promise<Call> => {
    const before = await lastSeq();
    const response = await h().app.inject(options);
    const res: Response = { status: response.statusCode, body: JSON.parse(response.body), headers: response.headers };
    const requestId = String(res.headers["x-request-id"] ?? "");
    return { res, requestId, events: await eventsAfter(before) };
  };
  return { call, callRaw, lastSeq, eventsAfter };
}

/** The call left exactly one admin.call event describing it. */
function expectCallEvent(
  c: Call,
  expected: { method: string; route: string; path: string; outcome: "allowed" | "refused" | "failed"; actor: Partial<Actor>; tenantId: string | null },
): StoredEvent {
  expect(c.events.map((e) => e.action), "exactly one event, an admin.call").toEqual(["admin.call"]);
  const event = c.events[0] as StoredEvent;
  expect(event.actor).toMatchObject(expected.actor);
  expect(event.tenantId).toBe(expected.tenantId);
  expect(event.resource).toEqual({ kind: "admin_api", name: `${expected.method} /admin/v1${expected.route}` });
  expect(event.decision.outcome).toBe(expected.outcome);
  expect(event.context).toEqual({ requestId: c.requestId, method: expected.method, path: `/admin/v1${expected.path}`, status: c.res.status });
  if (expected.outcome === "refused") {
    expect(event.decision.reasons).toEqual([c.res.body.error.message]);
  } else {
    expect(event.decision.reasons).toEqual([]);
  }
  return event;
}

/** A successful change: its change events only, all from this request and this actor, none of them admin.call. */
function expectChangeEvents(c: Call, actions: string[], actor: Partial<Actor>, tenantId: string): StoredEvent[] {
  expect(c.res.status, JSON.stringify(c.res.body)).toBeLessThan(300);
  expect(c.events.map((e) => e.action)).toEqual(actions);
  for (const event of c.events) {
    expect(event.action).not.toBe("admin.call");
    expect(event.context.requestId).toBe(c.requestId);
    expect(event.actor).toMatchObject(actor);
    expect(event.tenantId).toBe(tenantId);
    expect(event.decision.outcome).toBe("allowed");
    expect(event.resource.kind).toEqual(expect.any(String));
  }
  return c.events;
}

describe.each(storeTargets)("recording admin calls on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  const { call, callRaw } = recorder(() => h);
  const person = (role: keyof TestTenant["principalIds"]) => ({ id: t.principalIds[role], tenantId: t.id });

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("recorded");
  });
  afterAll(async () => h?.close());

  describe("refused calls leave exactly one admin.call event", () => {
    it("401 without a key", async () => {
      const c = await call(undefined, "GET", "/agents");
      expect(c.res.status).toBe(401);
      expectCallEvent(c, { method: "GET", route: "/agents", path: "/agents", outcome: "refused", actor: anonymous, tenantId: null });
      expect(c.events[0]?.decision.reasons[0]).toMatch(/missing admin API key/);
    });

    it("401 with an invalid key", async () => {
      const c = await call("gh_adm_not-a-real-key", "POST", "/tools", { name: "x", owner: "y", spec: sampleSpecs.tool });
      expect(c.res.status).toBe(401);
      expectCallEvent(c, { method: "POST", route: "/tools", path: "/tools", outcome: "refused", actor: anonymous, tenantId: null });
    });

    it("401 with an app key", async () => {
      const c = await call(t.appKey, "GET", "/tools");
      expect(c.res.status).toBe(401);
      expectCallEvent(c, { method: "GET", route: "/tools", path: "/tools", outcome: "refused", actor: anonymous, tenantId: null });
    });

    it("401 with a revoked key", async () => {
      const issued = await call(t.keys.owner, "POST", "/keys", { principalId: t.principalIds.viewer, kind: "admin", label: "short-lived" });
      expect(issued.res.status).toBe(201);
      expect((await call(t.keys.owner, "DELETE", `/keys/${issued.res.body.id}`)).res.status).toBe(200);
      const c = await call(issued.res.body.key, "GET", "/tools");
      expect(c.res.status).toBe(401);
      expectCallEvent(c, { method: "GET", route: "/tools", path: "/tools", outcome: "refused", actor: anonymous, tenantId: null });
    });

    it("403 for a role without the permission, and nothing is created", async () => {
      const c = await call(t.keys.viewer, "POST", "/tools", { name: "forbidden-tool", owner: "team", spec: sampleSpecs.tool });
      expect(c.res.status).toBe(403);
      expectCallEvent(c, {
        method: "POST",
        route: "/tools",
        path: "/tools",
        outcome: "refused",
        actor: { ...person("viewer"), type: "user", role: "viewer", name: "viewer@recorded" },
        tenantId: t.id,
      });
      expect((await h.admin(t.keys.viewer, "GET", "/tools/forbidden-tool")).status).toBe(404);
    });

    it("403 for the two-person rule, with the review rolled back", async () => {
      const created = await call(t.keys.admin, "POST", "/agents", { name: "self-approver", owner: "team", spec: sampleSpecs.agent, submit: true });
      expect(created.res.status).toBe(202);
      const id = created.res.body.changeRequest.id;
      const c = await call(t.keys.admin, "POST", `/change-requests/${id}/approve`, { justification: "mine" });
      expect(c.res.status).toBe(403);
      expectCallEvent(c, {
        method: "POST",
        route: "/change-requests/:id/approve",
        path: `/change-requests/${id}/approve`,
        outcome: "refused",
        actor: person("admin"),
        tenantId: t.id,
      });
      expect(c.res.body.error.message).toMatch(/two-person rule/);
      expect((await h.admin(t.keys.viewer, "GET", `/change-requests/${id}`)).body.reviews).toEqual([]);
    });

    it("404 for an unknown record", async () => {
      const c = await call(t.keys.viewer, "GET", "/agents/no-such-agent");
      expect(c.res.status).toBe(404);
      expectCallEvent(c, { method: "GET", route: "/agents/:name", path: "/agents/no-such-agent", outcome: "refused", actor: person("viewer"), tenantId: t.id });
    });

    it("404 for an unknown admin route, called with a valid key", async () => {
      const c = await call(t.keys.owner, "GET", "/no-such-route");
      expect(c.res.status).toBe(404);
      expect(c.events).toHaveLength(1);
      const event = c.events[0] as StoredEvent;
      expect(event.action).toBe("admin.call");
      expect(event.decision.outcome).toBe("refused");
      expect(event.context).toMatchObject({ requestId: c.requestId, method: "GET", path: "/admin/v1/no-such-route", status: 404 });
    });

    it("400 for a bad body, with the message naming the field", async () => {
      const c = await call(t.keys.developer, "POST", "/models", { name: "m", owner: "team", spec: { ...sampleSpecs.model, endpoint: "not a url" } });
      expect(c.res.status).toBe(400);
      const event = expectCallEvent(c, { method: "POST", route: "/models", path: "/models", outcome: "refused", actor: person("developer"), tenantId: t.id });
      expect(event.decision.reasons[0]).toMatch(/^spec\.endpoint: /);
    });

    it("400 for malformed JSON", async () => {
      const c = await call(t.keys.developer, "POST", "/tools", '{"name": ');
      expect(c.res.status).toBe(400);
      expectCallEvent(c, { method: "POST", route: "/tools", path: "/tools", outcome: "refused", actor: person("developer"), tenantId: t.id });
    });

    it("413 for a body over the limit", async () => {
      const c = await callRaw({
        method: "POST",
        url: "/admin/v1/tools",
        headers: { authorization: `Bearer ${t.keys.developer}`, "content-type": "application/json" },
        payload: JSON.stringify({ name: "huge", owner: "team", spec: { ...sampleSpecs.tool, description: "d".repeat(1024 * 1024) } }),
      });
      expect(c.res.status).toBe(413);
      expectCallEvent(c, { method: "POST", route: "/tools", path: "/tools", outcome: "refused", actor: person("developer"), tenantId: t.id });
    });

    it("415 for a body that is not JSON", async () => {
      const c = await callRaw({
        method: "POST",
        url: "/admin/v1/tools",
        headers: { authorization: `Bearer ${t.keys.developer}`, "content-type": "application/xml" },
        payload: "<tool/>",
      });
      expect(c.res.status).toBe(415);
      expectCallEvent(c, { method: "POST", route: "/tools", path: "/tools", outcome: "refused", actor: person("developer"), tenantId: t.id });
    });

    it("409 for an illegal transition, with the lifecycle change rolled back", async () => {
      expect((await call(t.keys.developer, "POST", "/agents", { name: "drafty", owner: "team", spec: sampleSpecs.agent })).res.status).toBe(201);
      const c = await call(t.keys.developer, "POST", "/agents/drafty/suspend", { reason: "why not" });
      expect(c.res.status).toBe(409);
      expectCallEvent(c, { method: "POST", route: "/agents/:name/suspend", path: "/agents/drafty/suspend", outcome: "refused", actor: person("developer"), tenantId: t.id });
      expect((await h.admin(t.keys.viewer, "GET", "/agents/drafty")).body.lifecycle.state).toBe("draft");
    });

    it("409 for a duplicate create", async () => {
      expect((await call(t.keys.developer, "POST", "/data-sources", { name: "kb", owner: "team", spec: sampleSpecs.data_source })).res.status).toBe(201);
      const c = await call(t.keys.developer, "POST", "/data-sources", { name: "kb", owner: "team", spec: sampleSpecs.data_source });
      expect(c.res.status).toBe(409);
      expectCallEvent(c, { method: "POST", route: "/data-sources", path: "/data-sources", outcome: "refused", actor: person("developer"), tenantId: t.id });
    });
  });

  describe("calls that change nothing leave exactly one admin.call event", () => {
    it("a read", async () => {
      const c = await call(t.keys.viewer, "GET", "/agents?unused=1");
      expect(c.res.status).toBe(200);
      expectCallEvent(c, { method: "GET", route: "/agents", path: "/agents", outcome: "allowed", actor: person("viewer"), tenantId: t.id });
    });

    it("reading the event log", async () => {
      const c = await call(t.keys.auditor, "GET", "/events?limit=5");
      expect(c.res.status).toBe(200);
      expectCallEvent(c, { method: "GET", route: "/events", path: "/events", outcome: "allowed", actor: person("auditor"), tenantId: t.id });
    });

    it("a plan (a POST that changes nothing)", async () => {
      const c = await call(t.keys.developer, "POST", "/config/plan", { documents: [] });
      expect(c.res.status).toBe(200);
      expectCallEvent(c, { method: "POST", route: "/config/plan", path: "/config/plan", outcome: "allowed", actor: person("developer"), tenantId: t.id });
    });

    it("a write of what is already there", async () => {
      expect((await call(t.keys.developer, "POST", "/tools", { name: "same", owner: "team", spec: sampleSpecs.tool })).res.status).toBe(201);
      const c = await call(t.keys.developer, "PUT", "/tools/same", { owner: "team", spec: sampleSpecs.tool });
      expect(c.res.status).toBe(200);
      expect(c.res.body.status).toBe("unchanged");
      expectCallEvent(c, { method: "PUT", route: "/tools/:name", path: "/tools/same", outcome: "allowed", actor: person("developer"), tenantId: t.id });
    });
  });

  describe("changes record before, after and justification, and no admin.call", () => {
    it("creating, updating and deleting a record", async () => {
      const created = await call(t.keys.developer, "POST", "/tools", { name: "lookup", owner: "team", spec: sampleSpecs.tool });
      const [create] = expectChangeEvents(created, ["tool.create"], person("developer"), t.id);
      expect(create?.resource).toEqual({ kind: "tool", id: created.res.body.record.id, name: "lookup" });
      expect(create?.payload.before ?? null).toBeNull();
      expect(create?.payload.after).toEqual({ owner: "team", spec: created.res.body.record.spec });
      expect(create?.payload.version).toBe(1);

      const newSpec = { ...sampleSpecs.tool, sideEffect: "write" };
      const updated = await call(t.keys.developer, "PUT", "/tools/lookup", { owner: "other-team", spec: newSpec });
      const [update] = expectChangeEvents(updated, ["tool.update"], person("developer"), t.id);
      expect(update?.payload.before).toEqual({ owner: "team", spec: created.res.body.record.spec });
      expect(update?.payload.after).toEqual({ owner: "other-team", spec: updated.res.body.record.spec });
      expect(update?.payload.after.spec.sideEffect).toBe("write");
      expect(update?.payload.version).toBe(2);

      const deleted = await call(t.keys.developer, "DELETE", "/tools/lookup", {});
      const [remove] = expectChangeEvents(deleted, ["tool.delete"], person("developer"), t.id);
      expect(remove?.payload.before).toEqual({ owner: "other-team", spec: updated.res.body.record.spec });
      expect(remove?.payload.after ?? null).toBeNull();
    });

    it("records the justification of a change that applies at once", async () => {
      const created = await call(t.keys.developer, "POST", "/tools", { name: "justified", owner: "team", spec: sampleSpecs.tool, justification: "ticket OPS-1" });
      const [create] = expectChangeEvents(created, ["tool.create"], person("developer"), t.id);
      expect(create?.payload.justification).toBe("ticket OPS-1");

      const updated = await call(t.keys.developer, "PUT", "/tools/justified", {
        owner: "team",
        spec: { ...sampleSpecs.tool, description: "now described" },
        justification: "ticket OPS-2",
      });
      const [update] = expectChangeEvents(updated, ["tool.update"], person("developer"), t.id);
      expect(update?.payload.justification).toBe("ticket OPS-2");

      const deleted = await call(t.keys.developer, "DELETE", "/tools/justified", { justification: "ticket OPS-3" });
      const [remove] = expectChangeEvents(deleted, ["tool.delete"], person("developer"), t.id);
      expect(remove?.payload.justification).toBe("ticket OPS-3");
      // The version history keeps it too.
      const versions = await h.admin(t.keys.viewer, "GET", "/tools/justified/versions");
      expect(versions.body.items.map((v: { justification: string | null }) => v.justification)).toEqual(["ticket OPS-1", "ticket OPS-2", "ticket OPS-3"]);
    });

    it("an agent through submit, approval, activation and suspension", async () => {
      const submitted = await call(t.keys.developer, "POST", "/agents", {
        name: "walker",
        owner: "team",
        spec: sampleSpecs.agent,
        submit: true,
        justification: "new support agent",
      });
      expect(submitted.res.status).toBe(202);
      const [create, submit, request] = expectChangeEvents(
        submitted,
        ["agent.create", "agent.submit", "change_request.create"],
        person("developer"),
        t.id,
      );
      expect(create?.payload.after.spec.purpose).toBe(sampleSpecs.agent.purpose);
      expect(submit?.payload).toMatchObject({ before: { state: "draft" }, after: { state: "pending_approval" }, justification: "new support agent" });
      expect(request?.payload.justification).toBe("new support agent");
      const id = submitted.res.body.changeRequest.id;

      const approved = await call(t.keys.approver, "POST", `/change-requests/${id}/approve`, { justification: "reviewed the spec" });
      const [approve, agentApprove] = expectChangeEvents(approved, ["change_request.approve", "agent.approve"], person("approver"), t.id);
      expect(approve?.payload.justification).toBe("reviewed the spec");
      expect(agentApprove?.payload).toMatchObject({ before: { state: "pending_approval" }, after: { state: "approved" }, changeRequestId: id });

      const activated = await call(t.keys.developer, "POST", "/agents/walker/activate", { environment: "staging", justification: "canary" });
      const [activate] = expectChangeEvents(activated, ["agent.activate"], person("developer"), t.id);
      expect(activate?.payload).toMatchObject({
        before: { state: "approved", environments: [] },
        after: { state: "active", environments: ["staging"] },
      });

      const suspended = await call(t.keys.developer, "POST", "/agents/walker/suspend", { reason: "odd traffic" });
      const [suspend] = expectChangeEvents(suspended, ["agent.suspend"], person("developer"), t.id);
      expect(suspend?.payload).toMatchObject({
        before: { state: "active", environments: ["staging"] },
        after: { state: "suspended" },
        justification: "odd traffic",
      });
    });

    it("records the justification of an activation that applies at once", async () => {
      await h.gatehouse.transaction(async (trx) => {
        const ctx = actionContext(systemActor("test", t.id));
        await h.gatehouse.registry.write(trx, ctx, { tenantId: t.id, kind: "agent", name: "canary", owner: "team", spec: sampleSpecs.agent });
        const agent = await h.gatehouse.registry.get(t.id, "agent", "canary", trx);
        await h.gatehouse.lifecycle.apply(trx, ctx, agent, { type: "submit" });
        await h.gatehouse.lifecycle.apply(trx, ctx, await h.gatehouse.registry.get(t.id, "agent", "canary", trx), { type: "approve" });
      });
      const activated = await call(t.keys.developer, "POST", "/agents/canary/activate", { environment: "staging", justification: "canary in staging" });
      const [activate] = expectChangeEvents(activated, ["agent.activate"], person("developer"), t.id);
      expect(activate?.payload.justification).toBe("canary in staging");
    });

    it("people and keys", async () => {
      const created = await call(t.keys.admin, "POST", "/principals", { kind: "user", name: "newcomer", role: "viewer" });
      const [create] = expectChangeEvents(created, ["principal.create"], person("admin"), t.id);
      expect(create?.payload.after).toMatchObject({ name: "newcomer", role: "viewer", disabled: false });
      const id = created.res.body.id;

      const promoted = await call(t.keys.admin, "PATCH", `/principals/${id}`, { role: "developer" });
      const [role] = expectChangeEvents(promoted, ["principal.role.update"], person("admin"), t.id);
      expect(role?.payload).toEqual({ before: { role: "viewer" }, after: { role: "developer" } });

      const issued = await call(t.keys.admin, "POST", "/keys", { principalId: id, kind: "admin", label: "laptop" });
      const [issue] = expectChangeEvents(issued, ["api_key.issue"], person("admin"), t.id);
      expect(issue?.payload.after).toMatchObject({ id: issued.res.body.id, label: "laptop", revokedAt: null });
      // The plain key is in the response only, never in the log.
      expect(JSON.stringify(issued.events)).not.toContain(issued.res.body.key);

      const disabled = await call(t.keys.admin, "POST", `/principals/${id}/disable`, {});
      const [disable] = expectChangeEvents(disabled, ["principal.disable"], person("admin"), t.id);
      expect(disable?.payload).toEqual({ before: { disabled: false }, after: { disabled: true } });
    });

    it("revoking a key records the key before and after", async () => {
      const issued = await call(t.keys.admin, "POST", "/keys", { principalId: t.principalIds.auditor, kind: "admin", label: "to-revoke" });
      expect(issued.res.status).toBe(201);
      const revoked = await call(t.keys.admin, "DELETE", `/keys/${issued.res.body.id}`);
      const [revoke] = expectChangeEvents(revoked, ["api_key.revoke"], person("admin"), t.id);
      expect(revoke?.resource).toMatchObject({ kind: "api_key", id: issued.res.body.id });
      expect(revoke?.payload.before).toMatchObject({ id: issued.res.body.id, revokedAt: null });
      expect(revoke?.payload.after).toMatchObject({ id: issued.res.body.id, revokedAt: expect.any(Number) });
    });

    it("tenant settings and environments", async () => {
      const tightened = await call(t.keys.owner, "PUT", "/tenant/settings", { approvals: { required: 1, productionPolicy: 3, expiresAfterHours: 168 } });
      const [settings] = expectChangeEvents(tightened, ["tenant.settings.update"], person("owner"), t.id);
      expect(settings?.payload.before.approvals.productionPolicy).toBe(2);
      expect(settings?.payload.after.approvals.productionPolicy).toBe(3);

      const added = await call(t.keys.owner, "POST", "/environments", { name: "qa" });
      const [env] = expectChangeEvents(added, ["environment.create"], person("owner"), t.id);
      expect(env?.payload.after).toEqual({ name: "qa", production: false });
    });

    it("the auditor reads the same events through GET /events", async () => {
      const changed = await call(t.keys.developer, "POST", "/tools", { name: "audited", owner: "team", spec: sampleSpecs.tool });
      const seq = changed.events[0]?.seq ?? 0;
      const listed = await h.admin(t.keys.auditor, "GET", `/events?after=${seq - 1}&limit=1`);
      expect(listed.status).toBe(200);
      expect(listed.body.items[0]).toMatchObject({
        seq,
        tenantId: t.id,
        action: "tool.create",
        actor: person("developer"),
        resource: { kind: "tool", name: "audited" },
        decision: { outcome: "allowed" },
        context: { requestId: changed.requestId },
      });
      // Another tenant's auditor sees none of it.
      const other = await h.createTenant("recorded-other");
      const theirs = await h.admin(other.keys.auditor, "GET", "/events?limit=1000");
      expect(theirs.body.items.every((e: { tenantId: string }) => e.tenantId === other.id)).toBe(true);
    });
  });
});

describe.each(storeTargets)("failing closed when the event log cannot be written on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  let changeRequestId: string;
  const db = () => h.gatehouse.store.db;
  const expectUnavailable = (res: Response, what: string) => {
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(503);
    expect(res.body).toEqual({ error: { code: "unavailable", message: expect.any(String) } });
  };
  const snapshot = async () => ({
    records: await db().selectFrom("registry_records").selectAll().orderBy("id").execute(),
    versions: await db().selectFrom("registry_versions").selectAll().orderBy("record_id").orderBy("version").execute(),
    lifecycle: await db().selectFrom("agent_lifecycle").selectAll().orderBy("agent_id").execute(),
    principals: await db().selectFrom("principals").selectAll().orderBy("id").execute(),
    keys: await db().selectFrom("api_keys").selectAll().orderBy("id").execute(),
    tenants: await db().selectFrom("tenants").selectAll().orderBy("id").execute(),
    environments: await db().selectFrom("environments").selectAll().orderBy("id").execute(),
    changeRequests: await db().selectFrom("change_requests").selectAll().orderBy("id").execute(),
    reviews: await db().selectFrom("change_reviews").selectAll().orderBy("id").execute(),
  });

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("closed");
    expect((await h.admin(t.keys.developer, "POST", "/tools", { name: "keep", owner: "team", spec: sampleSpecs.tool })).status).toBe(201);
    expect((await h.admin(t.keys.developer, "POST", "/agents", { name: "runner", owner: "team", spec: sampleSpecs.agent })).status).toBe(201);
    const pending = await h.admin(t.keys.developer, "POST", "/agents", { name: "waiting", owner: "team", spec: sampleSpecs.agent, submit: true });
    expect(pending.status).toBe(202);
    changeRequestId = pending.body.changeRequest.id;
  });
  afterAll(async () => h?.close());

  it("refuses every admin call with 503 and changes nothing while the events table is gone", async () => {
    const before = await snapshot();
    await sql`alter table events rename to events_unavailable`.execute(db());
    try {
      const attempts: [string, "GET" | "POST" | "PUT" | "PATCH" | "DELETE", string, string | undefined, unknown][] = [
        ["create a tool", "POST", "/tools", t.keys.developer, { name: "blocked", owner: "team", spec: sampleSpecs.tool }],
        ["update a tool", "PUT", "/tools/keep", t.keys.developer, { owner: "team", spec: { ...sampleSpecs.tool, sideEffect: "egress" } }],
        ["delete a tool", "DELETE", "/tools/keep", t.keys.developer, {}],
        ["submit an agent", "POST", "/agents/runner/submit", t.keys.developer, {}],
        ["approve a change", "POST", `/change-requests/${changeRequestId}/approve`, t.keys.approver, { justification: "ok" }],
        ["create a principal", "POST", "/principals", t.keys.admin, { kind: "user", name: "ghost", role: "viewer" }],
        ["change a role", "PATCH", `/principals/${t.principalIds.viewer}`, t.keys.admin, { role: "developer" }],
        ["disable a principal", "POST", `/principals/${t.principalIds.auditor}/disable`, t.keys.admin, {}],
        ["issue a key", "POST", "/keys", t.keys.admin, { principalId: t.principalIds.viewer, kind: "admin" }],
        ["tighten settings", "PUT", "/tenant/settings", t.keys.owner, { approvals: { required: 2 } }],
        ["add an environment", "POST", "/environments", t.keys.owner, { name: "qa" }],
        ["apply configuration", "POST", "/config/apply", t.keys.developer, { documents: [{ kind: "Tool", name: "applied", owner: "team", spec: sampleSpecs.tool }] }],
        ["read tools", "GET", "/tools", t.keys.viewer, undefined],
        ["read one tool", "GET", "/tools/keep", t.keys.viewer, undefined],
        ["whoami", "GET", "/whoami", t.keys.viewer, undefined],
        ["a bad body", "POST", "/tools", t.keys.developer, { nonsense: true }],
        ["a forbidden call", "POST", "/tools", t.keys.viewer, { name: "nope", owner: "team", spec: sampleSpecs.tool }],
        ["no key", "GET", "/tools", undefined, undefined],
        ["an invalid key", "GET", "/tools", "gh_adm_invalid", undefined],
      ];
      for (const [what, method, path, key, body] of attempts) {
        const res = await h.admin(key, method, path, body);
        expectUnavailable(res, what);
        // A refused read does not leak what it read.
        expect(JSON.stringify(res.body)).not.toContain("keep");
      }
      expect(await snapshot()).toEqual(before);
      expect(await db().selectFrom("registry_records").select("name").where("name", "in", ["blocked", "applied"]).execute()).toEqual([]);
      // The process itself is fine; only the admin API refuses.
      expect((await h.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    } finally {
      await sql`alter table events_unavailable rename to events`.execute(db());
    }

    // Once the log is back, calls work and are recorded again.
    const created = await h.admin(t.keys.developer, "POST", "/tools", { name: "after", owner: "team", spec: sampleSpecs.tool });
    expect(created.status).toBe(201);
    const events = (await loggedEventsAfter(h, -1)).filter((e) => e.action === "tool.create");
    expect(events.some((e) => e.context.requestId === created.headers["x-request-id"])).toBe(true);
  });
});
