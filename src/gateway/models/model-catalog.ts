import type { Registry, RegistryRecord } from "../../registry/registry.js";
import { GatehouseError } from "../../shared/errors.js";
import { planRoute, type RouteDefinition, type RoutePlan, type RouteRequest } from "../routing/index.js";

/**
 * Model names as callers use them. A name resolves to a live model record of the caller's
 * tenant, by its name or one of its aliases, and to nothing else: there is no way to name an
 * upstream directly. Live records are the approved ones (changes reach the registry only
 * through change control).
 */
export class ModelCatalog {
  constructor(private readonly registry: Registry) {}

  list(tenantId: string): Promise<RegistryRecord<"model">[]> {
    return this.registry.list(tenantId, "model");
  }

  /**
   * The upstreams a call may use: the name resolved through the tenant's routes, then model
   * names, then aliases, among the live model records (see routing/candidates.ts), with `model`
   * the record of the first candidate. Unknown names are 404, names no model may serve 403.
   */
  async plan(
    tenantId: string,
    request: RouteRequest,
    routes: readonly RouteDefinition[] | undefined,
  ): Promise<{ route: RoutePlan; model: RegistryRecord<"model"> }> {
    const models = await this.list(tenantId);
    let route: RoutePlan;
    try {
      route = { ...planRoute(request, models, routes), owner: tenantId };
    } catch (error) {
      if (error instanceof GatehouseError && error.code === "not_found") throw unknownModel(request.model);
      throw error;
    }
    const first = route.primary[0] ?? route.fallbacks[0];
    const model = models.find((m) => m.name === first?.model);
    if (!model) throw unknownModel(request.model);
    return { route, model };
  }
}

const unknownModel = (name: string): GatehouseError =>
  new GatehouseError("not_found", `model '${name}' does not exist or you do not have access to it`, "model");
