import type { ActionContext } from "../../audit/recorder.js";
import type { ApiKey } from "../../tenancy/api-keys.js";
import type { Principal } from "../../tenancy/principals.js";
import type { Permission } from "../../tenancy/roles.js";

/** What the admin API knows about an authenticated call. */
export interface AdminCall {
  tenantId: string;
  principal: Principal;
  key: ApiKey;
  ctx: ActionContext;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the admin authentication hook; null before it ran or when it refused the call. */
    admin: AdminCall | null;
    /** Context for recording the call, present even when authentication failed. */
    actionContext: ActionContext | null;
  }
  interface FastifyContextConfig {
    /** The permission a route needs; admin routes without one are refused (fail closed). */
    permission?: Permission;
  }
}
