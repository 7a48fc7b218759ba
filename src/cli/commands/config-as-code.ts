import type { Command } from "commander";
import type { ApplyResult, PlanEntry } from "../../config-as-code/config-as-code.js";
import type { ConfigDocument } from "../../config-as-code/documents.js";
import { readDirectory, writeDirectory } from "../../config-as-code/directory.js";
import { formatChanges, formatFixtures, printJson } from "../output.js";
import { clientOf } from "./admin.js";

const symbol: Record<PlanEntry["action"], string> = { create: "+", update: "~", delete: "-", unchanged: "=" };

function formatEntry(entry: PlanEntry | ApplyResult): string {
  const approval = entry.approvals > 0 ? `, needs ${entry.approvals} approval${entry.approvals > 1 ? "s" : ""} (${entry.reasons.join("; ")})` : "";
  const pending = entry.pendingChangeRequest ? `, already pending as ${entry.pendingChangeRequest}` : "";
  const result = "result" in entry ? ` → ${entry.result}${entry.changeRequest ? ` as change request ${entry.changeRequest}` : ""}` : "";
  const head = `${symbol[entry.action]} ${entry.kind} ${entry.name} (${entry.action}${approval}${pending})${result}`;
  const body = [entry.action === "create" ? "" : formatChanges(entry.changes), entry.fixtures ? formatFixtures(entry.fixtures) : ""].filter(Boolean).join("\n");
  return body ? `${head}\n${body}` : head;
}

function summary(entries: PlanEntry[]): string {
  const count = (action: PlanEntry["action"]) => entries.filter((e) => e.action === action).length;
  const approvals = entries.filter((e) => e.action !== "unchanged" && e.approvals > 0).length;
  return `Plan: ${count("create")} to create, ${count("update")} to update, ${count("delete")} to delete, ${approvals} needing approval.`;
}

export function configAsCodeCommands(program: Command): void {
  program
    .command("plan")
    .description("show how a configuration directory differs from the live registries")
    .requiredOption("-f, --dir <dir>", "configuration directory")
    .option("--prune", "also plan removing live records the directory no longer declares")
    .option("--json", "print the plan as JSON")
    .option("--detailed-exitcode", "exit 2 when there are differences (0 when none)")
    .action(async (o: { dir: string; prune?: boolean; json?: boolean; detailedExitcode?: boolean }, cmd: Command) => {
      const documents = readDirectory(o.dir);
      const { entries } = await clientOf(cmd).call<{ entries: PlanEntry[] }>("POST", "/config/plan", { documents, prune: Boolean(o.prune) });
      const changed = entries.filter((e) => e.action !== "unchanged");
      if (o.json) printJson(entries);
      else {
        for (const entry of changed) console.log(formatEntry(entry));
        console.log(changed.length === 0 ? "No differences: the live registries match the directory." : summary(entries));
      }
      if (o.detailedExitcode && changed.length > 0) process.exitCode = 2;
    });

  program
    .command("apply")
    .description("turn a configuration directory's differences into changes and change requests")
    .requiredOption("-f, --dir <dir>", "configuration directory")
    .option("--prune", "also remove live records the directory no longer declares")
    .option("--justification <text>", "recorded with every change and change request")
    .option("--json", "print the results as JSON")
    .action(async (o: { dir: string; prune?: boolean; justification?: string; json?: boolean }, cmd: Command) => {
      const documents = readDirectory(o.dir);
      const { results } = await clientOf(cmd).call<{ results: ApplyResult[] }>("POST", "/config/apply", {
        documents,
        prune: Boolean(o.prune),
        justification: o.justification,
      });
      if (o.json) return printJson(results);
      const changed = results.filter((r) => r.action !== "unchanged");
      for (const result of changed) console.log(formatEntry(result));
      const pending = changed.filter((r) => r.result === "pending").length;
      console.log(`Applied ${changed.length - pending} change(s); ${pending} waiting for approval.`);
    });

  program
    .command("export")
    .description("write the live state of your tenant as a configuration directory")
    .requiredOption("-o, --out <dir>", "directory to write")
    .action(async (o: { out: string }, cmd: Command) => {
      const { documents } = await clientOf(cmd).call<{ documents: ConfigDocument[] }>("GET", "/config/export");
      const files = writeDirectory(o.out, documents);
      console.log(`wrote ${files.length} file(s) to ${o.out}`);
    });
}
