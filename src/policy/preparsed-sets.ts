import type { DetailedError } from "@cedar-policy/cedar-wasm/nodejs";
import { preparsePolicySet } from "./cedar.js";

let pools = 0;

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
 * The Cedar module is one per process, and so is the pool the gateway uses (preparsedSets);
 * an emptied id holds no policy, so Cedar denies everything under it.
 */
export class PreparsedSets {
  /** Each held set's owner and size, least recently used first (Map order). */
  private readonly held = new Map<number, { owner: object; size: number }>();
  private readonly slotOf = new WeakMap<object, number>();
  /** Ids holding no set: emptied, or never used. */
  private readonly free: number[] = [];
  private used = 0;
  private policies = 0;
  /** Ids are the pool's own: a second pool (tests make small ones) must not overwrite the first's sets. */
  private readonly prefix = `gatehouse-policies-${pools++}-`;

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
      return this.slotId(slot);
    }
    const texts = policies();
    const size = Object.keys(texts).length;
    while (this.held.size > 0 && (this.held.size >= this.limits.maxSets || this.policies + size > this.limits.maxPolicies)) this.evictOldest();
    const id = this.free.pop() ?? this.used++;
    const answer = preparsePolicySet(this.slotId(id), { staticPolicies: texts });
    if (answer.type === "failure") {
      // Nothing was replaced (Cedar leaves the id as it was on failure), and the id held nothing.
      this.free.push(id);
      throw new Error(`the published policies do not parse: ${describeErrors(answer.errors)}`);
    }
    this.held.set(id, { owner, size });
    this.slotOf.set(owner, id);
    this.policies += size;
    return this.slotId(id);
  }

  /** Gives back the set held for `owner`, if any (it is parsed again should the owner ask for it later). */
  release(owner: object): void {
    const slot = this.slotOf.get(owner);
    if (slot !== undefined && this.held.get(slot)?.owner === owner) this.empty(slot);
  }

  private slotId(slot: number): string {
    return `${this.prefix}${slot}`;
  }

  private evictOldest(): void {
    this.empty(this.held.keys().next().value as number);
  }

  private empty(slot: number): void {
    const entry = this.held.get(slot);
    if (!entry) return;
    this.held.delete(slot);
    this.policies -= entry.size;
    preparsePolicySet(this.slotId(slot), { staticPolicies: {} });
    this.free.push(slot);
  }
}


/** Cedar's own words for what is wrong. */
export const describeErrors = (errors: DetailedError[]): string => errors.map((e) => [e.message, e.help].filter(Boolean).join(" — ")).join("; ");

/**
 * The process's pool. A set is one slice of one tenant's policies in one environment (typically
 * a few policies); 20,000 policies held take some 50 MB of the Cedar module's memory.
 */
export const preparsedSets = new PreparsedSets({ maxSets: 8192, maxPolicies: 20_000 });
