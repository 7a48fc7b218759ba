import type { ActionContext, Recorder } from "../audit/recorder.js";
import { actorLabel } from "../audit/actor.js";
import type { RegistryRecord } from "../registry/registry.js";
import type { Db, Executor } from "../store/database.js";
import { conflict, invalid } from "../shared/errors.js";
import { canonicalJson, parseJson } from "../shared/json.js";
import type { Tenants } from "../tenancy/tenants.js";
import { transition, type AgentState, type LifecycleEvent, type LifecycleState } from "./agent-states.js";
import type { Revocation } from "./revocation.js";

export interface AgentStatus extends LifecycleState {
  reason: string | null;
  updatedAt: number;
  updatedBy: string;
}

/** Persists agent lifecycle state and applies transitions, each one recorded. */
export class AgentLifecycle {
  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly tenants: Tenants,
    private readonly revocation: Revocation,
  ) {}

  async status(agent: RegistryRecord<"agent">, executor: Executor = this.db): Promise<AgentStatus> {
    const row = await executor.selectFrom("agent_lifecycle").selectAll().where("agent_id", "=", agent.id).executeTakeFirst();
    if (!row) return { state: "draft", environments: [], reason: null, updatedAt: agent.createdAt, updatedBy: agent.createdBy };
    return {
      state: row.state as AgentState,
      environments: parseJson<string[]>(row.environments),
      reason: row.reason,
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  }

  async statuses(tenantId: string, executor: Executor = this.db): Promise<Map<string, AgentStatus>> {
    const rows = await executor.selectFrom("agent_lifecycle").selectAll().where("tenant_id", "=", tenantId).execute();
    return new Map(
      rows.map((row) => [
        row.agent_id,
        {
          state: row.state as AgentState,
          environments: parseJson<string[]>(row.environments),
          reason: row.reason,
          updatedAt: row.updated_at,
          updatedBy: row.updated_by,
        },
      ]),
    );
  }

  /** Checks that a transition is legal now, without applying it (409 with the reason if not). */
  async check(executor: Executor, agent: RegistryRecord<"agent">, event: LifecycleEvent): Promise<LifecycleState> {
    const current = await this.status(agent, executor);
    const result = transition(current, event);
    if (!result.ok) throw conflict(`agent '${agent.name}': ${result.reason}`);
    if (event.type === "activate") {
      if (!agent.spec.environments.includes(event.environment)) {
        throw invalid(
          "environment",
          `environment: agent '${agent.name}' may only run in ${agent.spec.environments.join(", ")}`,
        );
      }
      await this.tenants.environment(agent.tenantId, event.environment, executor);
    }
    return result.next;
  }

  async apply(
    executor: Executor,
    ctx: ActionContext,
    agent: RegistryRecord<"agent">,
    event: LifecycleEvent,
    details: { reason?: string | null; changeRequestId?: string | null } = {},
  ): Promise<AgentStatus> {
    const before = await this.status(agent, executor);
    const next = await this.check(executor, agent, event);
    const revoked = event.type === "retire" ? await this.revocation.revokeAgent(executor, ctx, agent) : undefined;
    const status: AgentStatus = {
      ...next,
      reason: details.reason ?? null,
      updatedAt: Date.now(),
      updatedBy: actorLabel(ctx.actor),
    };
    const values = {
      state: status.state,
      environments: canonicalJson(status.environments),
      reason: status.reason,
      updated_at: status.updatedAt,
      updated_by: status.updatedBy,
    };
    const updated = await executor.updateTable("agent_lifecycle").set(values).where("agent_id", "=", agent.id).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      await executor
        .insertInto("agent_lifecycle")
        .values({ agent_id: agent.id, tenant_id: agent.tenantId, ...values })
        .execute();
    }
    await this.recorder.record(executor, ctx, {
      action: `agent.${event.type}`,
      resource: { kind: "agent", id: agent.id, name: agent.name },
      decision: { outcome: "allowed" },
      payload: {
        before: { state: before.state, environments: before.environments },
        after: { state: status.state, environments: status.environments },
        event,
        justification: details.reason ?? null,
        changeRequestId: details.changeRequestId ?? null,
        revoked,
      },
    });
    return status;
  }
}
