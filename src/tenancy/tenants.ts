import { randomUUID } from "node:crypto";
import type { ActionContext, Recorder } from "../audit/recorder.js";
import type { StoreChanges } from "../store/changes.js";
import type { Db, Executor } from "../store/database.js";
import { ReadCache } from "../store/read-cache.js";
import { conflict, notFound } from "../shared/errors.js";
import { canonicalJson, parseJson } from "../shared/json.js";
import { tenantSettingsSchema, type EnvironmentSpec, type TenantSettings } from "./settings.js";

export interface Tenant {
  id: string;
  name: string;
  settings: TenantSettings;
  createdAt: number;
}

export interface Environment {
  id: string;
  tenantId: string;
  name: string;
  production: boolean;
}

export class Tenants {
  /** Reads outside a transaction, by tenant id (a transaction reads the store: it must see its own writes). */
  private readonly tenants: ReadCache<Tenant>;
  private readonly environmentLists: ReadCache<Environment[]>;

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    changes?: StoreChanges,
  ) {
    this.tenants = new ReadCache(changes);
    this.environmentLists = new ReadCache(changes);
  }

  async create(
    executor: Executor,
    ctx: ActionContext,
    input: { name: string; settings: TenantSettings; environments: EnvironmentSpec[] },
  ): Promise<Tenant> {
    const existing = await executor.selectFrom("tenants").select("id").where("name", "=", input.name).executeTakeFirst();
    if (existing) throw conflict(`tenant '${input.name}' already exists`);
    const tenant: Tenant = { id: randomUUID(), name: input.name, settings: input.settings, createdAt: Date.now() };
    await executor
      .insertInto("tenants")
      .values({ id: tenant.id, name: tenant.name, settings: canonicalJson(tenant.settings), created_at: tenant.createdAt })
      .execute();
    ctx.tenantId = tenant.id;
    await this.recorder.record(executor, ctx, {
      action: "tenant.create",
      resource: { kind: "tenant", id: tenant.id, name: tenant.name },
      decision: { outcome: "allowed" },
      payload: { after: { name: tenant.name, settings: tenant.settings } },
    });
    for (const env of input.environments) await this.addEnvironment(executor, ctx, tenant.id, env);
    return tenant;
  }

  get(tenantId: string, executor: Executor = this.db): Promise<Tenant> {
    if (executor === this.db) return this.tenants.get(tenantId, () => this.read(tenantId, executor));
    return this.read(tenantId, executor);
  }

  private async read(tenantId: string, executor: Executor): Promise<Tenant> {
    const row = await executor.selectFrom("tenants").selectAll().where("id", "=", tenantId).executeTakeFirst();
    if (!row) throw notFound("tenant");
    return { id: row.id, name: row.name, settings: tenantSettingsSchema.parse(parseJson(row.settings)), createdAt: row.created_at };
  }

  async findByName(name: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom("tenants").select("id").where("name", "=", name).executeTakeFirst();
    return row ? this.get(row.id) : undefined;
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom("tenants")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async updateSettings(executor: Executor, ctx: ActionContext, tenantId: string, settings: TenantSettings): Promise<Tenant> {
    const before = await this.get(tenantId, executor);
    await executor.updateTable("tenants").set({ settings: canonicalJson(settings) }).where("id", "=", tenantId).execute();
    await this.recorder.record(executor, ctx, {
      action: "tenant.settings.update",
      resource: { kind: "tenant", id: tenantId, name: before.name },
      decision: { outcome: "allowed" },
      payload: { before: before.settings, after: settings },
    });
    return { ...before, settings };
  }

  environments(tenantId: string, executor: Executor = this.db): Promise<Environment[]> {
    if (executor === this.db) return this.environmentLists.get(tenantId, () => this.readEnvironments(tenantId, executor));
    return this.readEnvironments(tenantId, executor);
  }

  private async readEnvironments(tenantId: string, executor: Executor): Promise<Environment[]> {
    const rows = await executor
      .selectFrom("environments")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("name")
      .execute();
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, name: r.name, production: r.production === 1 }));
  }

  async environment(tenantId: string, name: string, executor: Executor = this.db): Promise<Environment> {
    const env = (await this.environments(tenantId, executor)).find((e) => e.name === name);
    if (!env) throw notFound(`environment '${name}'`);
    return env;
  }

  async addEnvironment(executor: Executor, ctx: ActionContext, tenantId: string, spec: EnvironmentSpec): Promise<Environment> {
    const existing = (await this.environments(tenantId, executor)).find((e) => e.name === spec.name);
    if (existing) throw conflict(`environment '${spec.name}' already exists`);
    const env: Environment = { id: randomUUID(), tenantId, name: spec.name, production: spec.production };
    await executor
      .insertInto("environments")
      .values({ id: env.id, tenant_id: tenantId, name: env.name, production: env.production ? 1 : 0, created_at: Date.now() })
      .execute();
    await this.recorder.record(executor, ctx, {
      action: "environment.create",
      resource: { kind: "environment", id: env.id, name: env.name },
      decision: { outcome: "allowed" },
      payload: { after: spec },
    });
    return env;
  }
}
