import { GatehouseError } from "../../shared/errors.js";
import type { BudgetCharge, BudgetLedger } from "./budget-ledger.js";
import type { TenantLimits } from "./limits-config.js";
import { limitRulesFor, type AgentLimits, type LimitRule, type LimitSubject } from "./rules.js";
import { microUsd, type Usage } from "./usage.js";
import type { RateWindowStore, WindowCharge } from "./window-store.js";
import { secondsLeft, windowAt, type Clock, type Window } from "./windows.js";

export interface AdmitRequest {
  subject: LimitSubject;
  /** The tenant settings' `limits` section; absent: no tenant, key or business unit limits. */
  limits: TenantLimits | undefined;
  /** The calling agent's spec limits, for agent calls. */
  agentLimits?: AgentLimits;
  /** Tokens (prompt plus the most the answer may use) and cost the call may use. */
  estimate: Usage;
}

/** An admitted call. Exactly one of settle() or release() should follow; later calls change nothing. */
export interface Admission {
  /** Counts what the call actually used (after a stream, what it streamed) and frees the rest of the estimate. */
  settle(actual: Usage): Promise<void>;
  /** The call failed: frees the reservation. The request itself still counts against requests per minute. */
  release(): Promise<void>;
}

/**
 * The admit stage's limits: requests and tokens per minute in a RateWindowStore, token and cost
 * budgets per day and month in a BudgetLedger. A call is checked on its estimate before it runs
 * and settled on its actual usage after; a call over any limit gets rate_limited (429) naming the
 * limit, with Retry-After; a store that cannot answer refuses the call (503).
 */
export class UsageLimiter {
  constructor(
    private readonly windows: RateWindowStore,
    private readonly budgets: BudgetLedger,
    private readonly clock: Clock = Date.now,
  ) {}

  async admit(request: AdmitRequest): Promise<Admission> {
    const rules = limitRulesFor(request.subject, request.limits, request.agentLimits);
    if (rules.length === 0) return unlimited;
    const now = this.clock();
    const amount = (rule: LimitRule, usage: Usage) =>
      rule.measure === "requests" ? 1 : rule.measure === "tokens" ? usage.tokens : microUsd(usage.costUsd);

    const minute = windowAt("minute", now);
    const rateRules = rules.filter((r) => r.window === "minute");
    const rateCharges: WindowCharge[] = rateRules.map((r) => ({ counter: r.counter, limit: r.limit, amount: amount(r, request.estimate) }));
    const charged = await this.windows.charge(minute, rateCharges);
    if (!charged.admitted) {
      const rule = ruleFor(rateRules, charged.refused.counter);
      throw overLimit(rule, minute, now, charged.used, charged.refused.amount);
    }
    const tokenCounters = rateRules.filter((r) => r.measure === "tokens").map((r) => r.counter);
    const adjustTokens = (delta: number) => this.windows.adjust(minute, tokenCounters.map((counter) => ({ counter, amount: delta })));

    const budgetRules = rules.filter((r) => r.window !== "minute");
    let holdId: string | undefined;
    if (budgetRules.length > 0) {
      const periods = new Map(budgetRules.map((r) => [r.counter, windowAt(r.window, now)]));
      const charges: BudgetCharge[] = budgetRules.map((r) => ({
        counter: r.counter,
        period: periods.get(r.counter)?.id ?? "",
        limit: r.limit,
        amount: amount(r, request.estimate),
      }));
      const reserved = await this.budgets.reserve(request.subject.tenantId, charges, now).catch(async (error: unknown) => {
        await adjustTokens(-request.estimate.tokens).catch(() => undefined);
        throw error;
      });
      if (!reserved.admitted) {
        await this.windows.adjust(minute, rateCharges.map((c) => ({ counter: c.counter, amount: -c.amount })));
        const rule = ruleFor(budgetRules, reserved.refused.counter);
        const period = periods.get(rule.counter) ?? windowAt(rule.window, now);
        throw overLimit(rule, period, now, reserved.used, reserved.refused.amount);
      }
      holdId = reserved.holdId;
    }

    let done = false;
    const finish = async (actual: Usage | undefined) => {
      if (done) return;
      done = true;
      const used = new Map(budgetRules.map((r) => [r.counter, actual ? amount(r, actual) : 0]));
      const outcomes = await Promise.allSettled([
        adjustTokens((actual?.tokens ?? 0) - request.estimate.tokens),
        holdId === undefined ? Promise.resolve() : this.budgets.settle(holdId, used, this.clock()),
      ]);
      const failed = outcomes.find((o) => o.status === "rejected");
      if (failed) throw failed.reason;
    };
    return { settle: (actual) => finish(actual), release: () => finish(undefined) };
  }
}

const unlimited: Admission = { settle: async () => undefined, release: async () => undefined };

function ruleFor(rules: LimitRule[], counter: string): LimitRule {
  const rule = rules.find((r) => r.counter === counter);
  if (!rule) throw new Error(`no rule for counter ${counter}`);
  return rule;
}

const scopeLabel = (rule: LimitRule): string => {
  switch (rule.scope) {
    case "tenant":
      return "the tenant";
    case "key":
      return "this API key";
    case "agent":
      return `agent '${rule.subject}'`;
    case "business_unit":
      return `business unit '${rule.subject}'`;
  }
};

const quantity = (rule: LimitRule, value: number): string =>
  rule.measure === "cost" ? `$${(value / 1_000_000).toFixed(2)}` : `${value} ${rule.measure}`;

const windowLabel = { minute: "per minute", day: "per day (UTC)", month: "per month (UTC)" } as const;

/** The 429 for a call over `rule`: which limit (scope, measure, window), where it stands, and when to retry. */
function overLimit(rule: LimitRule, window: Window, now: number, used: number, wanted: number): GatehouseError {
  const retryAfterSeconds = secondsLeft(window, now);
  const kind = rule.window === "minute" ? "Rate limit" : "Budget";
  const standing =
    rule.measure === "requests"
      ? `${used} requests already made`
      : `${quantity(rule, used)} used or reserved, this call needs up to ${quantity(rule, wanted)}`;
  const message = `${kind} exceeded: ${quantity(rule, rule.limit)} ${windowLabel[rule.window]} for ${scopeLabel(rule)} (${standing}); retry after ${retryAfterSeconds} s`;
  return new GatehouseError("rate_limited", message, undefined, { retryAfterSeconds });
}
