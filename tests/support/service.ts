import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The built CLI (`npm run build`, which `npm test` runs before vitest). */
export const cliPath = fileURLToPath(new URL("../../bin/gatehouse.js", import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first (npm test does)`);
}

/** A TCP port on 127.0.0.1 that was free a moment ago (one helper for the tests and the benchmarks). */
export { freePort } from "../../bench/support.js";

/** The environment of a child: ours without any GATEHOUSE_* variable, plus the given ones. */
export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("GATEHOUSE_")) env[key] = value;
  }
  return { ...env, ...vars };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningService {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits (at once if it already has). */
  exited(): Promise<Exit>;
  /** Sends a signal and waits for the exit; kills the process if it does not exit in time. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

function track(child: ChildProcess) {
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  let exit: Exit | undefined;
  const exitedPromise = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  // Wait for the output streams to drain too, so the captured output is complete.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    stdout: () => out,
    stderr: () => err,
    exited: async () => {
      const result = await exitedPromise;
      await closed;
      return result;
    },
    hasExited: () => exit !== undefined,
  };
}

/** Starts `gatehouse start` and waits until GET /healthz answers 200. */
export async function startService(options: { env: Record<string, string>; cwd: string; timeoutMs?: number }): Promise<RunningService> {
  assertBuilt();
  const port = Number(options.env.GATEHOUSE_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("startService needs GATEHOUSE_PORT");
  const child = spawn(process.execPath, [cliPath, "start"], {
    cwd: options.cwd,
    env: childEnv({ GATEHOUSE_HOST: "127.0.0.1", ...options.env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tracked = track(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  const service: RunningService = {
    child,
    port,
    baseUrl,
    stdout: tracked.stdout,
    stderr: tracked.stderr,
    exited: tracked.exited,
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (!tracked.hasExited()) child.kill(signal);
      const timer = setTimeout(() => {
        if (!tracked.hasExited()) child.kill("SIGKILL");
      }, timeoutMs);
      try {
        return await tracked.exited();
      } finally {
        clearTimeout(timer);
      }
    },
  };

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (tracked.hasExited()) {
      const exit = await tracked.exited();
      throw new Error(`gatehouse start exited early (${JSON.stringify(exit)}):\n${tracked.stderr()}\n${tracked.stdout()}`);
    }
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return service;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await service.stop("SIGKILL");
      throw new Error(`gatehouse start did not listen on ${baseUrl} in time:\n${tracked.stderr()}\n${tracked.stdout()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs the CLI to completion (for commands expected to exit on their own). */
export async function runCli(
  args: string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs?: number; stdin?: string },
): Promise<Exit & { stdout: string; stderr: string }> {
  assertBuilt();
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  const tracked = track(child);
  const timer = setTimeout(() => {
    if (!tracked.hasExited()) child.kill("SIGKILL");
  }, options.timeoutMs ?? 20_000);
  try {
    const exit = await tracked.exited();
    return { ...exit, stdout: tracked.stdout(), stderr: tracked.stderr() };
  } finally {
    clearTimeout(timer);
  }
}
