import path from "node:path";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { Worker } from "node:worker_threads";
import { packageRoot } from "../../shared/package-root.js";
import type { Finding } from "../finding.js";
import type { ScanKind } from "../guard-check.js";
import { isScanReply, type ScanRequest } from "./scan-protocol.js";

/**
 * Texts at least this long are scanned on a worker thread. The guards read about 0.1–0.35 ms of
 * CPU per KB (bench/guards-input), so a text of this size would hold the event loop for some
 * 3–10 ms; below it, handing the text to a thread and back costs more than the stall it saves.
 */
export const OFFLOAD_CHARS = 32 * 1024;

interface Pending {
  resolve(findings: Finding[]): void;
  reject(error: Error): void;
}

interface RunningWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Whether it has answered a text: one that stops before it has could not start. */
  answered: boolean;
}

/**
 * How long texts stay on the event loop after a worker stopped before answering anything (its
 * module missing or broken), instead of every long text starting one that fails the same way.
 */
const RETRY_AFTER_FAILED_START_MS = 60_000;
/** At most one warning a minute about texts scanned on the event loop because a worker failed. */
const WARN_EVERY_MS = 60_000;

/**
 * The worker's module, beside this one: dist/guards/offload/ compiled, dist/cli/ bundled
 * (scripts/bundle.mjs makes it an entry of its own). That holds while this module is in the
 * bundle's main file: the worker must not import it (what both entries import goes to a chunk in
 * dist/cli/chunks/), hence scan-protocol.ts. Run from the TypeScript sources (the tests), this
 * module takes the compiled worker, which `npm test` builds first.
 */
function workerUrl(): URL {
  if (!import.meta.url.endsWith(".ts")) return new URL("./scan-worker.js", import.meta.url);
  return pathToFileURL(path.join(packageRoot(), "dist/guards/offload/scan-worker.js"));
}

/**
 * Worker threads that scan long texts for the guards, so that one long prompt does not
 * hold the event loop, and every call on the process behind it, for the hundreds of
 * milliseconds its scan takes. Started when first needed, up to `size`; a text goes to an idle
 * worker, or to the least busy when all are. A worker that fails rejects what it held (the
 * caller scans those texts itself: findAnywhere) and is replaced by the next scan. One set per
 * process, shared by the input guards and the tool results' (createGatehouse).
 */
export class ScanWorkers {
  private readonly workers: (RunningWorker | undefined)[];
  private nextId = 0;
  private closed = false;
  private failedStartAt = -Infinity;
  private warnedAt = -Infinity;

  constructor(
    readonly size: number,
    private readonly url: URL = workerUrl(),
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`ScanWorkers: size must be a positive integer, not ${size}`);
    this.workers = new Array<RunningWorker | undefined>(size).fill(undefined);
  }

  /** How many worker threads are running. */
  get running(): number {
    return this.workers.filter((w) => w !== undefined).length;
  }

  scan(text: string, kind: ScanKind): Promise<Finding[]> {
    if (this.closed) return Promise.reject(new Error("the guard workers are closed"));
    if (Date.now() - this.failedStartAt < RETRY_AFTER_FAILED_START_MS) return Promise.reject(new Error("a guard worker could not start a moment ago"));
    const running = this.pick();
    const id = ++this.nextId;
    return new Promise<Finding[]>((resolve, reject) => {
      running.pending.set(id, { resolve, reject });
      // Held while it has work: an unreferenced worker would let the process exit under a waiting call.
      running.worker.ref();
      const request: ScanRequest = { id, text, kind };
      running.worker.postMessage(request);
    });
  }

  /** Stops every worker; what they held is rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.filter((w): w is RunningWorker => w !== undefined);
    this.workers.fill(undefined);
    await Promise.all(workers.map((w) => w.worker.terminate()));
    for (const w of workers) this.fail(w, new Error("the guard workers were closed"));
  }

  private pick(): RunningWorker {
    let best: RunningWorker | undefined;
    let free = -1;
    for (let i = 0; i < this.workers.length; i++) {
      const w = this.workers[i];
      if (w === undefined) {
        if (free < 0) free = i;
      }
      else if (best === undefined || w.pending.size < best.pending.size) best = w;
    }
    if (best !== undefined && (best.pending.size === 0 || free < 0)) return best;
    const started = this.start(free);
    this.workers[free] = started;
    return started;
  }

  private start(slot: number): RunningWorker {
    const running: RunningWorker = { worker: new Worker(this.url), pending: new Map(), answered: false };
    const { worker, pending } = running;
    worker.unref();
    worker.on("message", (reply: unknown) => {
      // A message that is not a reply cannot say whose text it answers: the worker is stopped,
      // which rejects everything it held (scanned on the event loop instead).
      if (!isScanReply(reply)) {
        void worker.terminate();
        return;
      }
      running.answered = true;
      const waiting = pending.get(reply.id);
      if (!waiting) return;
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      if (reply.findings) waiting.resolve(reply.findings);
      else waiting.reject(new Error(`the guard worker could not scan a text: ${reply.error ?? "no reason given"}`));
    });
    const stopped = (reason: string) => {
      if (this.workers[slot] === running) this.workers[slot] = undefined;
      if (!running.answered && !this.closed) this.failedStartAt = Date.now();
      this.fail(running, new Error(`the guard worker stopped: ${reason}`));
    };
    // What a worker throws reaches here cloned, not always as an Error with a message.
    worker.on("error", (error: unknown) => stopped(error instanceof Error && error.message ? error.message : inspect(error, { breakLength: Infinity })));
    worker.on("exit", (code) => stopped(`exit code ${code}`));
    return running;
  }

  /** Says, at most once a minute, that a text was scanned on the event loop because of `error`. */
  warnFallback(error: unknown): void {
    if (Date.now() - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = Date.now();
    process.emitWarning(`${error instanceof Error ? error.message : String(error)}; long texts are scanned on the event loop meanwhile`, "GatehouseWarning");
  }

  private fail(running: RunningWorker, error: Error): void {
    for (const waiting of running.pending.values()) waiting.reject(error);
    running.pending.clear();
  }
}

/**
 * A text's findings of a kind: on a worker thread when the text is long and there are workers,
 * else here (`here` scans it as scanText would). A worker that fails does not let the text
 * through unread: it is scanned here instead, with a warning (at most one a minute).
 */
export function findAnywhere(text: string, kind: ScanKind, here: (text: string, kind: ScanKind) => Finding[], workers: ScanWorkers | undefined): Finding[] | Promise<Finding[]> {
  if (workers === undefined || text.length < OFFLOAD_CHARS) return here(text, kind);
  return workers.scan(text, kind).catch((error: unknown) => {
    workers.warnFallback(error);
    return here(text, kind);
  });
}
