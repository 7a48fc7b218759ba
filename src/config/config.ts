import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { keyTypes, parseVerifierKey } from "../audit/log/note.js";
import { guardSettingsSchema } from "../guards/guard-policy.js";

/**
 * Gatehouse configuration: environment variables override an optional gatehouse.yaml.
 * Every key has one environment variable (GATEHOUSE_ + upper snake case) and one YAML key.
 */
/** Accepts numbers, and strings that are plain decimal numbers; nothing else becomes a number. */
const numeric = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), schema);

/** A list (or a mapping) comes as JSON in an environment variable and as YAML in the file. */
const jsonList = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => {
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }, schema);

const witnessesSchema = z
  .array(
    z.strictObject({
      name: z.string().optional(),
      url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
      key: z.string({ error: "must be the witness's verifier key" }),
    }),
    { error: "must be a JSON list of {name, url, key}" },
  )
  .superRefine((witnesses, ctx) => {
    const names = new Set<string>();
    witnesses.forEach((w, i) => {
      const problem = (message: string, field = "key") => ctx.addIssue({ code: "custom", path: [i, field], message });
      let name: string;
      try {
        const verifier = parseVerifierKey(w.key);
        if (verifier.type !== keyTypes.cosignatureV1) return problem("must be a cosignature/v1 witness key (type 0x04)");
        name = verifier.name;
      } catch (error) {
        return problem(`not a verifier key: ${(error as Error).message}`);
      }
      if (w.name !== undefined && w.name !== name) problem(`${w.name} is not the key's name ${name}`, "name");
      if (names.has(name)) problem(`witness ${name} is listed twice`);
      names.add(name);
    });
  })
  .transform((witnesses) => witnesses.map((w) => ({ name: parseVerifierKey(w.key).name, url: w.url, key: w.key.trim() })));

const configSchema = z.object({
  port: numeric(z.number().int().min(0).max(65535)).default(7800),
  host: z.string().min(1).default("127.0.0.1"),
  dataDir: z.string().min(1).default("./data"),
  databaseUrl: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, "must be sqlite:PATH or postgres://…")
    .optional(),
  databaseSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, "must be a lower-case SQL identifier")
    .default("public"),
  bodyLimitBytes: numeric(z.number().int().min(1024).max(64 * 1024 * 1024)).default(1024 * 1024),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Name of the audit log in its checkpoints (C2SP origin line); unique per deployment. */
  logOrigin: z
    .string()
    .regex(/^[A-Za-z0-9._/:-]+$/, "must be a name without spaces or '+', such as gatehouse.example.com/audit")
    .default("gatehouse.local/audit"),
  /** The audit log's signing key file; defaults to log-signing.key in the data directory. */
  logKeyFile: z.string().min(1).optional(),
  /** The master key that seals secrets at rest (provider credentials, data-subject keys); defaults to master.key in the data directory. */
  masterKeyFile: z.string().min(1).optional(),
  demo: z
    .union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")], { error: "must be true or false" })
    .default(true),
  /** Model gateway: how long an upstream may take to start answering, and between two parts of an answer. */
  upstreamTimeoutMs: numeric(z.number().int().min(100).max(600_000)).default(60_000),
  /** Model gateway: prompts estimated above this many tokens are refused with 413. */
  maxPromptTokens: numeric(z.number().int().min(1).max(10_000_000)).default(200_000),
  /** Model gateway: Redis for the per-minute rate windows, shared by every process using it; in this process when unset. */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\/.+/, "must be a redis:// or rediss:// URL")
    .optional(),
  /** Witnesses asked to cosign the audit log's checkpoints: {name, url, key}. */
  witnesses: jsonList(witnessesSchema).default([]),
  /** The guards' policy under every tenant's own settings (docs/configuration.md, "Guards"). */
  guards: jsonList(guardSettingsSchema).default({}),
  /** Worker threads that scan long texts (32 KB and more) for the input guards and the tool results, off the event loop; 0 scans every text on it. */
  guardWorkers: numeric(z.number().int().min(0).max(64)).default(1),
  /** How many witnesses must cosign a checkpoint (k of n); a majority by default. */
  witnessThreshold: numeric(z.number().int().min(1)).optional(),
}).superRefine((config, ctx) => {
  if (config.witnessThreshold !== undefined && config.witnessThreshold > config.witnesses.length) {
    const message = `${config.witnessThreshold} is more than the ${config.witnesses.length} configured witnesses`;
    ctx.addIssue({ code: "custom", path: ["witnessThreshold"], message });
  }
});

export type GatehouseConfig = Omit<z.infer<typeof configSchema>, "databaseUrl" | "logKeyFile" | "masterKeyFile" | "witnessThreshold"> & {
  databaseUrl: string;
  logKeyFile: string;
  masterKeyFile: string;
  witnessThreshold: number;
};

const keys = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];

export const envName = (key: string): string =>
  "GATEHOUSE_" + key.replace(/[A-Z]/g, (c) => "_" + c).toUpperCase();

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Path of gatehouse.yaml; defaults to GATEHOUSE_CONFIG or ./gatehouse.yaml when present. */
  file?: string;
  cwd?: string;
}

export function loadConfig(sources: ConfigSources = {}): GatehouseConfig {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const file = sources.file ?? env.GATEHOUSE_CONFIG ?? path.join(cwd, "gatehouse.yaml");
  const fromFile = readConfigFile(file, sources.file !== undefined || env.GATEHOUSE_CONFIG !== undefined);

  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const key of keys) {
    const envValue = env[envName(key)];
    if (envValue !== undefined && envValue !== "") {
      raw[key] = envValue;
      origin[key] = envName(key);
    } else if (fromFile[key] !== undefined) {
      raw[key] = fromFile[key];
      origin[key] = `${key} in ${file}`;
    }
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "");
      const where = origin[key] ?? envName(key);
      const at = issue.path.length > 1 ? ` at ${issue.path.slice(1).join(".")}` : "";
      return `${where}${at}: ${issue.message} (got ${JSON.stringify(raw[key])})`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const dataDir = path.resolve(cwd, parsed.data.dataDir);
  return {
    ...parsed.data,
    dataDir,
    databaseUrl: parsed.data.databaseUrl ?? `sqlite:${path.join(dataDir, "gatehouse.db")}`,
    logKeyFile: path.resolve(cwd, parsed.data.logKeyFile ?? path.join(dataDir, "log-signing.key")),
    masterKeyFile: path.resolve(cwd, parsed.data.masterKeyFile ?? path.join(dataDir, "master.key")),
    witnessThreshold: parsed.data.witnessThreshold ?? (parsed.data.witnesses.length === 0 ? 0 : Math.floor(parsed.data.witnesses.length / 2) + 1),
  };
}

function readConfigFile(file: string, required: boolean): Record<string, unknown> {
  if (!existsSync(file)) {
    if (required) throw new ConfigError(`Invalid configuration: config file ${file} does not exist`);
    return {};
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(`Invalid configuration: ${file} must be a mapping of keys to values`);
  }
  const unknown = Object.keys(doc).filter((k) => !(keys as string[]).includes(k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Invalid configuration: ${unknown.map((k) => `${k} in ${file}`).join(", ")}: unknown key (known: ${keys.join(", ")})`,
    );
  }
  return doc as Record<string, unknown>;
}
