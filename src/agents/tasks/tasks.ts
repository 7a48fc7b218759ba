import { randomUUID } from "node:crypto";
import { z } from "zod";
import { lockAgent } from "../../store/locks.js";
import type { ActionContext, Recorder } from "../../audit/recorder.js";
import type { Revoker } from "../../lifecycle/revocation.js";
import type { Db, Executor } from "../../store/database.js";
import type { AgentTaskTable } from "../../store/schema.js";
import { conflict, GatehouseError, notFound } from "../../shared/errors.js";
import type { AgentIdentity } from "../identity/agent-identity.js";

export const endings = ["completed", "failed", "cancelled"] as const;
export type TaskEnding = (typeof endings)[number];
export type TaskStatus = "open" | TaskEnding;

/** The verb of each ending, as the API route and the recorded action name it. */
export const endingVerb: Record<TaskEnding, "complete" | "fail" | "cancel"> = { completed: "complete", failed: "fail", cancelled: "cancel" };

export const openTaskBody = z
  .object({
    /** What the agent is doing, in words a person reviewing the log understands. */
    purpose: z.string().trim().min(1).max(2000),
    /** What the task is about in the caller's terms, e.g. "order #12345". */
    reference: z.string().trim().min(1).max(500).optional(),
  })
  .strict();

export const endTaskBody = z.object({ reason: z.string().trim().min(1).max(4000).optional() }).strict();

export interface Task {
  id: string;
  tenantId: string;
  agent: { id: string; name: string };
  environment: string;
  purpose: string;
  reference: string | null;
  status: TaskStatus;
  openedAt: number;
  endedAt: number | null;
  endReason: string | null;
}

export const toTask = (row: AgentTaskTable): Task => ({
  id: row.id,
  tenantId: row.tenant_id,
  agent: { id: row.agent_id, name: row.agent_name },
  environment: row.environment,
  purpose: row.purpose,
  reference: row.reference,
  status: row.status as TaskStatus,
  openedAt: row.opened_at,
  endedAt: row.ended_at,
  endReason: row.end_reason,
});

/** What else ends with a task (its grants); called in the ending transaction, returns how many it ended. */
export interface TaskEndHook {
  readonly name: string;
  taskEnded(executor: Executor, task: Task, reason: string): Promise<number>;
}

/**
 * An agent's units of work. An agent opens a task with a purpose (and, optionally, a reference
 * such as "order #12345"), names it on its model and tool calls, and ends it as completed,
 * failed or cancelled; whatever the task held (its grants) ends with it, in the same
 * transaction. An agent has at most its spec's limits.concurrency tasks open at once.
 * Retiring an agent cancels its open tasks.
 */
export class Tasks {
  private readonly hooks: TaskEndHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly clock: () => number = Date.now,
  ) {}

  whenEnded(hook: TaskEndHook): void {
    this.hooks.push(hook);
  }

  async open(ctx: ActionContext, agent: AgentIdentity, input: z.output<typeof openTaskBody>): Promise<Task> {
    const limit = agent.spec.limits.concurrency;
    const outcome = await this.db.transaction().execute(async (trx) => {
      await lockAgent(trx, agent.agentId);
      const open = await trx
        .selectFrom("agent_tasks")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("agent_id", "=", agent.agentId)
        .where("status", "=", "open")
        .executeTakeFirstOrThrow();
      if (Number(open.n) >= limit) return { task: undefined, open: Number(open.n) };
      const row: AgentTaskTable = {
        id: randomUUID(),
        tenant_id: agent.tenantId,
        agent_id: agent.agentId,
        agent_name: agent.name,
        environment: agent.environment,
        purpose: input.purpose,
        reference: input.reference ?? null,
        status: "open",
        opened_at: this.clock(),
        ended_at: null,
        end_reason: null,
      };
      await trx.insertInto("agent_tasks").values(row).execute();
      const task = toTask(row);
      await this.recorder.record(trx, ctx, {
        action: "task.open",
        resource: { kind: "task", id: task.id, name: agent.name },
        decision: { outcome: "allowed" },
        context: { taskId: task.id, environment: agent.environment },
        payload: { purpose: task.purpose, reference: task.reference },
      });
      return { task, open: Number(open.n) };
    });
    if (outcome.task) return outcome.task;
    const message = `agent '${agent.name}' already has ${outcome.open} open tasks, its limit (limits.concurrency: ${limit}); end one first`;
    await this.recorder.record(this.db, ctx, {
      action: "task.open",
      resource: { kind: "task", name: agent.name },
      decision: { outcome: "refused", reasons: [message] },
      context: { environment: agent.environment },
      payload: { purpose: input.purpose, reference: input.reference ?? null },
    });
    throw new GatehouseError("rate_limited", message);
  }

  /** One of the agent's own tasks; another agent's (or tenant's) is not found, exactly like one that never existed. */
  async get(agent: Pick<AgentIdentity, "agentId">, id: string, executor: Executor = this.db): Promise<Task> {
    const row = await executor.selectFrom("agent_tasks").selectAll().where("id", "=", id).where("agent_id", "=", agent.agentId).executeTakeFirst();
    if (!row) throw notFound(`task '${id}'`);
    return toTask(row);
  }

  /** The agent's task, which must still be open (409 otherwise). */
  async requireOpen(agent: Pick<AgentIdentity, "agentId">, id: string, executor: Executor = this.db): Promise<Task> {
    const task = await this.get(agent, id, executor);
    if (task.status !== "open") throw conflict(`task '${id}' has ended (${task.status})`);
    return task;
  }

  async end(ctx: ActionContext, agent: AgentIdentity, id: string, ending: TaskEnding, reason: string | null): Promise<Task> {
    return this.db.transaction().execute(async (trx) => {
      const task = await this.requireOpen(agent, id, trx);
      return this.close(trx, ctx, task, ending, reason ?? `${ending} by the agent`);
    });
  }

  private async close(executor: Executor, ctx: ActionContext, task: Task, ending: TaskEnding, reason: string): Promise<Task> {
    const now = this.clock();
    const updated = await executor
      .updateTable("agent_tasks")
      .set({ status: ending, ended_at: now, end_reason: reason })
      .where("id", "=", task.id)
      .where("status", "=", "open")
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw conflict(`task '${task.id}' has ended`);
    const ended: Task = { ...task, status: ending, endedAt: now, endReason: reason };
    const released: Record<string, number> = {};
    for (const hook of this.hooks) released[hook.name] = await hook.taskEnded(executor, ended, reason);
    await this.recorder.record(executor, ctx, {
      action: `task.${endingVerb[ending]}`,
      resource: { kind: "task", id: task.id, name: task.agent.name },
      decision: { outcome: "allowed" },
      context: { taskId: task.id, environment: task.environment },
      payload: { reason, ended: released },
    });
    return ended;
  }

  /** Retirement: the agent's open tasks are cancelled (and their grants end) in the retiring transaction. */
  revoker(): Revoker {
    return {
      name: "agent_tasks",
      revokeAll: async (executor, ctx, agent) => {
        const rows = await executor.selectFrom("agent_tasks").selectAll().where("agent_id", "=", agent.id).where("status", "=", "open").execute();
        for (const row of rows) await this.close(executor, ctx, toTask(row), "cancelled", "the agent was retired");
        return rows.length;
      },
    };
  }
}
