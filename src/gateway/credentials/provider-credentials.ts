import type { ActionContext, Recorder } from "../../audit/recorder.js";
import { actorLabel } from "../../audit/actor.js";
import type { Registry } from "../../registry/registry.js";
import type { SecretBox } from "../../secrets/secret-box.js";
import type { StoreChanges } from "../../store/changes.js";
import type { Db, Executor } from "../../store/database.js";
import { ReadCache } from "../../store/read-cache.js";
import { GatehouseError } from "../../shared/errors.js";

export interface CredentialInfo {
  model: string;
  updatedAt: number;
  updatedBy: string;
}

/** Binds a sealed credential to its tenant and model, so it opens nowhere else. */
const contextOf = (tenantId: string, model: string): string => `provider-credential:${tenantId}/${model}`;

/**
 * The credential each model record's upstream is called with, sealed at rest with the master
 * key. Write-only through the admin API: set and rotated, never read back; only the router
 * opens one, for the call it is making.
 */
export class ProviderCredentials {
  /** Opened credentials by tenant and model, for the calls that use them (in memory only, like any call's). */
  private readonly opened: ReadCache<string | undefined>;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly registry: Registry,
    private readonly recorder: Recorder,
    changes?: StoreChanges,
  ) {
    this.opened = new ReadCache(changes);
  }

  async set(executor: Executor, ctx: ActionContext, tenantId: string, model: string, secret: string): Promise<CredentialInfo> {
    const record = await this.registry.get(tenantId, "model", model, executor);
    const existing = await executor
      .selectFrom("provider_credentials")
      .select("model")
      .where("tenant_id", "=", tenantId)
      .where("model", "=", record.name)
      .executeTakeFirst();
    const row = {
      tenant_id: tenantId,
      model: record.name,
      sealed: this.secrets.seal(secret, contextOf(tenantId, record.name)),
      updated_at: Date.now(),
      updated_by: actorLabel(ctx.actor),
    };
    await executor
      .insertInto("provider_credentials")
      .values(row)
      .onConflict((oc) => oc.columns(["tenant_id", "model"]).doUpdateSet({ sealed: row.sealed, updated_at: row.updated_at, updated_by: row.updated_by }))
      .execute();
    const info: CredentialInfo = { model: record.name, updatedAt: row.updated_at, updatedBy: row.updated_by };
    await this.recorder.record(executor, ctx, {
      action: existing ? "provider_credential.rotate" : "provider_credential.set",
      resource: { kind: "provider_credential", id: record.id, name: record.name },
      decision: { outcome: "allowed" },
      payload: { after: info },
    });
    return info;
  }

  /** The plain credential for a call, or undefined when the model has none. */
  open(tenantId: string, model: string): Promise<string | undefined> {
    return this.opened.get(`${tenantId}\u0000${model}`, () => this.read(tenantId, model));
  }

  private async read(tenantId: string, model: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("provider_credentials")
      .select("sealed")
      .where("tenant_id", "=", tenantId)
      .where("model", "=", model)
      .executeTakeFirst();
    if (!row) return undefined;
    try {
      return this.secrets.openText(row.sealed, contextOf(tenantId, model));
    } catch (error) {
      throw new GatehouseError("unavailable", `the credential of model ${model} does not open with this master key`, undefined, { cause: error });
    }
  }
}
