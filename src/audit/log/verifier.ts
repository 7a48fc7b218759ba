import { hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { scanEntryNumbers, type EntryNumbers } from "./entry-scan.js";
import { RETENTION_RUN_ACTION } from "./entry.js";
import { EntryLineReader, hexEquals, readPayloadLine, type EntryLine } from "./export-format.js";
import type { Hash } from "./merkle.js";
import { parseVerifierKey, type NoteVerifier } from "./note.js";
import { checkCheckpointNote } from "./signed-checkpoint.js";
import { StreamingRoot } from "./streaming-root.js";

/**
 * The offline verifier of an exported log (see export-format.ts): it needs only the file and
 * public keys. It recomputes every leaf hash from the entry text and the tree as it goes, checks
 * that entries are numbered 0, 1, 2… in the file and in their own "seq" field, that time never
 * goes backwards, that every checkpoint is signed by the log (and cosigned by k witnesses when
 * witness keys are given), and that each checkpoint's root is the root of the entries before it.
 * Consecutive checkpoints are then consistent by construction: both roots were recomputed from
 * one sequence of entries. Each payload body must hash to the payloadHash its entry commits to;
 * a body may be missing only where a later retention run of the entry's tenant, itself an entry
 * of the log, says it pruned bodies that old. It stops at the first divergence and names it.
 */
export interface VerifyOptions {
  /** The log's verifier key. Without it the key in the file's first line is used, which proves nothing. */
  key?: NoteVerifier;
  witnesses?: NoteVerifier[];
  /** How many witness cosignatures make a checkpoint witnessed; all given witnesses by default. */
  threshold?: number;
}

export interface Divergence {
  /** E.g. "entry 17: leaf hash does not match checkpoint 20's root". */
  message: string;
  /** The first entry at which the file and the log part ways, when that is known. */
  seq?: number;
  /** The size of the checkpoint involved, if one is. */
  checkpoint?: number;
  /** The line of the file (from 1) where the divergence showed. */
  line: number;
}

export interface VerifyResult {
  ok: boolean;
  divergence?: Divergence;
  origin?: string;
  /** The verifier key the checkpoints were checked with. */
  key?: string;
  entries: number;
  checkpoints: number;
  /** Size and root (base64) of the latest checkpoint whose root was recomputed from the file. */
  verifiedSize: number;
  root?: string;
  /** Size of the latest checkpoint with at least `threshold` witness cosignatures, when witnesses were given. */
  witnessedSize?: number;
  /** Entries whose payload body retention pruned (each covered by a retention run in the log). */
  prunedPayloads: number;
  warnings: string[];
}

interface PendingCheckpoint {
  size: number;
  root: Hash;
  witnessed: boolean;
}

export async function verifyLog(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: VerifyOptions = {}): Promise<VerifyResult> {
  const verifier = new LogFileVerifier(options);
  let rest: Buffer | undefined;
  for await (const chunk of source) {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    let nl = buffer.indexOf(0x0a);
    if (rest) {
      // Only the line that straddles two chunks is copied.
      if (nl < 0) {
        rest = Buffer.concat([rest, buffer]);
        continue;
      }
      const joined = Buffer.concat([rest, buffer.subarray(0, nl)]);
      if (!verifier.line(joined, 0, joined.length)) return verifier.finish();
      start = nl + 1;
      nl = buffer.indexOf(0x0a, start);
    }
    for (; nl >= 0; nl = buffer.indexOf(0x0a, start)) {
      if (!verifier.line(buffer, start, nl)) return verifier.finish();
      start = nl + 1;
    }
    rest = start < buffer.length ? Buffer.from(buffer.subarray(start)) : undefined;
  }
  if (rest) verifier.line(rest, 0, rest.length);
  return verifier.finish();
}

export const verifyLogFile = (file: string, options: VerifyOptions = {}): Promise<VerifyResult> =>
  verifyLog(createReadStream(file, { highWaterMark: 1 << 20 }), options);

class LogFileVerifier {
  private readonly reader = new EntryLineReader();
  private readonly frontier = new StreamingRoot();
  private readonly witnesses: NoteVerifier[];
  private readonly threshold: number;
  private key: NoteVerifier | undefined;
  private origin: string | undefined;
  private lineNo = 0;
  private lastAt = 0;
  private checkpoints = 0;
  private lastCheckpointSize = 0;
  /** Checkpoints read whose size the entries have not reached yet (export writes each before its entries). */
  private readonly pending: PendingCheckpoint[] = [];
  private verifiedSize = 0;
  private verifiedRoot: Hash | undefined;
  private witnessedSize: number | undefined;
  /** An entry numbered past the expected one: missing, unless the expected one comes next (out of order). */
  private gap: { expected: number; found: number; line: number } | undefined;
  /** The first entry whose text does not hash to the leaf hash the log stored for it. */
  private suspect: { seq: number; line: number } | undefined;
  private divergence: Divergence | undefined;
  private readonly warnings: string[] = [];
  /** The payload line read just before the entry it belongs to. */
  private body: { seq: number; hash: Buffer; line: number } | undefined;
  private readonly pruned = new PrunedBodies();

  constructor(options: VerifyOptions) {
    this.key = options.key;
    this.witnesses = options.witnesses ?? [];
    this.threshold = options.threshold ?? this.witnesses.length;
    if (this.witnesses.length > 0 && !(Number.isInteger(this.threshold) && this.threshold >= 1 && this.threshold <= this.witnesses.length)) {
      throw new RangeError(`the witness threshold must be between 1 and ${this.witnesses.length}`);
    }
    if (this.witnesses.length === 0 && options.threshold !== undefined) throw new RangeError("a witness threshold needs witness keys");
  }

  /** Takes the line buffer[start, end) (without its newline); false once a divergence was found. */
  line(buffer: Buffer, start: number, end: number): boolean {
    this.lineNo++;
    if (end === start || (end === start + 1 && buffer[start] === 0x0d)) return true;
    if (this.origin === undefined) return this.header(buffer.toString("utf8", start, end));
    const fast = this.reader.readFast(buffer, start, end);
    if (fast) return this.entry(fast);
    const payload = readPayloadLine(buffer, start, end);
    if (payload) return this.payload(payload.seq, buffer.subarray(payload.bodyStart, payload.bodyEnd));
    let parsed: { type?: unknown; size?: unknown; note?: unknown; seq?: unknown; leaf?: unknown; entry?: unknown; body?: unknown };
    try {
      parsed = JSON.parse(buffer.toString("utf8", start, end)) as typeof parsed;
    } catch {
      return this.fail({ message: `line ${this.lineNo}: not valid JSON` });
    }
    if (parsed === null || typeof parsed !== "object") return this.fail({ message: `line ${this.lineNo}: not a JSON object` });
    if (parsed.type === "entry") {
      const entry = this.reader.readSlow(parsed);
      return entry ? this.entry(entry) : this.fail({ message: `line ${this.lineNo}: entry line without an integer seq and a string entry` });
    }
    if (parsed.type === "checkpoint") return this.checkpoint(parsed.size, parsed.note);
    if (parsed.type === "payload") {
      // Another JSON form of the line: the body re-serialised compactly has the bytes it was written with.
      const body = typeof parsed.body === "string" ? parsed.body : JSON.stringify(parsed.body);
      if (!Number.isSafeInteger(parsed.seq) || typeof body !== "string") return this.fail({ message: `line ${this.lineNo}: payload line without an integer seq and a body` });
      return this.payload(parsed.seq as number, Buffer.from(body, "utf8"));
    }
    return this.fail({ message: `line ${this.lineNo}: unexpected line of type ${JSON.stringify(parsed.type)}` });
  }

  finish(): VerifyResult {
    const count = this.frontier.size;
    const next = this.pending[0];
    if (this.divergence) {
      // already found
    } else if (this.origin === undefined) {
      this.fail({ message: "the file has no log header line" });
    } else if (this.gap) {
      this.fail({ seq: this.gap.expected, message: `entry ${this.gap.expected} missing` }, this.gap.line);
    } else if (next) {
      this.fail({ seq: count, checkpoint: next.size, message: `file ends at entry ${count} but checkpoint ${next.size} covers more` });
    } else if (count > this.verifiedSize) {
      this.fail({ seq: this.verifiedSize, message: `entries ${this.verifiedSize}..${count - 1} are not covered by any checkpoint` });
    } else if (this.body) {
      this.fail({ seq: this.body.seq, message: `entry ${this.body.seq}: payload body without its entry` }, this.body.line);
    } else if (this.witnesses.length > 0 && this.witnessedSize === undefined && count > 0) {
      this.fail({ message: `no checkpoint carries ${this.threshold} valid witness cosignatures` });
    } else {
      const uncovered = this.pruned.firstUncovered();
      if (uncovered) this.fail({ seq: uncovered.seq, message: `entry ${uncovered.seq}: payload body missing, and no retention run of its tenant covers it` }, uncovered.line);
    }
    const result: VerifyResult = {
      ok: this.divergence === undefined,
      ...(this.divergence ? { divergence: this.divergence } : {}),
      origin: this.origin,
      key: this.key?.text,
      entries: count,
      checkpoints: this.checkpoints,
      verifiedSize: this.verifiedSize,
      root: this.verifiedRoot?.toString("base64"),
      prunedPayloads: this.pruned.count,
      warnings: this.warnings,
    };
    if (this.witnesses.length > 0) {
      result.witnessedSize = this.witnessedSize ?? 0;
      if (result.ok && result.witnessedSize < count) {
        this.warnings.push(`entries ${result.witnessedSize}..${count - 1} are covered only by the log's own signature, not by ${this.threshold} witnesses`);
      }
    }
    return result;
  }

  private header(line: string): boolean {
    let header: { type?: unknown; origin?: unknown; key?: unknown };
    try {
      header = JSON.parse(line) as typeof header;
    } catch {
      header = {};
    }
    if (header?.type !== "log" || typeof header.origin !== "string" || typeof header.key !== "string") {
      return this.fail({ message: `line ${this.lineNo}: not a log header ({"type":"log","origin":…,"key":…})` });
    }
    this.origin = header.origin;
    if (!this.key) {
      try {
        this.key = parseVerifierKey(header.key);
      } catch (error) {
        return this.fail({ message: `line ${this.lineNo}: the file's log key is unusable: ${(error as Error).message}` });
      }
      this.warnings.push("no log key given: trusting the key named in the file itself, which proves only that the file is self-consistent, not that it is the log");
    } else if (header.key !== this.key.text) {
      this.warnings.push(`the file names the log key ${header.key}, not the given key ${this.key.text}`);
    }
    if (header.origin !== this.key.name) {
      return this.fail({ message: `the file is the log ${header.origin}, but the key is for ${this.key.name}` });
    }
    return true;
  }

  private entry(line: EntryLine): boolean {
    const expected = this.frontier.size;
    if (this.gap) {
      const { expected: missing, found } = this.gap;
      const message = line.seq === missing ? `entry ${missing}: out of order, found after entry ${found}` : `entry ${missing} missing`;
      return this.fail({ seq: missing, message }, this.gap.line);
    }
    if (line.seq !== expected) {
      if (line.seq < expected) return this.fail({ seq: expected, message: `entry ${line.seq} appears again where entry ${expected} belongs` });
      this.gap = { expected, found: line.seq, line: this.lineNo };
      this.body = undefined;
      return true;
    }
    const numbers = scanEntryNumbers(line.buffer, 1, 1 + line.length) ?? parseEntryNumbers(line);
    if (!numbers) return this.fail({ seq: expected, message: `entry ${expected}: not a JSON object with integer "seq" and "at" fields` });
    if (numbers.seq !== expected) return this.fail({ seq: expected, message: `entry ${expected}: seq field says ${numbers.seq}` });
    if (numbers.at < this.lastAt) {
      return this.fail({ seq: expected, message: `entry ${expected}: timestamp ${numbers.at} is earlier than entry ${expected - 1}'s ${this.lastAt}` });
    }
    const leaf = hash("sha256", line.buffer.subarray(0, 1 + line.length), "buffer");
    if (!this.suspect && line.leafAt >= 0 && !hexEquals(line.leafSource, line.leafAt, leaf)) this.suspect = { seq: expected, line: this.lineNo };
    if (!this.checkBody(line, expected, numbers.at)) return false;
    this.frontier.append(leaf);
    this.lastAt = numbers.at;
    const next = this.pending[0];
    if (next && next.size === this.frontier.size) {
      this.pending.shift();
      return this.checkRoot(next);
    }
    return true;
  }

  private payload(seq: number, body: Uint8Array): boolean {
    if (this.body) return this.fail({ seq: this.body.seq, message: `entry ${this.body.seq}: payload body without its entry` }, this.body.line);
    this.body = { seq, hash: hash("sha256", body, "buffer"), line: this.lineNo };
    return true;
  }

  /**
   * The entry's payloadHash against the body line before it; a missing body is noted, to be
   * matched with the retention runs at the end. The entry's text is parsed only for the rare
   * entries that need it: pruned ones, retention runs, and any where "payloadHash" is ambiguous.
   */
  private checkBody(line: EntryLine, seq: number, at: number): boolean {
    const body = this.body;
    this.body = undefined;
    if (body && body.seq !== seq) return this.fail({ seq: body.seq, message: `entry ${body.seq}: payload body without its entry` }, body.line);
    const text = line.buffer.subarray(1, 1 + line.length);
    let parsed: { tenant?: unknown; action?: unknown; context?: { prunedBefore?: unknown }; payloadHash?: unknown } | undefined;
    const parse = () => (parsed ??= parseEntry(text));
    // Canonical entries end with payloadHash, resource, seq, tenant: the last "payloadHash" key, followed
    // by the top-level resource, is the entry's own (a nested one under context comes earlier).
    const found = text.lastIndexOf(PAYLOAD_HASH_KEY);
    const hexAt = found + PAYLOAD_HASH_KEY.length;
    const canonical = found >= 0 && startsWithBytes(text, hexAt + 64, AFTER_PAYLOAD_HASH);
    let hashAt = canonical ? 1 + hexAt : -1;
    if (found >= 0 && !canonical) {
      const declared = parse()?.payloadHash;
      hashAt = typeof declared === "string" ? -2 : -1;
      if (body && (typeof declared !== "string" || declared !== body.hash.toString("hex"))) {
        return this.fail({ seq, message: `entry ${seq}: payload body does not hash to the entry's payloadHash` }, body.line);
      }
    } else if (body && (hashAt < 0 || !hexEquals(line.buffer, hashAt, body.hash))) {
      return this.fail({ seq, message: hashAt < 0 ? `entry ${seq}: has no payloadHash, but a payload body` : `entry ${seq}: payload body does not hash to the entry's payloadHash` }, body.line);
    }
    if (!body && hashAt !== -1) {
      const tenant = parse()?.tenant;
      this.pruned.missing(seq, typeof tenant === "string" ? tenant : null, at, this.lineNo);
    }
    // "action" sorts first in a canonical entry.
    if (startsWithBytes(text, 0, RETENTION_RUN)) {
      const entry = parse();
      const before = entry?.context?.prunedBefore;
      if (entry?.action === RETENTION_RUN_ACTION && typeof entry.tenant === "string" && Number.isSafeInteger(before)) {
        this.pruned.run(seq, entry.tenant, before as number);
      }
    }
    return true;
  }

  private checkpoint(size: unknown, note: unknown): boolean {
    if (!Number.isSafeInteger(size) || (size as number) < 1 || typeof note !== "string") {
      return this.fail({ message: `line ${this.lineNo}: checkpoint line without a positive size and a note` });
    }
    const n = size as number;
    const check = checkCheckpointNote(note, this.key as NoteVerifier, this.witnesses);
    if (!check.ok) return this.fail({ checkpoint: n, message: `checkpoint ${n}: ${check.problem}` });
    if (check.checkpoint.size !== n) return this.fail({ checkpoint: n, message: `checkpoint ${n}: its signed note says size ${check.checkpoint.size}` });
    if (n <= this.lastCheckpointSize) return this.fail({ checkpoint: n, message: `checkpoint ${n}: out of order, after checkpoint ${this.lastCheckpointSize}` });
    this.lastCheckpointSize = n;
    this.checkpoints++;
    const checkpoint = { size: n, root: check.checkpoint.root, witnessed: this.witnesses.length > 0 && check.cosignatures >= this.threshold };
    const count = this.frontier.size;
    if (n < count) return this.fail({ checkpoint: n, message: `checkpoint ${n}: comes after entry ${count - 1}, past the entries it covers` });
    if (n === count) return this.checkRoot(checkpoint);
    this.pending.push(checkpoint);
    return true;
  }

  private checkRoot(checkpoint: PendingCheckpoint): boolean {
    const from = this.verifiedSize;
    const suspect = this.suspect;
    if (!this.frontier.root().equals(checkpoint.root)) {
      if (suspect) {
        return this.fail({ seq: suspect.seq, checkpoint: checkpoint.size, message: `entry ${suspect.seq}: leaf hash does not match checkpoint ${checkpoint.size}'s root` }, suspect.line);
      }
      return this.fail({ seq: from, checkpoint: checkpoint.size, message: `checkpoint ${checkpoint.size}: root does not match entries ${from}..${checkpoint.size - 1} of the file` });
    }
    if (suspect) {
      return this.fail({ seq: suspect.seq, message: `entry ${suspect.seq}: its "leaf" field was changed (the entry itself matches checkpoint ${checkpoint.size})` }, suspect.line);
    }
    this.verifiedSize = checkpoint.size;
    this.verifiedRoot = checkpoint.root;
    if (checkpoint.witnessed) this.witnessedSize = checkpoint.size;
    return true;
  }

  /**
   * Records the first divergence. What was noticed at an earlier entry but not yet settled comes
   * first: an entry that no longer hashes to its stored leaf hash, or one missing from its place.
   */
  private fail(divergence: Omit<Divergence, "line">, line = this.lineNo): false {
    const { suspect, gap } = this;
    const earlier: Divergence | undefined = suspect
      ? { seq: suspect.seq, message: `entry ${suspect.seq}: does not hash to the leaf hash the log stored for it`, line: suspect.line }
      : gap && { seq: gap.expected, message: `entry ${gap.expected} missing`, line: gap.line };
    this.divergence = earlier && (divergence.seq === undefined || (earlier.seq as number) < divergence.seq) ? earlier : { ...divergence, line };
    return false;
  }
}

const PAYLOAD_HASH_KEY = Buffer.from('"payloadHash":"');
const AFTER_PAYLOAD_HASH = Buffer.from('","resource":');
const RETENTION_RUN = Buffer.from(`{"action":"${RETENTION_RUN_ACTION}"`);

function startsWithBytes(text: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (at < 0 || at + prefix.length > text.length) return false;
  for (let i = 0; i < prefix.length; i++) if (text[at + i] !== prefix[i]) return false;
  return true;
}

function parseEntry<T>(text: Uint8Array): T | undefined {
  try {
    const value = JSON.parse(Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString("utf8")) as unknown;
    return value !== null && typeof value === "object" ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Entries whose payload body is missing, and the retention runs that may account for them: a
 * missing body is covered by a later run of the same tenant that pruned bodies older than it.
 */
class PrunedBodies {
  private readonly missingOf = new Map<string | null, { seq: number[]; at: number[]; line: number[] }>();
  private readonly runsOf = new Map<string, { seq: number[]; before: number[] }>();
  count = 0;

  missing(seq: number, tenant: string | null, at: number, line: number): void {
    let list = this.missingOf.get(tenant);
    if (!list) this.missingOf.set(tenant, (list = { seq: [], at: [], line: [] }));
    list.seq.push(seq);
    list.at.push(at);
    list.line.push(line);
    this.count++;
  }

  run(seq: number, tenant: string, prunedBefore: number): void {
    let runs = this.runsOf.get(tenant);
    if (!runs) this.runsOf.set(tenant, (runs = { seq: [], before: [] }));
    runs.seq.push(seq);
    runs.before.push(prunedBefore);
  }

  /** The first missing body no run covers. Runs arrive in seq order; a suffix maximum answers each body with one binary search. */
  firstUncovered(): { seq: number; line: number } | undefined {
    let first: { seq: number; line: number } | undefined;
    for (const [tenant, list] of this.missingOf) {
      const runs = tenant === null ? undefined : this.runsOf.get(tenant);
      const latestBefore = runs ? suffixMax(runs.before) : [];
      for (let i = 0; i < list.seq.length; i++) {
        const seq = list.seq[i] as number;
        if (first && seq > first.seq) break;
        const r = runs ? firstAbove(runs.seq, seq) : 0;
        if (!runs || r >= runs.seq.length || (latestBefore[r] as number) <= (list.at[i] as number)) {
          first = { seq, line: list.line[i] as number };
          break;
        }
      }
    }
    return first;
  }
}

function suffixMax(values: number[]): number[] {
  const out = new Array<number>(values.length);
  let max = -Infinity;
  for (let i = values.length - 1; i >= 0; i--) out[i] = max = Math.max(max, values[i] as number);
  return out;
}

/** Index of the first element greater than value in an ascending array. */
function firstAbove(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function parseEntryNumbers(line: EntryLine): EntryNumbers | undefined {
  try {
    const entry = JSON.parse(line.buffer.toString("utf8", 1, 1 + line.length)) as { seq?: unknown; at?: unknown };
    return Number.isSafeInteger(entry?.seq) && Number.isSafeInteger(entry?.at) ? { seq: entry.seq as number, at: entry.at as number } : undefined;
  } catch {
    return undefined;
  }
}
