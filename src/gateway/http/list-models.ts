import type { Gatehouse } from "../../gatehouse.js";
import { authenticateCaller } from "../pipeline/identify.js";
import { newModelCall, type CallHeaders } from "../pipeline/model-call.js";

export interface UsableModel {
  name: string;
  owner: string;
  createdAt: number;
}

/**
 * The models a caller may use: each live model of its tenant (and each alias) that the
 * decider would allow for it, under the call's task class.
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
  return usable;
}
