import { randomUUID } from "node:crypto";
import type { ActionContext, Recorder } from "../audit/recorder.js";
import { actorLabel } from "../audit/actor.js";
import type { StoreChanges } from "../store/changes.js";
import { CompiledOnce } from "../store/compiled-once.js";
import type { Db, Executor } from "../store/database.js";
import { ReadCache } from "../store/read-cache.js";
import type { RegistryRecordTable, RegistryVersionTable } from "../store/schema.js";
import { conflict, notFound } from "../shared/errors.js";
import { canonicalJson, jsonEqual, parseJson } from "../shared/json.js";
import { parseInput } from "../shared/validation.js";
import { diffValues, type FieldChange } from "./diff.js";
import { kinds, recordName, recordOwner, type Kind, type SpecOf } from "./kinds.js";

export interface RegistryRecord<K extends Kind = Kind> {
  id: string;
  tenantId: string;
  kind: K;
  name: string;
  owner: string;
  version: number;
  spec: SpecOf<K>;
  deleted: boolean;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export interface RecordVersion<K extends Kind = Kind> {
  version: number;
  owner: string;
  spec: SpecOf<K>;
  change: "create" | "update" | "delete";
  changedAt: number;
  changedBy: string;
  changeRequestId: string | null;
  justification: string | null;
}

/** What the registry stores for a record; the diff of a change compares two of these. */
export interface RecordContent<K extends Kind = Kind> {
  owner: string;
  spec: SpecOf<K>;
}

export interface WriteInput<K extends Kind> {
  tenantId: string;
  kind: K;
  name: string;
  owner: string;
  spec: unknown;
  /** Refuse the write when the record is no longer at this version (0: must not exist). */
  expectedVersion?: number;
  changeRequestId?: string | null;
  justification?: string | null;
}

const toRecord = <K extends Kind>(row: RegistryRecordTable): RegistryRecord<K> => ({
  id: row.id,
  tenantId: row.tenant_id,
  kind: row.kind as K,
  name: row.name,
  owner: row.owner,
  version: row.version,
  spec: parseJson<SpecOf<K>>(row.spec),
  deleted: row.deleted_at !== null,
  createdAt: row.created_at,
  createdBy: row.created_by,
  updatedAt: row.updated_at,
  updatedBy: row.updated_by,
});

const toVersion = <K extends Kind>(row: RegistryVersionTable): RecordVersion<K> => ({
  version: row.version,
  owner: row.owner,
  spec: parseJson<SpecOf<K>>(row.spec),
  change: row.change as RecordVersion["change"],
  changedAt: row.changed_at,
  changedBy: row.changed_by,
  changeRequestId: row.change_request_id,
  justification: row.justification,
});

/** Validates a spec for its kind, applying defaults, so stored specs are always complete. */
export function normaliseSpec<K extends Kind>(kind: K, spec: unknown): SpecOf<K> {
  return parseInput(kinds[kind].spec, spec, "spec") as SpecOf<K>;
}

export function validateIdentity(name: unknown, owner: unknown): { name: string; owner: string } {
  return { name: parseInput(recordName, name, "name"), owner: parseInput(recordOwner, owner, "owner") };
}

export const contentOf = <K extends Kind>(record: RegistryRecord<K> | undefined): RecordContent<K> | undefined =>
  record && !record.deleted ? { owner: record.owner, spec: record.spec } : undefined;

const generationQuery = new CompiledOnce<{ tenantId: string; kind: Kind }, { generation: number | string | null }>(["tenantId", "kind"], (db, v) =>
  db
    .selectFrom("registry_records")
    .select((eb) => eb.fn.sum<number | string | null>("version").as("generation"))
    .where("tenant_id", "=", v.tenantId)
    .where("kind", "=", v.kind),
);

/**
 * Versioned records of every governed kind. Each write keeps the full previous version, so
 * the history of any record can be read and diffed. Whether a write needs approval is decided
 * by the approvals workflow before it gets here.
 */
export class Registry {
  /** Live records per tenant and kind, read outside a transaction (the model catalog and policies on every call). */
  private readonly lists: ReadCache<RegistryRecord[]>;

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    changes?: StoreChanges,
  ) {
    this.lists = new ReadCache(changes);
  }

  async find<K extends Kind>(
    tenantId: string,
    kind: K,
    name: string,
    executor: Executor = this.db,
  ): Promise<RegistryRecord<K> | undefined> {
    const row = await executor
      .selectFrom("registry_records")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("kind", "=", kind)
      .where("name", "=", name)
      .executeTakeFirst();
    return row ? toRecord<K>(row) : undefined;
  }

  /** The live record; deleted records are not found (their history still is). */
  async get<K extends Kind>(tenantId: string, kind: K, name: string, executor: Executor = this.db): Promise<RegistryRecord<K>> {
    const record = await this.find(tenantId, kind, name, executor);
    if (!record || record.deleted) throw notFound(`${kind.replace("_", " ")} '${name}'`);
    return record;
  }

  list<K extends Kind>(tenantId: string, kind: K, executor: Executor = this.db): Promise<RegistryRecord<K>[]> {
    if (executor !== this.db) return this.listFromStore(tenantId, kind, executor);
    return this.lists.get(`${tenantId}\u0000${kind}`, () => this.listFromStore(tenantId, kind, executor)) as Promise<RegistryRecord<K>[]>;
  }

  /**
   * The live records as the store holds them now, never from the cache. For callers that keep
   * their own copy keyed by generation(): a cached list may be older than a generation read
   * after another process's change (the cache sees such changes only within its bound).
   */
  async listFromStore<K extends Kind>(tenantId: string, kind: K, executor: Executor = this.db): Promise<RegistryRecord<K>[]> {
    const rows = await executor
      .selectFrom("registry_records")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("kind", "=", kind)
      .where("deleted_at", "is", null)
      .orderBy("name")
      .execute();
    return rows.map((row) => toRecord<K>(row));
  }

  /**
   * A number that grows with every change to the tenant's records of a kind, deleted ones
   * included: each change adds a record at version 1 or raises one record's version by 1, and
   * records are never removed. Another process compares it with the one it last saw to learn,
   * in one small query, whether what it holds is still current.
   */
  async generation(tenantId: string, kind: Kind, executor: Executor = this.db): Promise<number> {
    // Compiled once: the policy decision of every call asks this (TenantPolicies).
    const row = await generationQuery.first(executor, { tenantId, kind });
    return Number(row?.generation ?? 0);
  }

  async versions<K extends Kind>(tenantId: string, kind: K, name: string): Promise<RecordVersion<K>[]> {
    const record = await this.find(tenantId, kind, name);
    if (!record) throw notFound(`${kind.replace("_", " ")} '${name}'`);
    const rows = await this.db
      .selectFrom("registry_versions")
      .selectAll()
      .where("record_id", "=", record.id)
      .orderBy("version")
      .execute();
    return rows.map((row) => toVersion<K>(row));
  }

  async version<K extends Kind>(tenantId: string, kind: K, name: string, version: number): Promise<RecordVersion<K>> {
    const found = (await this.versions(tenantId, kind, name)).find((v) => v.version === version);
    if (!found) throw notFound(`version ${version} of ${kind.replace("_", " ")} '${name}'`);
    return found;
  }

  async diff(tenantId: string, kind: Kind, name: string, from: number, to: number): Promise<FieldChange[]> {
    const [a, b] = await Promise.all([
      this.version(tenantId, kind, name, from),
      this.version(tenantId, kind, name, to),
    ]);
    const content = (v: RecordVersion): RecordContent | undefined => (v.change === "delete" ? undefined : { owner: v.owner, spec: v.spec });
    return diffValues(content(a), content(b));
  }

  /** Creates or updates a record. Writing the content it already has changes nothing. */
  async write<K extends Kind>(executor: Executor, ctx: ActionContext, input: WriteInput<K>): Promise<RegistryRecord<K>> {
    const { name, owner } = validateIdentity(input.name, input.owner);
    const spec = normaliseSpec(input.kind, input.spec);
    const current = await this.find(input.tenantId, input.kind, name, executor);
    const live = current && !current.deleted ? current : undefined;
    this.checkExpected(input, live);
    if (live && live.owner === owner && jsonEqual(live.spec, spec)) return live;

    const now = Date.now();
    const by = actorLabel(ctx.actor);
    const version = (current?.version ?? 0) + 1;
    let id: string;
    if (current) {
      id = current.id;
      await executor
        .updateTable("registry_records")
        .set({ owner, spec: canonicalJson(spec), version, deleted_at: null, updated_at: now, updated_by: by })
        .where("id", "=", id)
        .execute();
    } else {
      id = randomUUID();
      await executor
        .insertInto("registry_records")
        .values({
          id,
          tenant_id: input.tenantId,
          kind: input.kind,
          name,
          owner,
          version,
          spec: canonicalJson(spec),
          deleted_at: null,
          created_at: now,
          created_by: by,
          updated_at: now,
          updated_by: by,
        })
        .execute();
    }
    const change = live ? "update" : "create";
    await this.insertVersion(executor, { id, version, owner, spec, change, now, by, input });
    await this.recorder.record(executor, ctx, {
      action: `${input.kind}.${change}`,
      resource: { kind: input.kind, id, name },
      decision: { outcome: "allowed" },
      payload: {
        version,
        before: contentOf(live),
        after: { owner, spec },
        changeRequestId: input.changeRequestId ?? null,
        justification: input.justification ?? null,
      },
    });
    return (await this.get(input.tenantId, input.kind, name, executor)) as RegistryRecord<K>;
  }

  /** Marks a record deleted; its history stays readable and a later write revives it. */
  async remove<K extends Kind>(
    executor: Executor,
    ctx: ActionContext,
    input: Omit<WriteInput<K>, "owner" | "spec">,
  ): Promise<void> {
    const live = await this.get(input.tenantId, input.kind, input.name, executor);
    this.checkExpected(input, live);
    const now = Date.now();
    const by = actorLabel(ctx.actor);
    const version = live.version + 1;
    await executor
      .updateTable("registry_records")
      .set({ version, deleted_at: now, updated_at: now, updated_by: by })
      .where("id", "=", live.id)
      .execute();
    await this.insertVersion(executor, {
      id: live.id,
      version,
      owner: live.owner,
      spec: live.spec,
      change: "delete",
      now,
      by,
      input,
    });
    await this.recorder.record(executor, ctx, {
      action: `${input.kind}.delete`,
      resource: { kind: input.kind, id: live.id, name: live.name },
      decision: { outcome: "allowed" },
      payload: {
        version,
        before: contentOf(live),
        changeRequestId: input.changeRequestId ?? null,
        justification: input.justification ?? null,
      },
    });
  }

  private checkExpected(input: { kind: Kind; name: string; expectedVersion?: number }, live: RegistryRecord | undefined) {
    if (input.expectedVersion === undefined) return;
    const actual = live?.version ?? 0;
    if (input.expectedVersion === 0 && live) throw conflict(`${input.kind.replace("_", " ")} '${input.name}' already exists`);
    if (input.expectedVersion !== 0 && actual !== input.expectedVersion) {
      throw conflict(
        `${input.kind.replace("_", " ")} '${input.name}' changed since version ${input.expectedVersion} (now ${live ? `version ${actual}` : "absent"})`,
      );
    }
  }

  private async insertVersion(
    executor: Executor,
    v: {
      id: string;
      version: number;
      owner: string;
      spec: unknown;
      change: RecordVersion["change"];
      now: number;
      by: string;
      input: { changeRequestId?: string | null; justification?: string | null };
    },
  ): Promise<void> {
    await executor
      .insertInto("registry_versions")
      .values({
        record_id: v.id,
        version: v.version,
        owner: v.owner,
        spec: canonicalJson(v.spec),
        change: v.change,
        changed_at: v.now,
        changed_by: v.by,
        change_request_id: v.input.changeRequestId ?? null,
        justification: v.input.justification ?? null,
      })
      .execute();
  }
}
