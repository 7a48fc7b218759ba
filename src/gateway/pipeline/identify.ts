import type { AgentCredential } from "../../agents/identity/agent-identity.js";
import type { Actor } from "../../audit/actor.js";
import type { ApiKeys } from "../../tenancy/api-keys.js";
import type { Tenants } from "../../tenancy/tenants.js";
import { GatehouseError } from "../../shared/errors.js";
import type { ModelCatalog } from "../models/model-catalog.js";
import type { TemplateCatalog } from "../templates/template-catalog.js";
import { estimateInputTokens } from "../tokens.js";
import { defaultTaskClass } from "./decide.js";
import type { AgentCaller, AppCaller, Caller, ModelCall } from "./model-call.js";
import type { Stage } from "./stage.js";

export interface IdentifyOptions {
  apiKeys: ApiKeys;
  tenants: Tenants;
  models: ModelCatalog;
  templates: TemplateCatalog;
  /** Prompts estimated above this many tokens are refused (413). */
  maxPromptTokens: number;
  /** Agents calling with a proof or token; absent, agent credentials are refused. */
  agents?: AgentCallerResolver;
}

/** How a caller appears in the audit log. */
export const actorOfCaller = (caller: Caller): Actor =>
  caller.agent
    ? { type: "agent", id: caller.agent.id, name: caller.agent.name, tenantId: caller.tenantId, role: null }
    : { type: caller.principal.kind, id: caller.principal.id, name: caller.principal.name, tenantId: caller.tenantId, role: caller.principal.role };

/**
 * Resolves an agent's credential, and the task its call names, to a caller (the agents module
 * implements it): the agent must authenticate and name one of its open tasks.
 */
export interface AgentCallerResolver {
  resolve(credential: AgentCredential, taskId: string | undefined, requestId: string): Promise<AgentCaller>;
}

/** The caller an application key stands for: its tenant, environment and principal. */
export async function authenticateCaller(apiKeys: ApiKeys, tenants: Tenants, plain: string | undefined): Promise<AppCaller> {
  if (!plain) throw new GatehouseError("unauthenticated", "missing API key: send Authorization: Bearer <key> or x-api-key: <key>");
  const found = await apiKeys.authenticate(plain);
  if (!found || found.key.kind !== "app" || !found.key.environmentId) {
    throw new GatehouseError("unauthenticated", "invalid, expired or revoked application key");
  }
  const { key, principal } = found;
  const [environments, tenant] = await Promise.all([tenants.environments(principal.tenantId), tenants.get(principal.tenantId)]);
  const environment = environments.find((e) => e.id === key.environmentId);
  if (!environment) throw new GatehouseError("unauthenticated", "the key's environment no longer exists");
  return {
    tenantId: principal.tenantId,
    environment: { id: environment.id, name: environment.name, production: environment.production },
    principal,
    key,
    settings: tenant.settings,
  };
}

/**
 * Who is calling and what they ask for: authenticates the application key (hashed at rest) or
 * the agent's proof or token (with the open task it names), resolves tenant, environment and
 * principal, plans the route (the name through the tenant's
 * routes and the registry, to the models that may serve this environment, task class and data
 * region), applies the prompt template, and estimates the prompt's size.
 */
export class IdentifyStage implements Stage {
  readonly name = "identify";

  constructor(private readonly options: IdentifyOptions) {}

  async run(call: ModelCall): Promise<void> {
    const { apiKeys, tenants, models, templates, maxPromptTokens } = this.options;
    const { agent, apiKey, headers, requestId } = call.input;
    if (agent && !this.options.agents) throw new GatehouseError("unauthenticated", "agent credentials are not accepted here");
    call.caller = agent && this.options.agents ? await this.options.agents.resolve(agent, headers.taskId, requestId) : await authenticateCaller(apiKeys, tenants, apiKey);
    const { tenantId, environment, settings } = call.caller;
    const { taskClass, dataRegion } = call.input.headers;
    const planned = await models.plan(
      tenantId,
      { model: call.input.model, environment: environment.name, taskClass: taskClass ?? defaultTaskClass, dataRegion },
      settings.routing?.routes,
    );
    call.route = planned.route;
    call.model = planned.model;

    if (call.input.template) {
      const rendered = await templates.render(tenantId, call.input.template);
      call.template = { name: rendered.name, version: rendered.version };
      call.request = { ...call.request, messages: [{ role: "system", content: rendered.text }, ...call.request.messages] };
    }

    call.estimatedInputTokens = estimateInputTokens(call.request.messages);
    if (call.estimatedInputTokens > maxPromptTokens) {
      throw new GatehouseError("payload_too_large", `the prompt is about ${call.estimatedInputTokens} tokens; the limit is ${maxPromptTokens}`, "messages");
    }
  }
}
