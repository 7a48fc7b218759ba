import { PolicyEngine, type PolicySource } from "../policy/policy-engine.js";
import { reportOf, runFixtures, type FixtureReport, type SourcedFixture } from "../policy/policy-fixtures.js";
import type { SpecOf } from "../registry/kinds.js";
import type { Registry } from "../registry/registry.js";
import type { Executor } from "../store/database.js";
import type { Proposal, RecordProposal } from "./proposals.js";

/** A proposal whose change request shows the tenant's policy fixtures: one to a policy or to the fixtures. */
export function touchesPolicies(p: Proposal): p is RecordProposal & { kind: "policy" | "policy_test" } {
  return (p.action === "record.put" || p.action === "record.delete") && (p.kind === "policy" || p.kind === "policy_test");
}

/**
 * Runs a tenant's policy fixtures (its policy_test records) against its policies as a proposal
 * would leave them: the proposed version of the record it changes, every other record as it is.
 */
export class PolicyFixtureCheck {
  constructor(
    private readonly registry: Registry,
    private readonly engine = new PolicyEngine(),
  ) {}

  /** The proposal's spec must have been validated (ChangeControl.assess does). */
  async run(executor: Executor, tenantId: string, proposal: RecordProposal & { kind: "policy" | "policy_test" }): Promise<FixtureReport> {
    const [policies, tests] = await Promise.all([this.registry.list(tenantId, "policy", executor), this.registry.list(tenantId, "policy_test", executor)]);
    const proposed = <K extends "policy" | "policy_test">(kind: K, records: { name: string; spec: SpecOf<K> }[]) => {
      if (proposal.kind !== kind) return records;
      const others = records.filter((r) => r.name !== proposal.name);
      return proposal.action === "record.put" ? [...others, { name: proposal.name, spec: proposal.spec as SpecOf<K> }] : others;
    };
    const sourcesOf = (records: { name: string; spec: SpecOf<"policy"> }[]): PolicySource[] =>
      records.map((r) => ({ name: r.name, text: r.spec.text, environments: r.spec.environments }));
    const fixturesOf = (records: { name: string; spec: SpecOf<"policy_test"> }[]): SourcedFixture[] =>
      records.flatMap((r) => r.spec.fixtures.map((fixture) => ({ source: r.name, fixture })));
    const withChange = runFixtures(fixturesOf(proposed("policy_test", tests)), sourcesOf(proposed("policy", policies)), this.engine);
    const without = runFixtures(fixturesOf(tests), sourcesOf(policies), this.engine);
    return reportOf(withChange, without);
  }
}

/**
 * Why approving a policy change is refused: it makes fixtures fail that pass without it. (A
 * fixture that fails either way, as while a set of policies and their fixtures arrive one
 * change at a time, is shown but does not block.)
 */
export function fixtureRefusal(report: FixtureReport): string | undefined {
  if (report.broken === 0) return undefined;
  const broken = report.failures.filter((f) => !f.preexisting);
  const shown = broken.slice(0, 3).map((f) => `${f.test}: ${f.name} — ${f.problem}`);
  const more = broken.length > shown.length ? `; and ${broken.length - shown.length} more` : "";
  return `it makes ${report.broken} of ${report.passed + report.failed} policy fixtures fail that pass without it: ${shown.join("; ")}${more}`;
}
