/**
 * A guard worker thread (started by ScanWorkers): reads the long texts it is sent with the same
 * scanners as the event loop (scanText) and answers with their findings.
 */
import { parentPort } from "node:worker_threads";
import { scanText } from "../guard-check.js";
import { PiiScanner } from "../pii/pii-scanner.js";
import { isScanRequest, type ScanReply } from "./scan-protocol.js";

const port = parentPort;
if (!port) throw new Error("scan-worker.js runs as a worker thread (ScanWorkers), not on its own");
const pii = new PiiScanner();
port.on("message", (request: unknown) => {
  // Only ScanWorkers posts here; anything else has no id to answer under.
  if (!isScanRequest(request)) return;
  const { id, text, kind } = request;
  let reply: ScanReply;
  try {
    reply = { id, findings: scanText(pii, text, kind) };
  } catch (error) {
    reply = { id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
