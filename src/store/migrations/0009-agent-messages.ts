import type { Kysely } from "kysely";

/**
 * Messages between agents, kept once Gatehouse has accepted them (so nothing acknowledged to the
 * sender is lost): the signed fields and signature as received, the label Gatehouse attached,
 * the recipient's cursor (seq, numbered per recipient) and acknowledgement, and the webhook
 * delivery's state.
 */
export function agentMessages() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("agent_messages")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("recipient_id", "text", (c) => c.notNull())
        .addColumn("recipient_name", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("sender_id", "text", (c) => c.notNull())
        .addColumn("sender_name", "text", (c) => c.notNull())
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("task_id", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("declared_sensitivity", "text", (c) => c.notNull())
        /** The label the message carries onward: the sender task's label joined with the declared sensitivity (JSON), and its sensitivity. */
        .addColumn("flow_label", "text", (c) => c.notNull())
        .addColumn("sensitivity", "text", (c) => c.notNull())
        .addColumn("iat", "bigint", (c) => c.notNull())
        .addColumn("nonce", "text", (c) => c.notNull())
        .addColumn("kid", "text", (c) => c.notNull())
        .addColumn("public_key", "text", (c) => c.notNull())
        .addColumn("signature", "text", (c) => c.notNull())
        .addColumn("received_at", "bigint", (c) => c.notNull())
        .addColumn("acked_at", "bigint")
        /** none (no webhook), pending, delivered or failed. */
        .addColumn("webhook_status", "text", (c) => c.notNull())
        .addColumn("webhook_attempts", "integer", (c) => c.notNull())
        .addColumn("webhook_delivered_at", "bigint")
        .addUniqueConstraint("agent_messages_recipient_seq", ["recipient_id", "seq"])
        .execute();
    },
  };
}
