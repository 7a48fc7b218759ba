import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, envName, loadConfig, type GatehouseConfig } from "../src/config/config.js";

/** loadConfig: defaults, environment variables, gatehouse.yaml, precedence, and every refusal naming its key. */

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), "gatehouse-config-"));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

const writeYaml = (text: string, name = "gatehouse.yaml"): string => {
  const file = path.join(cwd, name);
  writeFileSync(file, text);
  return file;
};

/** The ConfigError loadConfig throws (fails the test if it returns instead). */
function refusal(load: () => GatehouseConfig): ConfigError {
  let result: GatehouseConfig | undefined;
  try {
    result = load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Invalid configuration/);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError, but loadConfig returned ${JSON.stringify(result)}`);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("loadConfig defaults", () => {
  it("uses port 7800, host 127.0.0.1, ./data under the working directory and SQLite in it", () => {
    expect(loadConfig({ env: {}, cwd })).toEqual({
      port: 7800,
      host: "127.0.0.1",
      dataDir: path.join(cwd, "data"),
      databaseUrl: `sqlite:${path.join(cwd, "data", "gatehouse.db")}`,
      databaseSchema: "public",
      bodyLimitBytes: 1024 * 1024,
      logLevel: "info",
      logOrigin: "gatehouse.local/audit",
      logKeyFile: path.join(cwd, "data", "log-signing.key"),
      masterKeyFile: path.join(cwd, "data", "master.key"),
      demo: true,
      upstreamTimeoutMs: 60_000,
      maxPromptTokens: 200_000,
      guards: {},
      guardWorkers: 1,
      witnesses: [],
      witnessThreshold: 0,
    });
  });

  it("resolves the data directory against the process's working directory when no cwd is given", () => {
    if (existsSync(path.join(process.cwd(), "gatehouse.yaml"))) return; // a local file would change the defaults
    const config = loadConfig({ env: {} });
    expect(config.dataDir).toBe(path.resolve(process.cwd(), "data"));
    expect(path.isAbsolute(config.dataDir)).toBe(true);
    expect(config.databaseUrl).toBe(`sqlite:${path.resolve(process.cwd(), "data", "gatehouse.db")}`);
  });

  it("treats empty environment variables as unset", () => {
    const env = Object.fromEntries(
      ["port", "host", "dataDir", "databaseUrl", "databaseSchema", "bodyLimitBytes", "logLevel", "logOrigin", "logKeyFile", "masterKeyFile", "demo", "redisUrl"].map((k) => [envName(k), ""]),
    );
    expect(loadConfig({ env, cwd })).toEqual(loadConfig({ env: {}, cwd }));
  });

  it("ignores environment variables that are not Gatehouse's", () => {
    expect(loadConfig({ env: { PORT: "1", HOST: "0.0.0.0", GATEHOUSE: "x" }, cwd })).toEqual(loadConfig({ env: {}, cwd }));
  });

  it("needs no gatehouse.yaml unless GATEHOUSE_CONFIG names one", () => {
    expect(existsSync(path.join(cwd, "gatehouse.yaml"))).toBe(false);
    expect(() => loadConfig({ env: {}, cwd })).not.toThrow();
  });

  it("names every key's environment variable GATEHOUSE_ + upper snake case", () => {
    expect(envName("port")).toBe("GATEHOUSE_PORT");
    expect(envName("dataDir")).toBe("GATEHOUSE_DATA_DIR");
    expect(envName("databaseUrl")).toBe("GATEHOUSE_DATABASE_URL");
    expect(envName("databaseSchema")).toBe("GATEHOUSE_DATABASE_SCHEMA");
    expect(envName("bodyLimitBytes")).toBe("GATEHOUSE_BODY_LIMIT_BYTES");
    expect(envName("logLevel")).toBe("GATEHOUSE_LOG_LEVEL");
  });
});

describe("loadConfig environment overrides", () => {
  it("reads every key from its environment variable, with the right types", () => {
    const config = loadConfig({
      cwd,
      env: {
        GATEHOUSE_PORT: "9001",
        GATEHOUSE_HOST: "localhost",
        GATEHOUSE_DATA_DIR: "var/gatehouse",
        GATEHOUSE_DATABASE_URL: "postgres://gatehouse@db.internal:5432/gatehouse",
        GATEHOUSE_DATABASE_SCHEMA: "tenant_a",
        GATEHOUSE_BODY_LIMIT_BYTES: "2048",
        GATEHOUSE_LOG_LEVEL: "debug",
        GATEHOUSE_LOG_ORIGIN: "audit.acme.example/gatehouse",
        GATEHOUSE_LOG_KEY_FILE: "/etc/gatehouse/log.key",
        GATEHOUSE_MASTER_KEY_FILE: "/etc/gatehouse/master.key",
        GATEHOUSE_DEMO: "false",
        GATEHOUSE_UPSTREAM_TIMEOUT_MS: "5000",
        GATEHOUSE_MAX_PROMPT_TOKENS: "1000",
        GATEHOUSE_REDIS_URL: "redis://cache.internal:6379/2",
        GATEHOUSE_GUARDS: '{"input":{"actions":{"EMAIL_ADDRESS":"allow"},"minScore":0.7}}',
        GATEHOUSE_GUARD_WORKERS: "0",
      },
    });
    expect(config).toEqual({
      port: 9001,
      host: "localhost",
      dataDir: path.join(cwd, "var", "gatehouse"),
      databaseUrl: "postgres://gatehouse@db.internal:5432/gatehouse",
      databaseSchema: "tenant_a",
      bodyLimitBytes: 2048,
      logLevel: "debug",
      logOrigin: "audit.acme.example/gatehouse",
      logKeyFile: "/etc/gatehouse/log.key",
      masterKeyFile: "/etc/gatehouse/master.key",
      demo: false,
      upstreamTimeoutMs: 5000,
      maxPromptTokens: 1000,
      redisUrl: "redis://cache.internal:6379/2",
      guards: { input: { actions: { EMAIL_ADDRESS: "allow" }, minScore: 0.7 } },
      guardWorkers: 0,
      witnesses: [],
      witnessThreshold: 0,
    });
  });

  it("puts the default SQLite file in an overridden data directory", () => {
    const config = loadConfig({ env: { GATEHOUSE_DATA_DIR: "elsewhere" }, cwd });
    expect(config.dataDir).toBe(path.join(cwd, "elsewhere"));
    expect(config.databaseUrl).toBe(`sqlite:${path.join(cwd, "elsewhere", "gatehouse.db")}`);
  });

  it("keeps an absolute data directory and an explicit SQLite URL as given", () => {
    const abs = path.join(cwd, "abs-data");
    const config = loadConfig({ env: { GATEHOUSE_DATA_DIR: abs, GATEHOUSE_DATABASE_URL: "sqlite:/srv/gatehouse/store.db" }, cwd });
    expect(config.dataDir).toBe(abs);
    expect(config.databaseUrl).toBe("sqlite:/srv/gatehouse/store.db");
  });

  it("accepts both postgres:// and postgresql:// URLs, port 0 and both demo spellings", () => {
    expect(loadConfig({ env: { GATEHOUSE_DATABASE_URL: "postgresql://u@h/db" }, cwd }).databaseUrl).toBe("postgresql://u@h/db");
    expect(loadConfig({ env: { GATEHOUSE_PORT: "0" }, cwd }).port).toBe(0);
    expect(loadConfig({ env: { GATEHOUSE_DEMO: "true" }, cwd }).demo).toBe(true);
    expect(loadConfig({ env: { GATEHOUSE_DEMO: "false" }, cwd }).demo).toBe(false);
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"]) {
      expect(loadConfig({ env: { GATEHOUSE_LOG_LEVEL: level }, cwd }).logLevel).toBe(level);
    }
  });

  it("accepts the body limit's bounds", () => {
    expect(loadConfig({ env: { GATEHOUSE_BODY_LIMIT_BYTES: "1024" }, cwd }).bodyLimitBytes).toBe(1024);
    expect(loadConfig({ env: { GATEHOUSE_BODY_LIMIT_BYTES: String(64 * 1024 * 1024) }, cwd }).bodyLimitBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ env: { GATEHOUSE_PORT: "65535" }, cwd }).port).toBe(65535);
  });
});

describe("loadConfig gatehouse.yaml", () => {
  const yaml = [
    "port: 8100",
    "host: localhost",
    "dataDir: state",
    "databaseSchema: gh",
    "bodyLimitBytes: 4096",
    "logLevel: warn",
    "demo: false",
    "guardWorkers: 2",
    "",
  ].join("\n");

  it("reads ./gatehouse.yaml from the working directory", () => {
    writeYaml(yaml);
    expect(loadConfig({ env: {}, cwd })).toEqual({
      port: 8100,
      host: "localhost",
      dataDir: path.join(cwd, "state"),
      databaseUrl: `sqlite:${path.join(cwd, "state", "gatehouse.db")}`,
      databaseSchema: "gh",
      bodyLimitBytes: 4096,
      logLevel: "warn",
      logOrigin: "gatehouse.local/audit",
      logKeyFile: path.join(cwd, "state", "log-signing.key"),
      masterKeyFile: path.join(cwd, "state", "master.key"),
      demo: false,
      upstreamTimeoutMs: 60_000,
      maxPromptTokens: 200_000,
      guards: {},
      guardWorkers: 2,
      witnesses: [],
      witnessThreshold: 0,
    });
  });

  it("reads the guards' process defaults from gatehouse.yaml as a mapping", () => {
    writeYaml(["guards:", "  input:", "    actions:", "      CREDIT_CARD: block", "      PERSON: allow", "    restore: [EMAIL_ADDRESS]", ""].join("\n"));
    expect(loadConfig({ env: {}, cwd }).guards).toEqual({ input: { actions: { CREDIT_CARD: "block", PERSON: "allow" }, restore: ["EMAIL_ADDRESS"] } });
  });

  it("reads redisUrl from gatehouse.yaml (rediss:// too), GATEHOUSE_REDIS_URL winning; unset means in-process windows", () => {
    expect(loadConfig({ env: {}, cwd }).redisUrl).toBeUndefined();
    expect(envName("redisUrl")).toBe("GATEHOUSE_REDIS_URL");
    writeYaml("redisUrl: rediss://cache.internal:6380\n");
    expect(loadConfig({ env: {}, cwd }).redisUrl).toBe("rediss://cache.internal:6380");
    expect(loadConfig({ env: { GATEHOUSE_REDIS_URL: "redis://127.0.0.1:6379" }, cwd }).redisUrl).toBe("redis://127.0.0.1:6379");
  });

  it("reads the file named by GATEHOUSE_CONFIG instead of ./gatehouse.yaml", () => {
    writeYaml("port: 1111\n");
    mkdirSync(path.join(cwd, "etc"));
    const file = writeYaml("port: 2222\ndatabaseUrl: postgres://u@h/db\n", path.join("etc", "custom.yaml"));
    const config = loadConfig({ env: { GATEHOUSE_CONFIG: file }, cwd });
    expect(config.port).toBe(2222);
    expect(config.databaseUrl).toBe("postgres://u@h/db");
  });

  it("reads the file passed as sources.file", () => {
    const file = writeYaml("logLevel: error\n", "other.yaml");
    expect(loadConfig({ env: {}, cwd, file }).logLevel).toBe("error");
  });

  it("treats an empty file or one with only comments as no settings", () => {
    const defaults = loadConfig({ env: {}, cwd });
    writeYaml("");
    expect(loadConfig({ env: {}, cwd })).toEqual(defaults);
    writeYaml("# nothing here\n");
    expect(loadConfig({ env: {}, cwd })).toEqual(defaults);
  });

  it("environment variables beat the file, key by key", () => {
    writeYaml(yaml);
    const config = loadConfig({
      cwd,
      env: { GATEHOUSE_PORT: "9100", GATEHOUSE_LOG_LEVEL: "trace", GATEHOUSE_DEMO: "true", GATEHOUSE_DATA_DIR: "/srv/gh" },
    });
    expect(config).toMatchObject({ port: 9100, logLevel: "trace", demo: true, dataDir: "/srv/gh", databaseUrl: "sqlite:/srv/gh/gatehouse.db" });
    // Keys not in the environment still come from the file.
    expect(config).toMatchObject({ host: "localhost", databaseSchema: "gh", bodyLimitBytes: 4096 });
  });

  it("an empty environment variable does not hide the file's value", () => {
    writeYaml("port: 8200\n");
    expect(loadConfig({ env: { GATEHOUSE_PORT: "" }, cwd }).port).toBe(8200);
  });

  it("an environment variable that is valid overrides a file value that is not", () => {
    writeYaml("port: not-a-port\n");
    expect(loadConfig({ env: { GATEHOUSE_PORT: "8300" }, cwd }).port).toBe(8300);
  });
});

describe("loadConfig refuses invalid configuration, naming the key", () => {
  const envCases: [string, string, RegExp][] = [
    ["GATEHOUSE_PORT", "abc", /expected number/],
    ["GATEHOUSE_PORT", "-1", />=0/],
    ["GATEHOUSE_PORT", "65536", /<=65535/],
    ["GATEHOUSE_PORT", "80.5", /int/],
    ["GATEHOUSE_DATABASE_URL", "mysql://db/gatehouse", /must be sqlite:PATH or postgres/],
    ["GATEHOUSE_DATABASE_URL", "sqlite:", /must be sqlite:PATH or postgres/],
    ["GATEHOUSE_DATABASE_URL", "postgres://", /must be sqlite:PATH or postgres/],
    ["GATEHOUSE_DATABASE_SCHEMA", "Bad-Schema", /lower-case SQL identifier/],
    ["GATEHOUSE_DATABASE_SCHEMA", "1st", /lower-case SQL identifier/],
    ["GATEHOUSE_DATABASE_SCHEMA", "a;drop table events", /lower-case SQL identifier/],
    ["GATEHOUSE_BODY_LIMIT_BYTES", "100", />=1024/],
    ["GATEHOUSE_BODY_LIMIT_BYTES", String(64 * 1024 * 1024 + 1), /<=67108864/],
    ["GATEHOUSE_BODY_LIMIT_BYTES", "lots", /expected number/],
    ["GATEHOUSE_LOG_LEVEL", "verbose", /expected one of/],
    ["GATEHOUSE_DEMO", "yes", /.+/],
    ["GATEHOUSE_DEMO", "1", /.+/],
    ["GATEHOUSE_REDIS_URL", "localhost:6379", /must be a redis:\/\/ or rediss:\/\/ URL/],
    ["GATEHOUSE_REDIS_URL", "http://cache:6379", /must be a redis:\/\/ or rediss:\/\/ URL/],
    ["GATEHOUSE_GUARD_WORKERS", "-1", />=0/],
    ["GATEHOUSE_GUARD_WORKERS", "65", /<=64/],
    ["GATEHOUSE_GUARD_WORKERS", "two", /expected number/],
  ];

  it.each(envCases)("%s=%s", (variable, value, problem) => {
    const error = refusal(() => loadConfig({ env: { [variable]: value }, cwd }));
    expect(error.message).toMatch(new RegExp(`${variable}: `));
    expect(error.message).toMatch(problem);
    expect(error.message).toContain(`(got ${JSON.stringify(value)})`);
  });

  const fileCases: [string, string, RegExp][] = [
    ["port", "port: abc", /expected number/],
    ["port", "port: 70000", /<=65535/],
    ["host", "host: ''", />=1 characters/],
    ["host", "host: 123", /expected string/],
    ["dataDir", "dataDir: ''", />=1 characters/],
    ["databaseUrl", "databaseUrl: http://db", /must be sqlite:PATH or postgres/],
    ["databaseSchema", "databaseSchema: Public", /lower-case SQL identifier/],
    ["bodyLimitBytes", "bodyLimitBytes: 10", />=1024/],
    ["logLevel", "logLevel: 3", /expected one of/],
    ["demo", "demo: 'yes'", /.+/],
    ["redisUrl", "redisUrl: 6379", /expected string/],
    ["guardWorkers", "guardWorkers: 1.5", /int/],
  ];

  it.each(fileCases)("%s in gatehouse.yaml (%s)", (key, text, problem) => {
    const file = writeYaml(text + "\n");
    const error = refusal(() => loadConfig({ env: {}, cwd }));
    expect(error.message).toMatch(new RegExp(`${key} in ${escape(file)}: `));
    expect(error.message).toMatch(problem);
  });

  it("says what GATEHOUSE_DEMO accepts", () => {
    const error = refusal(() => loadConfig({ env: { GATEHOUSE_DEMO: "yes" }, cwd }));
    expect(error.message).toMatch(/GATEHOUSE_DEMO/);
    expect(error.message).toMatch(/true|false|boolean/);
  });

  // A port must be a number: values that merely coerce to one (blank, boolean, null, a list) are refused.
  it("refuses a blank GATEHOUSE_PORT instead of listening on a random port", () => {
    const error = refusal(() => loadConfig({ env: { GATEHOUSE_PORT: "   " }, cwd }));
    expect(error.message).toMatch(/GATEHOUSE_PORT/);
  });

  it.each([
    ["port: true", "a boolean"],
    ["port: [8080]", "a list"],
  ])("refuses %s in gatehouse.yaml (%s is not a port)", (text) => {
    const file = writeYaml(text + "\n");
    const error = refusal(() => loadConfig({ env: {}, cwd }));
    expect(error.message).toMatch(new RegExp(`port in ${escape(file)}`));
  });

  it("does not turn an empty `port:` in gatehouse.yaml into port 0", () => {
    const file = writeYaml("port:\n");
    let port: number | undefined;
    try {
      port = loadConfig({ env: {}, cwd }).port;
    } catch (error) {
      // Refusing it is right too, as long as the key is named.
      expect((error as Error).message).toMatch(new RegExp(`port in ${escape(file)}`));
      return;
    }
    expect(port).toBe(7800);
  });

  it("refuses an unknown key in gatehouse.yaml, naming it and the known keys", () => {
    const file = writeYaml("port: 8000\nlisten_port: 9000\n");
    const error = refusal(() => loadConfig({ env: {}, cwd }));
    expect(error.message).toContain(`listen_port in ${file}: unknown key`);
    expect(error.message).toMatch(/known: port, host, dataDir, databaseUrl, databaseSchema, bodyLimitBytes, logLevel, logOrigin, logKeyFile, masterKeyFile, demo/);
  });

  it("refuses keys in the wrong case or spelling, naming each", () => {
    writeYaml("DEMO: true\ndata_dir: x\n");
    const error = refusal(() => loadConfig({ env: {}, cwd }));
    expect(error.message).toMatch(/DEMO in .*unknown key/);
    expect(error.message).toMatch(/data_dir in /);
  });

  it("refuses an unknown key even when the environment sets every real one", () => {
    writeYaml("prot: 1\n");
    expect(() => loadConfig({ env: { GATEHOUSE_PORT: "8000" }, cwd })).toThrow(/prot in .*unknown key/);
  });

  it("refuses a file that is not a mapping", () => {
    const list = writeYaml("- port: 8000\n");
    expect(refusal(() => loadConfig({ env: {}, cwd })).message).toContain(`${list} must be a mapping`);
    writeYaml("8000\n");
    expect(refusal(() => loadConfig({ env: {}, cwd })).message).toMatch(/must be a mapping/);
  });

  it("refuses a file that is not valid YAML, naming the file", () => {
    const file = writeYaml("port: [8000\nhost: x\n");
    expect(refusal(() => loadConfig({ env: {}, cwd })).message).toContain(`${file} is not valid YAML`);
  });

  it("refuses a GATEHOUSE_CONFIG or sources.file that does not exist, naming the path", () => {
    const missing = path.join(cwd, "missing.yaml");
    expect(refusal(() => loadConfig({ env: { GATEHOUSE_CONFIG: missing }, cwd })).message).toContain(`config file ${missing} does not exist`);
    expect(refusal(() => loadConfig({ env: {}, cwd, file: missing })).message).toContain(`config file ${missing} does not exist`);
  });

  it("reports every problem at once", () => {
    const file = writeYaml("logLevel: loud\n");
    const error = refusal(() => loadConfig({ env: { GATEHOUSE_PORT: "abc", GATEHOUSE_DATABASE_SCHEMA: "X" }, cwd }));
    expect(error.message).toMatch(/GATEHOUSE_PORT: /);
    expect(error.message).toMatch(/GATEHOUSE_DATABASE_SCHEMA: /);
    expect(error.message).toContain(`logLevel in ${file}: `);
    expect(error.message.split("\n")).toHaveLength(4);
  });

  it("refuses a guard policy with an unknown finding type or action, naming the key and the path in it", () => {
    const typo = refusal(() => loadConfig({ env: { GATEHOUSE_GUARDS: '{"input":{"actions":{"CREDIT_CRAD":"block"}}}' }, cwd }));
    expect(typo.message).toContain("GATEHOUSE_GUARDS at input.actions.CREDIT_CRAD: unknown finding type CREDIT_CRAD (known: CREDIT_CARD,");
    const action = refusal(() => loadConfig({ env: { GATEHOUSE_GUARDS: '{"input":{"actions":{"CREDIT_CARD":"shred"}}}' }, cwd }));
    expect(action.message).toContain("GATEHOUSE_GUARDS at input.actions.CREDIT_CARD: must be one of block, redact, allow");
    const file = writeYaml("guards:\n  input:\n    restore: [PROMPT_INJECTION]\n    minScore: 2\n");
    const yaml = refusal(() => loadConfig({ env: {}, cwd }));
    expect(yaml.message).toContain(`guards in ${file} at input.restore.0: PROMPT_INJECTION is not a redactable finding type`);
    expect(yaml.message).toContain(`guards in ${file} at input.minScore: `);
    const redactThreat = refusal(() => loadConfig({ env: { GATEHOUSE_GUARDS: '{"input":{"actions":{"JAILBREAK":"redact"}}}' }, cwd }));
    expect(redactThreat.message).toContain("GATEHOUSE_GUARDS at input.actions.JAILBREAK: JAILBREAK cannot be redacted: block or allow it");
    expect(refusal(() => loadConfig({ env: { GATEHOUSE_GUARDS: '{"output":{}}' }, cwd })).message).toMatch(/GATEHOUSE_GUARDS: Unrecognized key: "output"/);
    expect(refusal(() => loadConfig({ env: { GATEHOUSE_GUARDS: "{not json" }, cwd })).message).toMatch(/^ {2}GATEHOUSE_GUARDS: /m);
  });
});
