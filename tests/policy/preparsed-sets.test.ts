import { describe, expect, it } from "vitest";
import { statefulIsAuthorized } from "../../src/policy/cedar.js";
import { PreparsedSets } from "../../src/policy/preparsed-sets.js";

/** A set that forbids exactly one action: which set an id holds shows in its decisions. */
const forbidding = (action: string) => ({ only: `forbid (principal, action == Gatehouse::Action::"${action}", resource);`, all: "permit (principal, action, resource);" });
const decide = (id: string, action: string) => {
  const answer = statefulIsAuthorized({
    principal: { type: "Gatehouse::User", id: "u" },
    action: { type: "Gatehouse::Action", id: action },
    resource: { type: "Gatehouse::Model", id: "m" },
    context: {},
    entities: [],
    preparsedPolicySetId: id,
  });
  return answer.type === "success" ? answer.response.decision : "failure";
};

describe("the pool of preparsed policy sets", () => {
  it("stays within its limits, and a set whose id was taken is parsed again when its owner asks", () => {
    const pool = new PreparsedSets({ maxSets: 2, maxPolicies: 100 });
    const owners = ["invoke_model", "call_tool", "read_data"].map((action) => ({ action }));
    const ids = owners.map((o) => pool.idFor(o, () => forbidding(o.action)));
    expect(pool.stats).toEqual({ sets: 2, policies: 4 });
    // The third took the first's id: the first owner gets its own set back, under some id.
    expect(ids[2]).toBe(ids[0]);
    const again = pool.idFor(owners[0] as object, () => forbidding("invoke_model"));
    expect(decide(again, "invoke_model")).toBe("deny");
    expect(decide(again, "read_data")).toBe("allow");
    expect(pool.stats.sets).toBe(2);
    // A held set is not parsed again.
    let parsed = 0;
    pool.idFor(owners[0] as object, () => (parsed++, forbidding("invoke_model")));
    expect(parsed).toBe(0);
  });

  it("limits the policies held, and gives a released set's memory back (its id then holds no policy: Cedar denies)", () => {
    const pool = new PreparsedSets({ maxSets: 100, maxPolicies: 5 });
    const first = { action: "invoke_model" };
    const id = pool.idFor(first, () => forbidding("invoke_model"));
    pool.idFor({}, () => forbidding("call_tool"));
    expect(pool.stats).toEqual({ sets: 2, policies: 4 });
    pool.idFor({}, () => forbidding("read_data"));
    expect(pool.stats).toEqual({ sets: 2, policies: 4 });
    // The first set was emptied to make room, and its id went to the third set.
    expect(decide(id, "invoke_model")).toBe("allow");
    expect(decide(id, "read_data")).toBe("deny");
    const second = { action: "send_message" };
    const held = pool.idFor(second, () => forbidding("send_message"));
    pool.release(second);
    expect(decide(held, "call_tool")).toBe("deny");
    expect(pool.stats.sets).toBe(1);
  });

  it("refuses a set that does not parse, with Cedar's message, and keeps its limits", () => {
    const pool = new PreparsedSets({ maxSets: 2, maxPolicies: 10 });
    expect(() => pool.idFor({}, () => ({ broken: "forbid (principal, action, resource) when {" }))).toThrow(/the published policies do not parse: /);
    expect(pool.stats).toEqual({ sets: 0, policies: 0 });
    pool.idFor({}, () => forbidding("invoke_model"));
    expect(pool.stats).toEqual({ sets: 1, policies: 2 });
  });
});
