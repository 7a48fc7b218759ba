import type { Db } from "../../store/database.js";
import type { ActionContext, Recorder } from "../recorder.js";
import type { PersonalData } from "./personal-data.js";
import { subjectRef } from "./subject-keys.js";

export interface ErasureResult {
  /** How the subject is named in the log: SHA-256 of tenant and subject, not the subject itself. */
  subjectRef: string;
  /** False when the subject had no key: nothing of theirs was sealed, or it was erased before. */
  keyDestroyed: boolean;
}

/**
 * Erasure of a data subject by crypto-shredding: their key is destroyed, so the personal data
 * sealed with it in every log entry can no longer be opened, while the entries, payload hashes
 * and proofs stay intact. The erasure is itself logged, in the same transaction.
 */
export class Erasure {
  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly personalData: PersonalData,
  ) {}

  /** Erases one data subject of the tenant, or with subject null the tenant-wide key. */
  async erase(ctx: ActionContext, tenantId: string, subject: string | null, justification: string): Promise<ErasureResult> {
    return this.db.transaction().execute(async (trx) => {
      const keyDestroyed = await this.personalData.destroy(trx, tenantId, subject);
      const result: ErasureResult = { subjectRef: subjectRef(tenantId, subject), keyDestroyed };
      await this.recorder.record(trx, ctx, {
        action: "audit.subject_erased",
        resource: { kind: subject === null ? "tenant_personal_data" : "data_subject", id: result.subjectRef },
        decision: { outcome: "allowed" },
        payload: { keyDestroyed, justification },
      });
      return result;
    });
  }
}
