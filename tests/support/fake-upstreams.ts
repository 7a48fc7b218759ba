import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Local upstream model servers for tests: real HTTP servers on 127.0.0.1 that speak the OpenAI
 * chat completions and Anthropic Messages wire formats (JSON and SSE). They answer from the
 * request, so a test can tell that Gatehouse passed it on, and can be told to misbehave.
 */
export type Misbehaviour =
  | "none"
  | "malformed"
  | "malformed-after-first-token"
  | "stall-after-first-token"
  | "break-before-first-token"
  | "status-500"
  | "status-429";

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, any>;
}

/** An answer told to the upstream in advance, instead of its echo. */
export interface ScriptedReply {
  /** The answer's text in the pieces it is streamed in (joined when the call is not streamed). */
  pieces: string[];
  /** OpenAI only: the token log-probabilities sent with each piece (`logprobs.content`), when given. */
  logprobs?: number[][];
  /** Streaming stops before each of these pieces until its `until` settles, so a test can see what the caller had by then. */
  pauses?: { piece: number; until: Promise<unknown> }[];
}

export interface FakeUpstream {
  /** Base URL to put in a model record's endpoint (ends in /v1). */
  endpoint: string;
  received: ReceivedRequest[];
  misbehave: Misbehaviour;
  /** Answered in order, one per request, before the upstream goes back to echoing. */
  replies: ScriptedReply[];
  /** Responses the caller (Gatehouse) closed before they were complete. */
  abandoned: number;
  close(): Promise<void>;
}

const lastUserText = (body: Record<string, any>): string => {
  const messages: any[] = body.messages ?? [];
  const last = [...messages].reverse().find((m) => m.role === "user");
  if (!last) return "";
  if (typeof last.content === "string") return last.content;
  return (last.content as any[]).map((b) => (b.type === "text" ? b.text : b.type === "tool_result" ? `[tool_result ${JSON.stringify(b.content)}]` : "")).join("");
};

const words = (text: string): string[] => text.split(/(?<= )/);

async function readBody(req: IncomingMessage): Promise<Record<string, any>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

async function serve(handler: (req: ReceivedRequest, res: ServerResponse, upstream: FakeUpstream) => void): Promise<FakeUpstream> {
  const upstream = { received: [] as ReceivedRequest[], misbehave: "none" as Misbehaviour, replies: [] as ScriptedReply[], abandoned: 0 } as FakeUpstream;
  const server: Server = createServer(async (req, res) => {
    res.on("close", () => {
      if (!res.writableFinished) upstream.abandoned++;
    });
    const received: ReceivedRequest = { path: req.url ?? "", headers: req.headers, body: await readBody(req) };
    upstream.received.push(received);
    if (upstream.misbehave === "status-500") {
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "upstream exploded" } }));
      return;
    }
    if (upstream.misbehave === "status-429") {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "7" }).end(JSON.stringify({ error: { message: "slow down" } }));
      return;
    }
    if (upstream.misbehave === "break-before-first-token") {
      // Accepts the stream, then the connection dies before any event.
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      setTimeout(() => res.socket?.destroy(), 5);
      return;
    }
    if (upstream.misbehave === "malformed-after-first-token" || upstream.misbehave === "stall-after-first-token") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = { id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "first " }, finish_reason: null }] };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      if (upstream.misbehave === "malformed-after-first-token") res.end("data: {broken\n\n");
      // A stalled stream stays open until the test closes the upstream.
      return;
    }
    if (upstream.misbehave === "malformed") {
      if (received.body.stream) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end("data: {this is not json\n\n");
      } else {
        res.writeHead(200, { "content-type": "application/json" }).end('{"choices": "nope"');
      }
      return;
    }
    handler(received, res, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  upstream.endpoint = `http://127.0.0.1:${port}/v1`;
  upstream.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return upstream;
}

const sse = (res: ServerResponse) => {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  return (data: unknown, event?: string) => res.write(`${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
};

/** POST /v1/chat/completions. Answers "openai upstream heard: <last user text>", or calls the first tool offered. */
export function fakeOpenAiUpstream(): Promise<FakeUpstream> {
  return serve((req, res, upstream) => {
    const body = req.body;
    if (req.path !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    const scripted = upstream.replies.shift();
    if (scripted) {
      void scriptedOpenAi(body, res, scripted);
      return;
    }
    const text = `openai upstream heard: ${lastUserText(body)}`;
    const tool = body.tools?.[0]?.function?.name as string | undefined;
    const wantsTool = tool && body.tool_choice !== "none" && body.messages.at(-1)?.role !== "tool";
    const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
    const base = { id: "chatcmpl-up", object: "chat.completion.chunk", created: 1, model: `${body.model}-upstream` };
    if (!body.stream) {
      const message = wantsTool
        ? { role: "assistant", content: null, tool_calls: [{ id: "call_up_1", type: "function", function: { name: tool, arguments: '{"city":"Paris"}' } }] }
        : { role: "assistant", content: text };
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ ...base, object: "chat.completion", choices: [{ index: 0, message, finish_reason: wantsTool ? "tool_calls" : "stop" }], usage }),
      );
      return;
    }
    const send = sse(res);
    const chunk = (delta: unknown, finish: string | null = null) => send({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
    chunk({ role: "assistant", content: "" });
    if (wantsTool) {
      chunk({ tool_calls: [{ index: 0, id: "call_up_1", type: "function", function: { name: tool, arguments: "" } }] });
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] });
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] });
      chunk({}, "tool_calls");
    } else {
      for (const word of words(text)) chunk({ content: word });
      chunk({}, "stop");
    }
    if (body.stream_options?.include_usage) send({ ...base, choices: [], usage });
    send("[DONE]");
    res.end();
  });
}

/** POST /v1/messages. Answers "anthropic upstream heard: <last user text>", or uses the first tool offered. */
export function fakeAnthropicUpstream(): Promise<FakeUpstream> {
  return serve((req, res, upstream) => {
    const body = req.body;
    if (req.path !== "/v1/messages") {
      res.writeHead(404).end();
      return;
    }
    const scripted = upstream.replies.shift();
    if (scripted) {
      void scriptedAnthropic(body, res, scripted);
      return;
    }
    const text = `anthropic upstream heard: ${lastUserText(body)}`;
    const tool = body.tools?.[0]?.name as string | undefined;
    const lastContent = body.messages.at(-1)?.content;
    const answersTool = Array.isArray(lastContent) && lastContent.some((b: any) => b.type === "tool_result");
    const wantsTool = tool && body.tool_choice?.type !== "none" && !answersTool;
    const model = `${body.model}-upstream`;
    if (!body.stream) {
      const content = wantsTool ? [{ type: "tool_use", id: "toolu_up_1", name: tool, input: { city: "Paris" } }] : [{ type: "text", text }];
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: "msg_up",
          type: "message",
          role: "assistant",
          model,
          content,
          stop_reason: wantsTool ? "tool_use" : "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 13, output_tokens: 5 },
        }),
      );
      return;
    }
    const send = sse(res);
    const event = (type: string, data: Record<string, unknown>) => send({ type, ...data }, type);
    event("message_start", { message: { id: "msg_up", type: "message", role: "assistant", model, content: [], stop_reason: null, usage: { input_tokens: 13, output_tokens: 1 } } });
    event("ping", {});
    if (wantsTool) {
      event("content_block_start", { index: 0, content_block: { type: "tool_use", id: "toolu_up_1", name: tool, input: {} } });
      event("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: '{"city":' } });
      event("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: '"Paris"}' } });
    } else {
      event("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
      for (const word of words(text)) event("content_block_delta", { index: 0, delta: { type: "text_delta", text: word } });
    }
    event("content_block_stop", { index: 0 });
    event("message_delta", { delta: { stop_reason: wantsTool ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: 5 } });
    event("message_stop", {});
    res.end();
  });
}

const tokenLogprobs = (logprobs: number[] | undefined) =>
  logprobs ? { content: logprobs.map((logprob) => ({ token: "t", logprob, bytes: null, top_logprobs: [] })) } : null;

/** Streams the pieces one by one, pausing where told and stopping if Gatehouse goes away. */
async function streamPieces(res: ServerResponse, reply: ScriptedReply, send: (piece: string, index: number) => void): Promise<void> {
  for (const [index, piece] of reply.pieces.entries()) {
    for (const pause of reply.pauses ?? []) if (pause.piece === index) await pause.until;
    if (res.destroyed) return;
    send(piece, index);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function scriptedOpenAi(body: Record<string, any>, res: ServerResponse, reply: ScriptedReply): Promise<void> {
  const base = { id: "chatcmpl-up", object: "chat.completion.chunk", created: 1, model: `${body.model}-upstream` };
  const usage = { prompt_tokens: 11, completion_tokens: reply.pieces.length, total_tokens: 11 + reply.pieces.length };
  if (!body.stream) {
    const logprobs = reply.logprobs ? tokenLogprobs(reply.logprobs.flat()) : null;
    const choice = { index: 0, message: { role: "assistant", content: reply.pieces.join("") }, logprobs, finish_reason: "stop" };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...base, object: "chat.completion", choices: [choice], usage }));
    return;
  }
  const send = sse(res);
  send({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
  await streamPieces(res, reply, (piece, i) =>
    send({ ...base, choices: [{ index: 0, delta: { content: piece }, logprobs: tokenLogprobs(reply.logprobs?.[i]), finish_reason: null }] }),
  );
  if (res.destroyed) return;
  send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  send({ ...base, choices: [], usage });
  send("[DONE]");
  res.end();
}

async function scriptedAnthropic(body: Record<string, any>, res: ServerResponse, reply: ScriptedReply): Promise<void> {
  const model = `${body.model}-upstream`;
  const usage = { input_tokens: 13, output_tokens: reply.pieces.length };
  if (!body.stream) {
    const message = { id: "msg_up", type: "message", role: "assistant", model, content: [{ type: "text", text: reply.pieces.join("") }], stop_reason: "end_turn", stop_sequence: null, usage };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(message));
    return;
  }
  const send = sse(res);
  const event = (type: string, data: Record<string, unknown>) => send({ type, ...data }, type);
  event("message_start", { message: { id: "msg_up", type: "message", role: "assistant", model, content: [], stop_reason: null, usage: { input_tokens: 13, output_tokens: 1 } } });
  event("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
  await streamPieces(res, reply, (piece) => event("content_block_delta", { index: 0, delta: { type: "text_delta", text: piece } }));
  if (res.destroyed) return;
  event("content_block_stop", { index: 0 });
  event("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: reply.pieces.length } });
  event("message_stop", {});
  res.end();
}
