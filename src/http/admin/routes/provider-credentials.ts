import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Gatehouse } from "../../../gatehouse.js";
import { adminOf } from "../authenticate.js";
import { bodyOf, nameParam, paramsOf } from "../body.js";

const credentialInput = z.object({ secret: z.string().min(1).max(8192) }).strict();

/**
 * Sets or rotates the credential a model's upstream is called with. Write-only: the secret is
 * sealed at rest and never returned, by this route or any other.
 */
export function providerCredentialRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.put("/models/:name/credential", { config: { permission: "tenant.manage" } }, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { name } = paramsOf(request, nameParam);
    const { secret } = bodyOf(request, credentialInput);
    return gatehouse.transaction((trx) => gatehouse.gateway.credentials.set(trx, ctx, tenantId, name, secret));
  });
}
