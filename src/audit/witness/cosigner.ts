import type { Db } from "../../store/database.js";
import type { Logger } from "../../shared/logger.js";
import type { AuditLog, StoredCheckpoint } from "../log/audit-log.js";
import { keyTypes, parseNote, verifySignature, type NoteVerifier } from "../log/note.js";
import { parseSizeBody } from "./add-checkpoint.js";
import type { Fork, ForkDetector } from "./fork-detector.js";
import { requestCosignature, type WitnessReply } from "./witness-client.js";

export interface WitnessEndpoint {
  /** The witness's key name; cosignatures are stored under it. */
  name: string;
  /** The witness's submission prefix; add-checkpoint is POSTed to <url>/add-checkpoint. */
  url: string;
  verifier: NoteVerifier;
}

export interface WitnessingOptions {
  witnesses: WitnessEndpoint[];
  /** How many witnesses must cosign a checkpoint for it to count as witnessed (k of n). */
  threshold: number;
  /** How long one request to a witness may take. */
  timeoutMs?: number;
  /** How often witnesses that have not cosigned the latest checkpoint are asked again. */
  retryIntervalMs?: number;
}

export interface WitnessedCheckpoint extends StoredCheckpoint {
  /** The checkpoint with every stored cosignature appended. */
  cosignedNote: string;
  /** The configured witnesses that cosigned it. */
  witnesses: string[];
}

/** Throws when the witness list or threshold cannot work (checked before anything is opened). */
export function checkWitnessing(options: WitnessingOptions): void {
  const names = options.witnesses.map((w) => w.name);
  if (new Set(names).size !== names.length) throw new Error("witness names must be unique");
  for (const w of options.witnesses) {
    if (w.verifier.name !== w.name) throw new Error(`witness ${w.name} is configured with a key named ${w.verifier.name}`);
    if (w.verifier.type !== keyTypes.cosignatureV1) throw new Error(`witness ${w.name} needs a cosignature/v1 verifier key`);
  }
  if (options.witnesses.length > 0 && !(Number.isInteger(options.threshold) && options.threshold >= 1 && options.threshold <= options.witnesses.length)) {
    throw new Error(`the witness threshold must be between 1 and ${options.witnesses.length}`);
  }
}

interface Link {
  endpoint: WitnessEndpoint;
  /** The size the witness last cosigned, as far as this process knows. */
  witnessSize: number | undefined;
  /** The largest size a cosignature by this witness is stored for. */
  cosigned: number;
  running: Promise<void> | undefined;
  rerun: boolean;
  /** Set once the witness showed a fork: asking it again cannot help until an operator looks. */
  diverged: boolean;
}

/**
 * Asks the configured witnesses to cosign the log's latest checkpoint, each with a consistency
 * proof from the size it last cosigned. It runs beside the log, never in front of it: appends
 * and checkpoints do not wait for witnesses, and a witness that is down only delays witnessing.
 */
export class Cosigner {
  private readonly links: Link[];
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly timeoutMs: number;
  private readonly retryIntervalMs: number;

  constructor(
    private readonly db: Db,
    private readonly log: AuditLog,
    private readonly forks: ForkDetector,
    private readonly options: WitnessingOptions,
    private readonly logger: Logger,
  ) {
    checkWitnessing(options);
    this.links = options.witnesses.map((endpoint) => ({ endpoint, witnessSize: undefined, cosigned: -1, running: undefined, rerun: false, diverged: false }));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retryIntervalMs = options.retryIntervalMs ?? 30_000;
  }

  get threshold(): number {
    return this.options.threshold;
  }

  /** Catches up on what the last run left unwitnessed, then retries now and then. */
  start(): void {
    if (this.links.length === 0 || this.timer) return;
    this.nudge();
    this.timer = setInterval(() => this.nudge(), this.retryIntervalMs);
    this.timer.unref();
  }

  /** Asks every witness for the latest checkpoint soon; calls while one is asked coalesce. */
  nudge(): void {
    if (this.stopping.signal.aborted) return;
    for (const link of this.links) {
      if (link.running) {
        link.rerun = true;
        continue;
      }
      link.running = this.runUntilIdle(link).finally(() => {
        link.running = undefined;
      });
    }
  }

  /** Asks every witness now and resolves once each has answered, failed or timed out. */
  async cosignNow(): Promise<void> {
    this.nudge();
    await Promise.all(this.links.map((link) => link.running));
  }

  /** Stops asking; requests in flight are abandoned (the next start asks again). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopping.abort();
    await Promise.all(this.links.map((link) => link.running));
  }

  /** The largest checkpoint at least k of the configured witnesses cosigned; none without witnesses. */
  async latestWitnessed(): Promise<WitnessedCheckpoint | undefined> {
    const names = this.links.map((link) => link.endpoint.name);
    if (names.length === 0) return undefined;
    const row = await this.db
      .selectFrom("log_cosignatures")
      .select("size")
      .where("witness", "in", names)
      .groupBy("size")
      .having((eb) => eb.fn.countAll(), ">=", this.options.threshold)
      .orderBy("size", "desc")
      .limit(1)
      .executeTakeFirst();
    if (!row) return undefined;
    const checkpoint = await this.db.selectFrom("log_checkpoints").selectAll().where("size", "=", row.size).executeTakeFirstOrThrow();
    const stored: StoredCheckpoint = { size: checkpoint.size, root: checkpoint.root, note: checkpoint.note, createdAt: checkpoint.created_at };
    const cosigners = await this.db.selectFrom("log_cosignatures").select("witness").where("size", "=", row.size).where("witness", "in", names).orderBy("witness").execute();
    return { ...stored, cosignedNote: await this.log.cosignedNote(stored), witnesses: cosigners.map((c) => c.witness) };
  }

  private async runUntilIdle(link: Link): Promise<void> {
    do {
      link.rerun = false;
      try {
        await this.cosign(link);
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        this.logger.warn({ witness: link.endpoint.name, url: link.endpoint.url, err: (error as Error).message }, "witness did not cosign; will ask again");
      }
    } while (link.rerun && !this.stopping.signal.aborted);
  }

  private async cosign(link: Link): Promise<void> {
    if (link.diverged) return;
    let latest = await this.log.latestCheckpoint();
    if (!latest) return;
    if (link.witnessSize === undefined) {
      const row = await this.db
        .selectFrom("log_cosignatures")
        .select((eb) => eb.fn.max("size").as("size"))
        .where("witness", "=", link.endpoint.name)
        .executeTakeFirst();
      link.cosigned = row?.size === null || row?.size === undefined ? -1 : Number(row.size);
      link.witnessSize = Math.max(link.cosigned, 0);
    }
    if (link.cosigned >= latest.size) return;

    let old = link.witnessSize;
    // One retry: a 409 tells the size the witness holds, and the second request starts from it.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (old > latest.size) {
        // Another process may have checkpointed (and asked this witness) since latest was read.
        const newer = await this.log.latestCheckpoint();
        if (!newer || newer.size < old) return this.diverged(link, this.aheadOfLog(link, old, newer?.size ?? 0));
        latest = newer;
        if (old === latest.size && link.cosigned >= latest.size) return;
      }
      const reply = await this.ask(link, old, latest);
      if (reply.status === 200) return this.store(link, latest, reply.body);
      if (reply.status === 409) {
        const size = parseSizeBody(reply.body);
        if (size === undefined) throw new Error(`witness answered 409 without its size: ${JSON.stringify(reply.body.slice(0, 200))}`);
        // The witness agreed on the old size and still refused: it holds another root for it.
        if (size === old) return this.diverged(link, this.sameSizeFork(link, latest));
        link.witnessSize = size;
        old = size;
        continue;
      }
      if (reply.status === 422) return this.diverged(link, await this.inconsistent(link, old, latest));
      throw new Error(`witness answered ${reply.status}: ${reply.body.slice(0, 200).trim()}`);
    }
    throw new Error(`witness kept answering 409 (it now holds size ${old})`);
  }

  private async ask(link: Link, oldSize: number, checkpoint: StoredCheckpoint): Promise<WitnessReply> {
    const proof = oldSize === 0 ? [] : await this.log.consistencyProof(oldSize, checkpoint.size);
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.timeoutMs)]);
    return requestCosignature(link.endpoint.url, { oldSize, proof, checkpoint: checkpoint.note }, signal);
  }

  /** Keeps the cosignature lines of the answer that verify with the witness's key (one per witness is stored). */
  private async store(link: Link, checkpoint: StoredCheckpoint, body: string): Promise<void> {
    link.witnessSize = checkpoint.size;
    const text = parseNote(checkpoint.note).text;
    const line = body
      .split("\n")
      .filter((l) => l.startsWith("\u2014 "))
      .find((l) => {
        try {
          return verifySignature(parseNote(`${text}\n${l}\n`), link.endpoint.verifier).ok;
        } catch {
          return false;
        }
      });
    if (!line) throw new Error("witness answered 200 without a cosignature by its key");
    await this.db
      .insertInto("log_cosignatures")
      .values({ size: checkpoint.size, witness: link.endpoint.name, signature: line, created_at: Date.now() })
      .onConflict((oc) => oc.doNothing())
      .execute();
    link.cosigned = checkpoint.size;
  }

  private async diverged(link: Link, fork: Fork): Promise<void> {
    link.diverged = true;
    await this.forks.alarm(fork);
  }

  private async inconsistent(link: Link, old: number, checkpoint: StoredCheckpoint): Promise<Fork> {
    const ours = await this.rootOrUnknown(old);
    const root = Buffer.from(checkpoint.root, "hex").toString("base64");
    return {
      witness: link.endpoint.name,
      reasons: [
        `witness ${link.endpoint.name} refused this log's checkpoint of size ${checkpoint.size} (root ${root}) as inconsistent with the checkpoint of size ${old} it cosigned; this log's root at size ${old} is ${ours}, so the witness holds another root for that size`,
      ],
      details: { witnessSize: old, size: checkpoint.size, root, rootAtWitnessSize: ours },
    };
  }

  private sameSizeFork(link: Link, checkpoint: StoredCheckpoint): Fork {
    const root = Buffer.from(checkpoint.root, "hex").toString("base64");
    return {
      witness: link.endpoint.name,
      reasons: [`witness ${link.endpoint.name} cosigned another root for size ${checkpoint.size}; this log's root at size ${checkpoint.size} is ${root}`],
      details: { witnessSize: checkpoint.size, size: checkpoint.size, root },
    };
  }

  private aheadOfLog(link: Link, witnessSize: number, latestSize: number): Fork {
    return {
      witness: link.endpoint.name,
      reasons: [
        `witness ${link.endpoint.name} cosigned size ${witnessSize} of this log, but this log's latest checkpoint is size ${latestSize}: the log was rolled back or another history was signed with its key`,
      ],
      details: { witnessSize, size: latestSize },
    };
  }

  private async rootOrUnknown(size: number): Promise<string> {
    try {
      return (await this.forks.rootAt(size)).toString("base64");
    } catch {
      return "unknown (this log does not reach that size)";
    }
  }
}
