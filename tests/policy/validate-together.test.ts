import { describe, expect, it } from "vitest";
import { policyTextProblem, validateTogether } from "../../src/policy/policy-engine.js";

describe("validating a directory's policies together", () => {
  it("leaves valid texts valid and an invalid one refused with its own message", () => {
    const valid = ['permit(principal, action == Gatehouse::Action::"invoke_model", resource);', "forbid(principal, action, resource) when { context has task };"];
    const invalid = 'permit(principal == Gatehouse::Nope::"x", action, resource);';
    validateTogether([...valid, invalid]);
    expect(valid.map(policyTextProblem)).toEqual([undefined, undefined]);
    expect(policyTextProblem(invalid)).toMatch(/unrecognized entity type `Gatehouse::Nope`/);
  });

  it("cannot be fooled by two broken texts that would parse as one when joined", () => {
    const head = "permit(principal, action, resource) when {";
    const tail = "true };";
    validateTogether([head, tail]);
    expect(policyTextProblem(head)).toBeDefined();
    expect(policyTextProblem(tail)).toBeDefined();
  });
});
