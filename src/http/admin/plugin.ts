import type { FastifyInstance } from "fastify";
import type { Gatehouse } from "../../gatehouse.js";
import { adminAuthentication } from "./authenticate.js";
import { agentRoutes } from "./routes/agents.js";
import { changeRequestRoutes } from "./routes/change-requests.js";
import { configRoutes } from "./routes/config.js";
import { eventRoutes } from "./routes/events.js";
import { principalRoutes } from "./routes/principals.js";
import { registryRoutes } from "./routes/registry.js";
import { tenantRoutes } from "./routes/tenant.js";

/** The admin API, mounted at /admin/v1. Authentication and recording apply to every route in it. */
export async function adminApi(app: FastifyInstance, options: { gatehouse: Gatehouse }): Promise<void> {
  const { gatehouse } = options;
  adminAuthentication(app, gatehouse);
  tenantRoutes(app, gatehouse);
  principalRoutes(app, gatehouse);
  registryRoutes(app, gatehouse);
  agentRoutes(app, gatehouse);
  changeRequestRoutes(app, gatehouse);
  configRoutes(app, gatehouse);
  eventRoutes(app, gatehouse);
}
