import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { ActionContext, Recorder } from "../../audit/recorder.js";
import { actorLabel } from "../../audit/actor.js";
import type { AgentSpec } from "../../registry/kinds.js";
import type { Registry, RegistryRecord } from "../../registry/registry.js";
import { CompiledOnce } from "../../store/compiled-once.js";
import type { Db, Executor } from "../../store/database.js";
import type { AgentGrantTable } from "../../store/schema.js";
import { conflict, forbidden, GatehouseError, notFound } from "../../shared/errors.js";
import type { AgentIdentity } from "../identity/agent-identity.js";
import type { Task, TaskEndHook, Tasks } from "../tasks/tasks.js";
import type { GrantDecider, GrantVerdict } from "./grant-decider.js";
import { scopeCovers, type GrantAction, type GrantRequest, type GrantResourceKind, type GrantScope } from "./scope.js";

export const grantStatuses = ["pending", "active", "expired", "denied", "revoked", "ended"] as const;
export type GrantStatus = (typeof grantStatuses)[number];

export interface Grant {
  id: string;
  tenantId: string;
  taskId: string;
  agent: { id: string; name: string };
  resource: { kind: GrantResourceKind; name: string };
  actions: GrantAction[];
  scope: GrantScope;
  ttlSeconds: number;
  /** active until expiresAt; expired once it passes; pending while a person decides. */
  status: GrantStatus;
  decision: { outcome: "approved" | "denied" | "escalated"; reasons: string[]; policies: string[]; by: string | null };
  requestedAt: number;
  decidedAt: number | null;
  expiresAt: number | null;
  endedAt: number | null;
  endReason: string | null;
}

/** A tool as the grant check needs it: its name and its side effect. */
export interface ToolRef {
  name: string;
  sideEffect: "read" | "write" | "egress";
}

export type GrantCoverage = { covered: true; grant: Grant } | { covered: false; reason: string };

export const reviewBody = z.object({ justification: z.string().trim().min(1).max(4000) }).strict();
export const revokeBody = z.object({ reason: z.string().trim().min(1).max(4000).optional() }).strict();

interface StoredDecision {
  outcome: Grant["decision"]["outcome"];
  reasons: string[];
  policies: string[];
  by: string | null;
}

function toGrant(row: AgentGrantTable, now: number): Grant {
  const stored = row.status as Exclude<GrantStatus, "expired">;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    taskId: row.task_id,
    agent: { id: row.agent_id, name: row.agent_name },
    resource: { kind: row.resource_kind as GrantResourceKind, name: row.resource_name },
    actions: JSON.parse(row.actions) as GrantAction[],
    scope: JSON.parse(row.scope) as GrantScope,
    ttlSeconds: row.ttl_seconds,
    status: stored === "active" && (row.expires_at ?? 0) <= now ? "expired" : stored,
    decision: JSON.parse(row.decision) as StoredDecision,
    requestedAt: row.requested_at,
    decidedAt: row.decided_at,
    expiresAt: row.expires_at,
    endedAt: row.ended_at,
    endReason: row.end_reason,
  };
}

const capabilityOf = (spec: AgentSpec, kind: GrantResourceKind): string[] => (kind === "tool" ? spec.capabilities.tools : spec.capabilities.dataSources);

/**
 * Just-in-time grants: inside an open task an agent asks for a tool or data source, some
 * actions, a scope and a lifetime (at most 5 minutes). The agent's registered capabilities are
 * the upper bound; within them Cedar approves at once, denies, or sends the request to a person
 * (the approvals queue). A grant lives until it expires, is revoked, or its task ends, and
 * liveGrantCovering reads the store on every check, so each of those takes effect at once.
 */
export class Grants implements TaskEndHook {
  readonly name = "grants";

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly registry: Registry,
    private readonly tasks: Tasks,
    private readonly decider: GrantDecider,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Decides a request and stores the grant, whatever the outcome (active, pending or denied). */
  async request(ctx: ActionContext, agent: AgentIdentity, taskId: string, request: GrantRequest): Promise<Grant> {
    const task = await this.tasks.requireOpen(agent, taskId);
    const { kind, name } = request.resource;
    const refuse = async (message: string, error: GatehouseError) => {
      await this.recorder.record(this.db, ctx, {
        action: "grant.request",
        resource: { kind, name },
        decision: { outcome: "refused", reasons: [message] },
        context: { taskId: task.id, environment: agent.environment },
        payload: { request },
      });
      throw error;
    };
    const label = kind === "tool" ? "tool" : "data source";
    if (!capabilityOf(agent.spec, kind).includes(name)) {
      const message = `${label} '${name}' is not among agent '${agent.name}''s capabilities, the upper bound of its grants`;
      return refuse(message, forbidden(message));
    }
    const resource = await this.registry.find(agent.tenantId, kind, name);
    if (!resource || resource.deleted) return refuse(`${label} '${name}' is not registered`, notFound(`${label} '${name}'`));
    if (resource.kind === "tool" && request.scope.readOnly && (resource as RegistryRecord<"tool">).spec.sideEffect !== "read") {
      const message = `scope.readOnly: tool '${name}' has side effect ${(resource as RegistryRecord<"tool">).spec.sideEffect}; a read-only grant would cover none of its calls`;
      return refuse(message, new GatehouseError("invalid_request", message, "scope.readOnly"));
    }

    let verdict: GrantVerdict;
    try {
      verdict = await this.decider.decide(agent, task, request, resource as RegistryRecord<"tool"> | RegistryRecord<"data_source">, await this.held(task.id));
    } catch (error) {
      // Fail closed: no decision is no grant.
      return refuse("the policy decision is unavailable", new GatehouseError("unavailable", "the policy decision is unavailable; no grant was made", undefined, { cause: error }));
    }

    const now = this.clock();
    const status = verdict.outcome === "approve" ? "active" : verdict.outcome === "escalate" ? "pending" : "denied";
    const decision: StoredDecision = {
      outcome: verdict.outcome === "approve" ? "approved" : verdict.outcome === "escalate" ? "escalated" : "denied",
      reasons: verdict.reasons,
      policies: verdict.policies,
      by: verdict.outcome === "escalate" ? null : "policy",
    };
    const row: AgentGrantTable = {
      id: randomUUID(),
      tenant_id: agent.tenantId,
      task_id: task.id,
      agent_id: agent.agentId,
      agent_name: agent.name,
      resource_kind: kind,
      resource_name: name,
      actions: JSON.stringify(request.actions),
      scope: JSON.stringify(request.scope),
      ttl_seconds: request.ttlSeconds,
      status,
      decision: JSON.stringify(decision),
      requested_at: now,
      decided_at: status === "pending" ? null : now,
      expires_at: status === "active" ? now + request.ttlSeconds * 1000 : null,
      ended_at: null,
      end_reason: null,
    };
    await this.db.transaction().execute(async (trx) => {
      // The task may have ended since it was read; a grant never outlives it.
      await this.tasks.requireOpen(agent, task.id, trx);
      await trx.insertInto("agent_grants").values(row).execute();
      await this.recorder.record(trx, ctx, {
        action: "grant.request",
        resource: { kind: "grant", id: row.id, name: `${kind}:${name}` },
        decision: { outcome: status === "denied" ? "refused" : "allowed", reasons: verdict.reasons },
        context: { taskId: task.id, environment: agent.environment },
        payload: { request, status, policies: verdict.policies, expiresAt: row.expires_at },
      });
    });
    return toGrant(row, now);
  }

  /** A person approves or denies a grant that policy sent to them. */
  async review(executor: Executor, ctx: ActionContext, tenantId: string, id: string, verdict: "approve" | "deny", justification: string): Promise<Grant> {
    const row = await this.find(executor, tenantId, id);
    if (row.status !== "pending") throw conflict(`grant '${id}' is not waiting for a person (it is ${toGrant(row, this.clock()).status})`);
    const now = this.clock();
    const reviewer = actorLabel(ctx.actor);
    const decision: StoredDecision = {
      ...(JSON.parse(row.decision) as StoredDecision),
      outcome: verdict === "approve" ? "approved" : "denied",
      by: reviewer,
    };
    decision.reasons = [...decision.reasons, `${verdict === "approve" ? "approved" : "denied"} by ${reviewer}: ${justification}`];
    const next: AgentGrantTable = {
      ...row,
      status: verdict === "approve" ? "active" : "denied",
      decision: JSON.stringify(decision),
      decided_at: now,
      expires_at: verdict === "approve" ? now + row.ttl_seconds * 1000 : null,
    };
    const updated = await executor
      .updateTable("agent_grants")
      .set({ status: next.status, decision: next.decision, decided_at: now, expires_at: next.expires_at })
      .where("id", "=", id)
      .where("status", "=", "pending")
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw conflict(`grant '${id}' was decided or ended meanwhile`);
    await executor
      .insertInto("agent_grant_reviews")
      .values({ id: randomUUID(), grant_id: id, tenant_id: tenantId, reviewer_id: ctx.actor.id, reviewer, decision: verdict, justification, created_at: now })
      .execute();
    await this.recorder.record(executor, ctx, {
      action: `grant.${verdict}`,
      resource: { kind: "grant", id, name: `${row.resource_kind}:${row.resource_name}` },
      decision: { outcome: "allowed", reasons: [justification] },
      context: { taskId: row.task_id },
      payload: { agent: row.agent_name, status: next.status, expiresAt: next.expires_at, justification },
    });
    return toGrant(next, now);
  }

  /** Revokes a live or pending grant, by its agent (agentId given) or by a person of its tenant. */
  async revoke(executor: Executor, ctx: ActionContext, tenantId: string, id: string, reason: string, agentId?: string): Promise<Grant> {
    const row = await this.find(executor, tenantId, id, agentId);
    const now = this.clock();
    const current = toGrant(row, now);
    if (current.status !== "active" && current.status !== "pending") throw conflict(`grant '${id}' has already ended (${current.status})`);
    const updated = await executor
      .updateTable("agent_grants")
      .set({ status: "revoked", ended_at: now, end_reason: reason })
      .where("id", "=", id)
      .where("status", "in", ["active", "pending"])
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw conflict(`grant '${id}' has already ended`);
    await this.recorder.record(executor, ctx, {
      action: "grant.revoke",
      resource: { kind: "grant", id, name: `${row.resource_kind}:${row.resource_name}` },
      decision: { outcome: "allowed", reasons: [reason] },
      context: { taskId: row.task_id },
      payload: { agent: row.agent_name, before: current.status },
    });
    return toGrant({ ...row, status: "revoked", ended_at: now, end_reason: reason }, now);
  }

  /** One of the agent's own grants (another's is not found). */
  async get(agent: Pick<AgentIdentity, "tenantId" | "agentId">, id: string): Promise<Grant> {
    return toGrant(await this.find(this.db, agent.tenantId, id, agent.agentId), this.clock());
  }

  async forTask(taskId: string): Promise<Grant[]> {
    const rows = await this.db.selectFrom("agent_grants").selectAll().where("task_id", "=", taskId).orderBy("requested_at").execute();
    const now = this.clock();
    return rows.map((r) => toGrant(r, now));
  }

  /** A tenant's grants by status (the approvals queue is status pending), oldest first. */
  async list(tenantId: string, status: GrantStatus, limit = 500): Promise<Grant[]> {
    const now = this.clock();
    let query = this.db.selectFrom("agent_grants").selectAll().where("tenant_id", "=", tenantId);
    if (status === "active") query = query.where("status", "=", "active").where("expires_at", ">", now);
    else if (status === "expired") query = query.where("status", "=", "active").where("expires_at", "<=", now);
    else query = query.where("status", "=", status);
    const rows = await query.orderBy("requested_at").limit(limit).execute();
    return rows.map((r) => toGrant(r, now));
  }

  /**
   * The check tool mediation calls before a tool runs: a live grant of this task for this tool
   * whose scope covers these arguments. Live means approved, not expired, revoked or ended, its
   * task open, its agent active, and the tool still among the agent's capabilities (read now,
   * not when the grant was made). Reads the store every time: expiry and revocation take
   * effect on the next call. When nothing covers the call, says why.
   */
  async liveGrantCovering(task: { tenantId: string; id: string }, tool: ToolRef, args: unknown): Promise<GrantCoverage> {
    const now = this.clock();
    const { rows } = await liveToolGrants.execute(this.db, { taskId: task.id, tenantId: task.tenantId, tool: tool.name, now });
    if (rows.length === 0) return { covered: false, reason: `no live grant for tool '${tool.name}' in task '${task.id}'` };
    const first = rows[0];
    if (first && first.agent_state !== "active") return { covered: false, reason: `agent '${first.agent_name}' is ${first.agent_state ?? "draft"}` };
    if (first && !capabilityOf(JSON.parse(first.agent_spec) as AgentSpec, "tool").includes(tool.name)) {
      return { covered: false, reason: `tool '${tool.name}' is no longer among agent '${first.agent_name}''s capabilities` };
    }
    let reason = "";
    for (const row of rows) {
      const grant = toGrant(row, now);
      if (!grant.actions.includes("call")) continue;
      const coverage = scopeCovers(grant.scope, { sideEffect: tool.sideEffect, arguments: args });
      if (coverage.covered) return { covered: true, grant };
      reason ||= `grant '${grant.id}' does not cover the call: ${coverage.reason}`;
    }
    return { covered: false, reason: reason || `no live grant allows calling tool '${tool.name}'` };
  }

  /** Task end: its live and pending grants end with it, in the ending transaction. */
  async taskEnded(executor: Executor, task: Task, reason: string): Promise<number> {
    const now = this.clock();
    const result = await executor
      .updateTable("agent_grants")
      .set({ status: "ended", ended_at: now, end_reason: `the task ended: ${reason}` })
      .where("task_id", "=", task.id)
      .where((eb) => eb.or([eb("status", "=", "pending"), eb.and([eb("status", "=", "active"), eb("expires_at", ">", now)])]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** The resources the task holds live grants for ("tool:name", "data_source:name"), for the policy context. */
  private async held(taskId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom("agent_grants")
      .select(["resource_kind", "resource_name"])
      .where("task_id", "=", taskId)
      .where("status", "=", "active")
      .where("expires_at", ">", this.clock())
      .execute();
    return [...new Set(rows.map((r) => `${r.resource_kind}:${r.resource_name}`))].sort();
  }

  private async find(executor: Executor, tenantId: string, id: string, agentId?: string): Promise<AgentGrantTable> {
    let query = executor.selectFrom("agent_grants").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
    if (agentId !== undefined) query = query.where("agent_id", "=", agentId);
    const row = await query.executeTakeFirst();
    if (!row) throw notFound(`grant '${id}'`);
    return row;
  }
}

/** A task's live grants for one tool, with what the check needs of its agent. Every tool call runs it. */
const liveToolGrants = new CompiledOnce(["taskId", "tenantId", "tool", "now"], (db, v: { taskId: string; tenantId: string; tool: string; now: number }) =>
  db
    .selectFrom("agent_grants as g")
    .innerJoin("agent_tasks as t", "t.id", "g.task_id")
    .innerJoin("registry_records as r", "r.id", "g.agent_id")
    .leftJoin("agent_lifecycle as l", "l.agent_id", "g.agent_id")
    .selectAll("g")
    .select(["r.spec as agent_spec", "l.state as agent_state"])
    .where("g.task_id", "=", v.taskId)
    .where("g.tenant_id", "=", v.tenantId)
    .where("g.resource_kind", "=", "tool")
    .where("g.resource_name", "=", v.tool)
    .where("g.status", "=", "active")
    .where("g.expires_at", ">", v.now)
    .where("t.status", "=", "open"),
);
