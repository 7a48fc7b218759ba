import type { Executor } from "./database.js";

/**
 * Serialises transactions that check a tenant-wide invariant (such as "one owner remains")
 * before they change it. A no-op UPDATE takes the row lock on PostgreSQL and the write lock on
 * SQLite, so the check and the change cannot interleave with another transaction's.
 */
export async function lockTenant(executor: Executor, tenantId: string): Promise<void> {
  await executor
    .updateTable("tenants")
    .set((eb) => ({ name: eb.ref("name") }))
    .where("id", "=", tenantId)
    .execute();
}

/**
 * Serialises transactions that count or number something per agent (its open tasks, the
 * sequence of its messages): the same no-op UPDATE, on the agent's lifecycle row.
 */
export async function lockAgent(executor: Executor, agentId: string): Promise<void> {
  await executor
    .updateTable("agent_lifecycle")
    .set((eb) => ({ state: eb.ref("state") }))
    .where("agent_id", "=", agentId)
    .execute();
}
