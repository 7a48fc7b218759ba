import { GatehouseError } from "../../shared/errors.js";
import { usageOf, type AgentLimits, type Pricing, type UsageLimiter } from "../limits/index.js";
import type { Admission, AdmissionTicket } from "./admit.js";
import type { ModelCall } from "./model-call.js";

/** Output tokens a call is estimated at when it sets no max_tokens. */
export const defaultOutputTokenEstimate = 1024;

/**
 * Rate limits and budgets through the UsageLimiter: a call counts against its tenant, its key,
 * its agent (when an agent calls) and the business unit its header names, under the tenant's
 * `limits` settings and the agent's spec limits. It is admitted on an estimate (the prompt's
 * estimated tokens plus max_tokens, at the dearest price on its route) and settled on what the
 * served model actually used, streams included; a call that ends without an answer releases its
 * reservation.
 */
export class UsageAdmission implements Admission {
  constructor(private readonly limiter: UsageLimiter) {}

  async admit(call: ModelCall): Promise<AdmissionTicket> {
    const { caller, route, model } = call;
    if (!caller || !model) throw new GatehouseError("forbidden", "the call was not identified");
    const tokens = { input: call.estimatedInputTokens ?? 0, output: call.request.maxTokens ?? defaultOutputTokenEstimate };
    const prices: Pricing[] = route ? [...route.primary, ...route.fallbacks].map((c) => c.spec.pricing) : [model.spec.pricing];
    const estimate = prices.map((p) => usageOf(p, tokens)).reduce((a, b) => (b.costUsd > a.costUsd ? b : a));
    const admission = await this.limiter.admit({
      subject: {
        tenantId: caller.tenantId,
        // An agent's key (by its thumbprint) counts as its API key for per-key limits.
        keyId: caller.agent ? `agent-key:${caller.agent.kid}` : caller.key.id,
        ...(caller.agent ? { agent: caller.agent.name } : {}),
        ...(call.input.headers.businessUnit ? { businessUnit: call.input.headers.businessUnit } : {}),
      },
      limits: caller.settings.limits,
      ...(caller.agent ? { agentLimits: agentLimitsOf(caller.agent.spec.limits) } : {}),
      estimate,
    });
    return {
      settle: (usage) => {
        if (!usage) return admission.release();
        const pricing = call.served?.pricing ?? model.spec.pricing;
        return admission.settle(usageOf(pricing, { input: usage.inputTokens, output: usage.outputTokens }));
      },
    };
  }
}

/** The budget fields of an agent's spec limits (its concurrency is not a usage limit). */
function agentLimitsOf(limits: { tokensPerDay?: number; tokensPerMonth?: number; costPerDayUsd?: number; costPerMonthUsd?: number }): AgentLimits {
  const { tokensPerDay, tokensPerMonth, costPerDayUsd, costPerMonthUsd } = limits;
  return { tokensPerDay, tokensPerMonth, costPerDayUsd, costPerMonthUsd };
}
