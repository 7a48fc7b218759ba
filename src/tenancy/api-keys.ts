import { createHash, randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import type { ActionContext, Recorder } from "../audit/recorder.js";
import type { StoreChanges } from "../store/changes.js";
import type { Db, Executor } from "../store/database.js";
import { ReadCache } from "../store/read-cache.js";
import type { ApiKeyTable } from "../store/schema.js";
import { actorLabel } from "../audit/actor.js";
import { forbidden, invalid, notFound } from "../shared/errors.js";
import { canAssignRole, type Role } from "./roles.js";
import { toPrincipal, type Principal } from "./principals.js";

export type KeyKind = "admin" | "app";

export interface ApiKey {
  id: string;
  tenantId: string;
  principalId: string;
  kind: KeyKind;
  environmentId: string | null;
  label: string;
  /** The first characters of the key, enough to recognise it in a list, never enough to use it. */
  prefix: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface Authenticated {
  key: ApiKey;
  principal: Principal;
}

export const keyInputSchema = z
  .object({
    principalId: z.string().min(1),
    kind: z.enum(["admin", "app"]),
    environment: z.string().optional(),
    label: z.string().min(1).max(200).default("default"),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();
export type KeyInput = z.output<typeof keyInputSchema>;

/** A key acts with its principal's role, so managing one is managing the principal (admins do not manage owners). */
function assertMayManage(ctx: ActionContext, role: Role | null): void {
  if (role && ctx.actor.role && !canAssignRole(ctx.actor.role, role)) {
    throw forbidden(`a ${ctx.actor.role} cannot manage the keys of a ${role}`);
  }
}

const keyPrefix: Record<KeyKind, string> = { admin: "gh_adm_", app: "gh_app_" };

/**
 * Keys are 256 random bits, so a plain SHA-256 is a sufficient one-way hash: there is no
 * dictionary to attack, and lookup by hash needs no per-key salt.
 */
export const hashKey = (plain: string): string => createHash("sha256").update(plain, "utf8").digest("hex");

const toApiKey = (row: ApiKeyTable): ApiKey => ({
  id: row.id,
  tenantId: row.tenant_id,
  principalId: row.principal_id,
  kind: row.kind as KeyKind,
  environmentId: row.environment_id,
  label: row.label,
  prefix: row.prefix,
  createdAt: row.created_at,
  createdBy: row.created_by,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

export class ApiKeys {
  /** Keys and their principals by hash, live or not (checked on every use); unknown hashes are not kept. */
  private readonly byHash: ReadCache<Authenticated | undefined>;

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    changes?: StoreChanges,
  ) {
    this.byHash = new ReadCache(changes, { keep: (found) => found !== undefined });
  }

  /** Issues a key; the plain key is returned here once and never stored. */
  async issue(
    executor: Executor,
    ctx: ActionContext,
    tenantId: string,
    input: { principal: Principal; kind: KeyKind; environmentId: string | null; label: string; expiresInDays?: number },
  ): Promise<{ key: ApiKey; plain: string }> {
    const { principal, kind } = input;
    assertMayManage(ctx, principal.role);
    if (principal.disabled) throw invalid("principalId", "principalId: the principal is disabled");
    if (kind === "admin" && principal.kind === "application") {
      throw invalid("kind", "kind: applications receive app keys, not admin keys");
    }
    if (kind === "app" && !input.environmentId) throw invalid("environment", "environment: app keys belong to an environment");
    if (kind === "admin" && input.environmentId) throw invalid("environment", "environment: admin keys are not bound to an environment");
    const plain = keyPrefix[kind] + randomBytes(32).toString("base64url");
    const now = Date.now();
    const row: ApiKeyTable = {
      id: randomUUID(),
      tenant_id: tenantId,
      principal_id: principal.id,
      kind,
      environment_id: input.environmentId,
      label: input.label,
      prefix: plain.slice(0, 12),
      hash: hashKey(plain),
      created_at: now,
      created_by: actorLabel(ctx.actor),
      expires_at: input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null,
      revoked_at: null,
    };
    await executor.insertInto("api_keys").values(row).execute();
    const key = toApiKey(row);
    await this.recorder.record(executor, ctx, {
      action: "api_key.issue",
      resource: { kind: "api_key", id: key.id, name: key.label },
      decision: { outcome: "allowed" },
      payload: { after: key },
    });
    return { key, plain };
  }

  /** Resolves a presented key to its live record and principal, or undefined. */
  async authenticate(plain: string): Promise<Authenticated | undefined> {
    const hash = hashKey(plain);
    const found = await this.byHash.get(hash, () => this.findByHash(hash));
    if (!found || found.key.revokedAt !== null || found.principal.disabled) return undefined;
    if (found.key.expiresAt !== null && found.key.expiresAt <= Date.now()) return undefined;
    return found;
  }

  private async findByHash(hash: string): Promise<Authenticated | undefined> {
    const row = await this.db
      .selectFrom("api_keys")
      .innerJoin("principals", "principals.id", "api_keys.principal_id")
      .selectAll("api_keys")
      .select([
        "principals.kind as p_kind",
        "principals.name as p_name",
        "principals.email as p_email",
        "principals.role as p_role",
        "principals.disabled_at as p_disabled_at",
        "principals.created_at as p_created_at",
        "principals.created_by as p_created_by",
      ])
      .where("api_keys.hash", "=", hash)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      key: toApiKey(row),
      principal: toPrincipal({
        id: row.principal_id,
        tenant_id: row.tenant_id,
        kind: row.p_kind,
        name: row.p_name,
        email: row.p_email,
        role: row.p_role,
        disabled_at: row.p_disabled_at,
        created_at: row.p_created_at,
        created_by: row.p_created_by,
      }),
    };
  }

  async list(tenantId: string): Promise<ApiKey[]> {
    const rows = await this.db
      .selectFrom("api_keys")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("created_at")
      .execute();
    return rows.map(toApiKey);
  }

  async revoke(executor: Executor, ctx: ActionContext, tenantId: string, id: string): Promise<ApiKey> {
    const row = await executor
      .selectFrom("api_keys")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw notFound(`api key '${id}'`);
    const holder = await executor.selectFrom("principals").select("role").where("id", "=", row.principal_id).executeTakeFirstOrThrow();
    assertMayManage(ctx, holder.role as Role | null);
    if (row.revoked_at !== null) return toApiKey(row);
    const revokedAt = Date.now();
    await executor.updateTable("api_keys").set({ revoked_at: revokedAt }).where("id", "=", id).execute();
    const after = toApiKey({ ...row, revoked_at: revokedAt });
    await this.recorder.record(executor, ctx, {
      action: "api_key.revoke",
      resource: { kind: "api_key", id, name: row.label },
      decision: { outcome: "allowed" },
      payload: { before: toApiKey(row), after },
    });
    return after;
  }
}
