import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { PrincipalKind } from "../audit/actor.js";
import type { ActionContext, Recorder } from "../audit/recorder.js";
import type { Db, Executor } from "../store/database.js";
import { lockTenant } from "../store/locks.js";
import type { PrincipalTable } from "../store/schema.js";
import { conflict, forbidden, invalid, notFound } from "../shared/errors.js";
import { actorLabel } from "../audit/actor.js";
import { canAssignRole, roles, type Role } from "./roles.js";

export interface Principal {
  id: string;
  tenantId: string;
  kind: PrincipalKind;
  name: string;
  email: string | null;
  /** Admin role; applications have none and cannot use the admin API. */
  role: Role | null;
  disabled: boolean;
  createdAt: number;
  createdBy: string;
}

export const principalInputSchema = z
  .object({
    kind: z.enum(["user", "service_account", "application"]),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, "must be 1-128 letters, digits or ._@+-"),
    email: z.email().optional(),
    role: z.enum(roles).optional(),
  })
  .strict();
export type PrincipalInput = z.output<typeof principalInputSchema>;

export const toPrincipal = (row: PrincipalTable): Principal => ({
  id: row.id,
  tenantId: row.tenant_id,
  kind: row.kind as PrincipalKind,
  name: row.name,
  email: row.email,
  role: row.role as Role | null,
  disabled: row.disabled_at !== null,
  createdAt: row.created_at,
  createdBy: row.created_by,
});

/** How a principal is named as a data subject of the audit log. */
export const principalSubject = (id: string): string => `principal:${id}`;

export class Principals {
  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
  ) {}

  async create(executor: Executor, ctx: ActionContext, tenantId: string, input: PrincipalInput): Promise<Principal> {
    if (input.kind === "application" && input.role) {
      throw invalid("role", "role: applications call models and tools, they hold no admin role");
    }
    if (input.kind !== "application" && !input.role) throw invalid("role", "role: required for users and service accounts");
    if (input.role && ctx.actor.role && !canAssignRole(ctx.actor.role, input.role)) {
      throw forbidden(`a ${ctx.actor.role} cannot create a principal with role ${input.role}`);
    }
    const taken = await executor
      .selectFrom("principals")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("name", "=", input.name)
      .executeTakeFirst();
    if (taken) throw conflict(`principal '${input.name}' already exists`);
    const row: PrincipalTable = {
      id: randomUUID(),
      tenant_id: tenantId,
      kind: input.kind,
      name: input.name,
      email: input.email ?? null,
      role: input.role ?? null,
      disabled_at: null,
      created_at: Date.now(),
      created_by: actorLabel(ctx.actor),
    };
    await executor.insertInto("principals").values(row).execute();
    const principal = toPrincipal(row);
    await this.recorder.record(executor, ctx, {
      action: "principal.create",
      resource: { kind: "principal", id: principal.id, name: principal.name },
      decision: { outcome: "allowed" },
      // A person's record (e-mail included) is theirs: sealed with their key, so erasing them shreds it.
      personal: { subject: principalSubject(principal.id), data: { after: principal } },
    });
    return principal;
  }

  async list(tenantId: string): Promise<Principal[]> {
    const rows = await this.db.selectFrom("principals").selectAll().where("tenant_id", "=", tenantId).orderBy("name").execute();
    return rows.map(toPrincipal);
  }

  async get(tenantId: string, id: string, executor: Executor = this.db): Promise<Principal> {
    const row = await executor
      .selectFrom("principals")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw notFound(`principal '${id}'`);
    return toPrincipal(row);
  }

  async setRole(executor: Executor, ctx: ActionContext, tenantId: string, id: string, role: Role): Promise<Principal> {
    const before = await this.get(tenantId, id, executor);
    if (before.kind === "application") throw invalid("role", "role: applications hold no admin role");
    const actorRole = ctx.actor.role;
    if (actorRole && (!canAssignRole(actorRole, role) || (before.role && !canAssignRole(actorRole, before.role)))) {
      throw forbidden(`a ${actorRole} cannot change ${before.role ?? "a"} principal to ${role}`);
    }
    if (before.role === "owner" && role !== "owner") await this.assertAnotherOwner(executor, tenantId, id);
    await executor.updateTable("principals").set({ role }).where("id", "=", id).execute();
    const after = { ...before, role };
    await this.recorder.record(executor, ctx, {
      action: "principal.role.update",
      resource: { kind: "principal", id, name: before.name },
      decision: { outcome: "allowed" },
      payload: { before: { role: before.role }, after: { role } },
    });
    return after;
  }

  /** Disables a principal and revokes every key it holds. */
  async disable(executor: Executor, ctx: ActionContext, tenantId: string, id: string): Promise<Principal> {
    const before = await this.get(tenantId, id, executor);
    if (before.disabled) return before;
    if (ctx.actor.role && before.role && !canAssignRole(ctx.actor.role, before.role)) {
      throw forbidden(`a ${ctx.actor.role} cannot disable a ${before.role}`);
    }
    if (before.role === "owner") await this.assertAnotherOwner(executor, tenantId, id);
    const now = Date.now();
    await executor.updateTable("principals").set({ disabled_at: now }).where("id", "=", id).execute();
    await executor
      .updateTable("api_keys")
      .set({ revoked_at: now })
      .where("principal_id", "=", id)
      .where("revoked_at", "is", null)
      .execute();
    await this.recorder.record(executor, ctx, {
      action: "principal.disable",
      resource: { kind: "principal", id, name: before.name },
      decision: { outcome: "allowed" },
      payload: { before: { disabled: false }, after: { disabled: true } },
    });
    return { ...before, disabled: true };
  }

  private async assertAnotherOwner(executor: Executor, tenantId: string, id: string): Promise<void> {
    await lockTenant(executor, tenantId);
    const owners = await executor
      .selectFrom("principals")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("role", "=", "owner")
      .where("disabled_at", "is", null)
      .where("id", "!=", id)
      .execute();
    if (owners.length === 0) throw conflict("a tenant must keep at least one active owner");
  }
}
