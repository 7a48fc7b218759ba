import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

export function foundation(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("tenants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("settings", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("environments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("production", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("environments_tenant_name", ["tenant_id", "name"])
        .execute();

      await db.schema
        .createTable("principals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("email", "text")
        .addColumn("role", "text")
        .addColumn("disabled_at", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addUniqueConstraint("principals_tenant_name", ["tenant_id", "name"])
        .execute();

      await db.schema
        .createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("principal_id", "text", (c) => c.notNull().references("principals.id"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("environment_id", "text", (c) => c.references("environments.id"))
        .addColumn("label", "text", (c) => c.notNull())
        .addColumn("prefix", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("expires_at", "bigint")
        .addColumn("revoked_at", "bigint")
        .execute();

      await db.schema
        .createTable("registry_records")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("spec", "text", (c) => c.notNull())
        .addColumn("deleted_at", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("updated_by", "text", (c) => c.notNull())
        .addUniqueConstraint("registry_records_tenant_kind_name", ["tenant_id", "kind", "name"])
        .execute();

      await db.schema
        .createTable("registry_versions")
        .addColumn("record_id", "text", (c) => c.notNull().references("registry_records.id"))
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("spec", "text", (c) => c.notNull())
        .addColumn("change", "text", (c) => c.notNull())
        .addColumn("changed_at", "bigint", (c) => c.notNull())
        .addColumn("changed_by", "text", (c) => c.notNull())
        .addColumn("change_request_id", "text")
        .addColumn("justification", "text")
        .addPrimaryKeyConstraint("registry_versions_pk", ["record_id", "version"])
        .execute();

      await db.schema
        .createTable("agent_lifecycle")
        .addColumn("agent_id", "text", (c) => c.primaryKey().references("registry_records.id"))
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("environments", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("updated_by", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("change_requests")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target_kind", "text", (c) => c.notNull())
        .addColumn("target_name", "text", (c) => c.notNull())
        .addColumn("base_version", "integer")
        .addColumn("proposal", "text", (c) => c.notNull())
        .addColumn("diff", "text", (c) => c.notNull())
        .addColumn("requested_by", "text", (c) => c.notNull())
        .addColumn("requester_id", "text", (c) => c.notNull())
        .addColumn("justification", "text")
        .addColumn("required_approvals", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("outcome", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("decided_at", "bigint")
        .execute();
      await db.schema
        .createIndex("change_requests_tenant_status")
        .on("change_requests")
        .columns(["tenant_id", "status"])
        .execute();

      await db.schema
        .createTable("change_reviews")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("change_request_id", "text", (c) => c.notNull().references("change_requests.id"))
        .addColumn("reviewer_id", "text", (c) => c.notNull())
        .addColumn("reviewer", "text", (c) => c.notNull())
        .addColumn("decision", "text", (c) => c.notNull())
        .addColumn("justification", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("change_reviews_once", ["change_request_id", "reviewer_id"])
        .execute();

      await db.schema
        .createTable("events")
        .addColumn("seq", dialect === "sqlite" ? "integer" : "bigserial", (c) =>
          dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn("id", "text", (c) => c.notNull().unique())
        .addColumn("tenant_id", "text")
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("resource", "text", (c) => c.notNull())
        .addColumn("decision", "text", (c) => c.notNull())
        .addColumn("context", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("events_tenant_seq").on("events").columns(["tenant_id", "seq"]).execute();
    },
  };
}
