import type { DetailedError } from "@cedar-policy/cedar-wasm/nodejs";
import { preparsePolicySet } from "./cedar.js";

export interface PreparsedSetLimits {
  /** Sets held at once. */
  maxSets: number;
  /** Policies held at once, over all sets (what the Cedar module's memory grows with). */
  maxPolicies: number;
}

/**
 * Where policy sets are kept parsed inside the Cedar module. cedar-wasm keeps every set it
 * preparses until the same id is preparsed again (it has no call to drop one), so sets live
 * under a pool of reused ids, within limits on how many sets and how many policies are held;
 * past them the least recently used set is emptied (its id preparsed with no policies, which
 * gives its memory back to the module) and its owner preparses again when it next needs it.
 *
 * The Cedar module is one per process, so this pool is too: two pools would overwrite each
 * other's ids.
 */
export class PreparsedSets {
  /** Each held set's owner and size, least recently used first (Map order). */
  private readonly held = new Map<number, { owner: object; size: number }>();
  private readonly slotOf = new WeakMap<object, number>();
  /** Ids holding no set: emptied, or never used. */
  private readonly free: number[] = [];
  private used = 0;
  private policies = 0;

  constructor(readonly limits: PreparsedSetLimits) {}

  /** How many sets and policies are held now. */
  get stats(): { sets: number; policies: number } {
    return { sets: this.held.size, policies: this.policies };
  }

  /** The id under which `owner`'s policies are parsed, preparsing them when they are not (any longer). */
  idFor(owner: object, policies: () => Record<string, string>): string {
    const slot = this.slotOf.get(owner);
    const entry = slot === undefined ? undefined : this.held.get(slot);
    if (slot !== undefined && entry?.owner === owner) {
      this.held.delete(slot);
      this.held.set(slot, entry);
      return slotId(slot);
    }
    const texts = policies();
    const size = Object.keys(texts).length;
    while (this.held.size > 0 && (this.held.size >= this.limits.maxSets || this.policies + size > this.limits.maxPolicies)) this.evictOldest();
    const id = this.free.pop() ?? this.used++;
    const answer = preparsePolicySet(slotId(id), { staticPolicies: texts });
    if (answer.type === "failure") {
      // Nothing was replaced (Cedar leaves the id as it was on failure), and the id held nothing.
      this.free.push(id);
      throw new Error(`the published policies do not parse: ${describeErrors(answer.errors)}`);
    }
    this.held.set(id, { owner, size });
    this.slotOf.set(owner, id);
    this.policies += size;
    return slotId(id);
  }

  private evictOldest(): void {
    const [slot, entry] = this.held.entries().next().value as [number, { size: number }];
    this.held.delete(slot);
    this.policies -= entry.size;
    preparsePolicySet(slotId(slot), { staticPolicies: {} });
    this.free.push(slot);
  }
}

const slotId = (slot: number) => `gatehouse-policies-${slot}`;

/** Cedar's own words for what is wrong. */
export const describeErrors = (errors: DetailedError[]): string => errors.map((e) => [e.message, e.help].filter(Boolean).join(" — ")).join("; ");

/**
 * The process's pool. A set is one slice of one tenant's policies in one environment (typically
 * a few policies); 20,000 policies held take some 50 MB of the Cedar module's memory.
 */
export const preparsedSets = new PreparsedSets({ maxSets: 8192, maxPolicies: 20_000 });
