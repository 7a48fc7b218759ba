import type { FastifyInstance, FastifyRequest } from "fastify";
import { actionContext, type ActionContext } from "../../audit/recorder.js";
import type { Actor } from "../../audit/actor.js";
import type { Gatehouse } from "../../gatehouse.js";
import { forbidden, GatehouseError } from "../../shared/errors.js";
import { can } from "../../tenancy/roles.js";
import { toErrorResponse } from "../errors.js";
import type { AdminCall } from "./context.js";

const anonymous: Actor = { type: "system", id: "anonymous", name: "anonymous", tenantId: null, role: null };

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== "string") return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/** The admin call of an authenticated request (the hook guarantees it on admin routes). */
export function adminOf(request: FastifyRequest): AdminCall {
  if (!request.admin) throw new GatehouseError("unauthenticated", "missing or invalid admin API key");
  return request.admin;
}

/**
 * Authenticates every admin request by its hashed key, resolves the principal and tenant,
 * checks the route's permission for the principal's role, and records every call — allowed
 * or refused — through the recorder. A call that cannot be recorded is answered 503.
 */
export function adminAuthentication(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.decorateRequest("admin", null);
  app.decorateRequest("actionContext", null);

  app.addHook("onRequest", async (request, reply) => {
    request.actionContext = actionContext(anonymous, request.id);
    const plain = bearer(request);
    const found = plain ? await gatehouse.apiKeys.authenticate(plain) : undefined;
    if (!found || found.key.kind !== "admin" || !found.principal.role) {
      reply.header("www-authenticate", 'Bearer realm="gatehouse-admin"');
      throw new GatehouseError("unauthenticated", plain ? "invalid, expired or revoked admin API key" : "missing admin API key (Authorization: Bearer …)");
    }
    const { principal, key } = found;
    const ctx: ActionContext = actionContext(
      { type: principal.kind, id: principal.id, name: principal.name, tenantId: principal.tenantId, role: principal.role },
      request.id,
    );
    request.actionContext = ctx;
    request.admin = { tenantId: principal.tenantId, principal, key, ctx };
    if (request.is404) return;
    const permission = request.routeOptions.config.permission;
    if (!permission || !can(principal.role as NonNullable<typeof principal.role>, permission)) {
      throw forbidden(`role ${principal.role} may not ${request.method} ${request.routeOptions.url ?? request.url}`);
    }
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const ctx = request.actionContext;
    if (!ctx) return payload;
    const status = reply.statusCode;
    // Successful changes were recorded with the change itself; everything else is recorded here.
    if (status < 400 && ctx.recorded > 0) return payload;
    try {
      await gatehouse.recorder.record(gatehouse.store.db, ctx, {
        action: "admin.call",
        resource: { kind: "admin_api", name: `${request.method} ${request.routeOptions.url ?? "(no route)"}` },
        decision: { outcome: status < 400 ? "allowed" : status < 500 ? "refused" : "failed", reasons: refusalReason(payload, status) },
        context: { method: request.method, path: request.url.split("?")[0] ?? "", status },
      });
      return payload;
    } catch (error) {
      request.log.error({ err: error }, "could not record admin call");
      const { body } = toErrorResponse(new GatehouseError("unavailable", "the audit log is unavailable; the call was not completed"));
      reply.code(503);
      reply.header("content-type", "application/json; charset=utf-8");
      return JSON.stringify(body);
    }
  });
}

/** The error message of a refusal's JSON body, for its record. */
export function refusalReason(payload: unknown, status: number): string[] {
  if (status < 400 || typeof payload !== "string") return [];
  try {
    const message = (JSON.parse(payload) as { error?: { message?: unknown } }).error?.message;
    return typeof message === "string" ? [message] : [];
  } catch {
    return [];
  }
}
