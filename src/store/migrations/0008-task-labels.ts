import type { Kysely } from "kysely";

/**
 * Information-flow labels: one row for each thing a task read (a tool result, a data source
 * reached through a tool, retrieved documents), with the label it carries. A task's label is the
 * join of its rows; rows are only ever added, so concurrent calls in one task cannot lose a read.
 */
export function taskLabels() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("agent_task_labels")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("task_id", "text", (c) => c.notNull().references("agent_tasks.id"))
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        /** The label this read carries, with its origin (canonical JSON). */
        .addColumn("label", "text", (c) => c.notNull())
        .addColumn("read_at", "bigint", (c) => c.notNull())
        .execute();
      // A task that reads the same thing again adds nothing (the join is idempotent): one row per distinct read.
      await db.schema.createIndex("agent_task_labels_task_label").on("agent_task_labels").columns(["task_id", "label"]).unique().execute();
    },
  };
}
