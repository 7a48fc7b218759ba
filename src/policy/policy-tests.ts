import { readdirSync } from "node:fs";
import path from "node:path";
import { readDirectory } from "../config-as-code/directory.js";
import { kindByTitle } from "../registry/kinds.js";
import { policyFixtureSchema, readFixtureFile, runFixtures, type FixtureResult, type SourcedFixture } from "./policy-fixtures.js";
import type { PolicySource } from "./policy-engine.js";

/** The Policy documents of a configuration directory (config as code), as the engine reads them. */
export function policiesOf(configDir: string): PolicySource[] {
  return readDirectory(configDir)
    .filter((doc) => kindByTitle(doc.kind) === "policy")
    .map((doc) => {
      const spec = doc.spec as { text: string; environments?: string[] };
      return { name: doc.name, text: spec.text, environments: spec.environments ?? [] };
    });
}

/** The fixtures of every *.yaml / *.yml file in a directory, each named by its file. */
export function fixturesIn(dir: string): SourcedFixture[] {
  const out: SourcedFixture[] = [];
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const name of files) {
    const file = path.join(dir, name);
    for (const [i, raw] of readFixtureFile(file).entries()) {
      const parsed = policyFixtureSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${file}: fixture ${i + 1}: ${issue?.path.join(".") || "fixture"}: ${issue?.message}`);
      }
      out.push({ source: file, fixture: parsed.data });
    }
  }
  return out;
}

/** `gatehouse policy test`: the fixture files of a directory against a configuration directory's policies. */
export function runPolicyTests(fixtureDir: string, configDir: string): FixtureResult[] {
  return runFixtures(fixturesIn(fixtureDir), policiesOf(configDir));
}
