import { readFileSync } from "node:fs";
import type { CedarValueJson } from "@cedar-policy/cedar-wasm/nodejs";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { PolicyEngine, type PolicySource, type SlicedPolicySet } from "./policy-engine.js";
import { actions, NAMESPACE } from "./schema.js";

const entity = z.object({ type: z.string().min(1), id: z.string().min(1), attrs: z.record(z.string(), z.unknown()).default({}) }).strict();

/** One fixture: a request and the decision the tenant's policies must reach for it. */
export const policyFixtureSchema = z
  .object({
    name: z.string().min(1).max(500),
    environment: z.string().min(1).default("production"),
    principal: entity,
    action: z.enum(actions),
    resource: entity,
    /** Merged over defaults for every context field the schema requires. */
    context: z.record(z.string(), z.unknown()).default({}),
    expect: z.enum(["allow", "deny"]),
    /** The policies that must decide a deny (all of them, in any order). */
    policies: z.array(z.string()).optional(),
  })
  .strict();
export type PolicyFixture = z.output<typeof policyFixtureSchema>;

/** A fixture and where it comes from: its file, or its policy test record. */
export interface SourcedFixture {
  source: string;
  fixture: PolicyFixture;
}

export interface FixtureResult {
  source: string;
  name: string;
  ok: boolean;
  /** What happened, when it is not what the fixture expects. */
  problem?: string;
}

/** What running a tenant's fixtures gave: counts, and each fixture that did not get its decision. */
export interface FixtureReport {
  passed: number;
  failed: number;
  /** How many of the failures are new: fixtures that pass with the policies as they are, and fail with the change. */
  broken: number;
  /** Each failing fixture: its policy test (record name or file), its name, what went wrong, and whether it fails without the change too. */
  failures: { test: string; name: string; problem: string; preexisting: boolean }[];
}

/** The fixtures of one YAML file (a list, or one fixture per document), unvalidated. */
export function readFixtureFile(file: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    out.push(...(Array.isArray(value) ? value : value == null ? [] : [value]));
  }
  return out;
}

const entityOf = (e: z.output<typeof entity>) => ({ uid: { type: `${NAMESPACE}::${e.type}`, id: e.id }, attrs: e.attrs as Record<string, CedarValueJson>, parents: [] });

/**
 * Runs fixtures against policies through the same engine that decides calls: each fixture's
 * request must get the decision (and, for a deny, the deciding policies) it expects.
 */
export function runFixtures(fixtures: readonly SourcedFixture[], policies: readonly PolicySource[], engine = new PolicyEngine()): FixtureResult[] {
  const sets = new Map<string, SlicedPolicySet | Error>();
  const setFor = (environment: string) => {
    let set = sets.get(environment);
    if (!set) {
      try {
        set = engine.prepared(policies, environment);
      } catch (error) {
        set = error as Error;
      }
      sets.set(environment, set);
    }
    if (set instanceof Error) throw set;
    return set;
  };
  return fixtures.map(({ source, fixture }) => {
    const context = {
      tenant: "tenant",
      environment: fixture.environment,
      task_class: "chat",
      data_classes: [],
      labels: [],
      data_regions: [],
      grants: [],
      time: 0,
      ...fixture.context,
    };
    let problem: string | undefined;
    try {
      const decision = setFor(fixture.environment).decide({
        principal: { type: fixture.principal.type, id: fixture.principal.id },
        action: fixture.action,
        resource: { type: fixture.resource.type, id: fixture.resource.id },
        context,
        entities: [entityOf(fixture.principal), entityOf(fixture.resource)],
      });
      const got = decision.allowed ? "allow" : "deny";
      if (got !== fixture.expect) problem = `expected ${fixture.expect}, got ${got}${decision.policies.length ? ` (decided by ${decision.policies.join(", ")})` : ""}`;
      else if (fixture.policies && [...fixture.policies].sort().join() !== [...decision.policies].sort().join()) {
        problem = `expected the decision of ${fixture.policies.join(", ") || "no policy"}, got ${decision.policies.join(", ") || "no policy"}`;
      }
    } catch (error) {
      problem = (error as Error).message;
    }
    return { source, name: fixture.name, ok: problem === undefined, ...(problem ? { problem } : {}) };
  });
}

/**
 * The report of a run; `without` is the run without the change (the fixtures and policies as
 * they are), matched by policy test and fixture name. Absent, every failure is new.
 */
export function reportOf(results: readonly FixtureResult[], without: readonly FixtureResult[] = []): FixtureReport {
  const failingWithout = new Set(keyed(without).filter(([, r]) => !r.ok).map(([key]) => key));
  const failures = keyed(results).flatMap(([key, r]) => (r.ok ? [] : [{ test: r.source, name: r.name, problem: r.problem ?? "failed", preexisting: failingWithout.has(key) }]));
  return { passed: results.length - failures.length, failed: failures.length, broken: failures.filter((f) => !f.preexisting).length, failures };
}

/** Each result with a key naming its fixture (test, name, and which one of that name). */
function keyed(results: readonly FixtureResult[]): [string, FixtureResult][] {
  const seen = new Map<string, number>();
  return results.map((r) => {
    const base = `${r.source}\u0000${r.name}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return [`${base}\u0000${n}`, r];
  });
}
