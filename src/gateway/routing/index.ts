/**
 * Model routing: which upstreams a call may use and which one serves it.
 *
 * Wiring into the pipeline's execute stage:
 *
 *   const router = new Router({ attemptTimeoutMs });              // one per process (holds the breakers)
 *   const plan = planRoute(                                       // 404 unknown name, 403 nothing allowed
 *     { model: body.model, environment, taskClass, dataRegion },
 *     await registry.list(tenantId, "model"),
 *     tenant.settings.routing?.routes,                            // absent: no route definitions
 *   );
 *   const routed = await router.route(plan, (candidate, signal) => provider.call(candidate, request, signal), callerSignal);
 *   // routed.value: the provider's answer; routed.served.model: the model that served;
 *   // routed.attempts and routed.fallbackReason: what failed on the way, for the record.
 *   // On total failure: RoutingFailedError (a GatehouseError: upstream_failed 502, or rate_limited
 *   // 429 with retryAfterSeconds when every upstream answered 429), whose `attempts` go on the record.
 *
 * Providers throw UpstreamError for upstream failures; a streaming provider resolves once the
 * first token has arrived and throws UpstreamError("stream_broken") if the stream dies before.
 */
export { planRoute, type Candidate, type ModelRecord, type ModelSpec, type RoutePlan, type RouteRequest } from "./candidates.js";
export { Router, RoutingFailedError, type AttemptFn, type AttemptRecord, type Routed, type RouterOptions } from "./router.js";
export { UpstreamError, type UpstreamFailure } from "./upstream-error.js";
export { routeSchema, routingSettingsSchema, type RouteDefinition, type RoutingSettings } from "./route-config.js";
export { CircuitBreaker, CircuitBreakers, defaultBreakerOptions, type BreakerOptions, type BreakerState, type Clock } from "./circuit-breaker.js";
export { defaultRetryPolicy, retryDelayMs, type RetryPolicy } from "./backoff.js";
export { residencyAllows } from "./residency.js";
export { seededRandom, type Random } from "./random.js";
