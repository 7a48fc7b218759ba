import type { Actor } from "../../audit/actor.js";
import type { ApiKeys } from "../../tenancy/api-keys.js";
import type { Tenants } from "../../tenancy/tenants.js";
import { GatehouseError } from "../../shared/errors.js";
import type { ModelCatalog } from "../models/model-catalog.js";
import type { TemplateCatalog } from "../templates/template-catalog.js";
import { estimateInputTokens } from "../tokens.js";
import { defaultTaskClass } from "./decide.js";
import type { Caller, ModelCall } from "./model-call.js";
import type { Stage } from "./stage.js";

export interface IdentifyOptions {
  apiKeys: ApiKeys;
  tenants: Tenants;
  models: ModelCatalog;
  templates: TemplateCatalog;
  /** Prompts estimated above this many tokens are refused (413). */
  maxPromptTokens: number;
}

/** How a caller appears in the audit log. */
export const actorOfCaller = (caller: Caller): Actor => ({
  type: caller.principal.kind,
  id: caller.principal.id,
  name: caller.principal.name,
  tenantId: caller.tenantId,
  role: caller.principal.role,
});

/** The caller an application key stands for: its tenant, environment and principal. */
export async function authenticateCaller(apiKeys: ApiKeys, tenants: Tenants, plain: string | undefined): Promise<Caller> {
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
 * Who is calling and what they ask for: authenticates the application key (hashed at rest),
 * resolves tenant, environment and principal, plans the route (the name through the tenant's
 * routes and the registry, to the models that may serve this environment, task class and data
 * region), applies the prompt template, and estimates the prompt's size.
 */
export class IdentifyStage implements Stage {
  readonly name = "identify";

  constructor(private readonly options: IdentifyOptions) {}

  async run(call: ModelCall): Promise<void> {
    const { apiKeys, tenants, models, templates, maxPromptTokens } = this.options;
    call.caller = await authenticateCaller(apiKeys, tenants, call.input.apiKey);
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
