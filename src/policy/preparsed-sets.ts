import { preparsePolicySet, type DetailedError } from "@cedar-policy/cedar-wasm/nodejs";

/**
 * Where policy sets are kept parsed inside the Cedar module. cedar-wasm keeps every set it
 * preparses for the life of the process (it has no call to drop one) and replaces a set
 * preparsed again under an id it already holds, so sets live under a fixed pool of ids and a
 * set that needs one takes the least recently used. Its owner preparses again when its id has
 * gone to another set meanwhile.
 *
 * The Cedar module is one per process, so this pool is too: two pools would overwrite each
 * other's ids.
 */
export class PreparsedSets {
  /** Owner of each id in use, least recently used first (Map order). */
  private readonly owners = new Map<number, object>();
  private readonly slotOf = new WeakMap<object, number>();
  /** Ids not holding a usable set (never used, or their last preparse failed). */
  private readonly free: number[] = [];
  private used = 0;

  constructor(readonly capacity: number) {}

  /** The id under which `owner`'s policies are parsed, preparsing them when they are not (any longer). */
  idFor(owner: object, policies: () => Record<string, string>): string {
    const held = this.slotOf.get(owner);
    if (held !== undefined && this.owners.get(held) === owner) {
      this.owners.delete(held);
      this.owners.set(held, owner);
      return slotId(held);
    }
    const slot = this.free.pop() ?? (this.used < this.capacity ? this.used++ : (this.owners.keys().next().value as number));
    // The slot's previous owner loses it now, whatever happens below.
    this.owners.delete(slot);
    let answer: ReturnType<typeof preparsePolicySet>;
    try {
      answer = preparsePolicySet(slotId(slot), { staticPolicies: policies() });
    } catch (error) {
      this.free.push(slot);
      throw error;
    }
    if (answer.type === "failure") {
      this.free.push(slot);
      throw new Error(`the published policies do not parse: ${describeErrors(answer.errors)}`);
    }
    this.owners.set(slot, owner);
    this.slotOf.set(owner, slot);
    return slotId(slot);
  }
}

const slotId = (slot: number) => `gatehouse-policies-${slot}`;

/** Cedar's own words for what is wrong. */
export const describeErrors = (errors: DetailedError[]): string => errors.map((e) => [e.message, e.help].filter(Boolean).join(" — ")).join("; ");

/** The process's pool: 256 ids, each holding one slice of one tenant's policies for one environment. */
export const preparsedSets = new PreparsedSets(256);
