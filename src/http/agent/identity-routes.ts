import type { FastifyInstance } from "fastify";
import type { Gatehouse } from "../../gatehouse.js";
import { GatehouseError } from "../../shared/errors.js";
import { agentCallOf } from "./plugin.js";

/** POST /v1/agents/token and GET /v1/agents/me. */
export function identityRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  // A short-lived token, obtained with a proof (never with another token).
  app.post("/agents/token", async (request) => {
    const { identity, ctx } = agentCallOf(request);
    if (identity.via !== "proof") throw new GatehouseError("unauthenticated", "a token is obtained with a proof, not with another token");
    const { token, expiresAt } = await gatehouse.agentAccess.tokens.issue(ctx, identity);
    return { token, tokenType: "Bearer", expiresAt, expiresIn: Math.floor((expiresAt - Date.now()) / 1000), environment: identity.environment };
  });

  // Who the credential speaks for: for checking an agent's setup.
  app.get("/agents/me", async (request) => {
    const { identity } = agentCallOf(request);
    return {
      tenant: identity.tenantName,
      agent: identity.name,
      environment: identity.environment,
      kid: identity.kid,
      via: identity.via,
      capabilities: identity.spec.capabilities,
      limits: identity.spec.limits,
    };
  });
}
