import { AnthropicProvider } from "./anthropic/provider.js";
import { OpenAiCompatibleProvider } from "./openai-compatible/provider.js";
import type { UpstreamPools } from "./pools.js";
import type { Provider } from "./provider.js";
import { SimulatorProvider } from "./simulator/provider.js";

/** The providers a model record's `provider` field can name. */
export type Providers = ReadonlyMap<string, Provider>;

export function builtInProviders(options: { pools: UpstreamPools; timeoutMs: number }): Providers {
  const bearer = new OpenAiCompatibleProvider({ ...options, auth: "bearer" });
  return new Map<string, Provider>([
    ["openai", bearer],
    ["openai-compatible", bearer],
    ["vllm", bearer],
    ["ollama", bearer],
    ["azure-openai", new OpenAiCompatibleProvider({ ...options, auth: "api-key" })],
    ["anthropic", new AnthropicProvider(options)],
    ["simulator", new SimulatorProvider()],
  ]);
}
