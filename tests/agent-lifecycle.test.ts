import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentStates, transition, type AgentState, type LifecycleEvent } from "../src/lifecycle/agent-states.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "./support/harness.js";
import { storeTargets } from "./support/stores.js";

describe("agent state machine", () => {
  const events: LifecycleEvent[] = [
    { type: "submit" },
    { type: "approve" },
    { type: "withdraw" },
    { type: "activate", environment: "staging" },
    { type: "deactivate", environment: "staging" },
    { type: "disallow", environment: "staging" },
    { type: "suspend" },
    { type: "resume" },
    { type: "retire" },
  ];
  const legal: Record<AgentState, LifecycleEvent["type"][]> = {
    draft: ["submit", "retire"],
    pending_approval: ["approve", "withdraw", "retire"],
    approved: ["activate", "suspend", "retire"],
    active: ["activate", "deactivate", "disallow", "suspend", "retire"],
    suspended: ["disallow", "resume", "retire"],
    retired: [],
  };

  for (const state of agentStates) {
    for (const event of events) {
      const environments = state === "active" || state === "suspended" ? ["staging"] : [];
      const expected = legal[state].includes(event.type) && !(state === "active" && event.type === "activate");
      it(`${event.type} from ${state} is ${expected ? "allowed" : "refused"}`, () => {
        const result = transition({ state, environments }, event);
        expect(result.ok).toBe(expected);
        if (!result.ok) expect(result.reason).toMatch(state === "active" ? /already active|cannot/ : new RegExp(`cannot ${event.type} an agent that is ${state}`));
      });
    }
  }

  it("activation is per environment and suspension keeps the environments for resume", () => {
    let s = { state: "approved" as AgentState, environments: [] as string[] };
    for (const event of [
      { type: "activate", environment: "staging" },
      { type: "activate", environment: "production" },
      { type: "suspend" },
      { type: "resume" },
      { type: "deactivate", environment: "staging" },
    ] as LifecycleEvent[]) {
      const r = transition(s, event);
      if (!r.ok) throw new Error(r.reason);
      s = r.next;
    }
    expect(s).toEqual({ state: "active", environments: ["production"] });
    const last = transition(s, { type: "deactivate", environment: "production" });
    expect(last.ok && last.next).toEqual({ state: "approved", environments: [] });
  });
});

describe.each(storeTargets)("agent lifecycle through the admin API on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("lifecycle");
  });
  afterAll(async () => h?.close());

  const createAgent = async (name: string) => {
    const res = await h.admin(t.keys.developer, "POST", "/agents", { name, owner: "team", spec: sampleSpecs.agent });
    expect(res.status).toBe(201);
    expect(res.body.record.lifecycle.state).toBe("draft");
  };
  const state = async (name: string) => (await h.admin(t.keys.viewer, "GET", `/agents/${name}`)).body.lifecycle;
  const approveAll = async (changeRequestId: string) => {
    const res = await h.admin(t.keys.approver, "POST", `/change-requests/${changeRequestId}/approve`, { justification: "looks right" });
    expect(res.status).toBe(200);
    return res.body;
  };

  it("walks draft → pending_approval → approved → active → suspended → active → retired", async () => {
    await createAgent("walker");
    const submitted = await h.admin(t.keys.developer, "POST", "/agents/walker/submit", { justification: "ready" });
    expect(submitted.status).toBe(202);
    expect((await state("walker")).state).toBe("pending_approval");
    expect((await approveAll(submitted.body.changeRequest.id)).status).toBe("applied");
    expect((await state("walker")).state).toBe("approved");

    const staging = await h.admin(t.keys.developer, "POST", "/agents/walker/activate", { environment: "staging" });
    expect(staging.status).toBe(200);
    expect(staging.body.record).toMatchObject({ state: "active", environments: ["staging"] });

    // Production activation is a change request.
    const prod = await h.admin(t.keys.developer, "POST", "/agents/walker/activate", { environment: "production" });
    expect(prod.status).toBe(202);
    expect((await state("walker")).environments).toEqual(["staging"]);
    await approveAll(prod.body.changeRequest.id);
    expect((await state("walker")).environments).toEqual(["production", "staging"]);

    expect((await h.admin(t.keys.developer, "POST", "/agents/walker/suspend", { reason: "odd traffic" })).body.state).toBe("suspended");
    expect((await h.admin(t.keys.developer, "POST", "/agents/walker/resume", {})).body).toMatchObject({
      state: "active",
      environments: ["production", "staging"],
    });
    const retired = await h.admin(t.keys.admin, "POST", "/agents/walker/retire", { reason: "replaced" });
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ state: "retired", environments: [] });
    // History stays readable.
    expect((await h.admin(t.keys.viewer, "GET", "/agents/walker/versions")).body.items).toHaveLength(1);
    expect((await h.admin(t.keys.viewer, "GET", "/agents/walker")).status).toBe(200);
  });

  it("refuses illegal transitions with 409 and the reason", async () => {
    await createAgent("illegal");
    const cases: [string, unknown, RegExp][] = [
      ["activate", { environment: "staging" }, /cannot activate an agent that is draft/],
      ["suspend", { reason: "x" }, /cannot suspend an agent that is draft/],
      ["resume", {}, /cannot resume an agent that is draft/],
      ["deactivate", { environment: "staging" }, /cannot deactivate an agent that is draft/],
    ];
    for (const [op, body, reason] of cases) {
      const res = await h.admin(t.keys.developer, "POST", `/agents/illegal/${op}`, body);
      expect(res.status, op).toBe(409);
      expect(res.body.error.message).toMatch(reason);
    }
    await h.admin(t.keys.admin, "POST", "/agents/illegal/retire", { reason: "never used" });
    for (const op of ["submit", "resume"]) {
      const res = await h.admin(t.keys.developer, "POST", `/agents/illegal/${op}`, {});
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(/retired/);
    }
    const edit = await h.admin(t.keys.developer, "PUT", "/agents/illegal", { owner: "team", spec: { ...sampleSpecs.agent, purpose: "new" } });
    expect(edit.status).toBe(409);
    const retireAgain = await h.admin(t.keys.admin, "POST", "/agents/illegal/retire", { reason: "again" });
    expect(retireAgain.status).toBe(409);
  });

  it("refuses activation in an environment the agent is not allowed in", async () => {
    await h.admin(t.keys.developer, "POST", "/agents", {
      name: "staging-only",
      owner: "team",
      spec: { ...sampleSpecs.agent, environments: ["staging"] },
      submit: true,
    });
    const cr = (await h.admin(t.keys.viewer, "GET", "/change-requests?status=pending")).body.items.find(
      (c: any) => c.target.name === "staging-only",
    );
    await approveAll(cr.id);
    const res = await h.admin(t.keys.developer, "POST", "/agents/staging-only/activate", { environment: "production" });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe("environment");
  });

  it("narrowing an active agent's environments stops it there at once, suspended or not", async () => {
    await h.admin(t.keys.developer, "POST", "/agents", { name: "narrowed", owner: "team", spec: sampleSpecs.agent, submit: true });
    const cr = (await h.admin(t.keys.viewer, "GET", "/change-requests?status=pending")).body.items.find((c: any) => c.target.name === "narrowed");
    await approveAll(cr.id);
    await h.admin(t.keys.developer, "POST", "/agents/narrowed/activate", { environment: "staging" });
    await approveAll((await h.admin(t.keys.developer, "POST", "/agents/narrowed/activate", { environment: "production" })).body.changeRequest.id);
    await h.admin(t.keys.developer, "POST", "/agents/narrowed/suspend", { reason: "check" });
    const narrowed = await h.admin(t.keys.developer, "PUT", "/agents/narrowed", { owner: "team", spec: { ...sampleSpecs.agent, environments: ["staging"] } });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.record.lifecycle).toMatchObject({ state: "suspended", environments: ["staging"] });
    expect((await h.admin(t.keys.developer, "POST", "/agents/narrowed/resume", {})).body).toMatchObject({ state: "active", environments: ["staging"] });
  });

  it("retirement cancels the agent's pending change requests and keeps its history", async () => {
    await createAgent("retiree");
    const submitted = await h.admin(t.keys.developer, "POST", "/agents/retiree/submit", {});
    const retired = await h.admin(t.keys.admin, "POST", "/agents/retiree/retire", { reason: "project cancelled" });
    expect(retired.status).toBe(200);
    const cr = await h.admin(t.keys.viewer, "GET", `/change-requests/${submitted.body.changeRequest.id}`);
    expect(cr.body.status).toBe("cancelled");
    expect(cr.body.outcome).toMatch(/retired/);
    const events = await h.admin(t.keys.auditor, "GET", "/events?action=agent.retire");
    const event = events.body.items.find((e: any) => e.resource.name === "retiree");
    expect(event.payload.revoked).toMatchObject({ change_requests: 1 });
    // Approving the cancelled request changes nothing.
    const late = await h.admin(t.keys.approver, "POST", `/change-requests/${submitted.body.changeRequest.id}/approve`, { justification: "late" });
    expect(late.status).toBe(409);
    expect((await state("retiree")).state).toBe("retired");
  });
});
