import { once } from "node:events";
import { createWriteStream, openSync, renameSync, rmSync } from "node:fs";
import { finished } from "node:stream/promises";
import type { Writable } from "node:stream";
import type { Db } from "../../store/database.js";
import type { AuditLog } from "./audit-log.js";
import { checkpointLine, entryLine, headerLine, payloadLine } from "./export-format.js";

const CHECKPOINT_PAGE = 200;
const ENTRY_PAGE = 2000;

export interface ExportSummary {
  entries: number;
  checkpoints: number;
  /** The size of the latest checkpoint, which covers every exported entry. */
  size: number;
}

/**
 * Streams the log in the format of export-format.ts, a page of rows at a time. Each checkpoint
 * is written right before the entries it adds to the previous one, so a copy whose tail was cut
 * off still holds a checkpoint that covers more than it does. The export stops at the latest
 * checkpoint when it starts: every entry in it is covered by a signed checkpoint.
 */
export async function exportLog(db: Db, log: AuditLog, out: Writable): Promise<ExportSummary> {
  const latest = await log.latestCheckpoint();
  const size = latest?.size ?? 0;
  await write(out, headerLine(log.origin, log.signer.text));
  let entries = 0;
  let checkpoints = 0;
  let after = 0;
  while (after < size) {
    const page = await db
      .selectFrom("log_checkpoints")
      .selectAll()
      .where("size", ">", after)
      .where("size", "<=", size)
      .orderBy("size")
      .limit(CHECKPOINT_PAGE)
      .execute();
    if (page.length === 0) break;
    for (const row of page) {
      const note = await log.cosignedNote({ size: row.size, root: row.root, note: row.note, createdAt: row.created_at });
      await write(out, checkpointLine(row.size, note));
      entries += await writeEntries(db, out, after, row.size);
      checkpoints++;
      after = row.size;
    }
  }
  return { entries, checkpoints, size };
}

/** Writes the entries [from, to) that the store holds; a missing row shows as a gap in the file. */
async function writeEntries(db: Db, out: Writable, from: number, to: number): Promise<number> {
  let written = 0;
  for (let seq = from; seq < to; ) {
    const rows = await db
      .selectFrom("log_entries")
      .select(["seq", "entry", "leaf_hash", "payload"])
      .where("seq", ">=", seq)
      .where("seq", "<", to)
      .orderBy("seq")
      .limit(ENTRY_PAGE)
      .execute();
    if (rows.length === 0) break;
    const text = rows.map((row) => (row.payload === null ? "" : payloadLine(row.seq, row.payload)) + entryLine(row.seq, row.leaf_hash, row.entry));
    await write(out, text.join(""));
    written += rows.length;
    seq = (rows[rows.length - 1]?.seq ?? to) + 1;
  }
  return written;
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (out.errored) throw out.errored;
  if (!out.write(chunk)) await once(out, "drain");
}

/** Exports to a file (mode 0600: entries carry tenant data), complete or not at all. */
export async function exportLogToFile(db: Db, log: AuditLog, file: string): Promise<ExportSummary> {
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  // Opened here so that a bad path fails at once rather than as a stream error later.
  const out = createWriteStream("", { fd: openSync(partial, "wx", 0o600) });
  out.on("error", () => undefined);
  try {
    const summary = await exportLog(db, log, out);
    out.end();
    await finished(out);
    renameSync(partial, file);
    return summary;
  } catch (error) {
    out.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
}
