import type { Db } from "../../store/database.js";
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
}

/**
 * Per-tenant retention of audit payloads: bodies older than the tenant's audit.retentionDays
 * are forgotten, while entries, leaf hashes, checkpoints and proofs stay. Each run is itself a
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
      const run: RetentionRun = { tenantId, retentionDays, prunedBefore, pruned: Number(result.numUpdatedRows) };
      await this.recorder.record(trx, ctx, {
        action: RETENTION_RUN_ACTION,
        resource: { kind: "tenant", id: tenantId },
        decision: { outcome: "allowed", reasons: [`audit.retentionDays=${retentionDays}`] },
        context: { prunedBefore },
        payload: { retentionDays, pruned: run.pruned },
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
