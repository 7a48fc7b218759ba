import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { actionContext } from "../../audit/recorder.js";
import type { Gatehouse } from "../../gatehouse.js";
import { bodyOf } from "../../http/admin/body.js";
import { actorOfCaller, authenticateCaller } from "../pipeline/identify.js";
import { apiKeyOf } from "./call-headers.js";
import { gatewayErrorOf } from "./errors.js";
import { openAiError } from "./openai/error-shape.js";

const MAX_TEXT = 1_000_000;

const guardCheckSchema = z
  .object({
    text: z.string().max(MAX_TEXT).optional(),
    messages: z
      .array(z.object({ role: z.string().min(1).max(50), content: z.string().max(MAX_TEXT) }).strict())
      .min(1)
      .max(1000)
      .optional(),
    direction: z.enum(["input", "output"]).default("input"),
  })
  .strict()
  .refine((b) => (b.text === undefined) !== (b.messages === undefined), { path: ["text"], message: "give either text or messages" });

/**
 * POST /v1/guard/check: the gateway's guards for applications that want the checks without
 * proxying a model call. Same code and the same tenant policy as the pipeline's input guards
 * (a finding's action is the calling tenant's); application keys; every check is recorded
 * (verdict and finding types, never the text).
 */
export async function guardCheckRoutes(app: FastifyInstance, options: { gatehouse: Gatehouse }): Promise<void> {
  const { gatehouse } = options;
  app.setErrorHandler(async (error, request, reply) => {
    const failure = gatewayErrorOf(error);
    if (failure.status >= 500) request.log.error({ err: error }, "guard check failed");
    return reply.code(failure.status).send(openAiError(failure));
  });

  app.post("/guard/check", async (request) => {
    const caller = await authenticateCaller(gatehouse.apiKeys, gatehouse.tenants, apiKeyOf(request));
    const body = bodyOf(request, guardCheckSchema);
    // The same review as a model call's input guards, under the calling tenant's policy.
    const review = gatehouse.gateway.inputGuard.review(body.messages ?? [{ role: "user", content: body.text ?? "" }], caller.settings.guards);
    const result = {
      verdict: review.verdict,
      findings: body.text !== undefined ? review.findings.map(({ message: _, ...f }) => f) : review.findings,
      labels: review.labels,
      redacted: review.messages.map((m) => m.content).join("\n"),
      ...(body.messages !== undefined ? { messages: review.messages } : {}),
    };
    const counts: Record<string, number> = {};
    for (const f of result.findings) counts[f.type] = (counts[f.type] ?? 0) + 1;
    const ctx = actionContext(actorOfCaller(caller), request.id);
    await gatehouse.recorder.record(gatehouse.store.db, ctx, {
      action: "guard.check",
      resource: { kind: "guard", name: body.direction },
      decision: { outcome: result.verdict === "block" ? "refused" : "allowed", reasons: Object.keys(counts).sort() },
      context: { environment: caller.environment.name },
      payload: { verdict: result.verdict, findings: counts, labels: result.labels },
    });
    return result;
  });
}
