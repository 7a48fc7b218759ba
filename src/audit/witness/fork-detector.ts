import type { Db } from "../../store/database.js";
import type { Logger } from "../../shared/logger.js";
import { systemActor } from "../actor.js";
import type { AuditLog } from "../log/audit-log.js";
import { parseCheckpointText, parseNote, verifySignature, type Checkpoint } from "../log/note.js";
import { actionContext, type Recorder } from "../recorder.js";

export interface Fork {
  /** The witness that showed it, when one did. */
  witness?: string;
  /** Plain sentences naming the sizes and roots that disagree. */
  reasons: string[];
  details: Record<string, string | number>;
}

/**
 * Two different roots for one size of this log mean someone holds a history other than the one
 * in this store. That is recorded as an audit.fork_detected event and logged at error level.
 */
export class ForkDetector {
  private readonly raised = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly log: AuditLog,
    private readonly logger: Logger,
  ) {}

  async alarm(fork: Fork): Promise<void> {
    const key = fork.reasons.join("\n");
    // A witness asked again on every retry must not fill the log with the same alert.
    if (this.raised.has(key)) return;
    this.raised.add(key);
    this.logger.error({ origin: this.log.origin, witness: fork.witness, reasons: fork.reasons, ...fork.details }, "audit log fork detected");
    await this.recorder.record(this.db, actionContext(systemActor("witnessing")), {
      action: "audit.fork_detected",
      resource: { kind: "audit_log", name: this.log.origin },
      decision: { outcome: "refused", reasons: fork.reasons },
      payload: { ...(fork.witness ? { witness: fork.witness } : {}), ...fork.details },
    });
  }

  /** This log's root hash at a size it has reached (from its checkpoint when there is one). */
  async rootAt(size: number): Promise<Buffer> {
    const stored = await this.db.selectFrom("log_checkpoints").select("root").where("size", "=", size).executeTakeFirst();
    return stored ? Buffer.from(stored.root, "hex") : this.log.rangeHash(0, size);
  }

  /**
   * Compares a checkpoint seen elsewhere (a cosigned note from a witness, a verifier or an
   * auditor) with this log. Only notes signed by this log's key say anything about it.
   */
  async check(note: string): Promise<"consistent" | "fork" | "not this log"> {
    let checkpoint: Checkpoint;
    try {
      const parsed = parseNote(note);
      if (!verifySignature(parsed, this.log.signer).ok) return "not this log";
      checkpoint = parseCheckpointText(parsed.text);
    } catch {
      return "not this log";
    }
    if (checkpoint.origin !== this.log.origin) return "not this log";
    const theirs = checkpoint.root.toString("base64");
    const size = await this.log.size();
    if (checkpoint.size > size) {
      await this.alarm({
        reasons: [`a checkpoint signed by this log's key has size ${checkpoint.size} (root ${theirs}), but this log has only ${size} entries`],
        details: { size: checkpoint.size, root: theirs, logSize: size },
      });
      return "fork";
    }
    const ours = (await this.rootAt(checkpoint.size)).toString("base64");
    if (ours === theirs) return "consistent";
    await this.alarm({
      reasons: [`a checkpoint signed by this log's key has root ${theirs} for size ${checkpoint.size}; this log's root at that size is ${ours}`],
      details: { size: checkpoint.size, root: theirs, logRoot: ours },
    });
    return "fork";
  }
}
