import { mkdirSync } from "node:fs";
import { parseVerifierKey } from "../audit/log/note.js";
import { loadLogSigner } from "../audit/log/signing-key.js";
import type { GatehouseConfig } from "../config/config.js";
import { createGatehouse, type Gatehouse } from "../gatehouse.js";
import { loadSecretBox } from "../secrets/secret-box.js";
import { jsonLogger } from "../shared/logger.js";

/** Opens the store and the audit log that a configuration points at (the data directory is created 0700). */
export function openGatehouse(config: GatehouseConfig): Promise<Gatehouse> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return createGatehouse({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    logSigner: loadLogSigner({ keyFile: config.logKeyFile, origin: config.logOrigin }),
    secrets: loadSecretBox(config.masterKeyFile),
    witnessing: {
      witnesses: config.witnesses.map((w) => ({ name: w.name, url: w.url, verifier: parseVerifierKey(w.key) })),
      threshold: config.witnessThreshold,
    },
    logger: jsonLogger(config.logLevel),
    gateway: { upstreamTimeoutMs: config.upstreamTimeoutMs, maxPromptTokens: config.maxPromptTokens, redisUrl: config.redisUrl, guards: config.guards },
    guardWorkers: config.guardWorkers,
  });
}
