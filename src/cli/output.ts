import type { FixtureReport } from "../policy/policy-fixtures.js";
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

/** A change's policy fixture results: the counts, then each failing fixture (new ones marked as broken by the change). */
export function formatFixtures(report: FixtureReport, indent = "    "): string {
  const broken = report.broken > 0 ? ` (${report.broken} broken by this change)` : "";
  const lines = [`${indent}policy fixtures: ${report.passed} passed, ${report.failed} failed${broken}`];
  for (const f of report.failures) lines.push(`${indent}  ${f.preexisting ? "FAIL" : "BROKEN"} ${f.test}: ${f.name} — ${f.problem}`);
  return lines.join("\n");
}
