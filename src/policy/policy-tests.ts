import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CedarValueJson } from "@cedar-policy/cedar-wasm/nodejs";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { readDirectory } from "../config-as-code/directory.js";
import { kindByTitle } from "../registry/kinds.js";
import { PolicyEngine, type PolicySource } from "./policy-engine.js";
import { actions, NAMESPACE } from "./schema.js";

const entity = z.object({ type: z.string().min(1), id: z.string().min(1), attrs: z.record(z.string(), z.unknown()).default({}) }).strict();

/** One fixture: a request and the decision the tenant's policies must reach for it. */
export const policyFixtureSchema = z
  .object({
    name: z.string().min(1),
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

export interface FixtureResult {
  file: string;
  name: string;
  ok: boolean;
  /** What happened, when it is not what the fixture expects. */
  problem?: string;
}

/** The Policy documents of a configuration directory (config as code), as the engine reads them. */
export function policiesOf(configDir: string): PolicySource[] {
  return readDirectory(configDir)
    .filter((doc) => kindByTitle(doc.kind) === "policy")
    .map((doc) => {
      const spec = doc.spec as { text: string; environments?: string[] };
      return { name: doc.name, text: spec.text, environments: spec.environments ?? [] };
    });
}

function fixturesIn(dir: string): { file: string; fixture: PolicyFixture }[] {
  const out: { file: string; fixture: PolicyFixture }[] = [];
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const name of files) {
    const file = path.join(dir, name);
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const value: unknown = doc.toJS();
      for (const [i, raw] of (Array.isArray(value) ? value : value == null ? [] : [value]).entries()) {
        const parsed = policyFixtureSchema.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new Error(`${file}: fixture ${i + 1}: ${issue?.path.join(".") || "fixture"}: ${issue?.message}`);
        }
        out.push({ file, fixture: parsed.data });
      }
    }
  }
  return out;
}

/**
 * Runs policy fixtures against a configuration directory's policies through the same engine
 * that decides calls: each fixture's request must get the decision (and, for a deny, the
 * deciding policies) it expects.
 */
export function runPolicyTests(fixtureDir: string, configDir: string): FixtureResult[] {
  const policies = policiesOf(configDir);
  const engine = new PolicyEngine();
  return fixturesIn(fixtureDir).map(({ file, fixture }) => {
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
    const entityOf = (e: z.output<typeof entity>) => ({ uid: { type: `${NAMESPACE}::${e.type}`, id: e.id }, attrs: e.attrs as Record<string, CedarValueJson>, parents: [] });
    let problem: string | undefined;
    try {
      const decision = engine.decide(policies, fixture.environment, {
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
    return { file, name: fixture.name, ok: problem === undefined, ...(problem ? { problem } : {}) };
  });
}
