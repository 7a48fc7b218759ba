import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { AgentIdentity } from "../../agents/identity/agent-identity.js";
import type { MediatedToolResult, ToolMediator } from "../../agents/tools/tool-mediator.js";
import type { ActionContext } from "../../audit/recorder.js";
import type { RegistryRecord } from "../../registry/registry.js";
import { GatehouseError } from "../../shared/errors.js";
import type { Logger } from "../../shared/logger.js";

/** Where in a result's _meta Gatehouse says what it decided and found (MCP's _meta keys are namespaced by prefix). */
export const META_REFUSAL = "gatehouse/refusal";
export const META_INSPECTION = "gatehouse/inspection";

/** The tool as an MCP client sees it: the record's name, description and argument schema, and hints from its side effect. */
function toMcpTool(record: RegistryRecord<"tool">): Tool {
  const { description, argumentsSchema, sideEffect } = record.spec;
  return {
    name: record.name,
    ...(description ? { description } : {}),
    inputSchema: { ...argumentsSchema, type: "object" },
    annotations: { readOnlyHint: sideEffect === "read", openWorldHint: sideEffect === "egress" },
  };
}

function toCallToolResult(mediated: MediatedToolResult): CallToolResult {
  const { result, inspection, integrity, digest, grantId } = mediated;
  return {
    // ToolContent is MCP's content shape; only an embedded resource is typed more loosely there, and those come from MCP servers.
    content: result.content as CallToolResult["content"],
    ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
    isError: result.isError,
    _meta: { [META_INSPECTION]: { integrity, injection: inspection.injection, findings: inspection.findings, digest, grantId } },
  };
}

/**
 * A refusal the agent can read and act on: a tool error (isError) whose text is the reason, so a
 * model sees why. An unreachable tool comes back the same way, said as what it is.
 */
function refusal(error: GatehouseError): CallToolResult {
  const said = error.code === "upstream_failed" ? "The tool could not be reached" : "Gatehouse refused the call";
  return {
    content: [{ type: "text", text: `${said}: ${error.message}` }],
    isError: true,
    _meta: { [META_REFUSAL]: { code: error.code, reason: error.message, ...(error.field ? { field: error.field } : {}) } },
  };
}

/**
 * The MCP server one /mcp request talks to, for one agent in one task: tools/list shows only the
 * tools the agent holds a live grant for in the task, and tools/call goes through the tool
 * mediator (grant, argument schema and scope, flow control, output guards, labels, audit
 * record). Refusals come back as tool errors carrying the reason; when Gatehouse itself cannot
 * decide (store or audit log unavailable) the call fails as a JSON-RPC error, never waved through.
 *
 * It is the SDK's low-level Server rather than McpServer because its tools are registry records
 * with JSON Schemas, different for every agent and task, not handlers registered once.
 */
export function toolServer(mediator: ToolMediator, agent: AgentIdentity, taskId: string, ctx: ActionContext, log: Logger): Server {
  const server = new Server(
    { name: "gatehouse", version: "0.1.0" },
    {
      capabilities: { tools: {} },
      instructions: "Tools appear here while this task holds a grant for them; ask Gatehouse for a grant to see more.",
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    try {
      return { tools: (await mediator.visibleTools(agent, taskId)).map(toMcpTool) };
    } catch (error) {
      throw protocolError(error, log);
    }
  });
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    try {
      return toCallToolResult(await mediator.invoke(agent, taskId, request.params.name, request.params.arguments ?? {}, ctx));
    } catch (error) {
      if (error instanceof GatehouseError && error.code !== "unavailable") return refusal(error);
      throw protocolError(error, log);
    }
  });
  return server;
}

/**
 * A JSON-RPC error for the SDK to send: it answers with a thrown error's code and message. (Not
 * McpError, whose message already carries "MCP error <code>:", which the client would add again.)
 */
class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function protocolError(error: unknown, log: Logger): ProtocolError {
  if (error instanceof GatehouseError) {
    const code = error.code === "invalid_request" ? ErrorCode.InvalidParams : ErrorCode.InternalError;
    return new ProtocolError(code, error.code === "unavailable" ? `${error.message}; nothing was done` : error.message);
  }
  log.error({ err: error }, "MCP request failed");
  return new ProtocolError(ErrorCode.InternalError, "Gatehouse could not complete the request; nothing was done");
}
