import type { Kysely } from "kysely";

/** Provider credentials per tenant and model record, sealed with the master key (never stored in clear). */
export function providerCredentials() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("provider_credentials")
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("model", "text", (c) => c.notNull())
        .addColumn("sealed", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("updated_by", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("provider_credentials_pk", ["tenant_id", "model"])
        .execute();
    },
  };
}
