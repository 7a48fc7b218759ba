import type { AgentCredential } from "../../agents/identity/agent-identity.js";
import type { AgentSpec } from "../../registry/kinds.js";
import type { RegistryRecord } from "../../registry/registry.js";
import type { ApiKey } from "../../tenancy/api-keys.js";
import type { Principal } from "../../tenancy/principals.js";
import type { Placeholders } from "../../guards/placeholders.js";
import type { Restorer } from "../../guards/restore.js";
import type { TenantSettings } from "../../tenancy/settings.js";
import type { ChatRequest, ChatResponse, StreamEvent } from "../chat.js";
import type { Pricing } from "../limits/usage.js";
import type { AttemptRecord, RoutePlan } from "../routing/index.js";
import type { AdmissionTicket } from "./admit.js";
import type { StageName } from "./stage.js";

/** What the caller sent, as the endpoint read it; nothing here is trusted yet. */
export interface CallInput {
  api: "openai" | "anthropic";
  requestId: string;
  /** The presented key (Authorization: Bearer or x-api-key). */
  apiKey: string | undefined;
  /** An agent's proof or token, when an agent calls (it takes the place of the key). */
  agent?: AgentCredential;
  /** The model name as asked for: a model record's name or one of its aliases. */
  model: string;
  stream: boolean;
  request: ChatRequest;
  template?: TemplateRef;
  headers: CallHeaders;
  /** Aborted when the caller goes away; the upstream call is abandoned with it. */
  signal?: AbortSignal;
}

/** The x-gatehouse-* headers (see docs/configuration.md, "Model gateway"). */
export interface CallHeaders {
  taskId?: string;
  purpose?: string;
  businessUnit?: string;
  taskClass?: string;
  /** Where the call's data must stay (a region code such as eu); absent: residency is not checked. */
  dataRegion?: string;
}

export interface TemplateRef {
  name: string;
  /** A version number; the live version when absent. */
  version?: number;
  variables: Record<string, string>;
}

interface CallerBase {
  tenantId: string;
  environment: { id: string; name: string; production: boolean };
  /** The tenant's settings as they stood when the call was identified (limits, routing). */
  settings: TenantSettings;
}

/** An application (or a person's service) calling with its application key. */
export interface AppCaller extends CallerBase {
  principal: Principal;
  key: ApiKey;
  agent?: undefined;
}

/** An agent that proved possession of its key, working on one of its open tasks. */
export interface AgentCaller extends CallerBase {
  principal?: undefined;
  key?: undefined;
  /** Its capabilities bound the models it may use; its spec limits are its budgets. */
  agent: { id: string; name: string; owner: string; spec: AgentSpec; kid: string; taskId: string };
}

export type Caller = AppCaller | AgentCaller;

/** Which upstream finally answered, and how it was reached (the router fills this in). */
export interface Served {
  /** The model record's name. */
  model: string;
  provider: string;
  upstreamModel: string;
  /** The served model's prices: what the call's usage is settled and recorded at. */
  pricing: Pricing;
  /** Every attempt, in order (one when the first upstream answered). */
  attempts: AttemptRecord[];
  /** Why the call did not land on its first try, when it did not. */
  fallbackReason?: string;
}

/** What an output guard found in an answer, for the record: the kind and how often, never the text. */
export interface OutputFinding {
  /** The guard that found it: pii, secrets, restricted-terms, markers, toxicity, json-schema, confidence. */
  guard: string;
  /** What was found, e.g. CREDIT_CARD, RESTRICTED_TERM, THREAT, SCHEMA_INVALID, LOW_CONFIDENCE. */
  type: string;
  /** What the guard did: replaced it, refused the answer, let it through and noted it, or asked the model again. */
  action: "redact" | "block" | "flag" | "repair";
  count: number;
  /** Which term, data source, schema error or score, when that helps an auditor (never the matched text). */
  detail?: string;
}

/**
 * One model call as it walks the pipeline. Each stage reads what earlier stages settled and
 * adds its own part; the record stage writes down whatever is known when the call ends.
 */
export interface ModelCall {
  readonly input: CallInput;
  /** The request as it will be sent: the template applied, guards' changes (e.g. redaction) made. */
  request: ChatRequest;
  caller?: Caller;
  /** The model record the name resolved to (a route's first candidate); its approvals are what decide checks. */
  model?: RegistryRecord<"model">;
  /** The upstreams the call may use, in the order execute tries them (identify plans it). */
  route?: RoutePlan;
  template?: { name: string; version: number };
  /** Input tokens estimated before the call, for admission (budgets) and the prompt size limit. */
  estimatedInputTokens?: number;
  admission?: AdmissionTicket;
  /** What the input guards found, for the policy context: data classes (pii, …) and labels. */
  inspection?: { dataClasses: string[]; labels: string[] };
  decision?: { reasons: string[]; policies: string[] };
  /** Puts redacted values back into the answer for the caller, where the tenant's guard policy allows it; in memory only, never recorded. */
  restorer?: Restorer;
  /** The placeholders the input guards made, so the output guards number the same values alike. */
  placeholders?: Placeholders;
  served?: Served;
  /** A complete answer from execute, or the stream it opened. */
  completion?: ChatResponse;
  stream?: AsyncIterable<StreamEvent>;
  /** The final answer (a stream's events assembled), which output guards and the record see. */
  response?: ChatResponse;
  /** What the output guards found, streams included (record.ts writes it to the audit event). */
  outputFindings?: OutputFinding[];
  /** Milliseconds each stage took, in the order they ran. */
  timings: Partial<Record<StageName, number>>;
  startedAt: number;
  error?: unknown;
  /** Why routing failed, every attempt included, when it did (served is unset then). */
  failedAttempts?: AttemptRecord[];
  /** Why settling admission failed, when it did. */
  settleFailure?: string;
}

/** The caller went away (closed the connection) before the call ended. */
export class CallerGoneError extends Error {
  constructor() {
    super("the caller went away before the answer ended");
    this.name = "CallerGoneError";
  }
}

export const newModelCall = (input: CallInput): ModelCall => ({
  input,
  request: input.request,
  timings: {},
  startedAt: performance.now(),
});
