import { emptyRoot, verifyConsistency } from "../log/merkle.js";
import { keyTypes, parseCheckpointText, parseNote, signatureFor, verifySignature, type Checkpoint, type Note, type NoteSigner, type NoteVerifier } from "../log/note.js";
import { silentLogger, type Logger } from "../../shared/logger.js";
import { MalformedRequest, parseAddCheckpoint, SIZE_CONTENT_TYPE, type AddCheckpointRequest } from "./add-checkpoint.js";
import type { WitnessState } from "./witness-state.js";

export interface WitnessAnswer {
  status: number;
  contentType: string;
  body: string;
}

const text = (status: number, message: string): WitnessAnswer => ({ status, contentType: "text/plain; charset=utf-8", body: `${message}\n` });
const conflict = (size: number): WitnessAnswer => ({ status: 409, contentType: SIZE_CONTENT_TYPE, body: `${size}\n` });

/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness): for each log it is configured with, it
 * cosigns a new checkpoint only when the log's key signed it and it is consistent with the
 * latest checkpoint it cosigned before, so it never cosigns two views of one log that disagree.
 */
export class Witness {
  private readonly logs = new Map<string, NoteVerifier[]>();

  constructor(
    readonly signer: NoteSigner,
    private readonly state: WitnessState,
    logs: NoteVerifier[],
    private readonly logger: Logger = silentLogger,
    private readonly now: () => number = Date.now,
  ) {
    if (signer.type !== keyTypes.cosignatureV1) throw new Error("a witness signs with a cosignature/v1 key");
    for (const verifier of logs) this.logs.set(verifier.name, [...(this.logs.get(verifier.name) ?? []), verifier]);
  }

  /** The origins this witness accepts checkpoints for. */
  get origins(): string[] {
    return [...this.logs.keys()];
  }

  addCheckpoint(body: string): WitnessAnswer {
    let request: AddCheckpointRequest;
    let note: Note;
    let checkpoint: Checkpoint;
    try {
      request = parseAddCheckpoint(body);
      note = parseNote(request.checkpoint);
      checkpoint = parseCheckpointText(note.text);
    } catch (error) {
      return text(400, error instanceof MalformedRequest ? error.message : `malformed checkpoint: ${(error as Error).message}`);
    }
    const trusted = this.logs.get(checkpoint.origin);
    if (!trusted) return text(404, `unknown log ${checkpoint.origin}`);
    const verifier = trusted.find((v) => verifySignature(note, v).ok);
    if (!verifier) return text(403, `no signature by a trusted key of ${checkpoint.origin}`);
    if (request.oldSize > checkpoint.size) return text(400, `old size ${request.oldSize} is larger than the checkpoint's size ${checkpoint.size}`);

    return this.state.atomically(() => {
      const current = this.state.get(checkpoint.origin);
      const size = current?.size ?? 0;
      const root = current?.root ?? emptyRoot();
      if (request.oldSize !== size) return conflict(size);
      if (request.oldSize === checkpoint.size) {
        if (!root.equals(checkpoint.root)) {
          this.refuse(checkpoint, body, `size ${size} has root ${root.toString("base64")} here, the checkpoint has ${checkpoint.root.toString("base64")}`);
          return conflict(size);
        }
      } else if (!verifyConsistency(size, checkpoint.size, root, checkpoint.root, request.proof)) {
        this.refuse(
          checkpoint,
          body,
          `no consistency from size ${size} (root ${root.toString("base64")}) to size ${checkpoint.size} (root ${checkpoint.root.toString("base64")})`,
        );
        return text(422, `the consistency proof from size ${size} to ${checkpoint.size} does not verify`);
      }
      this.state.put({
        origin: checkpoint.origin,
        verifierKey: verifier.text,
        size: checkpoint.size,
        root: checkpoint.root,
        checkpoint: request.checkpoint,
        updatedAt: this.now(),
      });
      // Stored before the answer is sent: a cosignature is never given for a state that could be lost.
      const cosignature = signatureFor(this.signer, note.text, BigInt(Math.floor(this.now() / 1000)));
      return { status: 200, contentType: "text/plain; charset=utf-8", body: `\u2014 ${cosignature.name} ${cosignature.blob.toString("base64")}\n` };
    });
  }

  /** Keeps a signed request that contradicts what was cosigned: the log signed two histories. */
  private refuse(checkpoint: Checkpoint, request: string, reason: string): void {
    this.state.keepEvidence({ origin: checkpoint.origin, at: this.now(), reason, request });
    this.logger.error({ origin: checkpoint.origin, size: checkpoint.size, reason }, "refused a checkpoint that contradicts the cosigned history: the log forked or rewrote its history");
  }
}
