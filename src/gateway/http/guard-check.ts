import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { actionContext } from "../../audit/recorder.js";
import type { Gatehouse } from "../../gatehouse.js";
import { bodyOf } from "../../http/admin/body.js";
import { actorOfCaller, authenticateCaller } from "../pipeline/identify.js";
import { apiKeyOf } from "./call-headers.js";
import { gatewayErrorOf } from "./errors.js";
import { openAiError } from "./openai/error-shape.js";
import { Placeholders } from "../../guards/placeholders.js";

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
 * proxying a model call. Same code and the same tenant policy as the pipeline's guards: the input
 * guards by default, the output guards' leak and abuse checks with direction output (a finding's
 * action is the calling tenant's); application keys; every check is recorded (verdict and finding
 * types, never the text).
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
    const messages = body.messages ?? [{ role: "user", content: body.text ?? "" }];
    const result = body.direction === "output" ? await outputCheck(gatehouse, caller, messages, body.text !== undefined) : await inputCheck(gatehouse, caller, messages, body.text !== undefined);
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

type Caller = Awaited<ReturnType<typeof authenticateCaller>>;
type Message = { role: string; content: string };

/** The same review as a model call's input guards, under the calling tenant's policy. */
async function inputCheck(gatehouse: Gatehouse, caller: Caller, messages: Message[], single: boolean) {
  const review = await gatehouse.gateway.inputGuard.review(messages, caller.settings.guards);
  const classified = await gatehouse.gateway.classifier.labelsOf(caller.tenantId, review.messages.map((m) => m.content));
  return {
    verdict: review.verdict,
    findings: single ? review.findings.map(({ message: _, ...f }) => f) : review.findings,
    labels: [...new Set([...review.labels, ...classified])].sort(),
    redacted: review.messages.map((m) => m.content).join("\n"),
    ...(single ? {} : { messages: review.messages }),
  };
}

/**
 * The same checks as a model answer's leak and abuse guards, under the tenant's `guards.output`
 * (its restricted terms and its data sources' markers included): findings are flagged rather
 * than allowed, and a value keeps its placeholder across messages.
 */
async function outputCheck(gatehouse: Gatehouse, caller: Caller, messages: Message[], single: boolean) {
  const placeholders = new Placeholders();
  const order = { allow: 0, redact: 1, block: 2 } as const;
  let verdict: keyof typeof order = "allow";
  const findings: (Record<string, unknown> & { type: string })[] = [];
  const checked: Message[] = [];
  for (const [index, message] of messages.entries()) {
    const review = await gatehouse.gateway.contentGuard.review(caller.tenantId, caller.settings.guards?.output, message.content, placeholders);
    if (order[review.verdict] > order[verdict]) verdict = review.verdict;
    for (const d of review.findings) findings.push({ type: d.type, start: d.start, end: d.end, score: d.score, guard: d.guard, action: d.action, ...(d.detail ? { detail: d.detail } : {}), ...(single ? {} : { message: index }) });
    checked.push({ role: message.role, content: review.redacted });
  }
  return {
    verdict,
    findings,
    labels: [],
    redacted: checked.map((m) => m.content).join("\n"),
    ...(single ? {} : { messages: checked }),
  };
}
