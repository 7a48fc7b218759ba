import { createRequire } from "node:module";
import { inspect } from "node:util";
import { Worker } from "node:worker_threads";

const require = createRequire(import.meta.url);

/**
 * The worker's code, run as a script (eval) so that it does not depend on where this module
 * was compiled or bundled to. Its own connection runs with synchronous=NORMAL: a checkpoint
 * then syncs the WAL before copying it into the database, and the database before the WAL may
 * be reused, so what was acknowledged stays on disk through a power loss.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.driver);
// SQLite's errors reach the main thread cloned without their message: rethrown as plain Errors, they keep it.
const sqlite = (run) => {
  try {
    return run();
  } catch (error) {
    throw new Error(error && error.code ? error.code + ": " + error.message : String(error));
  }
};
const db = sqlite(() => new SQLite(workerData.file));
sqlite(() => db.pragma("synchronous = NORMAL"));
sqlite(() => db.pragma("busy_timeout = 5000"));
const checkpoint = () => sqlite(() => db.pragma("wal_checkpoint(PASSIVE)"));
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints an SQLite database's write-ahead log on a worker thread with its own connection.
 * SQLite's automatic checkpoint runs inside whichever commit makes the WAL cross its limit: it
 * copies the WAL into the database and fsyncs both on the event loop, which stops every call
 * for milliseconds (5-7 ms measured here, once every few thousand commits; more on a slow
 * disk). PASSIVE checkpoints neither wait for nor block the main connection's writes, and leave
 * its own automatic checkpoint (raised to a backstop, see sqlite.ts) little to copy. If the
 * worker fails, the main connection checkpoints at SQLite's default interval again.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(file: string, onFailure: () => void, intervalMs = 200) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver: require.resolve("better-sqlite3"), intervalMs } });
    this.worker.unref();
    this.worker.on("error", (error: unknown) => {
      // What a worker throws reaches here cloned, not always as an Error with a message.
      const reason = error instanceof Error && error.message ? error.message : inspect(error, { breakLength: Infinity });
      // The store has no logger of its own; a warning reaches the operator's console.
      process.emitWarning(`the SQLite checkpoint worker failed (${reason}); commits checkpoint the WAL themselves again`, "GatehouseWarning");
      onFailure();
    });
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
  }

  /** Checkpoints once more and closes the worker's connection (before the main one closes: the last to close removes the WAL). */
  async stop(): Promise<void> {
    // Held while it stops: an unreferenced worker would let the process exit mid-shutdown.
    this.worker.ref();
    this.worker.postMessage("stop");
    await this.exited;
  }
}
