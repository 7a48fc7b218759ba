import type { EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import { describe, expect, it } from "vitest";
import { preparsePolicySet } from "../../src/policy/cedar.js";
import { PolicyEngine, type PolicyRequest, type PolicySource } from "../../src/policy/policy-engine.js";
import { policyShape } from "../../src/policy/policy-scope.js";
import { seededRandom } from "../../src/gateway/routing/random.js";
import { reference, type Outcome } from "./cedar-reference.js";

/**
 * Policies ruled out before Cedar is called (src/policy/ruled-out.ts) must change no decision:
 * compared with Cedar given every policy and the whole request, over generated policies whose
 * conditions are what the ruling-out understands and what it must leave to Cedar (type errors,
 * missing attributes, set equality, entity comparisons, entity references in the context).
 * (Values Cedar refuses are in the last test: a sliced request refuses them when a policy reads them.)
 */


const G = "Gatehouse";
const conditions = [
  'context.labels.contains("confidential")',
  '!context.labels.contains("restricted")',
  'context.task_class == "chat"',
  'context.task_class != "chat"',
  "context.time > 5",
  "context.time <= 0",
  'context.time < "a"',
  "context.environment == 1",
  "resource.external == 1",
  'context.time == "0"',
  'context has purpose && context.purpose == "marketing"',
  'context.purpose == "marketing"',
  "resource.external",
  'resource.external == "true"',
  "!resource.external",
  'resource has region && resource.region like "eu*"',
  'resource.region like "*-west-*"',
  'resource.region like "us"',
  'principal.owner == "ops"',
  'principal has owner && principal.owner like "o*s"',
  "context.nested.flag",
  "context.nested has flag && context.nested.flag == true",
  "context.tenant && true",
  "!context.tenant",
  "context.labels == []",
  "context.data_classes.contains(1)",
  'context.grants.contains("tool:t1") == false',
  "resource.task_classes.contains(context.task_class)",
  `principal == ${G}::Agent::"a2" || context.time > 5`,
  'if context.time > 5 then true else context.labels.contains("restricted")',
  "context.ref.owner == \"ops\"",
  "true",
  "false",
];

function policyText(next: () => number): string {
  const pick = (list: readonly string[]) => `(${list[Math.floor(next() * list.length)] as string})`;
  const body = next() < 0.4 ? `${pick(conditions)} && ${pick(conditions)}` : next() < 0.5 ? `${pick(conditions)} || ${pick(conditions)}` : pick(conditions);
  const clauses = next() < 0.3 ? `when { ${body} } unless { ${pick(conditions)} }` : next() < 0.75 ? `when { ${body} }` : `unless { ${body} }`;
  return `${next() < 0.9 ? "forbid" : "permit"} (principal, action, resource) ${clauses};`;
}

const entity = (type: string, id: string, attrs: EntityJson["attrs"]): EntityJson => ({ uid: { type: `${G}::${type}`, id }, attrs, parents: [] });
const principals = [entity("Agent", "a1", { environment: "production", owner: "ops", task_classes: ["chat"] }), entity("Agent", "a2", { environment: "staging", owner: "sales", task_classes: [] }), entity("Application", "app1", { environment: "production" })];
const resources = [
  entity("Model", "m1", { provider: "openai", region: "us", external: true, task_classes: ["chat"], owner: "platform" }),
  entity("Model", "m2", { provider: "vllm", region: "eu-west-1", external: false, task_classes: ["code"], owner: "ml" }),
  entity("Tool", "t1", { side_effect: "egress", owner: "platform" }),
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
    data_classes: next() < 0.5 ? [] : pick([["pii"], [1, "pii"], [["nested"]]]),
    labels: next() < 0.5 ? [] : [pick(["confidential", "restricted"])],
    data_regions: [],
    grants: next() < 0.5 ? [] : ["tool:t1"],
    time: pick([0, 3, 10]),
  };
  if (next() < 0.3) context.purpose = pick(["marketing", "support"]);
  if (next() < 0.3) context.nested = pick([{ flag: true }, { flag: false }, {}]);
  // A value Cedar reads differently from how it looks: an entity reference (to the principal, or to no entity given).
  if (next() < 0.1) context.ref = { __entity: { type: `${G}::Agent`, id: next() < 0.5 ? "a1" : "a9" } };
  return {
    principal: { type: uid(p).type.slice(G.length + 2), id: uid(p).id },
    action: "invoke_model",
    resource: { type: uid(r).type.slice(G.length + 2), id: uid(r).id },
    context,
    entities: [p, r],
  };
}

function outcome(decide: () => { allowed: boolean; policies: string[] }): Outcome {
  try {
    const d = decide();
    return { error: false, allowed: d.allowed, policies: [...d.policies].sort() };
  } catch {
    return { error: true };
  }
}

describe("ruling policies out before Cedar", () => {
  it("gives the decision of the whole set, over generated conditions and requests", () => {
    const counts = { compared: 0, errors: 0, denials: 0 };
    for (let seed = 1; seed <= 40; seed++) {
      const next = seededRandom(1000 + seed);
      const sources: PolicySource[] = [];
      const whole: Record<string, string> = { baseline: "permit (principal, action, resource);" };
      for (let i = 0; i < 2 + Math.floor(next() * 6); i++) {
        const text = policyText(next);
        sources.push({ name: `p${i}`, text, environments: [] });
        whole[`p${i}`] = text;
      }
      const setId = `ruled-out-reference-${seed}`;
      expect(preparsePolicySet(setId, { staticPolicies: whole }).type).toBe("success");
      const set = new PolicyEngine().prepare(sources, "production");
      for (let i = 0; i < 80; i++) {
        const r = request(next);
        const expected = reference(setId, r);
        expect(outcome(() => set.decide(r)), `seed ${seed}, request ${i}: ${JSON.stringify(r)}\n${JSON.stringify(whole, null, 1)}`).toEqual(expected);
        set.forgetDecisions();
        counts.compared++;
        if (expected.error) counts.errors++;
        else if (!expected.allowed) counts.denials++;
      }
    }
    expect(counts.errors).toBeGreaterThan(100);
    expect(counts.denials).toBeGreaterThan(100);
    expect(counts.compared - counts.errors - counts.denials).toBeGreaterThan(150);
  }, 300_000);

  it("rules a policy out only when its conditions are false for certain", () => {
    const ruledOut = (text: string, context: Record<string, unknown>, resource?: Record<string, unknown>) =>
      policyShape(`forbid (principal, action, resource) ${text};`).ruledOut?.({ context, principal: undefined, resource }) ?? false;
    expect(ruledOut('when { context.labels.contains("x") && context.missing == 1 }', { labels: [] })).toBe(true);
    expect(ruledOut('when { context.missing == 1 && context.labels.contains("x") }', { labels: [] })).toBe(false);
    expect(ruledOut('when { context.labels.contains("x") }', { labels: ["x"] })).toBe(false);
    expect(ruledOut("unless { context has task }", { task: "t" })).toBe(true);
    expect(ruledOut('when { true } unless { context.tenant == "a" }', { tenant: "a" })).toBe(true);
    expect(ruledOut('when { context.tenant == "a" } unless { context.tenant == "a" }', { tenant: "b" })).toBe(true);
    expect(ruledOut('when { !(resource.region like "eu*") }', {}, { region: "eu-west-1" })).toBe(true);
    expect(ruledOut('when { !(resource.region like "eu*") }', {}, undefined)).toBe(false);
    expect(ruledOut("when { context.time > 5 }", { time: 3 })).toBe(true);
    expect(ruledOut('when { context.time > "5" }', { time: 3 })).toBe(false);
    expect(ruledOut("when { !context.tenant }", { tenant: "a" })).toBe(false);
    expect(ruledOut("when { principal == Gatehouse::Agent::\"a\" }", {})).toBe(false);
  });

  it("refuses a request Cedar cannot read even when its policies would be ruled out (fail closed)", () => {
    const set = new PolicyEngine().prepare([{ name: "labelled", text: 'forbid (principal, action, resource) when { context.labels.contains("x") && context.time > 1 };', environments: [] }], "production");
    const r = (time: unknown): PolicyRequest => ({ principal: { type: "Application", id: "app1" }, action: "invoke_model", resource: { type: "Model", id: "m1" }, context: { labels: [], time }, entities: [] });
    expect(set.decide(r(2))).toEqual({ allowed: true, policies: [] });
    expect(() => set.decide(r(1.5))).toThrow(/policy evaluation failed/);
    expect(() => set.decide(r({ __extn: { fn: "decimal", arg: "not a decimal" } }))).toThrow(/policy evaluation failed/);
    // Strings and nesting cedar-wasm cannot read: ruling out must not answer for Cedar.
    expect(() => set.decide(r("\uD800"))).toThrow(/policy evaluation failed/);
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(() => set.decide(r(deep))).toThrow(/policy evaluation failed/);
    expect(set.decide(r("ok \u{1F600}")).allowed).toBe(true);
  });
});
