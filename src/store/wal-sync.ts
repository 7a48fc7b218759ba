import { close, fstatSync, fsync, open } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

// The callback forms, promisified: a FileHandle's sync() costs 10–20 µs more CPU per call
// (measured), and a busy gateway syncs about once per call.
const openFile = promisify(open);
const syncFile = promisify(fsync);
const closeFile = promisify(close);

interface Waiter {
  epoch: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Makes SQLite commits durable without blocking the event loop. The connection runs in WAL mode
 * with synchronous=NORMAL, so a commit writes its WAL frames but does not fsync them (an fsync
 * there would stop every other call for its duration); whoever committed then awaits durable(),
 * which resolves once an fsync of the WAL file that started after the call has completed, on
 * libuv's thread pool. Commits waiting together share one fsync. Checkpoints still sync the WAL
 * before copying it and the database after (SQLite does that in NORMAL), so an acknowledged
 * transaction is on disk either in the WAL or in the database. Once an fsync fails, durability
 * is unknown (the kernel may have dropped the dirty pages), so every later durable() fails too.
 */
export class WalSync {
  /** The WAL's file descriptor, opened on the first sync. */
  private fd: number | undefined;
  private requested = 0;
  private synced = 0;
  private failure: Error | undefined;
  private running: Promise<void> | undefined;
  private readonly waiters: Waiter[] = [];
  /** fsyncs completed so far (each covers every commit that asked before it started). */
  syncs = 0;

  constructor(private readonly walPath: string) {}

  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const epoch = ++this.requested;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ epoch, resolve, reject }));
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return done;
  }

  async close(): Promise<void> {
    await this.running;
    if (this.fd !== undefined) await closeFile(this.fd);
    this.fd = undefined;
  }

  private async run(): Promise<void> {
    while (this.synced < this.requested && !this.failure) {
      const target = this.requested;
      try {
        await this.fsync();
        this.synced = target;
        this.syncs++;
      } catch (error) {
        this.failure = new Error(`the SQLite write-ahead log could not be synced to disk: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      this.settle();
    }
  }

  private settle(): void {
    let kept = 0;
    for (const waiter of this.waiters) {
      if (this.failure) waiter.reject(this.failure);
      else if (waiter.epoch <= this.synced) waiter.resolve();
      else this.waiters[kept++] = waiter;
    }
    this.waiters.length = kept;
  }

  private async fsync(): Promise<void> {
    // SQLite deletes the WAL only when its last connection closes; a new one is a new file.
    if (this.fd !== undefined && fstatSync(this.fd).nlink === 0) {
      await closeFile(this.fd);
      this.fd = undefined;
    }
    if (this.fd === undefined) {
      this.fd = await openFile(this.walPath, "r+");
      // The WAL's directory entry must be durable too.
      const dir = await openFile(path.dirname(this.walPath), "r");
      try {
        await syncFile(dir);
      } finally {
        await closeFile(dir);
      }
    }
    await syncFile(this.fd);
  }
}
