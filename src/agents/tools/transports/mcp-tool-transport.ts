import type { RegistryRecord } from "../../../registry/registry.js";
import { MAX_TOOL_RESULT_BYTES } from "../http-transport.js";
import type { ToolContent, ToolResult, ToolTransport, ToolTransports } from "../tool-transport.js";
import { McpClients, type McpClientsOptions, type McpServerAddress } from "./mcp-clients.js";

/**
 * Tools of kind "mcp": each record names one tool on an MCP server — the record's name is the
 * tool's name on that server, its endpoint and transport say where the server is — and a call
 * is that tool's tools/call over a pooled client (see McpClients). The server's result passes
 * through as it came; a tool that reports a failure (isError) is a result, not an exception.
 */
export class McpToolTransport implements ToolTransport {
  constructor(private readonly clients: McpClients) {}

  async call(tool: RegistryRecord<"tool">, args: Record<string, unknown>, options: { signal: AbortSignal }): Promise<ToolResult> {
    const result = await this.clients.callTool(mcpAddressOf(tool), tool.name, args, options.signal);
    // The same bound as for HTTP tools: the guards would only refuse a result this large further on.
    if (Buffer.byteLength(JSON.stringify(result)) > MAX_TOOL_RESULT_BYTES) {
      return { content: [{ type: "text", text: `tool ${tool.name} answered more than ${MAX_TOOL_RESULT_BYTES} bytes` }], isError: true };
    }
    return {
      content: result.content as ToolContent[],
      ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
      isError: result.isError === true,
    };
  }
}

export function mcpAddressOf(tool: RegistryRecord<"tool">): McpServerAddress {
  const { kind, transport, endpoint } = tool.spec;
  if (kind !== "mcp" || (transport !== "streamable-http" && transport !== "stdio")) {
    throw new Error(`tool '${tool.name}' is not an MCP tool (kind ${kind}, transport ${transport ?? "none"})`);
  }
  return { tenantId: tool.tenantId, transport, endpoint };
}

/** Registers the MCP transports (streamable-http and stdio, over one client pool); the pool is returned to be closed on shutdown. */
export function registerMcpTransports(transports: ToolTransports, options?: McpClientsOptions): McpClients {
  const clients = new McpClients(options);
  const transport = new McpToolTransport(clients);
  transports.register("streamable-http", transport).register("stdio", transport);
  return clients;
}
