import { GatehouseError, notFound } from "../../shared/errors.js";
import type { SpecOf } from "../../registry/kinds.js";
import { residencyAllows } from "./residency.js";
import type { RouteDefinition } from "./route-config.js";

export type ModelSpec = SpecOf<"model">;

/** A model record as the registry returns it (RegistryRecord<"model"> fits). */
export interface ModelRecord {
  name: string;
  spec: ModelSpec;
}

/** One upstream the router may try: a registered model, its weight in the pool and its tier. */
export interface Candidate {
  /** The model record's name; also the upstream the circuit breaker tracks. */
  model: string;
  spec: ModelSpec;
  weight: number;
  tier: "primary" | "fallback";
}

export interface RouteRequest {
  /** What the caller asked for: a route name, a model name or a model alias. */
  model: string;
  environment: string;
  /** The task class of the call, when the caller declared one. */
  taskClass?: string;
  /** The residency of the data in the call (for example `eu`), when known. */
  dataRegion?: string;
}

export interface RoutePlan {
  /** The name that resolved, and how: a route definition, a model record or an alias shared by models. */
  route: string;
  source: "route" | "model" | "alias";
  primary: Candidate[];
  fallbacks: Candidate[];
  /** Models the route names that this call may not use, and why. */
  excluded: { model: string; reason: string }[];
  /** Whose models these are (the tenant id): circuit breakers are kept per owner and model. */
  owner?: string;
}

/**
 * Resolves what the caller asked for into the candidates it may use: route definitions first,
 * then a model's own name, then an alias (every model carrying it forms an equal-weight pool).
 * Only models that are in the registry, serve the call's task class and keep its data in
 * region survive. Unknown names are not found; a name none of whose models may serve the call
 * is forbidden, with every reason in the message.
 */
export function planRoute(request: RouteRequest, models: readonly ModelRecord[], routes: readonly RouteDefinition[] = []): RoutePlan {
  const byName = new Map(models.map((m) => [m.name, m]));
  const route = routes.find((r) => r.name === request.model);
  let draft: { source: RoutePlan["source"]; primary: { model: string; weight: number }[]; fallbacks: string[] };
  if (route) {
    if (route.environments.length > 0 && !route.environments.includes(request.environment)) {
      throw new GatehouseError("forbidden", `route '${route.name}' is not approved in environment '${request.environment}'`);
    }
    if (request.taskClass && route.taskClasses.length > 0 && !route.taskClasses.includes(request.taskClass)) {
      throw new GatehouseError("forbidden", `route '${route.name}' does not serve task class '${request.taskClass}'`);
    }
    draft = { source: "route", primary: route.primary, fallbacks: route.fallbacks };
  } else if (byName.has(request.model)) {
    draft = { source: "model", primary: [{ model: request.model, weight: 1 }], fallbacks: [] };
  } else {
    const aliased = models.filter((m) => m.spec.aliases.includes(request.model));
    if (aliased.length === 0) throw notFound(`model '${request.model}'`);
    draft = { source: "alias", primary: aliased.map((m) => ({ model: m.name, weight: 1 })), fallbacks: [] };
  }

  const excluded: RoutePlan["excluded"] = [];
  const admit = (model: string, weight: number, tier: Candidate["tier"]): Candidate[] => {
    const record = byName.get(model);
    const reason = record ? exclusionReason(record.spec, request) : "is not in the model registry";
    if (!record || reason !== undefined) {
      excluded.push({ model, reason: reason ?? "" });
      return [];
    }
    return [{ model, spec: record.spec, weight, tier }];
  };
  const plan: RoutePlan = {
    route: request.model,
    source: draft.source,
    primary: draft.primary.flatMap((p) => admit(p.model, p.weight, "primary")),
    fallbacks: draft.fallbacks.flatMap((m) => admit(m, 1, "fallback")),
    excluded,
  };
  if (plan.primary.length + plan.fallbacks.length === 0) {
    const why = excluded.map((e) => `${e.model} ${e.reason}`).join("; ");
    throw new GatehouseError("forbidden", `no model may serve '${request.model}' for this call: ${why}`);
  }
  return plan;
}

function exclusionReason(spec: ModelSpec, request: RouteRequest): string | undefined {
  if (request.taskClass && !spec.taskClasses.includes(request.taskClass)) {
    return `is not approved for task class '${request.taskClass}'`;
  }
  if (!residencyAllows(request.dataRegion, spec.region)) {
    return `runs in region '${spec.region}', outside the data's region '${request.dataRegion ?? ""}'`;
  }
  return undefined;
}
