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

export interface FakeUpstream {
  /** Base URL to put in a model record's endpoint (ends in /v1). */
  endpoint: string;
  received: ReceivedRequest[];
  misbehave: Misbehaviour;
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
  const upstream = { received: [] as ReceivedRequest[], misbehave: "none" as Misbehaviour } as FakeUpstream;
  const server: Server = createServer(async (req, res) => {
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
  return serve((req, res) => {
    const body = req.body;
    if (req.path !== "/v1/chat/completions") {
      res.writeHead(404).end();
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
  return serve((req, res) => {
    const body = req.body;
    if (req.path !== "/v1/messages") {
      res.writeHead(404).end();
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
