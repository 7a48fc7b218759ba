// The demo workspace's tools, served on one machine for the README's "An agent, step by step":
// the HTTP tools lookup_order, issue_refund and send_email (each a POST of its arguments as JSON),
// and the MCP tool kb_search at /mcp (the official MCP SDK, streamable HTTP, stateless).
// examples/demo/tools.yaml points at http://127.0.0.1:7801; TOOLS_PORT changes the port.
//
//   node examples/agent-tour/tools.mjs
//
// Agents never reach this server themselves: Gatehouse calls it for them, after its checks.
import { createServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const port = Number(process.env.TOOLS_PORT ?? 7801);

/** Orders of orders-db (confidential data: what the agent reads here may not leave the company). */
const orders = {
  12345: { order_id: "12345", status: "shipped", carrier: "DHL", tracking: "JD014600003828", items: [{ sku: "WIDGET-1", quantity: 2 }], total_cents: 4998 },
};

/** The knowledge base behind kb_search: public docs and internal playbooks (retrieval results carry each document's sensitivity). */
const articles = [
  { id: "shipping-times", text: "Orders ship within 2 working days; DHL delivers in 3 to 5 days.", sensitivity: "public", words: ["ship", "shipping", "deliver", "delivery", "order", "late"] },
  { id: "late-parcel-playbook", text: "A parcel late by more than 7 days: open a trace with the carrier and offer a 10% voucher.", sensitivity: "internal", words: ["late", "parcel", "order", "delivery", "voucher"] },
  { id: "returns", text: "Returns are free within 30 days of delivery.", sensitivity: "public", words: ["return", "returns", "refund"] },
];

const httpTools = {
  "/lookup_order": ({ order_id }) => (orders[order_id] ? { status: 200, body: orders[order_id] } : { status: 404, body: { error: `no order ${order_id}` } }),
  "/issue_refund": ({ order_id, amount_cents }) => ({ status: 200, body: { refunded: true, order_id, amount_cents } }),
  "/send_email": ({ to, subject }) => ({ status: 200, body: { sent: true, to, subject } }),
};

function knowledgeBase() {
  const server = new McpServer({ name: "support-kb", version: "1.0.0" });
  server.registerTool("kb_search", { description: "Searches the support knowledge base", inputSchema: { query: z.string() } }, async ({ query }) => {
    const terms = query.toLowerCase().split(/\W+/);
    const documents = articles.filter((a) => a.words.some((w) => terms.includes(w))).map(({ id, text, sensitivity }) => ({ id, text, sensitivity }));
    return { content: [{ type: "text", text: documents.map((d) => d.text).join("\n") || "nothing found" }], structuredContent: { documents } };
  });
  return server;
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
      } catch (error) {
        reject(error);
      }
    });
    req.on("error", reject);
  });
}

const http = createServer(async (req, res) => {
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST" }).end();
    return;
  }
  let body;
  try {
    body = await readJson(req);
  } catch {
    res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "the body is not JSON" }));
    return;
  }
  if (req.url === "/mcp") {
    // Stateless: a fresh server and transport per request, as the MCP SDK recommends.
    const server = knowledgeBase();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    if (body.method === "tools/call") console.log(`tools: kb_search ${JSON.stringify(body.params?.arguments ?? {})}`);
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    return;
  }
  const tool = httpTools[req.url ?? ""];
  if (!tool) {
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "no such tool" }));
    return;
  }
  console.log(`tools: ${req.url?.slice(1)} ${JSON.stringify(body)}`);
  const answer = tool(body);
  res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
});

http.listen(port, "127.0.0.1", () => console.log(`the demo's tools listen on http://127.0.0.1:${port} (HTTP: /lookup_order /issue_refund /send_email; MCP: /mcp)`));
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => {
    http.closeAllConnections();
    http.close(() => process.exit(0));
  });
