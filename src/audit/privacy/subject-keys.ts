import { createHash, randomUUID } from "node:crypto";
import type { Executor } from "../../store/database.js";
import { newDataKey, type SecretBox } from "../../secrets/secret-box.js";

export interface DataKey {
  id: string;
  key: Buffer;
}

/** The tenant-wide subject: personal data recorded without naming its data subject. */
export const TENANT_SUBJECT = null;

/**
 * How a data subject is named in the store: SHA-256 of tenant and subject, so the key table and
 * the erasure record do not repeat the subject's own identifier (often an e-mail address).
 */
export const subjectRef = (tenantId: string, subject: string | null): string =>
  createHash("sha256")
    .update(subject === null ? `gatehouse-tenant-subject\0${tenantId}` : `gatehouse-data-subject\0${tenantId}\0${subject}`)
    .digest("hex");

const sealContext = (id: string) => `audit-subject-key:${id}`;

/** How long a process keeps using a key it read, so a key erased elsewhere stops being used soon after. */
const CACHE_MS = 60_000;

/**
 * One AES-256 data key per data subject (or per tenant), sealed at rest with the master key.
 * Deleting a subject's key makes everything sealed with it unreadable: crypto-shredding.
 */
export class SubjectKeys {
  private readonly cache = new Map<string, { key: DataKey; until: number }>();

  constructor(private readonly secrets: SecretBox) {}

  /** The subject's key, made on first use. */
  async keyFor(executor: Executor, tenantId: string, subject: string | null): Promise<DataKey> {
    const ref = subjectRef(tenantId, subject);
    const cacheKey = `${tenantId}\0${ref}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.key;
    let row = await this.find(executor, tenantId, ref);
    if (!row) {
      const id = `dk_${randomUUID()}`;
      await executor
        .insertInto("audit_subject_keys")
        .values({ id, tenant_id: tenantId, subject_ref: ref, sealed_key: this.secrets.seal(newDataKey(), sealContext(id)), created_at: Date.now() })
        .onConflict((oc) => oc.columns(["tenant_id", "subject_ref"]).doNothing())
        .execute();
      row = await this.find(executor, tenantId, ref);
      if (!row) throw new Error("the data subject key could not be stored");
    }
    const key = { id: row.id, key: this.secrets.open(row.sealed_key, sealContext(row.id)) };
    // A key made inside a caller's transaction may still roll back: only keys known to be committed are kept.
    if (!executor.isTransaction) this.cache.set(cacheKey, { key, until: Date.now() + CACHE_MS });
    return key;
  }

  /** The keys with these ids that still exist; erased ones are simply absent. */
  async keysById(executor: Executor, ids: string[]): Promise<Map<string, Buffer>> {
    const keys = new Map<string, Buffer>();
    if (ids.length === 0) return keys;
    const rows = await executor.selectFrom("audit_subject_keys").select(["id", "sealed_key"]).where("id", "in", ids).execute();
    for (const row of rows) keys.set(row.id, this.secrets.open(row.sealed_key, sealContext(row.id)));
    return keys;
  }

  /** Destroys the subject's key; true when there was one. */
  async destroy(executor: Executor, tenantId: string, subject: string | null): Promise<boolean> {
    const ref = subjectRef(tenantId, subject);
    this.cache.delete(`${tenantId}\0${ref}`);
    const result = await executor.deleteFrom("audit_subject_keys").where("tenant_id", "=", tenantId).where("subject_ref", "=", ref).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  private find(executor: Executor, tenantId: string, ref: string) {
    return executor
      .selectFrom("audit_subject_keys")
      .select(["id", "sealed_key"])
      .where("tenant_id", "=", tenantId)
      .where("subject_ref", "=", ref)
      .executeTakeFirst();
  }
}
