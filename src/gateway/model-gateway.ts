import { InputGuard } from "../guards/input-guard.js";
import { CedarDecider } from "../policy/cedar-decider.js";
import { PolicyEngine } from "../policy/policy-engine.js";
import type { Recorder } from "../audit/recorder.js";
import type { Registry } from "../registry/registry.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { Db } from "../store/database.js";
import type { ApiKeys } from "../tenancy/api-keys.js";
import type { Tenants } from "../tenancy/tenants.js";
import { ProviderCredentials } from "./credentials/provider-credentials.js";
import { ModelCatalog } from "./models/model-catalog.js";
import { AdmitStage, unlimitedAdmission, type Admission } from "./pipeline/admit.js";
import { DecideStage, registryDecider, type Decider } from "./pipeline/decide.js";
import { DirectRouter } from "./pipeline/direct-router.js";
import { ExecuteStage, type ModelRouter } from "./pipeline/execute.js";
import type { Guard } from "./pipeline/guard.js";
import { IdentifyStage } from "./pipeline/identify.js";
import { InspectInputStage } from "./pipeline/inspect-input.js";
import { InspectOutputStage } from "./pipeline/inspect-output.js";
import { RecordStage } from "./pipeline/record.js";
import { Pipeline } from "./pipeline/runner.js";
import { UpstreamPools } from "./providers/pools.js";
import { builtInProviders, type Providers } from "./providers/registry.js";
import { TemplateCatalog } from "./templates/template-catalog.js";

/** What a router is built from: the providers, the sealed credentials, the upstream pools and the tenant's models. */
export interface RouterParts {
  providers: Providers;
  credentials: ProviderCredentials;
  pools: UpstreamPools;
  models: ModelCatalog;
}

/** What the gateway is built from: the services it reads, and the implementations plugged into its seams. */
export interface ModelGatewayOptions {
  /** Rate limits and budgets (admit); none by default. */
  admission?: Admission;
  /** Policy (decide); the registry's approvals by default. */
  decider?: Decider;
  /** Routing (execute); each model's own upstream, once, by default. */
  router?: (parts: RouterParts) => ModelRouter;
  inputGuards?: readonly Guard[];
  outputGuards?: readonly Guard[];
  /** How long an upstream may take to start answering, and between two parts of an answer. */
  upstreamTimeoutMs?: number;
  /** Prompts estimated above this many tokens are refused with 413. */
  maxPromptTokens?: number;
}

export interface ModelGateway {
  pipeline: Pipeline;
  models: ModelCatalog;
  decider: Decider;
  credentials: ProviderCredentials;
  providers: Providers;
  close(): Promise<void>;
}

export const defaultUpstreamTimeoutMs = 60_000;
export const defaultMaxPromptTokens = 200_000;

export function createModelGateway(
  services: { db: Db; recorder: Recorder; registry: Registry; apiKeys: ApiKeys; tenants: Tenants; secrets: SecretBox },
  options: ModelGatewayOptions = {},
): ModelGateway {
  const pools = new UpstreamPools();
  const providers = builtInProviders({ pools, timeoutMs: options.upstreamTimeoutMs ?? defaultUpstreamTimeoutMs });
  const credentials = new ProviderCredentials(services.db, services.secrets, services.registry, services.recorder);
  const models = new ModelCatalog(services.registry);
  const decider = options.decider ?? new CedarDecider(services.registry, new PolicyEngine(), registryDecider);
  const router = options.router?.({ providers, credentials, pools, models }) ?? new DirectRouter(providers, credentials);
  const pipeline = new Pipeline({
    identify: new IdentifyStage({
      apiKeys: services.apiKeys,
      tenants: services.tenants,
      models,
      templates: new TemplateCatalog(services.registry),
      maxPromptTokens: options.maxPromptTokens ?? defaultMaxPromptTokens,
    }),
    admit: new AdmitStage(options.admission ?? unlimitedAdmission),
    inspect_input: new InspectInputStage(options.inputGuards ?? [new InputGuard()]),
    decide: new DecideStage(decider),
    execute: new ExecuteStage(router),
    inspect_output: new InspectOutputStage(options.outputGuards ?? []),
    record: new RecordStage(services.recorder, services.db),
  });
  return { pipeline, models, decider, credentials, providers, close: () => pools.close() };
}
