import type { RegistryRecord } from "../../registry/registry.js";

/**
 * One piece of a tool's result, shaped like the content of MCP's CallToolResult so an MCP
 * server's result passes through unchanged. Text is what the guards read; the other kinds are
 * carried as they came.
 */
export type ToolContent =
  | { type: "text"; text: string }
  | { type: "image"; data: string; mimeType: string }
  | { type: "audio"; data: string; mimeType: string }
  | { type: "resource"; resource: Record<string, unknown> }
  | { type: "resource_link"; uri: string; name: string; [key: string]: unknown };

/** What a tool returned (a tool-level failure is a result with isError, not an exception). */
export interface ToolResult {
  content: ToolContent[];
  structuredContent?: Record<string, unknown>;
  isError: boolean;
}

/** How Gatehouse reaches one kind of tool endpoint. Throws only when the tool could not be reached. */
export interface ToolTransport {
  call(tool: RegistryRecord<"tool">, args: Record<string, unknown>, options: { signal: AbortSignal }): Promise<ToolResult>;
}

/** The transport names a tool's spec selects: http tools use "http"; mcp tools name theirs. */
export type TransportName = "http" | "streamable-http" | "stdio";

export const transportOf = (tool: RegistryRecord<"tool">): TransportName => tool.spec.transport ?? "http";

/**
 * The transports by name. Each is registered once at start-up (http here, the MCP ones by the
 * MCP module), so adding a transport touches nothing else.
 */
export class ToolTransports {
  private readonly byName = new Map<TransportName, ToolTransport>();

  register(name: TransportName, transport: ToolTransport): this {
    this.byName.set(name, transport);
    return this;
  }

  /** The transport for a tool, or undefined when none is registered for its spec. */
  for(tool: RegistryRecord<"tool">): ToolTransport | undefined {
    return this.byName.get(transportOf(tool));
  }
}
