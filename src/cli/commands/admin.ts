import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseDocument } from "yaml";
import { kindNames, kinds } from "../../registry/kinds.js";
import { AdminClient } from "../admin-client.js";
import { printJson } from "../output.js";

export function clientOf(command: Command): AdminClient {
  const opts = command.optsWithGlobals<{ url?: string; key?: string }>();
  const url = opts.url ?? process.env.GATEHOUSE_URL ?? `http://${process.env.GATEHOUSE_HOST ?? "127.0.0.1"}:${process.env.GATEHOUSE_PORT ?? "7800"}`;
  return new AdminClient({ url, key: opts.key ?? process.env.GATEHOUSE_ADMIN_KEY });
}

/** Reads one record document (kind, name, owner, spec) from a YAML or JSON file. */
function readRecordFile(file: string): { kind?: string; name: string; owner: string; spec: Record<string, unknown> } {
  const doc = parseDocument(readFileSync(file, "utf8"));
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
  return doc.toJS() as { name: string; owner: string; spec: Record<string, unknown> };
}

const enc = encodeURIComponent;

/** list / get / create / update / delete / history / diff for every registry kind, named by its plural. */
export function registryCommands(program: Command): void {
  for (const kind of kindNames) {
    const { plural, title } = kinds[kind];
    const group = program.command(plural).description(`the ${title} registry`);
    group.command("list").action(async (_o, cmd: Command) => printJson(await clientOf(cmd).call("GET", `/${plural}`)));
    group.command("get <name>").action(async (name: string, _o, cmd: Command) => printJson(await clientOf(cmd).call("GET", `/${plural}/${enc(name)}`)));
    const create = group
      .command("create")
      .requiredOption("-f, --file <file>", `YAML file with kind: ${title}, name, owner and spec`)
      .option("--justification <text>");
    if (kind === "agent") create.option("--submit", "submit the new agent for approval at once");
    create.action(async (options: { file: string; justification?: string; submit?: boolean }, cmd: Command) => {
        const doc = readRecordFile(options.file);
        const body = { name: doc.name, owner: doc.owner, spec: doc.spec, justification: options.justification, ...(kind === "agent" && options.submit ? { submit: true } : {}) };
        printJson(await clientOf(cmd).call("POST", `/${plural}`, body));
      });
    group
      .command("update")
      .requiredOption("-f, --file <file>", `YAML file with kind: ${title}, name, owner and spec`)
      .option("--justification <text>")
      .action(async (options: { file: string; justification?: string }, cmd: Command) => {
        const doc = readRecordFile(options.file);
        printJson(await clientOf(cmd).call("PUT", `/${plural}/${enc(doc.name)}`, { owner: doc.owner, spec: doc.spec, justification: options.justification }));
      });
    if (kind !== "agent") {
      group
        .command("delete <name>")
        .option("--justification <text>")
        .action(async (name: string, options: { justification?: string }, cmd: Command) =>
          printJson(await clientOf(cmd).call("DELETE", `/${plural}/${enc(name)}`, { justification: options.justification })),
        );
    }
    group.command("history <name>").action(async (name: string, _o, cmd: Command) => printJson(await clientOf(cmd).call("GET", `/${plural}/${enc(name)}/versions`)));
    group
      .command("diff <name>")
      .option("--from <version>")
      .option("--to <version>")
      .action(async (name: string, options: { from?: string; to?: string }, cmd: Command) => {
        const query = new URLSearchParams(Object.entries(options).filter((e): e is [string, string] => e[1] !== undefined));
        printJson(await clientOf(cmd).call("GET", `/${plural}/${enc(name)}/diff?${query}`));
      });
  }
}

export function agentCommands(agents: Command): void {
  const post = (cmd: Command, name: string, op: string, body: Record<string, unknown>) =>
    clientOf(cmd).call("POST", `/agents/${enc(name)}/${op}`, body).then(printJson);
  agents.command("submit <name>").option("--justification <text>").action((name: string, o: { justification?: string }, cmd: Command) => post(cmd, name, "submit", o));
  agents
    .command("activate <name>")
    .requiredOption("--env <environment>")
    .option("--justification <text>")
    .action((name: string, o: { env: string; justification?: string }, cmd: Command) => post(cmd, name, "activate", { environment: o.env, justification: o.justification }));
  agents
    .command("deactivate <name>")
    .requiredOption("--env <environment>")
    .option("--reason <text>")
    .action((name: string, o: { env: string; reason?: string }, cmd: Command) => post(cmd, name, "deactivate", { environment: o.env, reason: o.reason }));
  agents.command("suspend <name>").requiredOption("--reason <text>").action((name: string, o: { reason: string }, cmd: Command) => post(cmd, name, "suspend", o));
  agents.command("resume <name>").option("--reason <text>").action((name: string, o: { reason?: string }, cmd: Command) => post(cmd, name, "resume", o));
  agents.command("retire <name>").requiredOption("--reason <text>").action((name: string, o: { reason: string }, cmd: Command) => post(cmd, name, "retire", o));
}

export function changeCommands(program: Command): void {
  const changes = program.command("changes").description("change requests: list, show, approve, reject, cancel");
  changes
    .command("list")
    .option("--status <status>", "pending, applied, rejected, expired, cancelled or stale")
    .action(async (o: { status?: string }, cmd: Command) => printJson(await clientOf(cmd).call("GET", `/change-requests${o.status ? `?status=${enc(o.status)}` : ""}`)));
  changes.command("show <id>").action(async (id: string, _o, cmd: Command) => printJson(await clientOf(cmd).call("GET", `/change-requests/${enc(id)}`)));
  for (const decision of ["approve", "reject"] as const) {
    changes
      .command(`${decision} <id>`)
      .requiredOption("--justification <text>", "why; recorded with the decision")
      .action(async (id: string, o: { justification: string }, cmd: Command) =>
        printJson(await clientOf(cmd).call("POST", `/change-requests/${enc(id)}/${decision}`, o)),
      );
  }
  changes.command("cancel <id>").action(async (id: string, _o, cmd: Command) => printJson(await clientOf(cmd).call("POST", `/change-requests/${enc(id)}/cancel`, {})));
}

export function peopleCommands(program: Command): void {
  const principals = program.command("principals").description("users, service accounts and applications");
  principals.command("list").action(async (_o, cmd: Command) => printJson(await clientOf(cmd).call("GET", "/principals")));
  principals
    .command("create")
    .requiredOption("--kind <kind>", "user, service_account or application")
    .requiredOption("--name <name>")
    .option("--role <role>", "owner, admin, approver, developer, auditor or viewer")
    .option("--email <email>")
    .action(async (o: Record<string, string>, cmd: Command) => printJson(await clientOf(cmd).call("POST", "/principals", o)));
  principals.command("set-role <id> <role>").action(async (id: string, role: string, _o, cmd: Command) => printJson(await clientOf(cmd).call("PATCH", `/principals/${enc(id)}`, { role })));
  principals.command("disable <id>").action(async (id: string, _o, cmd: Command) => printJson(await clientOf(cmd).call("POST", `/principals/${enc(id)}/disable`, {})));

  const keys = program.command("keys").description("admin and application API keys");
  keys.command("list").action(async (_o, cmd: Command) => printJson(await clientOf(cmd).call("GET", "/keys")));
  keys
    .command("create")
    .requiredOption("--principal <id>")
    .requiredOption("--kind <kind>", "admin or app")
    .option("--env <environment>", "environment of an app key")
    .option("--label <label>")
    .option("--expires-in-days <days>")
    .action(async (o: { principal: string; kind: string; env?: string; label?: string; expiresInDays?: string }, cmd: Command) =>
      printJson(
        await clientOf(cmd).call("POST", "/keys", {
          principalId: o.principal,
          kind: o.kind,
          environment: o.env,
          label: o.label,
          expiresInDays: o.expiresInDays ? Number(o.expiresInDays) : undefined,
        }),
      ),
    );
  keys.command("revoke <id>").action(async (id: string, _o, cmd: Command) => printJson(await clientOf(cmd).call("DELETE", `/keys/${enc(id)}`)));

  program
    .command("events")
    .description("recorded events of your tenant")
    .option("--after <seq>", "only events after this sequence number", "0")
    .option("--limit <n>", "how many", "100")
    .option("--action <action>")
    .action(async (o: { after: string; limit: string; action?: string }, cmd: Command) => {
      const query = new URLSearchParams({ after: o.after, limit: o.limit, ...(o.action ? { action: o.action } : {}) });
      printJson(await clientOf(cmd).call("GET", `/events?${query}`));
    });
}
