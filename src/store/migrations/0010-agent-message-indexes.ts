import type { Kysely } from "kysely";

/**
 * The two reads of agent_messages that are not by recipient: retention, which deletes a
 * tenant's delivered messages received before a time (audit/privacy/retention.ts, every hour),
 * and the start-up search for messages whose webhook push is still pending (Messages.
 * resumeWebhooks). Without these both read the whole table, which grows with every message.
 */
export function agentMessageIndexes() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex("agent_messages_tenant_received").on("agent_messages").columns(["tenant_id", "received_at"]).execute();
      await db.schema.createIndex("agent_messages_webhook_status").on("agent_messages").columns(["webhook_status", "received_at"]).execute();
    },
  };
}
