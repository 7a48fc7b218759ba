import type { ActionContext } from "../audit/recorder.js";
import type { ChangeControl, ProposalOutcome } from "../approvals/change-control.js";
import type { Registry } from "../registry/registry.js";
import type { Executor } from "../store/database.js";
import type { AgentLifecycle, AgentStatus } from "./agent-lifecycle.js";
import type { LifecycleEvent } from "./agent-states.js";

/**
 * What operators do to agents. Submitting for approval and activating in production go
 * through change control; suspending, resuming, deactivating and retiring act at once,
 * because they only ever take power away.
 */
export class AgentOperations {
  constructor(
    private readonly registry: Registry,
    private readonly lifecycle: AgentLifecycle,
    private readonly changes: ChangeControl,
  ) {}

  /** draft → pending_approval, with a change request carrying the agent's full definition. */
  async submit(executor: Executor, ctx: ActionContext, tenantId: string, name: string, justification: string | null): Promise<ProposalOutcome> {
    const agent = await this.registry.get(tenantId, "agent", name, executor);
    await this.lifecycle.apply(executor, ctx, agent, { type: "submit" }, { reason: justification });
    return this.changes.propose(executor, ctx, tenantId, { action: "agent.approve", name }, justification);
  }

  async activate(
    executor: Executor,
    ctx: ActionContext,
    tenantId: string,
    name: string,
    environment: string,
    justification: string | null,
  ): Promise<ProposalOutcome> {
    return this.changes.propose(executor, ctx, tenantId, { action: "agent.activate", name, environment }, justification);
  }

  async act(
    executor: Executor,
    ctx: ActionContext,
    tenantId: string,
    name: string,
    event: Extract<LifecycleEvent, { type: "deactivate" | "suspend" | "resume" | "retire" }>,
    reason: string | null,
  ): Promise<AgentStatus> {
    const agent = await this.registry.get(tenantId, "agent", name, executor);
    return this.lifecycle.apply(executor, ctx, agent, event, { reason });
  }
}
