import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { parseVerifierKey, type NoteSigner, type NoteVerifier } from "../../src/audit/log/note.js";
import type { WitnessEndpoint } from "../../src/audit/witness/cosigner.js";
import { Witness } from "../../src/audit/witness/witness.js";
import { loadWitnessSigner } from "../../src/audit/witness/witness-key.js";
import { close, listen, witnessServer } from "../../src/audit/witness/witness-server.js";
import { WitnessState } from "../../src/audit/witness/witness-state.js";
import type { Gatehouse } from "../../src/gatehouse.js";
import type { Logger } from "../../src/shared/logger.js";
import { assertBuilt, childEnv, cliPath } from "./service.js";

/** An in-process witness on a real HTTP port of 127.0.0.1, with its own directory (key and SQLite state). */
export interface TestWitness {
  name: string;
  dir: string;
  signer: NoteSigner;
  /** The witness's verifier key, as a log operator would be given it. */
  verifier: NoteVerifier;
  endpoint: WitnessEndpoint;
  url: string;
  state(): WitnessState;
  logger: CapturingLogger;
  /** Takes it off the network (connections are refused) and closes its state file. */
  stop(): Promise<void>;
  /** Brings it back on the same port with the same key and state. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

export async function startWitness(name: string, logs: NoteVerifier[]): Promise<TestWitness> {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-witness-"));
  const signer = loadWitnessSigner({ keyFile: path.join(dir, "witness.key"), name });
  const logger = capturingLogger();
  let state: WitnessState;
  let server: Server | undefined;
  let port = 0;
  const up = async () => {
    state = new WitnessState(path.join(dir, "witness.db"));
    server = witnessServer(new Witness(signer, state, logs, logger));
    const url = await listen(server, port, "127.0.0.1");
    port = Number(new URL(url).port);
    return url;
  };
  const down = async () => {
    if (!server) return;
    await close(server);
    server = undefined;
    state.close();
  };
  const url = await up();
  const verifier = parseVerifierKey(signer.text);
  return {
    name,
    dir,
    signer,
    verifier,
    endpoint: { name, url, verifier },
    url,
    state: () => state,
    logger,
    stop: down,
    restart: async () => {
      await up();
    },
    async dispose() {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A witness that accepts connections and reads requests but never answers. */
export async function startHangingWitness(): Promise<{ url: string; requests(): number; dispose(): Promise<void> }> {
  let requests = 0;
  const server = createServer((req) => {
    requests += 1;
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    async dispose() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface CapturingLogger extends Logger {
  lines: { level: "error" | "warn" | "info"; fields: Record<string, unknown>; message: string }[];
  errors(): { fields: Record<string, unknown>; message: string }[];
}

export function capturingLogger(): CapturingLogger {
  const lines: CapturingLogger["lines"] = [];
  const at = (level: "error" | "warn" | "info") => (fields: object, message: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  };
  return { lines, error: at("error"), warn: at("warn"), info: at("info"), errors: () => lines.filter((l) => l.level === "error") };
}

/**
 * Records count test events in one transaction, so the sequencer takes them in one batch and
 * no checkpoint is issued halfway through them.
 */
export async function recordEvents(gatehouse: Gatehouse, count: number, label = "item"): Promise<void> {
  const ctx = actionContext(systemActor("test"));
  await gatehouse.transaction(async (trx) => {
    for (let i = 0; i < count; i++) {
      await gatehouse.recorder.record(trx, ctx, {
        action: "test.event",
        resource: { kind: "test", name: `${label}-${i}` },
        decision: { outcome: "allowed" },
        payload: { i, label },
      });
    }
  });
  gatehouse.auditLog.nudge();
}

/** The audit.fork_detected entries in a log, once everything recorded is sequenced. */
export async function forkAlerts(gatehouse: Gatehouse): Promise<any[]> {
  await gatehouse.auditLog.sequencePending();
  const rows = await gatehouse.store.db.selectFrom("log_entries").select("entry").where("action", "=", "audit.fork_detected").orderBy("seq").execute();
  return rows.map((r) => JSON.parse(r.entry));
}

/** Posts a raw add-checkpoint body to a witness. */
export async function postAddCheckpoint(url: string, body: string): Promise<{ status: number; body: string; contentType: string | null }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: "POST", body });
  return { status: res.status, body: await res.text(), contentType: res.headers.get("content-type") };
}

export interface WitnessProcess {
  child: ChildProcess;
  url: string;
  /** The verifier key the witness printed when it started. */
  verifierKey: string;
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `gatehouse witness` from the built CLI and waits for its "listening" line. */
export async function startWitnessProcess(args: string[], options: { cwd: string; timeoutMs?: number }): Promise<WitnessProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [cliPath, "witness", ...args], { cwd: options.cwd, env: childEnv({}), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const line = out.split("\n").find((l) => l.includes('"verifierKey"'));
    if (line) {
      const started = JSON.parse(line) as { url: string; verifierKey: string };
      return {
        child,
        url: started.url,
        verifierKey: started.verifierKey,
        stdout: () => out,
        stderr: () => err,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          try {
            return await exited;
          } finally {
            clearTimeout(timer);
          }
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`gatehouse witness did not start (exit ${child.exitCode}):\n${err}\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
