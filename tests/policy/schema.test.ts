import { describe, expect, it } from "vitest";
import { policyTextProblem, validatePolicyText } from "../../src/policy/policy-engine.js";
import { policyFixtureSchema, runFixtures } from "../../src/policy/policy-fixtures.js";
import type { adminActions } from "../../src/policy/schema.js";

const A = (id: string) => `Gatehouse::Action::"${id}"`;

/** One policy per admin action, over what that action touches, as a tenant would write them. */
const adminPolicies: Record<(typeof adminActions)[number], string> = {
  publish_policy: `forbid (principal, action == ${A("publish_policy")}, resource is Gatehouse::Policy) when { resource.environments.contains("production") && !(principal has role && principal.role == "owner") };`,
  change_record: `forbid (principal is Gatehouse::ServiceAccount, action == ${A("change_record")}, resource is Gatehouse::Model) when { context has operation && context.operation == "delete" };`,
  approve_change: `forbid (principal, action == ${A("approve_change")}, resource) when { resource.owner == "security-team" && principal has role && principal.role != "owner" };`,
  reject_change: `forbid (principal, action == ${A("reject_change")}, resource is Gatehouse::PolicyTest) when { context.environment == "production" };`,
  operate_agent: `forbid (principal, action == ${A("operate_agent")}, resource is Gatehouse::Agent) when { context has operation && context.operation == "activate" && context.environment == "production" && resource.owner != "platform" };`,
  retire_agent: `forbid (principal is Gatehouse::ServiceAccount, action == ${A("retire_agent")}, resource) when { true };`,
  manage_credential: `forbid (principal, action == ${A("manage_credential")}, resource is Gatehouse::Model) when { resource.external && !(principal has role && principal.role == "owner") };`,
};

describe("the Cedar schema's admin actions", () => {
  it("take a policy over each of them, validated against the schema", () => {
    for (const [action, text] of Object.entries(adminPolicies)) expect(policyTextProblem(text), action).toBeUndefined();
  });

  it("refuse, in Cedar's words, an admin policy reading what its principal or resource does not have", () => {
    // A policy record has no `external`; an application never publishes policies; the operation is optional.
    expect(() => validatePolicyText(`forbid (principal, action == ${A("publish_policy")}, resource) when { resource.external };`)).toThrow(/external/);
    expect(() => validatePolicyText(`forbid (principal, action == ${A("approve_change")}, resource) when { principal.owner == "x" };`)).toThrow(/owner/);
    expect(() => validatePolicyText(`forbid (principal, action == ${A("operate_agent")}, resource) when { context.operation == "retire" };`)).toThrow(/operation/);
  });

  it("leave guardrails that name no action valid: every action shares the request context, every resource has an owner", () => {
    for (const text of [
      'forbid (principal, action, resource) when { context.labels.contains("restricted") && context has destination_tenant && context.destination_tenant != context.tenant };',
      'forbid (principal, action, resource) when { resource.owner == "legacy" };',
      'forbid (principal, action, resource) when { resource has region && !(resource.region like "eu*") && context.data_regions.contains("eu") };',
    ]) {
      expect(policyTextProblem(text), text).toBeUndefined();
    }
  });

  it("decide fixtures written over admin actions", () => {
    const policies = [{ name: "production-policies-by-owners", text: adminPolicies.publish_policy, environments: [] }];
    const fixture = (role: string, expect: "allow" | "deny") =>
      policyFixtureSchema.parse({
        name: `${role} publishes a production policy`,
        principal: { type: "User", id: role, attrs: { environment: "production", role } },
        action: "publish_policy",
        resource: { type: "Policy", id: "pii-never-external", attrs: { environments: ["production"], owner: "security-team" } },
        context: { operation: "update" },
        expect,
        ...(expect === "deny" ? { policies: ["production-policies-by-owners"] } : {}),
      });
    const results = runFixtures(
      [
        { source: "admin", fixture: fixture("developer", "deny") },
        { source: "admin", fixture: fixture("owner", "allow") },
        { source: "admin", fixture: fixture("admin", "allow") },
      ],
      policies,
    );
    expect(results.map((r) => [r.name, r.ok, r.problem])).toEqual([
      ["developer publishes a production policy", true, undefined],
      ["owner publishes a production policy", true, undefined],
      ["admin publishes a production policy", false, "expected allow, got deny (decided by production-policies-by-owners)"],
    ]);
  });
});
