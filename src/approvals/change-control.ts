import { actionContext, type ActionContext, type Recorder } from "../audit/recorder.js";
import { actorLabel, systemActor } from "../audit/actor.js";
import type { AgentLifecycle } from "../lifecycle/agent-lifecycle.js";
import type { Revoker } from "../lifecycle/revocation.js";
import { diffValues, type FieldChange } from "../registry/diff.js";
import { contentOf, normaliseSpec, validateIdentity, type Registry, type RegistryRecord } from "../registry/registry.js";
import type { Db, Executor } from "../store/database.js";
import { conflict, forbidden, GatehouseError } from "../shared/errors.js";
import { jsonEqual } from "../shared/json.js";
import type { Principal } from "../tenancy/principals.js";
import type { Tenant, Tenants } from "../tenancy/tenants.js";
import { tenantSettingsSchema, type TenantSettings } from "../tenancy/settings.js";
import { parseInput } from "../shared/validation.js";
import type { FixtureReport } from "../policy/policy-fixtures.js";
import { requirementFor, type Requirement } from "./approval-rules.js";
import type { ChangeRequest, ChangeRequests, ChangeStatus } from "./change-requests.js";
import { fixtureRefusal, PolicyFixtureCheck, touchesPolicies } from "./policy-fixture-check.js";
import { proposalTarget, type Proposal } from "./proposals.js";

export type Assessment =
  | { unchanged: true; live: RegistryRecord | undefined }
  | {
      unchanged: false;
      live: RegistryRecord | undefined;
      proposal: Proposal;
      requirement: Requirement;
      diff: FieldChange[];
      /** For a change to a policy or the policy fixtures: how the tenant's fixtures fare with it. */
      fixtures?: FixtureReport;
      tenant: Tenant;
    };

export type ProposalOutcome =
  | { status: "applied" }
  | { status: "unchanged" }
  | { status: "pending"; changeRequest: ChangeRequest };

/**
 * The approval workflow: every governed change is proposed here. A change that needs no
 * approval is applied at once; any other becomes a change request that applies itself once
 * enough approvers other than the requester have approved it (the two-person rule), and
 * changes nothing if it is rejected, cancelled or expires. A change request about policies
 * shows how the tenant's policy fixtures fare with it, and a policy change that makes a
 * fixture fail that passes without it cannot be approved.
 */
export class ChangeControl {
  private readonly fixtureCheck: PolicyFixtureCheck;

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly tenants: Tenants,
    private readonly registry: Registry,
    private readonly lifecycle: AgentLifecycle,
    private readonly requests: ChangeRequests,
  ) {
    this.fixtureCheck = new PolicyFixtureCheck(registry);
  }

  /** Validates a proposal against the live state and says what applying it would need. */
  async assess(executor: Executor, tenantId: string, proposal: Proposal): Promise<Assessment> {
    const tenant = await this.tenants.get(tenantId, executor);
    const environments = await this.tenants.environments(tenantId, executor);
    const target = proposalTarget(proposal);
    const current = await this.registry.find(tenantId, target.kind as RegistryRecord["kind"], target.name, executor);
    const live = current && !current.deleted ? current : undefined;
    const agentState = live?.kind === "agent" ? (await this.lifecycle.status(live as RegistryRecord<"agent">, executor)).state : undefined;
    const prepared = await this.prepare(executor, proposal, tenant, live, agentState);
    if (prepared === "unchanged") return { unchanged: true, live };
    const requirement = requirementFor(prepared, { settings: tenant.settings, environments, current: live, agentState });
    const fixtures = touchesPolicies(prepared) ? await this.fixtureCheck.run(executor, tenantId, prepared) : undefined;
    return { unchanged: false, live, proposal: prepared, requirement, diff: await this.diffOf(executor, prepared, tenant, live), ...(fixtures ? { fixtures } : {}), tenant };
  }

  async propose(
    executor: Executor,
    ctx: ActionContext,
    tenantId: string,
    proposal: Proposal,
    justification: string | null = null,
  ): Promise<ProposalOutcome> {
    const assessment = await this.assess(executor, tenantId, proposal);
    if (assessment.unchanged) return { status: "unchanged" };
    const { live, requirement, tenant } = assessment;
    const prepared = assessment.proposal;
    const target = proposalTarget(prepared);
    if (requirement.approvals === 0) {
      // Policy changes always need approval (approvals.required is at least 1); should that change, the fixtures still gate them.
      const refusal = touchesPolicies(prepared) && prepared.kind === "policy" && assessment.fixtures ? fixtureRefusal(assessment.fixtures) : undefined;
      if (refusal) throw conflict(`the change cannot be applied: ${refusal}`);
      await this.apply(executor, ctx, tenantId, prepared, null, justification);
      return { status: "applied" };
    }

    const now = Date.now();
    const duplicate = (await this.pendingFor(executor, tenantId, prepared, now))[0];
    if (duplicate) return { status: "pending", changeRequest: duplicate };

    const changeRequest = await this.requests.create(executor, tenantId, {
      proposal: prepared,
      target,
      baseVersion: live?.version ?? 0,
      diff: assessment.diff,
      requestedBy: actorLabel(ctx.actor),
      requesterId: ctx.actor.id,
      justification,
      requiredApprovals: requirement.approvals,
      reasons: requirement.reasons,
      ...(assessment.fixtures ? { fixtures: assessment.fixtures } : {}),
      createdAt: now,
      expiresAt: now + tenant.settings.approvals.expiresAfterHours * 3_600_000,
    });
    await this.recorder.record(executor, ctx, {
      action: "change_request.create",
      resource: { kind: "change_request", id: changeRequest.id, name: `${target.kind}/${target.name}` },
      decision: { outcome: "allowed", reasons: requirement.reasons },
      payload: { proposal: prepared, diff: changeRequest.diff, requiredApprovals: requirement.approvals, justification, ...(assessment.fixtures ? { fixtures: assessment.fixtures } : {}) },
    });
    return { status: "pending", changeRequest };
  }

  async review(
    ctx: ActionContext,
    tenantId: string,
    id: string,
    reviewer: Principal,
    decision: "approve" | "reject",
    justification: string,
  ): Promise<ChangeRequest> {
    await this.expireDue(ctx, tenantId);
    let stale: string | null = null;
    const result = await this.db.transaction().execute(async (trx) => {
      const cr = await this.requests.get(tenantId, id, trx, true);
      if (cr.status !== "pending") throw conflict(`change request ${id} is ${cr.status}, not pending`);
      if (reviewer.id === cr.requesterId) {
        throw forbidden("two-person rule: a change request must be reviewed by someone other than its requester");
      }
      if (reviewer.kind !== "user") throw forbidden("change requests are reviewed by people, not service accounts");
      if (cr.reviews.some((r) => r.reviewerId === reviewer.id)) throw conflict(`${reviewer.name} has already reviewed ${id}`);
      if (decision === "approve" && touchesPolicies(cr.proposal) && cr.proposal.kind === "policy") {
        // Against the fixtures and policies as they are now, not as they were when the request was made.
        const refusal = fixtureRefusal(await this.fixtureCheck.run(trx, tenantId, cr.proposal));
        if (refusal) throw conflict(`change request ${id} cannot be approved: ${refusal}`);
      }
      await this.requests.addReview(trx, id, { reviewerId: reviewer.id, reviewer: reviewer.name, decision, justification, at: Date.now() });
      await this.recorder.record(trx, ctx, {
        action: `change_request.${decision}`,
        resource: { kind: "change_request", id, name: `${cr.target.kind}/${cr.target.name}` },
        decision: { outcome: "allowed" },
        payload: { justification },
      });
      if (decision === "reject") {
        await this.close(trx, ctx, cr, "rejected", `rejected by ${reviewer.name}: ${justification}`);
      } else if (cr.reviews.filter((r) => r.decision === "approve").length + 1 >= cr.requiredApprovals) {
        try {
          await this.apply(trx, ctx, tenantId, cr.proposal, cr);
          await this.requests.close(trx, id, "applied", null);
        } catch (error) {
          if (!(error instanceof GatehouseError) || error.code === "unavailable") throw error;
          stale = error.message;
          await this.close(trx, ctx, cr, "stale", `could not be applied: ${error.message}`);
        }
      }
      return this.requests.get(tenantId, id, trx);
    });
    if (stale) throw conflict(`change request ${id} was approved but could not be applied and is now stale: ${stale}`);
    return result;
  }

  async cancel(ctx: ActionContext, tenantId: string, id: string, canCancelOthers: boolean): Promise<ChangeRequest> {
    return this.db.transaction().execute(async (trx) => {
      const cr = await this.requests.get(tenantId, id, trx, true);
      if (cr.status !== "pending") throw conflict(`change request ${id} is ${cr.status}, not pending`);
      if (cr.requesterId !== ctx.actor.id && !canCancelOthers) throw forbidden("only the requester or an admin can cancel a change request");
      await this.close(trx, ctx, cr, "cancelled", `cancelled by ${ctx.actor.name}`);
      return this.requests.get(tenantId, id, trx);
    });
  }

  async list(ctx: ActionContext, tenantId: string, status?: ChangeStatus): Promise<ChangeRequest[]> {
    await this.expireDue(ctx, tenantId);
    return this.requests.list(tenantId, { status });
  }

  /** A request; a pending one about policies shows its fixtures run again against the tenant's records as they are now. */
  async get(ctx: ActionContext, tenantId: string, id: string): Promise<ChangeRequest> {
    await this.expireDue(ctx, tenantId);
    const cr = await this.requests.get(tenantId, id);
    if (cr.status !== "pending" || !touchesPolicies(cr.proposal)) return cr;
    return { ...cr, fixtures: await this.fixtureCheck.run(this.db, tenantId, cr.proposal) };
  }

  /** Live pending requests carrying exactly this proposal (an expired one is never reused). */
  async pendingFor(executor: Executor, tenantId: string, proposal: Proposal, now = Date.now()): Promise<ChangeRequest[]> {
    const target = proposalTarget(proposal);
    const pending = await this.requests.list(tenantId, { status: "pending", targetKind: target.kind, targetName: target.name }, executor);
    return pending.filter((cr) => cr.expiresAt > now && jsonEqual(cr.proposal, proposal));
  }

  /** Closes every pending request whose time is up; expiry is recorded as Gatehouse's own act. */
  async expireDue(ctx: ActionContext, tenantId: string): Promise<void> {
    const due = await this.requests.dueForExpiry(this.db, tenantId, Date.now());
    if (due.length === 0) return;
    const expiry = actionContext(systemActor("expiry", tenantId), ctx.requestId);
    await this.db.transaction().execute(async (trx) => {
      for (const id of due) {
        const cr = await this.requests.get(tenantId, id, trx, true);
        if (cr.status === "pending") await this.close(trx, expiry, cr, "expired", `expired at ${new Date(cr.expiresAt).toISOString()}`);
      }
    });
  }

  /** Retiring an agent cancels every change still pending for it. */
  revoker(): Revoker {
    return {
      name: "change_requests",
      revokeAll: async (executor, ctx, agent) => {
        const pending = await this.requests.list(agent.tenantId, { status: "pending", targetKind: "agent", targetName: agent.name }, executor);
        for (const cr of pending) {
          await this.requests.close(executor, cr.id, "cancelled", "the agent was retired");
          await this.recordClosure(executor, ctx, cr, "cancelled", "the agent was retired");
        }
        return pending.length;
      },
    };
  }

  private async close(executor: Executor, ctx: ActionContext, cr: ChangeRequest, status: Exclude<ChangeStatus, "pending" | "applied">, outcome: string) {
    await this.requests.close(executor, cr.id, status, outcome);
    await this.recordClosure(executor, ctx, cr, status, outcome);
    // A new agent whose approval did not go through goes back to draft.
    if (cr.proposal.action === "agent.approve") {
      const agent = await this.registry.find(cr.tenantId, "agent", cr.proposal.name, executor);
      if (agent && !agent.deleted && (await this.lifecycle.status(agent, executor)).state === "pending_approval") {
        await this.lifecycle.apply(executor, ctx, agent, { type: "withdraw" }, { reason: outcome, changeRequestId: cr.id });
      }
    }
  }

  private async recordClosure(executor: Executor, ctx: ActionContext, cr: ChangeRequest, status: ChangeStatus, outcome: string) {
    await this.recorder.record(executor, ctx, {
      action: `change_request.${status}`,
      resource: { kind: "change_request", id: cr.id, name: `${cr.target.kind}/${cr.target.name}` },
      decision: { outcome: "allowed", reasons: [outcome] },
    });
  }

  /** Validates a proposal against the current state and normalises it, or reports that it changes nothing. */
  private async prepare(
    executor: Executor,
    proposal: Proposal,
    tenant: Tenant,
    live: RegistryRecord | undefined,
    agentState: string | undefined,
  ): Promise<Proposal | "unchanged"> {
    const agentName = `agent '${"name" in proposal ? proposal.name : ""}'`;
    switch (proposal.action) {
      case "record.put": {
        const { name, owner } = validateIdentity(proposal.name, proposal.owner);
        const spec = normaliseSpec(proposal.kind, proposal.spec);
        if (live && live.owner === owner && jsonEqual(live.spec, spec)) return "unchanged";
        if (agentState === "pending_approval") throw conflict(`${agentName} is pending approval; cancel its change request to edit it`);
        if (agentState === "retired") throw conflict(`${agentName} is retired and cannot change`);
        return { ...proposal, name, owner, spec };
      }
      case "record.delete":
        if (!live) throw new GatehouseError("not_found", `${proposal.kind.replace("_", " ")} '${proposal.name}' not found`);
        if (proposal.kind === "agent") throw conflict("agents are retired, not deleted: POST /admin/v1/agents/{name}/retire");
        return proposal;
      case "agent.approve":
        if (!live) throw new GatehouseError("not_found", `${agentName} not found`);
        if (agentState !== "pending_approval") throw conflict(`${agentName} is ${agentState}; only agents pending approval are approved`);
        return proposal;
      case "agent.activate": {
        if (!live) throw new GatehouseError("not_found", `${agentName} not found`);
        await this.lifecycle.check(executor, live as RegistryRecord<"agent">, { type: "activate", environment: proposal.environment });
        return proposal;
      }
      case "tenant.settings": {
        const settings = parseInput(tenantSettingsSchema, proposal.settings);
        return jsonEqual(settings, tenant.settings) ? "unchanged" : { ...proposal, settings };
      }
    }
  }

  private async diffOf(executor: Executor, proposal: Proposal, tenant: Tenant, live: RegistryRecord | undefined): Promise<FieldChange[]> {
    switch (proposal.action) {
      case "record.put":
        return diffValues(contentOf(live), { owner: proposal.owner, spec: proposal.spec });
      case "record.delete":
        return diffValues(contentOf(live), undefined);
      case "agent.approve":
        return diffValues(undefined, contentOf(live));
      case "agent.activate": {
        const status = await this.lifecycle.status(live as RegistryRecord<"agent">, executor);
        return diffValues(
          { environments: status.environments },
          { environments: [...status.environments, proposal.environment].sort() },
        );
      }
      case "tenant.settings":
        return diffValues({ settings: tenant.settings }, { settings: proposal.settings });
    }
  }

  /** An agent narrowed to fewer environments stops running in the ones it lost. */
  private async withdrawDisallowedEnvironments(executor: Executor, ctx: ActionContext, agent: RegistryRecord<"agent">) {
    const status = await this.lifecycle.status(agent, executor);
    if (status.state !== "active" && status.state !== "suspended") return;
    for (const environment of status.environments.filter((e) => !agent.spec.environments.includes(e))) {
      await this.lifecycle.apply(executor, ctx, agent, { type: "disallow", environment }, { reason: "no longer an allowed environment" });
    }
  }

  private async apply(
    executor: Executor,
    ctx: ActionContext,
    tenantId: string,
    proposal: Proposal,
    cr: ChangeRequest | null,
    justification: string | null = null,
  ) {
    const via = { changeRequestId: cr?.id ?? null, justification: cr ? cr.justification : justification };
    const expectedVersion = cr?.baseVersion ?? undefined;
    switch (proposal.action) {
      case "record.put": {
        const record = await this.registry.write(executor, ctx, { tenantId, ...proposal, expectedVersion, ...via });
        if (record.kind === "agent") await this.withdrawDisallowedEnvironments(executor, ctx, record as RegistryRecord<"agent">);
        return;
      }
      case "record.delete":
        await this.registry.remove(executor, ctx, { tenantId, kind: proposal.kind, name: proposal.name, expectedVersion, ...via });
        return;
      case "agent.approve":
      case "agent.activate": {
        const agent = await this.registry.get(tenantId, "agent", proposal.name, executor);
        if (expectedVersion !== undefined && agent.version !== expectedVersion) {
          throw conflict(`agent '${agent.name}' changed since the request (version ${expectedVersion}, now ${agent.version})`);
        }
        const event = proposal.action === "agent.approve" ? { type: "approve" as const } : { type: "activate" as const, environment: proposal.environment };
        await this.lifecycle.apply(executor, ctx, agent, event, { reason: via.justification, changeRequestId: via.changeRequestId });
        return;
      }
      case "tenant.settings":
        await this.tenants.updateSettings(executor, ctx, tenantId, proposal.settings as TenantSettings);
        return;
    }
  }
}

