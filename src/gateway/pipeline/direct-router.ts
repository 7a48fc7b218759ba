import { GatehouseError } from "../../shared/errors.js";
import type { ChatResponse, StreamEvent } from "../chat.js";
import type { ProviderCredentials } from "../credentials/provider-credentials.js";
import type { Provider, UpstreamTarget } from "../providers/provider.js";
import type { Providers } from "../providers/registry.js";
import type { ModelRouter } from "./execute.js";
import type { ModelCall } from "./model-call.js";

/** Sends every call to its own model's upstream, once: no fallback, no retries (the default until routing is configured). */
export class DirectRouter implements ModelRouter {
  constructor(
    private readonly providers: Providers,
    private readonly credentials: ProviderCredentials,
  ) {}

  async complete(call: ModelCall): Promise<ChatResponse> {
    const { provider, target } = await this.prepare(call);
    return this.attempt(call, () => provider.complete(target, call.request));
  }

  async stream(call: ModelCall): Promise<AsyncIterable<StreamEvent>> {
    const { provider, target } = await this.prepare(call);
    return this.attempt(call, () => provider.stream(target, call.request));
  }

  private async attempt<T>(call: ModelCall, work: () => Promise<T>): Promise<T> {
    const attempt = call.served?.attempts[0];
    try {
      return await work();
    } catch (error) {
      if (attempt) {
        attempt.outcome = "failed";
        attempt.reason = error instanceof Error ? error.message : String(error);
      }
      throw error;
    }
  }

  private async prepare(call: ModelCall): Promise<{ provider: Provider; target: UpstreamTarget }> {
    const { model, caller } = call;
    if (!model || !caller) throw new GatehouseError("forbidden", "the call was not identified");
    const provider = this.providers.get(model.spec.provider);
    if (!provider) throw new GatehouseError("upstream_failed", `model ${model.name} names provider '${model.spec.provider}', which this Gatehouse does not have`);
    call.served = { model: model.name, provider: model.spec.provider, upstreamModel: model.spec.upstreamModel, attempts: [{ model: model.name, outcome: "served" }] };
    const target: UpstreamTarget = {
      name: model.name,
      upstreamModel: model.spec.upstreamModel,
      endpoint: model.spec.endpoint,
      credential: await this.credentials.open(caller.tenantId, model.name),
      signal: call.input.signal,
    };
    return { provider, target };
  }
}
