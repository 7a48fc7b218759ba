import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/**
 * The directory holding Gatehouse's package.json, where examples/ and dist/ are. Found by
 * walking up from this module rather than by a fixed relative path, because the same code runs
 * from src/ (tests), from dist/ (the compiled modules) and from the one-file bundle the CLI runs.
 */
export function packageRoot(): string {
  if (root) return root;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "gatehouse") return (root = dir);
    if (path.dirname(dir) === dir) throw new Error(`gatehouse: no package.json of gatehouse above ${start}`);
  }
}
