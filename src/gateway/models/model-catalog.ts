import type { Registry, RegistryRecord } from "../../registry/registry.js";
import { GatehouseError } from "../../shared/errors.js";

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

  async resolve(tenantId: string, name: string): Promise<RegistryRecord<"model">> {
    const byName = await this.registry.find(tenantId, "model", name);
    if (byName && !byName.deleted) return byName;
    const found = (await this.list(tenantId)).find((m) => m.spec.aliases.includes(name));
    if (!found) throw new GatehouseError("not_found", `model '${name}' does not exist or you do not have access to it`, "model");
    return found;
  }
}
