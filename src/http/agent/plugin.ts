import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { agentActor, type AgentIdentity } from "../../agents/identity/agent-identity.js";
import type { VerifiedAgent } from "../../agents/identity/authenticate.js";
import { PROOF_HEADER } from "../../agents/identity/proof-format.js";
import { actionContext, type ActionContext } from "../../audit/recorder.js";
import type { Actor } from "../../audit/actor.js";
import type { Gatehouse } from "../../gatehouse.js";
import { GatehouseError } from "../../shared/errors.js";
import { refusalReason } from "../admin/authenticate.js";
import { toErrorResponse } from "../errors.js";
import { agentCredentialOf } from "./credential.js";
import { identityRoutes } from "./identity-routes.js";
import { grantRoutes } from "./grant-routes.js";
import { messageRoutes } from "./message-routes.js";
import { taskRoutes } from "./task-routes.js";
import { toolRoutes } from "./tool-routes.js";

const anonymous: Actor = { type: "system", id: "anonymous", name: "anonymous", tenantId: null, role: null };

interface AgentCall {
  identity: VerifiedAgent;
  ctx: ActionContext;
}

const calls = new WeakMap<FastifyRequest, AgentCall>();
const contexts = new WeakMap<FastifyRequest, ActionContext>();

/** The authenticated agent of a request on the agent API (the hook guarantees it). */
export function agentCallOf(request: FastifyRequest): { identity: AgentIdentity & VerifiedAgent; ctx: ActionContext } {
  const call = calls.get(request);
  if (!call) throw new GatehouseError("unauthenticated", "the agent is not authenticated");
  return call;
}

function errorReply(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toErrorResponse(error);
  if (status >= 500) request.log.error({ err: error }, "agent API call failed");
  if (status === 401) reply.header("www-authenticate", `Bearer realm="gatehouse-agents", ${PROOF_HEADER}`);
  if (error instanceof GatehouseError && error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
  return reply.code(status).send(body);
}

/**
 * Authenticates every request of a scope as an agent (a proof of possession bound to the
 * request, or a token obtained with one) and records every refusal; what succeeds is recorded
 * by the action itself. Shared by the agent API and the /mcp endpoint, whose scopes keep raw
 * JSON bodies (keepRawJsonBodies) because a proof signs the body's hash.
 */
export function authenticateAgents(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.setErrorHandler(errorReply);

  app.addHook("onRequest", async (request) => {
    contexts.set(request, actionContext(anonymous, request.id));
  });

  // After the body is parsed: a proof signs the body's hash.
  app.addHook("preHandler", async (request) => {
    const ctx = contexts.get(request) ?? actionContext(anonymous, request.id);
    const credential = agentCredentialOf(request);
    if (!credential) throw new GatehouseError("unauthenticated", `missing agent credential: sign the request (${PROOF_HEADER}) or send an agent token`);
    const identity = await gatehouse.agentAccess.authenticator.authenticate(credential, ctx);
    ctx.actor = agentActor(identity);
    ctx.tenantId = identity.tenantId;
    calls.set(request, { identity, ctx });
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const ctx = contexts.get(request);
    const status = reply.statusCode;
    if (!ctx || status < 400 || ctx.recorded > 0) return payload;
    try {
      await gatehouse.recorder.record(gatehouse.store.db, ctx, {
        action: "agent_api.call",
        resource: { kind: "agent_api", name: `${request.method} ${request.routeOptions.url ?? "(no route)"}` },
        decision: { outcome: status < 500 ? "refused" : "failed", reasons: refusalReason(payload, status) },
        context: { method: request.method, path: request.url.split("?")[0] ?? "", status },
      });
      return payload;
    } catch (error) {
      request.log.error({ err: error }, "could not record agent API call");
      reply.code(503);
      return JSON.stringify(toErrorResponse(new GatehouseError("unavailable", "the audit log is unavailable; the call was not completed")).body);
    }
  });
}

/** The agent API under /v1: tokens, tasks and grants, every request authenticated as an agent. */
export async function agentApi(app: FastifyInstance, options: { gatehouse: Gatehouse }): Promise<void> {
  const { gatehouse } = options;
  authenticateAgents(app, gatehouse);

  identityRoutes(app, gatehouse);
  taskRoutes(app, gatehouse);
  grantRoutes(app, gatehouse);
  toolRoutes(app, gatehouse);
  messageRoutes(app, gatehouse);
}
