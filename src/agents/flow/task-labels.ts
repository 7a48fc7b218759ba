import { randomUUID } from "node:crypto";
import type { Db, Executor } from "../../store/database.js";
import { canonicalJson } from "../../shared/json.js";
import { bottomLabel, join, labelOf, type FlowLabel, type LabelOrigin } from "./labels.js";

/**
 * Each task's label, persisted: every distinct read adds a row with the label it carries
 * (origin included), and the task's label is the join of its rows. Adding rows, never updating
 * one, means two calls of one task that finish together both count; a read already there adds
 * nothing, so a long task keeps as many rows as it has distinct origins.
 */
export class TaskLabels {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records reads of a task (in the caller's transaction, so a read whose label is not kept is not handed out). */
  async add(executor: Executor, task: { id: string; tenantId: string }, origins: LabelOrigin[]): Promise<void> {
    if (origins.length === 0) return;
    const at = this.clock();
    await executor
      .insertInto("agent_task_labels")
      .values(origins.map((origin) => ({ id: randomUUID(), task_id: task.id, tenant_id: task.tenantId, label: canonicalJson(origin), read_at: at })))
      .onConflict((oc) => oc.columns(["task_id", "label"]).doNothing())
      .execute();
  }

  /** The task's label now: the join of everything it has read. */
  async of(task: { id: string; tenantId: string }, executor: Executor = this.db): Promise<FlowLabel> {
    const rows = await executor.selectFrom("agent_task_labels").select("label").where("task_id", "=", task.id).orderBy("read_at").orderBy("id").execute();
    return rows.reduce((label, row) => join(label, labelOf(task.tenantId, JSON.parse(row.label) as LabelOrigin)), bottomLabel(task.tenantId));
  }
}
