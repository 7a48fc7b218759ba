import path from "node:path";
import type { Command } from "commander";
import { keyTypes, parseVerifierKey, type NoteSigner, type NoteVerifier } from "../../audit/log/note.js";
import { Witness } from "../../audit/witness/witness.js";
import { loadWitnessSigner } from "../../audit/witness/witness-key.js";
import { close, listen, witnessServer } from "../../audit/witness/witness-server.js";
import { WitnessState } from "../../audit/witness/witness-state.js";
import { jsonLogger } from "../../shared/logger.js";

interface WitnessOptions {
  dir: string;
  name?: string;
  log: string[];
  host: string;
  port: string;
}

/** `gatehouse witness`: an independent C2SP tlog-witness with its own key and state, for audit logs it is told to trust. */
export function witnessCommands(program: Command): void {
  program
    .command("witness")
    .description("run an independent witness that cosigns audit-log checkpoints (C2SP tlog-witness)")
    .option("--dir <dir>", "the witness's own directory: witness.key (mode 0600) and witness.db", "./witness")
    .option("--name <name>", "the witness's name, e.g. witness.example.com/w1 (needed when the key is made)")
    .option("--log <verifier-key>", "a log to witness, by its verifier key (origin+id+key); repeat for more", (v: string, all: string[]) => [...all, v], [])
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "TCP port (0 picks a free one)", "7380")
    .action(async (options: WitnessOptions, command: Command) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) command.error(`gatehouse witness: --port must be 0-65535 (got ${options.port})`);
      if (options.log.length === 0) command.error("gatehouse witness: give at least one --log <verifier key> to witness");
      const logs: NoteVerifier[] = options.log.map((text) => {
        try {
          const verifier = parseVerifierKey(text);
          if (verifier.type !== keyTypes.ed25519) throw new Error("a log's key is an Ed25519 note key (type 0x01)");
          return verifier;
        } catch (error) {
          return command.error(`gatehouse witness: --log ${text}: ${(error as Error).message}`);
        }
      });
      const dir = path.resolve(options.dir);
      let signer: NoteSigner;
      try {
        signer = loadWitnessSigner({ keyFile: path.join(dir, "witness.key"), name: options.name });
      } catch (error) {
        return command.error(`gatehouse witness: ${(error as Error).message}`);
      }
      const logger = jsonLogger("info");
      const state = new WitnessState(path.join(dir, "witness.db"));
      const server = witnessServer(new Witness(signer, state, logs, logger), logger);
      const url = await listen(server, port, options.host);
      logger.info({ url, name: signer.name, verifierKey: signer.text, logs: logs.map((l) => l.text) }, `witness ${signer.name} listening on ${url}`);

      const stop = async (signal: string) => {
        logger.info({ signal }, "witness shutting down");
        await close(server);
        state.close();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop("SIGINT"));
      process.once("SIGTERM", () => void stop("SIGTERM"));
    });
}
