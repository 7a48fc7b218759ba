import type { Dispatcher } from "undici";
import { UpstreamError } from "../routing/upstream-error.js";
import { parseJson } from "../../shared/json.js";
import type { UpstreamPools } from "./pools.js";
import type { UpstreamTarget } from "./provider.js";

export interface UpstreamResponse {
  status: number;
  body: Dispatcher.ResponseData["body"];
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function failureOf(error: unknown): "timeout" | "connection" {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /TIMEOUT/.test(code) ? "timeout" : "connection";
}

/**
 * POSTs JSON to the upstream over its keep-alive pool. Answers with a 2xx response, or throws
 * UpstreamError: connection and timeout failures, and any other status (with Retry-After).
 */
export async function postJson(
  pools: UpstreamPools,
  target: UpstreamTarget,
  path: string,
  headers: Record<string, string>,
  body: unknown,
  timeoutMs: number,
): Promise<UpstreamResponse> {
  if (!target.endpoint) throw new UpstreamError("connection", target.name, `model ${target.name} has no endpoint`);
  const base = new URL(target.endpoint);
  const fullPath = base.pathname.replace(/\/$/, "") + path + base.search;
  let response: Dispatcher.ResponseData;
  try {
    response = await pools.for(base.origin).request({
      method: "POST",
      path: fullPath,
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify(body),
      signal: target.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (error) {
    const kind = failureOf(error);
    throw new UpstreamError(kind, target.name, `upstream ${target.name}: ${kind === "timeout" ? "no answer in time" : "connection failed"}`, { cause: error });
  }
  if (response.statusCode < 200 || response.statusCode >= 300) {
    const detail = await response.body.text().catch(() => "");
    throw new UpstreamError("status", target.name, `upstream ${target.name} answered ${response.statusCode}${detail ? `: ${detail.slice(0, 300)}` : ""}`, {
      status: response.statusCode,
      retryAfterMs: retryAfterMs(response.headers["retry-after"]),
    });
  }
  return { status: response.statusCode, body: response.body };
}

/** Reads a whole JSON answer; a body that is not JSON is a malformed answer. */
export async function readJson(target: UpstreamTarget, response: UpstreamResponse): Promise<unknown> {
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw new UpstreamError(failureOf(error), target.name, `upstream ${target.name}: the answer broke off`, { cause: error });
  }
  try {
    return parseJson<unknown>(text);
  } catch (error) {
    throw new UpstreamError("malformed", target.name, `upstream ${target.name} answered with something that is not JSON`, { cause: error });
  }
}

export interface SseMessage {
  event: string | undefined;
  data: string;
}

/** Splits a server-sent event stream into messages (event name and joined data lines). */
export async function* readSse(target: UpstreamTarget, response: UpstreamResponse): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      buffer = buffer.replace(/\r\n/g, "\n");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const message = parseSseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (message) yield message;
        end = buffer.indexOf("\n\n");
      }
    }
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError("stream_broken", target.name, `upstream ${target.name}: the stream broke off`, { cause: error });
  }
  const last = parseSseBlock(buffer.trim());
  if (last) yield last;
}

function parseSseBlock(block: string): SseMessage | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length > 0 ? { event, data: data.join("\n") } : undefined;
}

/** Parses one SSE data payload as JSON, or reports the stream as malformed. */
export function parseEventData(target: UpstreamTarget, data: string): unknown {
  try {
    return parseJson<unknown>(data);
  } catch (error) {
    throw new UpstreamError("malformed", target.name, `upstream ${target.name} streamed an event that is not JSON`, { cause: error });
  }
}

/**
 * Starts a stream: pulls the first event before answering, so a stream that breaks before its
 * first token fails the call (and can fall back) instead of failing mid-answer.
 */
export async function primed<T>(target: UpstreamTarget, events: AsyncGenerator<T>): Promise<AsyncIterable<T>> {
  const first = await events.next().catch((error: unknown) => {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError("stream_broken", target.name, `upstream ${target.name}: the stream broke before its first event`, { cause: error });
  });
  if (first.done) throw new UpstreamError("stream_broken", target.name, `upstream ${target.name}: the stream ended before its first event`);
  return (async function* () {
    yield first.value;
    yield* events;
  })();
}
