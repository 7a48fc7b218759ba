/**
 * Rate limits and budgets for the model gateway: requests and tokens per minute, token and cost
 * budgets per UTC day and month, for the tenant, each key, each agent and each business unit.
 *
 * Wiring into the pipeline's admit stage (and settling after execute):
 *
 *   // composition root, once:
 *   const limiter = new UsageLimiter(await openRateWindowStore({ redisUrl }), new SqlBudgetLedger(store));
 *
 *   // admit: estimate = prompt tokens + max output tokens, priced at the dearest candidate of the route plan
 *   const admission = await limiter.admit({
 *     subject: { tenantId, keyId, agent, businessUnit },
 *     limits: tenant.settings.limits,                              // absent: none
 *     agentLimits: agentSpec?.limits,
 *     estimate: usageOf(model.pricing, { input: promptTokens, output: maxOutputTokens }),
 *   });                                   // throws GatehouseError rate_limited (429, retryAfterSeconds) or unavailable (503)
 *   try {
 *     ... execute; for a stream, wait for its end (or the client leaving) ...
 *     await admission.settle(usageOf(served.pricing, { input: usage.prompt_tokens, output: usage.completion_tokens }));
 *   } catch (error) {
 *     await admission.release();          // the call failed: nothing used, reservation freed
 *     throw error;
 *   }
 */
export { UsageLimiter, type Admission, type AdmitRequest } from "./limiter.js";
export { tenantLimitsSchema, limitSetSchema, type LimitSet, type TenantLimits } from "./limits-config.js";
export { limitRulesFor, type AgentLimits, type LimitMeasure, type LimitRule, type LimitScope, type LimitSubject } from "./rules.js";
export { usageOf, microUsd, type Pricing, type Usage } from "./usage.js";
export { MemoryRateWindowStore, type ChargeResult, type RateWindowStore, type WindowCharge } from "./window-store.js";
export { RedisRateWindowStore } from "./redis-window-store.js";
export { openRateWindowStore } from "./open-window-store.js";
export { SqlBudgetLedger, type BudgetCharge, type BudgetLedger, type ReserveResult, type SqlBudgetLedgerOptions } from "./budget-ledger.js";
export { windowAt, secondsLeft, type Clock, type Window, type WindowKind } from "./windows.js";
