import type { Kysely } from "kysely";

/**
 * Zero-trust agents: the public keys agents prove possession of, the short-lived tokens issued
 * against such a proof (hashed), the proof nonces remembered for the replay window, tasks, the
 * just-in-time grants inside them, and the people's decisions on grants sent to them.
 */
export function agents() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("agent_keys")
        .addColumn("agent_id", "text", (c) => c.notNull().references("registry_records.id"))
        /** The RFC 7638 thumbprint of the public key: what proofs name in their kid. */
        .addColumn("kid", "text", (c) => c.notNull())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("public_key", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        /** Set when a newer key replaced this one: it authenticates until then (the rotation overlap). */
        .addColumn("not_after", "bigint")
        .addColumn("revoked_at", "bigint")
        .addPrimaryKeyConstraint("agent_keys_pk", ["agent_id", "kid"])
        .execute();

      await db.schema
        .createTable("agent_tokens")
        .addColumn("hash", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("kid", "text", (c) => c.notNull())
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("issued_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema.createIndex("agent_tokens_agent").on("agent_tokens").column("agent_id").execute();
      await db.schema.createIndex("agent_tokens_expiry").on("agent_tokens").column("expires_at").execute();

      await db.schema
        .createTable("agent_nonces")
        /** The agent's id and the proof's jti. */
        .addColumn("nonce", "text", (c) => c.primaryKey())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("agent_nonces_expiry").on("agent_nonces").column("expires_at").execute();

      await db.schema
        .createTable("agent_tasks")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("agent_name", "text", (c) => c.notNull())
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("reference", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("opened_at", "bigint", (c) => c.notNull())
        .addColumn("ended_at", "bigint")
        .addColumn("end_reason", "text")
        .execute();
      await db.schema.createIndex("agent_tasks_agent_status").on("agent_tasks").columns(["agent_id", "status"]).execute();

      await db.schema
        .createTable("agent_grants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("task_id", "text", (c) => c.notNull().references("agent_tasks.id"))
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("agent_name", "text", (c) => c.notNull())
        .addColumn("resource_kind", "text", (c) => c.notNull())
        .addColumn("resource_name", "text", (c) => c.notNull())
        .addColumn("actions", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("ttl_seconds", "integer", (c) => c.notNull())
        /** pending (with a person), active, denied, revoked, ended (with its task). Expiry is expires_at passing. */
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("decision", "text", (c) => c.notNull())
        .addColumn("requested_at", "bigint", (c) => c.notNull())
        .addColumn("decided_at", "bigint")
        .addColumn("expires_at", "bigint")
        .addColumn("ended_at", "bigint")
        .addColumn("end_reason", "text")
        .execute();
      await db.schema.createIndex("agent_grants_task").on("agent_grants").columns(["task_id", "status"]).execute();
      await db.schema.createIndex("agent_grants_tenant_status").on("agent_grants").columns(["tenant_id", "status"]).execute();

      await db.schema
        .createTable("agent_grant_reviews")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("grant_id", "text", (c) => c.notNull().references("agent_grants.id"))
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("reviewer_id", "text", (c) => c.notNull())
        .addColumn("reviewer", "text", (c) => c.notNull())
        .addColumn("decision", "text", (c) => c.notNull())
        .addColumn("justification", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
