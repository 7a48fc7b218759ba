import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { AuditLog } from "../../audit/log/audit-log.js";
import { exportLogToFile } from "../../audit/log/export.js";
import { parseVerifierKey, type NoteVerifier } from "../../audit/log/note.js";
import { proofBundle, verifyProofBundle } from "../../audit/log/proof-bundle.js";
import { loadLogSigner } from "../../audit/log/signing-key.js";
import { verifyLogFile } from "../../audit/log/verifier.js";
import { loadConfig, type GatehouseConfig } from "../../config/config.js";
import { openGatehouse } from "../open-gatehouse.js";
import { printJson } from "../output.js";
import type { Replay } from "../../audit/log/queries.js";
import { clientOf } from "./admin.js";

/** A failure the user can act on: printed as its message alone, exit status 1. */
class AuditCommandError extends Error {}

interface KeyOptions {
  key?: string;
  witness: string[];
  threshold?: string;
}

/**
 * The tamper-evident log from the operator's side: export it, verify an export offline, prove
 * one entry's inclusion and check such a proof, and print the log's public key.
 */
export function auditCommands(program: Command): void {
  const audit = program.command("audit").description("export, verify and prove the tamper-evident audit log");

  audit
    .command("export")
    .description("write the whole log, every entry and signed checkpoint, as JSON Lines (works on the store directly)")
    .requiredOption("--out <file>", "file to write (mode 0600)")
    .action((options: { out: string }) =>
      run(async () => {
        const gatehouse = await openLog(loadConfig());
        try {
          // Every acknowledged event is then in the log and under a checkpoint.
          await flushLog(gatehouse.auditLog);
          // From here the export only reads; a running service goes on sequencing by itself.
          await gatehouse.auditLog.stop();
          const summary = await exportLogToFile(gatehouse.store.db, gatehouse.auditLog, path.resolve(options.out));
          console.log(`exported ${summary.entries} entries and ${summary.checkpoints} checkpoints (log size ${summary.size}) to ${options.out}`);
        } finally {
          await gatehouse.close();
        }
      }),
    );

  withKeyOptions(audit.command("verify <file>").description("verify an exported log offline; exit 1 naming the first divergence")).action(
    (file: string, options: KeyOptions, command: Command) =>
      run(async () => {
        const keys = trustedKeys(options, command, false);
        const result = await verifyLogFile(readable(file), { key: keys.log, witnesses: keys.witnesses, threshold: keys.threshold });
        for (const warning of result.warnings) console.error(`gatehouse: warning: ${warning}`);
        if (!result.ok) {
          console.error(`gatehouse: audit log verification failed: ${result.divergence?.message} (line ${result.divergence?.line})`);
          process.exitCode = 1;
          return;
        }
        const witnessed = result.witnessedSize === undefined ? "" : `; witnessed up to size ${result.witnessedSize}`;
        console.log(
          `ok: ${result.entries} entries and ${result.checkpoints} checkpoints of ${result.origin} verified; latest checkpoint size ${result.verifiedSize}, root ${result.root ?? "(empty log)"}${witnessed}`,
        );
      }),
  );

  audit
    .command("proof")
    .description("print one entry with its inclusion proof against the latest witnessed checkpoint, else the latest, as JSON (works on the store directly)")
    .requiredOption("--seq <n>", "the entry's sequence number")
    .action((options: { seq: string }) =>
      run(async () => {
        if (!/^\d+$/.test(options.seq)) throw new AuditCommandError("--seq must be a sequence number");
        const gatehouse = await openLog(loadConfig());
        try {
          await flushLog(gatehouse.auditLog);
          const seq = Number(options.seq);
          // A checkpoint k witnesses cosigned proves more than one only the log signed.
          const witnessed = await gatehouse.cosigner.latestWitnessed();
          printJson(await proofBundle(gatehouse.auditLog, seq, witnessed && seq < witnessed.size ? witnessed : undefined));
        } catch (error) {
          throw error instanceof RangeError ? new AuditCommandError(error.message) : error;
        } finally {
          await gatehouse.close();
        }
      }),
    );

  withKeyOptions(audit.command("verify-proof <file>").description("check a proof printed by `audit proof` offline")).action(
    (file: string, options: KeyOptions, command: Command) =>
      run(async () => {
        const keys = trustedKeys(options, command, true);
        let bundle: unknown;
        try {
          bundle = JSON.parse(readFileSync(readable(file), "utf8"));
        } catch (error) {
          throw new AuditCommandError(`${file}: not JSON: ${(error as Error).message}`);
        }
        const check = verifyProofBundle(bundle, { log: keys.log as NoteVerifier, witnesses: keys.witnesses, threshold: keys.threshold });
        if (!check.ok) {
          console.error(`gatehouse: proof verification failed: ${check.problem}`);
          process.exitCode = 1;
          return;
        }
        console.log(`ok: entry ${check.index} is in the log ${keys.log?.name} at checkpoint size ${check.size}, root ${check.root}`);
      }),
  );

  audit
    .command("replay")
    .description("the ordered timeline of one task, each entry verified against the latest checkpoint (admin API, auditor key)")
    .requiredOption("--task <id>", "the task id")
    .option("--json", "print the replay as JSON, with the proofs")
    .action(async (options: { task: string; json?: boolean }, command: Command) => {
      const replay = await clientOf(command).call<Replay>("GET", `/audit/tasks/${encodeURIComponent(options.task)}/replay`);
      if (options.json) return printJson(replay);
      console.log(`task ${replay.task}: ${replay.entries.length} entries, verified against checkpoint ${replay.checkpoint.size} (root ${replay.checkpoint.root})`);
      for (const { entry } of replay.entries) {
        const resource = [entry.resource.kind, entry.resource.name].filter(Boolean).join(" ");
        const reasons = entry.decision.reasons.length > 0 ? ` (${entry.decision.reasons.join("; ")})` : "";
        console.log(`#${entry.seq} ${new Date(entry.at).toISOString()} ${entry.actor.name} ${entry.action} ${resource} ${entry.decision.outcome}${reasons}`);
      }
    });

  audit
    .command("erase")
    .description("erase a data subject from the audit log by destroying their key (irreversible; admin API, owner or admin key)")
    .option("--subject <subject>", "the data subject as recorded, e.g. principal:ID")
    .option("--tenant-wide", "destroy the tenant-wide key instead (personal data recorded without a subject)")
    .requiredOption("--justification <text>", "why, e.g. the request reference")
    .action(async (options: { subject?: string; tenantWide?: boolean; justification: string }, command: Command) => {
      if (Boolean(options.subject) === Boolean(options.tenantWide)) throw new AuditCommandError("give exactly one of --subject and --tenant-wide");
      const result = await clientOf(command).call<{ subjectRef: string; keyDestroyed: boolean }>("POST", "/audit/erasures", {
        ...(options.subject ? { subject: options.subject } : { tenantWide: true }),
        justification: options.justification,
      });
      console.log(result.keyDestroyed ? `erased: key of subject ${result.subjectRef} destroyed` : `nothing to erase: subject ${result.subjectRef} has no key`);
    });

  audit
    .command("retention")
    .description("prune the tenant's audit payload bodies past its retention period now (admin API, owner or admin key)")
    .action(async (_options: unknown, command: Command) => {
      const run = await clientOf(command).call<{ retentionDays: number; prunedBefore: number; pruned: number }>("POST", "/audit/retention-runs", {});
      console.log(`pruned ${run.pruned} payload bodies recorded before ${new Date(run.prunedBefore).toISOString()} (retention ${run.retentionDays} days)`);
    });

  audit
    .command("key")
    .description("print the log's verifier key (the public key that verify and verify-proof need)")
    .action(() =>
      run(async () => {
        const config = loadConfig();
        requireLogKey(config);
        console.log(loadLogSigner({ keyFile: config.logKeyFile, origin: config.logOrigin }).text);
      }),
    );
}

function withKeyOptions(command: Command): Command {
  return command
    .option("--key <key>", "the log's verifier key (from `gatehouse audit key`)")
    .option("--witness <key>", "a witness's verifier key (repeat for more)", (value: string, all: string[]) => [...all, value], [])
    .option("--threshold <k>", "how many witness cosignatures a checkpoint needs (default: all given witnesses)");
}

function trustedKeys(options: KeyOptions, command: Command, keyRequired: boolean) {
  // The program's own --key (the admin key) takes the option wherever it is written on the command line.
  const key = options.key ?? command.optsWithGlobals<{ key?: string }>().key;
  if (keyRequired && !key) throw new AuditCommandError("--key is required: the log's verifier key (from `gatehouse audit key`)");
  const witnesses = options.witness.map((text) => verifierKey(text, "--witness"));
  let threshold: number | undefined;
  if (options.threshold !== undefined) {
    threshold = Number(options.threshold);
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > witnesses.length) {
      throw new AuditCommandError(`--threshold must be between 1 and the number of --witness keys (${witnesses.length})`);
    }
  }
  return { log: key ? verifierKey(key, "--key") : undefined, witnesses, threshold };
}

function verifierKey(text: string, option: string): NoteVerifier {
  try {
    return parseVerifierKey(text);
  } catch (error) {
    throw new AuditCommandError(`${option}: ${(error as Error).message}`);
  }
}

function readable(file: string): string {
  if (!existsSync(file)) throw new AuditCommandError(`${file}: no such file`);
  return file;
}

/** The store commands need an existing log: opening one that has no key would start a new, empty log. */
function requireLogKey(config: GatehouseConfig): void {
  if (!existsSync(config.logKeyFile)) {
    throw new AuditCommandError(`no audit log key at ${config.logKeyFile}: point GATEHOUSE_DATA_DIR (or GATEHOUSE_LOG_KEY_FILE) at the service's data`);
  }
}

/**
 * Flushing writes to the log. On SQLite a running service's own writes make a write that
 * started from an older snapshot fail at once with SQLITE_BUSY (no waiting helps), so it is tried again.
 */
async function flushLog(log: AuditLog): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await log.flush();
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (!(typeof code === "string" && code.startsWith("SQLITE_BUSY")) || attempt === 40) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(25 * attempt, 250)));
    }
  }
}

function openLog(config: GatehouseConfig) {
  requireLogKey(config);
  return openGatehouse(config);
}

async function run(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof AuditCommandError)) throw error;
    console.error(`gatehouse: ${error.message}`);
    process.exitCode = 1;
  }
}
