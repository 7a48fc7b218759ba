import { hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { scanEntryNumbers, type EntryNumbers } from "./entry-scan.js";
import { EntryLineReader, hexEquals, type EntryLine } from "./export-format.js";
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
 * one sequence of entries. It stops at the first divergence and names it.
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
    let parsed: { type?: unknown; size?: unknown; note?: unknown; seq?: unknown; leaf?: unknown; entry?: unknown };
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
    } else if (this.witnesses.length > 0 && this.witnessedSize === undefined && count > 0) {
      this.fail({ message: `no checkpoint carries ${this.threshold} valid witness cosignatures` });
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
    this.frontier.append(leaf);
    this.lastAt = numbers.at;
    const next = this.pending[0];
    if (next && next.size === this.frontier.size) {
      this.pending.shift();
      return this.checkRoot(next);
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

function parseEntryNumbers(line: EntryLine): EntryNumbers | undefined {
  try {
    const entry = JSON.parse(line.buffer.toString("utf8", 1, 1 + line.length)) as { seq?: unknown; at?: unknown };
    return Number.isSafeInteger(entry?.seq) && Number.isSafeInteger(entry?.at) ? { seq: entry.seq as number, at: entry.at as number } : undefined;
  } catch {
    return undefined;
  }
}
