/**
 * The benchmark's model upstream, run as its own process (bench/gateway.ts forks it) so that it
 * shares no event loop with the load generator: a bare node:http server on 127.0.0.1 speaking
 * the OpenAI chat completions wire format. It reads each request body to the end (as a real
 * upstream must) and answers one fixed small completion, so it stays cheap and is not what the
 * benchmark measures. Sends {port} to its parent once listening.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const completion = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "bench-model",
    choices: [{ index: 0, message: { role: "assistant", content: "Hello! How can I help you today?" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 },
  }),
);
const notFound = Buffer.from(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));

const server = createServer((req, res) => {
  req.on("data", () => undefined);
  req.on("end", () => {
    const ok = req.method === "POST" && (req.url ?? "").endsWith("/chat/completions");
    res.writeHead(ok ? 200 : 404, { "content-type": "application/json", "content-length": ok ? completion.length : notFound.length });
    res.end(ok ? completion : notFound);
  });
});
server.keepAliveTimeout = 60_000;
server.listen({ port: 0, host: "127.0.0.1" }, () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on("disconnect", () => server.close(() => process.exit(0)));
