import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { namedOpenTask } from "../../agents/agent-callers.js";
import { TASK_HEADER } from "../../agents/identity/proof-format.js";
import type { Gatehouse } from "../../gatehouse.js";
import { invalid } from "../../shared/errors.js";
import { agentCallOf, authenticateAgents } from "../agent/plugin.js";
import { keepRawJsonBodies } from "../agent/raw-body.js";
import { toolServer } from "./tool-server.js";

function taskIdOf(request: FastifyRequest): string {
  const taskId = request.headers[TASK_HEADER];
  if (typeof taskId !== "string" || taskId.length === 0) {
    throw invalid(TASK_HEADER, `${TASK_HEADER}: an agent's MCP requests name the open task they belong to`);
  }
  return taskId;
}

/** The request as the SDK's web-standard transport reads it: method, URL and headers (the body is passed parsed). */
function webRequestOf(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return new Request(new URL(request.url, `http://${request.headers.host ?? "gatehouse"}`), { method: request.method, headers });
}

/**
 * POST /mcp: MCP's streamable HTTP transport, authenticated like the agent API (a proof on
 * every request, or an agent token) and scoped to the task named in x-gatehouse-task-id.
 *
 * Stateless (the SDK's sessionIdGenerator: undefined, JSON answers): every request is
 * authenticated on its own and gets a fresh server for its agent and task, so nothing about a
 * connection is held between requests — any Gatehouse process can answer any request, a
 * suspended agent or ended task is refused on its next request, and the tool list is read
 * afresh each time, which is what makes a revoked or expired grant vanish from it at once.
 * Gatehouse sends nothing unprompted, so there is no server-to-client stream: GET (and DELETE,
 * which ends sessions) answer 405 as the specification allows.
 */
export async function mcpApi(app: FastifyInstance, options: { gatehouse: Gatehouse }): Promise<void> {
  const { gatehouse } = options;

  await app.register(async (authenticated) => {
    // MCP speaks JSON only; without a text parser, anything else is refused as 415 before authentication.
    authenticated.removeContentTypeParser("text/plain");
    keepRawJsonBodies(authenticated);
    authenticateAgents(authenticated, gatehouse);
    authenticated.post("/", async (request, reply) => {
      const { identity, ctx } = agentCallOf(request);
      const task = await namedOpenTask(gatehouse.agentAccess.tasks, identity, taskIdOf(request));
      const server = toolServer(gatehouse.agentAccess.tools, identity, task.id, ctx, request.log);
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      try {
        // The answer comes back as a whole (JSON, not a stream) and is sent by Fastify, so the
        // agent plugin's hooks record what the SDK refuses, as for any agent request.
        const answer = await transport.handleRequest(webRequestOf(request), { parsedBody: request.body });
        reply.code(answer.status);
        answer.headers.forEach((value, name) => void reply.header(name, value));
        return reply.send(await answer.text());
      } finally {
        await server.close();
      }
    });
  });

  const onlyPost = (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(405)
      .header("allow", "POST")
      .send({ error: { code: "method_not_allowed", message: "Gatehouse's MCP endpoint is stateless: send MCP messages with POST" } });
  app.get("/", onlyPost);
  app.delete("/", onlyPost);
}
