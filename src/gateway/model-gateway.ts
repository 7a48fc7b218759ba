import type { GuardSettings } from "../guards/guard-policy.js";
import { InputGuard } from "../guards/input-guard.js";
import { DataClassifier } from "../guards/data-classification.js";
import { ContentGuard, registryMarkers } from "../guards/output/content-guard.js";
import { defaultOutputGuards } from "../guards/output/output-guards.js";
import type { ScanWorkers } from "../guards/offload/scan-workers.js";
import { CedarDecider } from "../policy/cedar-decider.js";
import { FlowDecider } from "../agents/flow/flow-decider.js";
import type { FlowControl } from "../agents/flow/flow-control.js";
import type { TenantPolicies } from "../policy/tenant-policies.js";
import type { Recorder } from "../audit/recorder.js";
import type { Registry } from "../registry/registry.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { Store } from "../store/database.js";
import type { ApiKeys } from "../tenancy/api-keys.js";
import type { Tenants } from "../tenancy/tenants.js";
import { ProviderCredentials } from "./credentials/provider-credentials.js";
import { ModelCatalog } from "./models/model-catalog.js";
import { openRateWindowStore, SqlBudgetLedger, UsageLimiter } from "./limits/index.js";
import { AdmitStage, type Admission } from "./pipeline/admit.js";
import { DecideStage, registryDecider, type Decider } from "./pipeline/decide.js";
import { ExecuteStage } from "./pipeline/execute.js";
import type { Guard, OutputGuard } from "./pipeline/guard.js";
import { IdentifyStage, type AgentCallerResolver } from "./pipeline/identify.js";
import { InspectInputStage } from "./pipeline/inspect-input.js";
import { InspectOutputStage } from "./pipeline/inspect-output.js";
import { RecordStage } from "./pipeline/record.js";
import { Pipeline } from "./pipeline/runner.js";
import { UpstreamRouter } from "./pipeline/upstream-router.js";
import { UsageAdmission } from "./pipeline/usage-admission.js";
import { UpstreamPools } from "./providers/pools.js";
import { builtInProviders, type Providers } from "./providers/registry.js";
import { Router, type RouterOptions } from "./routing/index.js";
import { TemplateCatalog } from "./templates/template-catalog.js";

/** What the gateway is built from: the services it reads, and the implementations plugged into its seams. */
export interface ModelGatewayOptions {
  /** Rate limits and budgets (admit); the tenant's `limits` settings through the UsageLimiter by default. */
  admission?: Admission;
  /** Per-minute windows in Redis at this URL (shared by every process using it); in this process when absent. */
  redisUrl?: string;
  /** Policy (decide); the registry's approvals by default. */
  decider?: Decider;
  /** Routing (execute): retries, backoff and circuit breakers; the attempt timeout is upstreamTimeoutMs. */
  routing?: Partial<RouterOptions>;
  inputGuards?: readonly Guard[];
  /** Inspect output; JSON schema, confidence, then leaks and abuse (src/guards/output) by default. */
  outputGuards?: readonly OutputGuard[];
  /** The guards' policy under every tenant's own (the configuration's `guards`); the built-in defaults when absent. */
  guards?: GuardSettings;
  /** How long an upstream may take to start answering, and between two parts of an answer. */
  upstreamTimeoutMs?: number;
  /** Prompts estimated above this many tokens are refused with 413. */
  maxPromptTokens?: number;
}

export interface ModelGateway {
  pipeline: Pipeline;
  /** The input guards, which POST /v1/guard/check runs too, under the same policy. */
  inputGuard: InputGuard;
  /** Labels a call by the data sources whose markers its input holds (after inputGuard, in the same stage). */
  classifier: DataClassifier;
  /** The output guards' leak and abuse checks, which POST /v1/guard/check runs for direction output. */
  contentGuard: ContentGuard;
  models: ModelCatalog;
  decider: Decider;
  credentials: ProviderCredentials;
  providers: Providers;
  /** The process's one router: it holds the circuit breakers of every upstream. */
  router: Router;
  close(): Promise<void>;
}

export const defaultUpstreamTimeoutMs = 60_000;
export const defaultMaxPromptTokens = 200_000;

export async function createModelGateway(
  services: {
    store: Store;
    recorder: Recorder;
    registry: Registry;
    policies: TenantPolicies;
    apiKeys: ApiKeys;
    tenants: Tenants;
    secrets: SecretBox;
    agents?: AgentCallerResolver;
    flow?: FlowControl;
    /** Worker threads for long texts, shared with the agents' tool results. */
    scanWorkers?: ScanWorkers;
  },
  options: ModelGatewayOptions = {},
): Promise<ModelGateway> {
  const { db } = services.store;
  const timeoutMs = options.upstreamTimeoutMs ?? defaultUpstreamTimeoutMs;
  const pools = new UpstreamPools();
  const providers = builtInProviders({ pools, timeoutMs });
  const credentials = new ProviderCredentials(db, services.secrets, services.registry, services.recorder, services.store.changes);
  const models = new ModelCatalog(services.registry);
  const policyDecider = options.decider ?? new CedarDecider(services.policies, registryDecider);
  // An agent's call inside a task is an outbound flow of that task: its label is decided too.
  const decider = services.flow ? new FlowDecider(policyDecider, services.flow) : policyDecider;
  const router = new Router({ attemptTimeoutMs: timeoutMs, ...options.routing });
  const windows = await openRateWindowStore({ redisUrl: options.redisUrl });
  const inputGuard = new InputGuard(undefined, options.guards?.input, services.scanWorkers);
  const admission = options.admission ?? new UsageAdmission(new UsageLimiter(windows, new SqlBudgetLedger(services.store)));
  const upstreams = new UpstreamRouter(router, providers, credentials);
  const markers = registryMarkers(services.registry);
  const contentGuard = new ContentGuard(markers);
  const classifier = new DataClassifier(markers);
  const pipeline = new Pipeline({
    identify: new IdentifyStage({
      apiKeys: services.apiKeys,
      tenants: services.tenants,
      models,
      templates: new TemplateCatalog(services.registry),
      maxPromptTokens: options.maxPromptTokens ?? defaultMaxPromptTokens,
      agents: services.agents,
    }),
    admit: new AdmitStage(admission),
    inspect_input: new InspectInputStage(options.inputGuards ?? [inputGuard, classifier]),
    decide: new DecideStage(decider),
    execute: new ExecuteStage(upstreams),
    inspect_output: new InspectOutputStage(options.outputGuards ?? defaultOutputGuards(upstreams, contentGuard)),
    record: new RecordStage(services.recorder, db),
  });
  return {
    pipeline,
    inputGuard,
    classifier,
    contentGuard,
    models,
    decider,
    credentials,
    providers,
    router,
    async close() {
      await Promise.allSettled([pools.close(), windows.close()]);
    },
  };
}
