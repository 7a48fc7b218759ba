import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { actionContext } from "../../audit/recorder.js";
import type { Gatehouse } from "../../gatehouse.js";
import { GuardChecker, type GuardCheckResult } from "../../guards/guard-check.js";
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

const severity = { allow: 0, redact: 1, block: 2 } as const;

/**
 * POST /v1/guard/check: the gateway's guards for applications that want the checks without
 * proxying a model call. Same code as the pipeline's inspect stages; application keys; every
 * check is recorded (verdict and finding types, never the text).
 */
export async function guardCheckRoutes(app: FastifyInstance, options: { gatehouse: Gatehouse }): Promise<void> {
  const { gatehouse } = options;
  const checker = new GuardChecker();
  app.setErrorHandler(async (error, request, reply) => {
    const failure = gatewayErrorOf(error);
    if (failure.status >= 500) request.log.error({ err: error }, "guard check failed");
    return reply.code(failure.status).send(openAiError(failure));
  });

  app.post("/guard/check", async (request) => {
    const caller = await authenticateCaller(gatehouse.apiKeys, gatehouse.tenants, apiKeyOf(request));
    const body = bodyOf(request, guardCheckSchema);
    let result: GuardCheckResult & { messages?: { role: string; content: string }[] };
    if (body.text !== undefined) {
      result = checker.check(body.text);
    } else {
      const checked = (body.messages ?? []).map((m) => ({ role: m.role, result: checker.check(m.content) }));
      const worst = checked.reduce((v, c) => (severity[c.result.verdict] > severity[v] ? c.result.verdict : v), "allow" as GuardCheckResult["verdict"]);
      result = {
        verdict: worst,
        findings: checked.flatMap((c, message) => c.result.findings.map((f) => ({ ...f, message }))),
        labels: [...new Set(checked.flatMap((c) => c.result.labels))].sort(),
        redacted: checked.map((c) => c.result.redacted).join("\n"),
        messages: checked.map((c) => ({ role: c.role, content: c.result.redacted })),
      };
    }
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
