import type { FieldChange } from "../registry/diff.js";

export const printJson = (value: unknown): void => console.log(JSON.stringify(value, null, 2));

const show = (value: unknown): string => (typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value));

/** Renders field changes the way a reviewer reads them: - before, + after, patches for text. */
export function formatChanges(changes: FieldChange[], indent = "    "): string {
  const lines: string[] = [];
  for (const change of changes) {
    if (change.patch) {
      lines.push(`${indent}~ ${change.path}:`);
      for (const line of change.patch.split("\n").slice(4)) if (line) lines.push(`${indent}    ${line}`);
      continue;
    }
    if (change.op !== "add") lines.push(`${indent}- ${change.path || "(record)"}: ${show(change.before)}`);
    if (change.op !== "remove") lines.push(`${indent}+ ${change.path || "(record)"}: ${show(change.after)}`);
  }
  return lines.join("\n");
}
