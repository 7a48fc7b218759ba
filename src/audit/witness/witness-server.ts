import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { silentLogger, type Logger } from "../../shared/logger.js";
import type { Witness, WitnessAnswer } from "./witness.js";

/** 63 proof lines and a checkpoint with a few dozen signatures fit many times over. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** The witness's HTTP interface: POST /add-checkpoint, and nothing else. */
export function witnessServer(witness: Witness, logger: Logger = silentLogger): Server {
  return createServer((req, res) => {
    void handle(witness, logger, req, res);
  });
}

async function handle(witness: Witness, logger: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "").split("?")[0];
  if (path !== "/add-checkpoint") return send(res, { status: 404, contentType: "text/plain; charset=utf-8", body: "not found\n" });
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    return send(res, { status: 405, contentType: "text/plain; charset=utf-8", body: "add-checkpoint takes POST\n" });
  }
  let body: string;
  try {
    body = await readBody(req);
  } catch (error) {
    if (error instanceof TooLarge) return send(res, { status: 413, contentType: "text/plain; charset=utf-8", body: "request body too large\n" }, true);
    res.destroy();
    return;
  }
  let answer: WitnessAnswer;
  try {
    answer = witness.addCheckpoint(body);
  } catch (error) {
    logger.error({ err: (error as Error).message }, "add-checkpoint failed; nothing was cosigned");
    answer = { status: 500, contentType: "text/plain; charset=utf-8", body: "the witness could not store its state\n" };
  }
  send(res, answer);
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    // An oversized body is read to its end without being kept, so the 413 reaches the client.
    req.on("data", (chunk: Buffer) => {
      length += chunk.length;
      if (length <= BODY_LIMIT_BYTES) chunks.push(chunk);
    });
    req.on("end", () => (length > BODY_LIMIT_BYTES ? reject(new TooLarge()) : resolve(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, answer: WitnessAnswer, close = false): void {
  res.writeHead(answer.status, { "content-type": answer.contentType, "content-length": Buffer.byteLength(answer.body), ...(close ? { connection: "close" } : {}) });
  res.end(answer.body);
}

/** Listens and returns the base URL, e.g. http://127.0.0.1:7380. */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      resolve(`http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`);
    });
  });
}

/** Stops accepting connections, ends idle keep-alive ones, and resolves when all are closed. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
