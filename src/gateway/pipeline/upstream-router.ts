import { GatehouseError } from "../../shared/errors.js";
import type { ChatResponse, StreamEvent } from "../chat.js";
import type { ProviderCredentials } from "../credentials/provider-credentials.js";
import type { Provider, UpstreamTarget } from "../providers/provider.js";
import type { Providers } from "../providers/registry.js";
import type { Router} from "../routing/index.js";
import { RoutingFailedError, type Candidate, type RoutePlan } from "../routing/index.js";
import type { ModelRouter } from "./execute.js";
import type { ModelCall } from "./model-call.js";

/**
 * Sends a call along the route identify planned for it, through the process's one Router (its
 * circuit breakers, retries and fallbacks), each attempt to the candidate's provider with the
 * candidate's own sealed credential. Sets call.served to the model that answered, with every
 * attempt and the fallback reason; on total failure keeps the attempts for the record.
 */
export class UpstreamRouter implements ModelRouter {
  constructor(
    private readonly router: Router,
    private readonly providers: Providers,
    private readonly credentials: ProviderCredentials,
  ) {}

  complete(call: ModelCall): Promise<ChatResponse> {
    return this.route(call, (provider, target) => provider.complete(target, call.request));
  }

  /** A provider's stream resolves once its first event is in hand, so a stream that breaks before it falls back. */
  stream(call: ModelCall): Promise<AsyncIterable<StreamEvent>> {
    return this.route(call, (provider, target) => provider.stream(target, call.request));
  }

  private async route<T>(call: ModelCall, send: (provider: Provider, target: UpstreamTarget) => Promise<T>): Promise<T> {
    const { caller, route } = call;
    if (!caller || !route) throw new GatehouseError("forbidden", "the call was not identified");
    const plan = forAgent(route, call);
    try {
      const routed = await this.router.route(
        plan,
        async (candidate, signal) => {
          const provider = this.providers.get(candidate.spec.provider);
          if (!provider) {
            throw new GatehouseError("upstream_failed", `model ${candidate.model} names provider '${candidate.spec.provider}', which this Gatehouse does not have`);
          }
          return send(provider, {
            name: candidate.model,
            upstreamModel: candidate.spec.upstreamModel,
            endpoint: candidate.spec.endpoint,
            credential: await this.credentials.open(caller.tenantId, candidate.model),
            signal,
          });
        },
        call.input.signal,
      );
      const { served } = routed;
      call.served = {
        model: served.model,
        provider: served.spec.provider,
        upstreamModel: served.spec.upstreamModel,
        pricing: served.spec.pricing,
        attempts: routed.attempts,
        ...(routed.fallbackReason ? { fallbackReason: routed.fallbackReason } : {}),
      };
      return routed.value;
    } catch (error) {
      if (error instanceof RoutingFailedError) call.failedAttempts = error.attempts;
      throw error;
    }
  }
}

/** An agent may only use the models its capabilities list: the others leave the plan. */
function forAgent(plan: RoutePlan, call: ModelCall): RoutePlan {
  const agent = call.caller?.agent;
  if (!agent) return plan;
  const allowed = (c: Candidate) => agent.spec.capabilities.models.includes(c.model);
  const narrowed: RoutePlan = {
    ...plan,
    primary: plan.primary.filter(allowed),
    fallbacks: plan.fallbacks.filter(allowed),
    excluded: [
      ...plan.excluded,
      ...[...plan.primary, ...plan.fallbacks].filter((c) => !allowed(c)).map((c) => ({ model: c.model, reason: `is not among agent ${agent.name}'s models` })),
    ],
  };
  if (narrowed.primary.length + narrowed.fallbacks.length === 0) throw new GatehouseError("forbidden", `agent ${agent.name} may use no model of '${plan.route}'`);
  return narrowed;
}
