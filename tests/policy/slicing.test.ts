import type { EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import { preparsePolicySet } from "../../src/policy/cedar.js";
import { describe, expect, it } from "vitest";
import { PolicyEngine, type PolicyRequest, type PolicySource } from "../../src/policy/policy-engine.js";
import { PreparsedSets } from "../../src/policy/preparsed-sets.js";
import { callActions } from "../../src/policy/schema.js";
import { seededRandom } from "../../src/gateway/routing/random.js";
import { reference, type Outcome } from "./cedar-reference.js";

/**
 * Property: a decision made with the policies sliced by scope and the attributes trimmed to
 * what they read is the decision Cedar makes with every policy and every attribute — the same
 * allow or deny, the same deciding policies, and an error exactly when Cedar has one.
 * Policies and requests are generated (seeded, so a failure names a reproducible case), over
 * every scope form and conditions that read attributes directly, through `has`, through an
 * if-then-else, and attributes that are missing.
 */


const G = "Gatehouse";
const A = (id: string) => `${G}::Action::"${id}"`;
const principalScopes = ["principal", `principal == ${G}::Agent::"a1"`, `principal is ${G}::Agent`, `principal is ${G}::Application`, `principal in ${G}::User::"u1"`, `principal == ${G}::Application::"app1"`, `principal is ${G}::Agent in ${G}::Agent::"a2"`];
const actionScopes = ["action", `action == ${A("invoke_model")}`, `action in [${A("call_tool")}, ${A("read_data")}]`, `action == ${A("send_message")}`, `action in [${A("invoke_model")}]`];
const resourceScopes = ["resource", `resource == ${G}::Model::"m1"`, `resource is ${G}::Model`, `resource is ${G}::Tool`, `resource == ${G}::Tool::"t1"`, `resource in ${G}::Model::"m2"`, `resource == ${G}::Agent::"a1"`];
const conditions = [
  'context.labels.contains("confidential")',
  'context.task_class == "chat"',
  'context has purpose && context.purpose == "marketing"',
  "resource.external",
  'resource has region && resource.region like "eu*"',
  'resource.region == "us"',
  'principal.environment == "production"',
  'principal has owner && principal.owner == "ops"',
  'principal.owner == "ops"',
  '(if context.task_class == "chat" then resource else principal).owner == "platform"',
  "context.data_classes.isEmpty()",
  "resource.task_classes.contains(context.task_class)",
  "context.nested.flag",
  'context has nested && context.nested has flag && context.nested.flag == true',
  `principal == ${G}::Agent::"a2" || resource == ${G}::Model::"m2"`,
  "[resource].contains(principal)",
  "true",
];

function policyText(next: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T;
  const effect = next() < 0.85 ? "forbid" : "permit";
  const body = next() < 0.4 ? `${pick(conditions)} && ${pick(conditions)}` : next() < 0.5 ? `${pick(conditions)} || ${pick(conditions)}` : pick(conditions);
  const clause = next() < 0.75 ? `when { ${body} }` : `unless { ${body} }`;
  return `${effect} (${pick(principalScopes)}, ${pick(actionScopes)}, ${pick(resourceScopes)}) ${clause};`;
}

const entity = (type: string, id: string, attrs: EntityJson["attrs"]): EntityJson => ({ uid: { type: `${G}::${type}`, id }, attrs, parents: [] });
const principals: EntityJson[] = [
  entity("Agent", "a1", { environment: "production", owner: "ops", task_classes: ["chat"] }),
  entity("Agent", "a2", { environment: "staging", owner: "sales", task_classes: [] }),
  entity("Application", "app1", { environment: "production" }),
  entity("User", "u1", { environment: "staging", role: "developer" }),
];
const resources: EntityJson[] = [
  entity("Model", "m1", { provider: "openai", region: "us", external: true, task_classes: ["chat"], owner: "platform" }),
  entity("Model", "m2", { provider: "vllm", region: "eu-west-1", external: false, task_classes: ["code"], owner: "ml" }),
  entity("Tool", "t1", { side_effect: "egress", owner: "platform" }),
  entity("DataSource", "d1", { sensitivity: "restricted", region: "eu", owner: "data" }),
  entity("Agent", "a1", { environment: "production", owner: "ops", task_classes: ["chat"] }),
];

function request(next: () => number): PolicyRequest {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T;
  const p = pick(principals);
  const r = pick(resources);
  const uid = (e: EntityJson) => e.uid as { type: string; id: string };
  const context: Record<string, unknown> = {
    tenant: "acme",
    environment: pick(["production", "staging"]),
    task_class: pick(["chat", "code"]),
    data_classes: next() < 0.5 ? [] : ["pii"],
    labels: next() < 0.5 ? [] : [pick(["confidential", "restricted"])],
    data_regions: [],
    grants: [],
    time: 0,
  };
  if (next() < 0.3) context.purpose = pick(["marketing", "support"]);
  if (next() < 0.3) context.nested = { flag: next() < 0.5 };
  const entities = uid(p).type === uid(r).type && uid(p).id === uid(r).id ? [p] : [p, r];
  return {
    principal: { type: uid(p).type.slice(G.length + 2), id: uid(p).id },
    action: pick(callActions),
    resource: { type: uid(r).type.slice(G.length + 2), id: uid(r).id },
    context,
    entities,
  };
}

describe("slicing by scope", () => {
  it("gives the decision of the whole set, over many generated policy sets and requests", () => {
    let compared = 0;
    let errors = 0;
    let denials = 0;
    let sliceTotal = 0;
    let policyTotal = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const next = seededRandom(seed);
      const sources: PolicySource[] = [];
      const whole: Record<string, string> = { baseline: "permit (principal, action, resource);" };
      const count = 5 + Math.floor(next() * 40);
      for (let i = 0; i < count; i++) {
        // Some records hold two policies: the second is named name[2].
        const texts = next() < 0.15 ? [policyText(next), policyText(next)] : [policyText(next)];
        sources.push({ name: `p${i}`, text: texts.join("\n"), environments: [] });
        texts.forEach((text, k) => (whole[k === 0 ? `p${i}` : `p${i}[${k + 1}]`] = text));
      }
      const setId = `slicing-reference-${seed}`;
      const parsed = preparsePolicySet(setId, { staticPolicies: whole });
      expect(parsed.type, `seed ${seed}`).toBe("success");
      // Every other seed runs in a pool of three sets, so slices are evicted and parsed again.
      const engine = new PolicyEngine(seed % 2 ? new PreparsedSets({ maxSets: 3, maxPolicies: 30 }) : undefined);
      const set = engine.prepare(sources, "production");
      for (let i = 0; i < 60; i++) {
        const r = request(next);
        let sliced: Outcome;
        try {
          const decision = set.decide(r);
          sliced = { error: false, allowed: decision.allowed, policies: [...decision.policies].sort() };
        } catch {
          sliced = { error: true };
        }
        const expected = reference(setId, r);
        expect(sliced, `seed ${seed}, request ${i}: ${JSON.stringify(r)}\n${JSON.stringify(whole, null, 1)}`).toEqual(expected);
        // Asked again (a remembered decision where there was one), the answer is the same.
        let again: Outcome;
        try {
          const decision = set.decide(structuredClone(r));
          again = { error: false, allowed: decision.allowed, policies: [...decision.policies].sort() };
        } catch {
          again = { error: true };
        }
        expect(again, `seed ${seed}, request ${i} asked again`).toEqual(expected);
        compared++;
        if (expected.error) errors++;
        else if (!expected.allowed) denials++;
        sliceTotal += set.sliceOf(r).length;
        policyTotal += set.size;
      }
    }
    // The property must have been exercised: errors, denials, allows, and slices smaller than their sets.
    expect(compared).toBe(1800);
    expect(errors).toBeGreaterThan(50);
    expect(denials).toBeGreaterThan(200);
    expect(compared - errors - denials).toBeGreaterThan(200);
    expect(sliceTotal).toBeLessThan(policyTotal / 2);
  }, 300_000);

  it("remembers a decision by what its policies read: other attributes share it, a read attribute gets its own, and no caller can change it for the next", () => {
    const engine = new PolicyEngine();
    const set = engine.prepare(
      [{ name: "eu-only", text: `forbid (principal, action == ${A("invoke_model")}, resource) when { context.data_regions.contains("eu") && resource.region != "eu" };`, environments: [] }],
      "production",
    );
    const r = (regions: string[], owner: string): PolicyRequest => ({
      principal: { type: "Application", id: "app1" },
      action: "invoke_model",
      resource: { type: "Model", id: "m1" },
      context: { data_regions: regions, task_class: owner },
      entities: [{ uid: { type: `${G}::Model`, id: "m1" }, attrs: { region: "us", owner }, parents: [] }],
    });
    const first = set.decide(r(["eu"], "ops"));
    expect(first).toEqual({ allowed: false, policies: ["eu-only"] });
    first.policies.push("tampered");
    first.allowed = true;
    expect(set.decide(r(["eu"], "sales"))).toEqual({ allowed: false, policies: ["eu-only"] });
    expect(set.decide(r([], "ops"))).toEqual({ allowed: true, policies: [] });
    set.forgetDecisions();
    expect(set.decide(r(["eu"], "ops"))).toEqual({ allowed: false, policies: ["eu-only"] });
  });

  it("sends Cedar no policy at all for a request no policy's scope can match, and allows it", () => {
    const engine = new PolicyEngine();
    const set = engine.prepare(
      [{ name: "tools-only", text: `forbid (principal, action == ${A("call_tool")}, resource == ${G}::Tool::"t1") when { true };`, environments: [] }],
      "production",
    );
    const r: PolicyRequest = { principal: { type: "Application", id: "app1" }, action: "invoke_model", resource: { type: "Model", id: "m1" }, context: {}, entities: [] };
    expect(set.sliceOf(r)).toEqual([]);
    expect(set.decide(r)).toEqual({ allowed: true, policies: [] });
    expect(set.decide({ ...r, action: "call_tool", resource: { type: "Tool", id: "t1" } })).toEqual({ allowed: false, policies: ["tools-only"] });
  });
});
