// A real MCP server on stdio, for tests: Gatehouse starts it (node tests/support/mcp-stdio-server.mjs <label>)
// as a registered tool's endpoint. Its first argument is echoed in answers, so a test can tell
// that the arguments of the command line arrived as written.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const label = globalThis.process.argv[2] ?? "stdio";
const server = new McpServer({ name: "warehouse", version: "1.0.0" });

server.registerTool(
  "warehouse-stock",
  { description: "How many of an article are in stock", inputSchema: { sku: z.string() } },
  async ({ sku }) => ({
    content: [{ type: "text", text: `${sku}: 7 in stock (${label})` }],
    structuredContent: { sku, inStock: 7, server: label },
  }),
);

await server.connect(new StdioServerTransport());
