import type { Executor } from "../../store/database.js";
import { openWith, sealWith } from "../../secrets/secret-box.js";
import { canonicalJson, parseJson } from "../../shared/json.js";
import type { SealedPersonalData } from "./payload-body.js";
import type { SubjectKeys } from "./subject-keys.js";

/** Personal data an event carries: sealed with its data subject's key, or the tenant's when no subject is named. */
export interface PersonalInput {
  /** Who the data is about, in the caller's own terms (e.g. principal:ID, user:EXTERNAL-ID). */
  subject?: string;
  data: Record<string, unknown>;
}

const aad = (tenantId: string, keyId: string) => `audit-personal:${tenantId}:${keyId}`;

/** Seals personal data for the log and opens it again while its subject's key exists. */
export class PersonalData {
  constructor(private readonly keys: SubjectKeys) {}

  async seal(executor: Executor, tenantId: string, personal: PersonalInput): Promise<SealedPersonalData> {
    const { id, key } = await this.keys.keyFor(executor, tenantId, personal.subject ?? null);
    const sealed = sealWith(key, Buffer.from(canonicalJson(personal.data), "utf8"), aad(tenantId, id));
    return { key: id, sealed: sealed.toString("base64url") };
  }

  /** Destroys the subject's key (the tenant's, without a subject): what it sealed can no longer be opened. */
  destroy(executor: Executor, tenantId: string, subject: string | null): Promise<boolean> {
    return this.keys.destroy(executor, tenantId, subject);
  }

  /** Opens each sealed item; undefined where its key was erased (or it does not open). */
  async open(executor: Executor, items: { tenantId: string; personal: SealedPersonalData }[]): Promise<(Record<string, unknown> | undefined)[]> {
    const keys = await this.keys.keysById(executor, [...new Set(items.map((i) => i.personal.key))]);
    return items.map(({ tenantId, personal }) => {
      const key = keys.get(personal.key);
      if (!key) return undefined;
      try {
        return parseJson<Record<string, unknown>>(openWith(key, Buffer.from(personal.sealed, "base64url"), aad(tenantId, personal.key)).toString("utf8"));
      } catch {
        return undefined;
      }
    });
  }
}
