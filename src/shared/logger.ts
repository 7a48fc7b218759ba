/**
 * The logging surface services outside the HTTP layer write to. Fastify's pino logger fits it,
 * so a caller that has one can pass it; otherwise jsonLogger writes pino-style JSON lines.
 */
export interface Logger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

// pino's numeric levels, so these lines sort and filter together with the HTTP server's.
const levels: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export function jsonLogger(level: LogLevel = "info", stream: { write(line: string): unknown } = process.stdout): Logger {
  const threshold = levels[level];
  const write = (at: number) => (fields: object, message: string) => {
    if (at < threshold) return;
    stream.write(JSON.stringify({ level: at, time: Date.now(), pid: process.pid, ...fields, msg: message }) + "\n");
  };
  return { error: write(levels.error), warn: write(levels.warn), info: write(levels.info) };
}

export const silentLogger: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined };
