import type { Registry, RegistryRecord } from "../registry/registry.js";
import type { PolicyEngine, PolicySource, SlicedPolicySet } from "./policy-engine.js";

/** A tenant's published policies as they stood at one generation of its policy records. */
export class TenantPolicySnapshot {
  private readonly sets = new Map<string, SlicedPolicySet>();
  private readonly sources: PolicySource[];

  constructor(
    readonly generation: number,
    readonly records: readonly RegistryRecord<"policy">[],
    private readonly engine: PolicyEngine,
  ) {
    this.sources = records.map((r) => ({ name: r.name, text: r.spec.text, environments: r.spec.environments, version: r.version }));
  }

  /**
   * The policies that apply in an environment, parsed on first use; with a built-in floor
   * (agents/flow/flow-floor.ts) under them when one is given.
   */
  forEnvironment(environment: string, floor?: PolicySource): SlicedPolicySet {
    const key = floor ? `${environment}\u0000${floor.name}` : environment;
    let set = this.sets.get(key);
    if (!set) {
      set = this.engine.prepare(floor ? [...this.sources, floor] : this.sources, environment);
      this.sets.set(key, set);
    }
    return set;
  }

  /** Gives back what the Cedar module holds for this snapshot, once a newer one replaces it. */
  release(): void {
    for (const set of this.sets.values()) set.release();
  }

  description(name: string): string | undefined {
    return this.records.find((r) => r.name === name)?.spec.description || undefined;
  }
}

/**
 * Each tenant's policies, parsed once per change. Several processes share the registry, so
 * every decision first asks the store for the generation of the tenant's policy records (one
 * aggregate over them, see Registry.generation) and reloads when it moved: a policy changed by
 * any process applies from the next call on, in every process.
 */
export class TenantPolicies {
  private readonly held = new Map<string, TenantPolicySnapshot>();
  private readonly loading = new Map<string, Promise<TenantPolicySnapshot>>();

  constructor(
    private readonly registry: Registry,
    private readonly engine: PolicyEngine,
  ) {}

  async current(tenantId: string): Promise<TenantPolicySnapshot> {
    const generation = await this.registry.generation(tenantId, "policy");
    const held = this.held.get(tenantId);
    if (held?.generation === generation) return held;
    const key = `${tenantId}\u0000${generation}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(tenantId, generation).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async load(tenantId: string, generation: number): Promise<TenantPolicySnapshot> {
    // Read after the generation, and from the store itself: records changed in between are newer
    // than it says (the next call reloads them again), never older.
    const records = await this.registry.listFromStore(tenantId, "policy");
    const snapshot = new TenantPolicySnapshot(generation, records, this.engine);
    const held = this.held.get(tenantId);
    if (!held || held.generation <= generation) {
      this.held.set(tenantId, snapshot);
      // A decision still holding the old snapshot parses what it needs again (PreparsedSets checks who holds an id).
      if (held && held !== snapshot) held.release();
    }
    return snapshot;
  }
}
