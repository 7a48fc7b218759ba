import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { kindNames, kinds } from "../registry/kinds.js";
import { validateTogether } from "../policy/policy-engine.js";
import { readFixtureFile } from "../policy/policy-fixtures.js";
import { isRecord } from "../shared/json.js";
import { fieldPath } from "../shared/validation.js";
import { documentsSchema, type ConfigDocument } from "./documents.js";

export class DirectoryError extends Error {
  override name = "DirectoryError";
}

/**
 * Reads a configuration directory: every *.yaml / *.yml file below it (multi-document files
 * allowed). A Policy's Cedar text may live in its own file, named by spec.source relative to
 * the YAML file that declares it; so may a PolicyTest's fixtures (a fixture file of
 * policy-tests/, as `gatehouse policy test` reads it).
 */
export function readDirectory(dir: string): ConfigDocument[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DirectoryError(`${dir} is not a directory`);
  const raw: { file: string; doc: unknown }[] = [];
  for (const file of yamlFiles(dir)) {
    for (const parsed of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (parsed.errors.length > 0) throw new DirectoryError(`${file}: ${parsed.errors[0]?.message}`);
      const doc: unknown = parsed.toJS();
      if (doc === null || doc === undefined) continue;
      raw.push({ file, doc: resolveSource(file, doc) });
    }
  }
  validateTogether(raw.flatMap(({ doc }) => policyTextOf(doc)));
  const result = documentsSchema.safeParse(raw.map((r) => r.doc));
  if (!result.success) {
    const issue = result.error.issues[0];
    const index = typeof issue?.path[0] === "number" ? issue.path[0] : 0;
    const where = raw[index];
    throw new DirectoryError(`${where?.file ?? dir}: ${fieldPath(issue?.path.slice(1) ?? [])}: ${issue?.message}`);
  }
  return result.data;
}

/** A Policy document's Cedar text, for validating the directory's policies together before each is parsed. */
function policyTextOf(doc: unknown): string[] {
  if (!isRecord(doc) || doc.kind !== "Policy" || !isRecord(doc.spec) || typeof doc.spec.text !== "string") return [];
  return [doc.spec.text];
}

/** Fixture files live beside the documents, in policy-tests/, and are not documents (PolicyTest documents name them). */
const FIXTURE_DIR = "policy-tests";

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !path.relative(dir, e.parentPath).split(path.sep).includes(FIXTURE_DIR))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function resolveSource(file: string, doc: unknown): unknown {
  if (typeof doc !== "object" || doc === null) return doc;
  const { spec } = doc as { spec?: unknown };
  if (typeof spec !== "object" || spec === null || !("source" in spec)) return doc;
  const { source, ...rest } = spec as { source: unknown };
  if (typeof source !== "string") throw new DirectoryError(`${file}: spec.source must be a file path`);
  const sourceFile = path.resolve(path.dirname(file), source);
  if (!existsSync(sourceFile)) throw new DirectoryError(`${file}: spec.source ${source} does not exist`);
  if ((doc as { kind?: unknown }).kind === "PolicyTest") {
    try {
      return { ...doc, spec: { ...rest, fixtures: readFixtureFile(sourceFile) } };
    } catch (error) {
      throw new DirectoryError(`${file}: spec.source ${source}: ${(error as Error).message}`);
    }
  }
  return { ...doc, spec: { ...rest, text: readFileSync(sourceFile, "utf8") } };
}

/** Writes documents in the layout readDirectory reads: one file per kind, Cedar policies in policies/, fixtures in policy-tests/. */
export function writeDirectory(dir: string, documents: ConfigDocument[]): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (file: string, text: string) => {
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
    chmodSync(full, 0o644);
    written.push(file);
  };
  const yaml = (docs: unknown[]) => docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");

  const tenant = documents.filter((d) => d.kind === "Tenant");
  if (tenant.length > 0) write("tenant.yaml", yaml(tenant));
  for (const kind of kindNames) {
    const docs = documents.filter((d) => d.kind === kinds[kind].title);
    if (docs.length === 0) continue;
    const out = docs.map((doc) => {
      if (doc.kind === "Tenant") return doc;
      if (kind === "policy") {
        const { text, ...rest } = doc.spec as { text: string };
        const source = `policies/${doc.name}.cedar`;
        write(source, text);
        return { ...doc, spec: { ...rest, source } };
      }
      if (kind === "policy_test") {
        const { fixtures, ...rest } = doc.spec as { fixtures: unknown[] };
        const source = `${FIXTURE_DIR}/${doc.name}.yaml`;
        write(source, stringify(fixtures, { lineWidth: 0 }));
        return { ...doc, spec: { ...rest, source } };
      }
      return doc;
    });
    write(`${kinds[kind].plural}.yaml`, yaml(out));
  }
  return written;
}
