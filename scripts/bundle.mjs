/**
 * Bundles the CLI (dist/cli/main.js, as tsc wrote it) and what it imports into one file,
 * dist/cli/gatehouse.js, which bin/gatehouse.js runs. Loading one file instead of some thousand
 * modules is what brings a start to ready under a second: Node resolves, reads and compiles
 * each ES module on its own (measured: `gatehouse --help` 0.75 s from the modules, 0.3 s from
 * the bundle, and some 20 MB less memory).
 *
 * Left outside: packages that load files relative to themselves at run time (better-sqlite3's
 * native addon, Cedar's WebAssembly) and pg's optional native binding.
 *
 * What the code imports dynamically (pg, ioredis: only a process configured for PostgreSQL or
 * Redis loads them) goes into chunks of its own in dist/cli/chunks/, which a process that never
 * asks for them neither compiles nor runs. The guards' worker thread (dist/cli/scan-worker.js)
 * is a second entry; the guard code it shares with the CLI is a chunk both import.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const outdir = "dist/cli";
rmSync(`${outdir}/chunks`, { recursive: true, force: true });

const { metafile } = await build({
  // The guards' worker thread runs a module of its own, found beside the bundle (ScanWorkers).
  entryPoints: { gatehouse: "dist/cli/main.js", "scan-worker": "dist/guards/offload/scan-worker.js" },
  outdir,
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  metafile: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["better-sqlite3", "@cedar-policy/cedar-wasm", "pg-native"],
  // Bundled CommonJS packages call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as gatehouseCreateRequire } from 'node:module'; const require = gatehouseCreateRequire(import.meta.url);" },
  sourcemap: "linked",
  // Node keeps a module's source text on the heap for as long as it runs, and one character
  // outside Latin-1 (a curly quote in a comment) makes V8 store all of it at two bytes a
  // character: without whitespace and comments, and ASCII only, the bundle's source takes 3 MB
  // instead of 12. Identifiers stay as written, so stack traces still name the functions, and
  // the source map leads back to the TypeScript.
  minifyWhitespace: true,
  charset: "ascii",
  logLevel: "warning",
});

// esbuild leaves regular expression literals as written, and the injection lexicon's hold other
// scripts: escape what is left (\uXXXX means the same in a regex, a string or an identifier).
for (const outfile of Object.keys(metafile.outputs).filter((file) => file.endsWith(".js"))) {
  const text = readFileSync(outfile, "utf8");
  const ascii = text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (ascii !== text) writeFileSync(outfile, ascii);
}
