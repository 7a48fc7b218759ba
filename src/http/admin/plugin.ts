import type { FastifyInstance } from "fastify";
import type { Gatehouse } from "../../gatehouse.js";
import { notFoundHandler } from "../errors.js";
import { adminAuthentication } from "./authenticate.js";
import { agentKeyRoutes } from "./routes/agent-keys.js";
import { agentRoutes } from "./routes/agents.js";
import { auditRoutes } from "./routes/audit.js";
import { changeRequestRoutes } from "./routes/change-requests.js";
import { configRoutes } from "./routes/config.js";
import { eventRoutes } from "./routes/events.js";
import { grantRequestRoutes } from "./routes/grant-requests.js";
import { principalRoutes } from "./routes/principals.js";
import { providerCredentialRoutes } from "./routes/provider-credentials.js";
import { registryRoutes } from "./routes/registry.js";
import { tenantRoutes } from "./routes/tenant.js";

/** The admin API, mounted at /admin/v1. Authentication and recording apply to every route in it. */
export async function adminApi(app: FastifyInstance, options: { gatehouse: Gatehouse }): Promise<void> {
  const { gatehouse } = options;
  // Unknown admin routes get their own 404 handler so the authentication and recording hooks run for them too.
  app.setNotFoundHandler(notFoundHandler);
  adminAuthentication(app, gatehouse);
  tenantRoutes(app, gatehouse);
  principalRoutes(app, gatehouse);
  registryRoutes(app, gatehouse);
  providerCredentialRoutes(app, gatehouse);
  agentRoutes(app, gatehouse);
  agentKeyRoutes(app, gatehouse);
  changeRequestRoutes(app, gatehouse);
  grantRequestRoutes(app, gatehouse);
  configRoutes(app, gatehouse);
  eventRoutes(app, gatehouse);
  auditRoutes(app, gatehouse);
}
