import { sql, type ExpressionBuilder } from "kysely";
import { EMPTIED_BODY } from "../../agents/messages/message-bodies.js";
import type { Db, Executor } from "../../store/database.js";
import type { Schema } from "../../store/schema.js";
import type { Logger } from "../../shared/logger.js";
import { parseJson } from "../../shared/json.js";
import { tenantSettingsSchema } from "../../tenancy/settings.js";
import { systemActor } from "../actor.js";
import { RETENTION_RUN_ACTION } from "../log/entry.js";
import { actionContext, type ActionContext, type Recorder } from "../recorder.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often the service looks for payload bodies past their tenant's retention period. */
const INTERVAL_MS = 60 * 60 * 1000;

export interface RetentionRun {
  tenantId: string;
  retentionDays: number;
  /** Bodies of entries recorded before this time (epoch ms) were pruned. */
  prunedBefore: number;
  pruned: number;
  /** Delivered messages between agents received before prunedBefore, deleted. */
  messagesDeleted: number;
}

/**
 * Per-tenant retention of audit payloads: bodies older than the tenant's audit.retentionDays
 * are forgotten, while entries, leaf hashes, checkpoints and proofs stay. Messages between the
 * tenant's agents received before then are deleted once delivered (acknowledged, or pushed to a
 * webhook); each was recorded when sent. Each run is itself a
 * log entry (audit.retention_run, with context.prunedBefore), written in the transaction that
 * prunes, so the offline verifier can tell a pruned body from a deleted one.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly logger: Logger,
  ) {}

  /** Runs retention for one tenant; undefined when the tenant keeps payloads for ever. */
  async run(ctx: ActionContext, tenantId: string, now = Date.now()): Promise<RetentionRun | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const tenant = await trx.selectFrom("tenants").select("settings").where("id", "=", tenantId).executeTakeFirstOrThrow();
      const retentionDays = tenantSettingsSchema.parse(parseJson(tenant.settings)).audit.retentionDays;
      if (retentionDays === undefined) return undefined;
      const prunedBefore = now - retentionDays * DAY_MS;
      const result = await trx
        .updateTable("log_entries")
        .set({ payload: null })
        .where("tenant_id", "=", tenantId)
        .where("at", "<", prunedBefore)
        .where("payload", "is not", null)
        .executeTakeFirst();
      const messagesDeleted = await deleteDeliveredMessages(trx, tenantId, prunedBefore);
      const run: RetentionRun = { tenantId, retentionDays, prunedBefore, pruned: Number(result.numUpdatedRows), messagesDeleted };
      await this.recorder.record(trx, ctx, {
        action: RETENTION_RUN_ACTION,
        resource: { kind: "tenant", id: tenantId },
        decision: { outcome: "allowed", reasons: [`audit.retentionDays=${retentionDays}`] },
        context: { prunedBefore },
        payload: { retentionDays, pruned: run.pruned, messagesDeleted },
      });
      return run;
    });
  }

  /** Runs retention for every tenant that has a retention period. */
  async runAll(now = Date.now()): Promise<RetentionRun[]> {
    const tenants = await this.db.selectFrom("tenants").select(["id", "settings"]).orderBy("id").execute();
    const runs: RetentionRun[] = [];
    for (const tenant of tenants) {
      if (tenantSettingsSchema.parse(parseJson(tenant.settings)).audit.retentionDays === undefined) continue;
      const run = await this.run(actionContext(systemActor("retention", tenant.id)), tenant.id, now);
      if (run) runs.push(run);
    }
    return runs;
  }

  /** Runs retention now and then every hour, in the background. */
  start(): void {
    if (this.timer) return;
    const tick = () =>
      this.runAll().catch((error: unknown) => this.logger.error({ error: String(error) }, "audit retention run failed; it is retried within the hour"));
    setImmediate(tick);
    this.timer = setInterval(tick, INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Deletes the tenant's delivered messages received before `before`, except each recipient's
 * latest message, whose body is emptied instead: a recipient's next message is numbered after
 * its latest (Messages), so that row keeps the numbering going and an agent's cursor valid.
 * Messages not yet delivered stay until they are: deleting them would lose what was accepted.
 */
async function deleteDeliveredMessages(trx: Executor, tenantId: string, before: number): Promise<number> {
  const oldDelivered = (eb: ExpressionBuilder<Schema, "agent_messages">) =>
    eb.and([eb("tenant_id", "=", tenantId), eb("received_at", "<", before), eb.or([eb("acked_at", "is not", null), eb("webhook_status", "=", "delivered")])]);
  const latest = sql<boolean>`agent_messages.seq = (select max(l.seq) from agent_messages l where l.recipient_id = agent_messages.recipient_id)`;
  const deleted = await trx.deleteFrom("agent_messages").where(oldDelivered).where(sql<boolean>`not (${latest})`).executeTakeFirst();
  // What is left of them is each recipient's latest; one pushed to a webhook counts as read, so no pull hands out its emptied body.
  await trx
    .updateTable("agent_messages")
    .set({ body: EMPTIED_BODY, acked_at: sql<number>`coalesce(acked_at, received_at)` })
    .where(oldDelivered)
    .where("body", "!=", EMPTIED_BODY)
    .execute();
  return Number(deleted.numDeletedRows);
}
