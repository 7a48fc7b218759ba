import { actionContext, type Outcome, type Recorder } from "../../audit/recorder.js";
import type { Actor } from "../../audit/actor.js";
import type { Db } from "../../store/database.js";
import { GatehouseError } from "../../shared/errors.js";
import { RoutingFailedError, UpstreamError } from "../routing/index.js";
import { CallerGoneError, type ModelCall } from "./model-call.js";
import { actorOfCaller } from "./identify.js";
import type { Stage } from "./stage.js";

const anonymous: Actor = { type: "system", id: "anonymous", name: "anonymous", tenantId: null, role: null };

/** Refusals say no to the caller; failures are Gatehouse's or the upstream's. */
export function outcomeOf(error: unknown): Outcome {
  if (error === undefined) return "allowed";
  if (error instanceof GatehouseError) return error.code === "upstream_failed" || error.code === "unavailable" ? "failed" : "refused";
  return "failed";
}

function errorSummary(error: unknown): { code: string; message: string; upstream?: string } | undefined {
  if (error === undefined) return undefined;
  if (error instanceof RoutingFailedError) {
    // Named after how the last upstream tried failed; every attempt is in the payload.
    const last = error.attempts.filter((a) => a.outcome !== "served").at(-1);
    if (last) return { code: `upstream_${last.error ?? "failed"}`, message: error.message, upstream: last.model };
  }
  if (error instanceof GatehouseError) return { code: error.code, message: error.message };
  if (error instanceof UpstreamError) return { code: `upstream_${error.kind}`, message: error.message, upstream: error.upstream };
  if (error instanceof CallerGoneError) return { code: "caller_gone", message: error.message };
  return { code: "internal_error", message: "internal error" };
}

const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Dollars for a call's usage at the prices of the model that served it. */
export function costOf(call: ModelCall): number {
  const usage = call.response?.usage;
  const pricing = call.served?.pricing ?? call.model?.spec.pricing;
  if (!usage || !pricing) return 0;
  return Number(((usage.inputTokens / 1000) * pricing.inputPer1k + (usage.outputTokens / 1000) * pricing.outputPer1k).toFixed(8));
}

/**
 * Writes the call's one audit event (model.invoke): who, tenant, environment, the model asked
 * for and the one that served (with every attempt and why it fell back), template version,
 * tokens, cost, what the output guards found, each stage's latency and the outcome. Refused and failed calls are recorded too. The recorder fails closed: when this
 * stage throws, the call is not answered as a success.
 */
export class RecordStage implements Stage {
  readonly name = "record";

  constructor(
    private readonly recorder: Recorder,
    private readonly db: Db,
  ) {}

  async run(call: ModelCall): Promise<void> {
    const { caller, input, served, response, error } = call;
    const actor: Actor = caller ? actorOfCaller(caller) : anonymous;
    const ctx = actionContext(actor, input.requestId);
    const failure = errorSummary(error);
    const reasons = failure ? [failure.message] : (call.decision?.reasons ?? []);
    const context: Record<string, string | undefined> = {
      api: input.api,
      environment: caller?.environment.name,
      taskId: input.headers.taskId,
      purpose: input.headers.purpose,
      businessUnit: input.headers.businessUnit,
      taskClass: input.headers.taskClass,
      dataRegion: input.headers.dataRegion,
    };
    await this.recorder.record(this.db, ctx, {
      action: "model.invoke",
      resource: { kind: "model", name: served?.model ?? call.model?.name ?? input.model },
      decision: { outcome: outcomeOf(error), reasons },
      context: Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined)),
      payload: {
        modelRequested: input.model,
        modelServed: served?.model ?? null,
        provider: served?.provider ?? null,
        upstreamModel: response?.model ?? served?.upstreamModel ?? null,
        route: call.route?.route ?? null,
        attempts: served?.attempts ?? call.failedAttempts ?? [],
        fallbackReason: served?.fallbackReason ?? null,
        template: call.template ?? null,
        stream: input.stream,
        usage: response?.usage ?? null,
        costUsd: costOf(call),
        policies: call.decision?.policies ?? [],
        outputGuards: call.outputFindings ?? [],
        stageMs: Object.fromEntries(Object.entries(call.timings).map(([k, v]) => [k, roundMs(v)])),
        totalMs: roundMs(performance.now() - call.startedAt),
        error: failure ?? null,
        ...(call.settleFailure ? { settleFailure: call.settleFailure } : {}),
      },
    });
  }
}
