import type { Gatehouse } from "../../gatehouse.js";
import { GatehouseError } from "../../shared/errors.js";
import { defaultTaskClass } from "../pipeline/decide.js";
import { authenticateCaller } from "../pipeline/identify.js";
import { newModelCall, type CallHeaders } from "../pipeline/model-call.js";

export interface UsableModel {
  name: string;
  owner: string;
  createdAt: number;
}

/**
 * The models a caller may use: each live model of its tenant (and each alias) that the
 * decider would allow for it, under the call's task class, and each of the tenant's routes
 * that has a model this caller may use here.
 */
export async function listModels(gatehouse: Gatehouse, apiKey: string | undefined, headers: CallHeaders): Promise<UsableModel[]> {
  const caller = await authenticateCaller(gatehouse.apiKeys, gatehouse.tenants, apiKey);
  const usable: UsableModel[] = [];
  for (const model of await gatehouse.gateway.models.list(caller.tenantId)) {
    const probe = newModelCall({ api: "openai", requestId: "", apiKey, model: model.name, stream: false, request: { messages: [] }, headers });
    probe.caller = caller;
    probe.model = model;
    const decision = await gatehouse.gateway.decider.decide(probe);
    if (!decision.allowed) continue;
    for (const name of [model.name, ...model.spec.aliases]) usable.push({ name, owner: model.owner, createdAt: model.createdAt });
  }
  const routes = caller.settings.routing?.routes ?? [];
  for (const route of routes) {
    const request = { model: route.name, environment: caller.environment.name, taskClass: headers.taskClass ?? defaultTaskClass, dataRegion: headers.dataRegion };
    const planned = await gatehouse.gateway.models.plan(caller.tenantId, request, routes).catch((error: unknown) => {
      if (error instanceof GatehouseError && (error.code === "forbidden" || error.code === "not_found")) return undefined;
      throw error;
    });
    if (!planned || !usable.some((u) => u.name === planned.model.name)) continue;
    const listed = usable.findIndex((u) => u.name === route.name);
    if (listed >= 0) usable.splice(listed, 1);
    usable.push({ name: route.name, owner: planned.model.owner, createdAt: planned.model.createdAt });
  }
  return usable;
}
