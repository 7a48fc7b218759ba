import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { calculateJwkThumbprint } from "jose";
import { generateAgentKey } from "../../sdk/proof-signer.js";
import { printJson } from "../output.js";
import { clientOf } from "./admin.js";

const enc = encodeURIComponent;

/** Reads a JWK file; a private key file yields only its public half (Gatehouse never receives private keys). */
function publicJwkFrom(file: string): { kty: unknown; crv: unknown; x: unknown } {
  const jwk = JSON.parse(readFileSync(file, "utf8")) as { kty?: unknown; crv?: unknown; x?: unknown };
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

/** gatehouse agents keygen | set-key | keys: an agent's Ed25519 keys. */
export function agentKeyCommands(agents: Command): void {
  agents
    .command("keygen")
    .description("make an Ed25519 key pair for an agent: the private JWK goes to --out (mode 0600), the public JWK to standard output")
    .requiredOption("--out <file>", "where to write the private key (never overwritten)")
    .action(async (o: { out: string }) => {
      const { privateJwk, publicJwk } = await generateAgentKey();
      writeFileSync(o.out, JSON.stringify(privateJwk) + "\n", { mode: 0o600, flag: "wx" });
      printJson({ kid: await calculateJwkThumbprint(publicJwk, "sha256"), publicKey: publicJwk, privateKeyFile: o.out });
    });
  agents
    .command("set-key <name>")
    .description("register the agent's current public key; the previous key keeps working for --overlap-seconds")
    .requiredOption("--key-file <file>", "a JWK file (the private key file from keygen works too: only its public half is sent)")
    .option("--overlap-seconds <n>", "how long the replaced key keeps working (0: cut it off at once)")
    .option("--justification <text>")
    .action(async (name: string, o: { keyFile: string; overlapSeconds?: string; justification?: string }, cmd: Command) =>
      printJson(
        await clientOf(cmd).call("PUT", `/agents/${enc(name)}/keys`, {
          publicKey: publicJwkFrom(o.keyFile),
          ...(o.overlapSeconds !== undefined ? { overlapSeconds: Number(o.overlapSeconds) } : {}),
          ...(o.justification ? { justification: o.justification } : {}),
        }),
      ),
    );
  agents
    .command("keys <name>")
    .description("the agent's keys and their status")
    .action(async (name: string, _o, cmd: Command) => printJson(await clientOf(cmd).call("GET", `/agents/${enc(name)}/keys`)));
}

/** gatehouse grants pending | list | approve | deny | revoke: agents' just-in-time grants and the approvals queue. */
export function grantCommands(program: Command): void {
  const grants = program.command("grants").description("agents' just-in-time grants: the approvals queue, decisions, revocation");
  grants
    .command("pending")
    .description("grant requests waiting for a person")
    .action(async (_o, cmd: Command) => printJson(await clientOf(cmd).call("GET", "/grant-requests?status=pending")));
  grants
    .command("list")
    .requiredOption("--status <status>", "pending, active, expired, denied, revoked or ended")
    .action(async (o: { status: string }, cmd: Command) => printJson(await clientOf(cmd).call("GET", `/grant-requests?status=${enc(o.status)}`)));
  for (const verdict of ["approve", "deny"] as const) {
    grants
      .command(`${verdict} <id>`)
      .requiredOption("--justification <text>", "why; recorded with the decision")
      .action(async (id: string, o: { justification: string }, cmd: Command) =>
        printJson(await clientOf(cmd).call("POST", `/grant-requests/${enc(id)}/${verdict}`, { justification: o.justification })),
      );
  }
  grants
    .command("revoke <id>")
    .option("--reason <text>")
    .action(async (id: string, o: { reason?: string }, cmd: Command) =>
      printJson(await clientOf(cmd).call("POST", `/grant-requests/${enc(id)}/revoke`, o.reason ? { reason: o.reason } : {})),
    );
}
