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
