import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import formats from "ajv-formats";
import { GatehouseError } from "./errors.js";
import { isRecord } from "./json.js";

/** Schemas come from callers and admins and are untrusted (ajv's security notes): bounded in size and depth, and their patterns checked. */
const MAX_SCHEMA_BYTES = 100_000;
const MAX_SCHEMA_DEPTH = 40;
const CACHED_SCHEMAS = 256;

/** The outcome of checking a value against a schema: the problems, in words a model or a person can act on. */
export type SchemaCheck = { valid: true } | { valid: false; errors: string[] };

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_SCHEMA_DEPTH) return depth;
  if (Array.isArray(value)) return Math.max(depth, ...value.map((v) => depthOf(v, depth + 1)));
  if (isRecord(value)) return Math.max(depth, ...Object.values(value).map((v) => depthOf(v, depth + 1)));
  return depth;
}

/**
 * A repeated group that itself repeats ("(a+)+", "(\w*)*"): the usual shape of a pattern that
 * backtracks catastrophically on the wrong input, which a model or an agent writes. A heuristic:
 * it misses overlapping alternatives ("(a|a)*") and refuses some safe patterns ("([a-z]+\.)+").
 */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})/;

function unsafePattern(schema: unknown): string | undefined {
  if (Array.isArray(schema)) return schema.map(unsafePattern).find((p) => p !== undefined);
  if (!isRecord(schema)) return undefined;
  const patterns = [schema.pattern, ...(isRecord(schema.patternProperties) ? Object.keys(schema.patternProperties) : [])];
  const bad = patterns.find((p): p is string => typeof p === "string" && NESTED_QUANTIFIER.test(p));
  return bad ?? Object.values(schema).map(unsafePattern).find((p) => p !== undefined);
}

const describeError = (e: ErrorObject): string => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`.trim();

/**
 * JSON Schemas compiled with ajv, once per distinct schema (a bounded cache, each evicted schema
 * removed from ajv again so that memory stays flat). A schema too large, too deep, with a
 * pattern that can take exponential time, or that does not compile is refused with 400 naming
 * the field it came in. Schemas are not registered by their $id, so two tenants' never collide.
 */
export class JsonSchemas {
  private readonly ajv = new Ajv({ allErrors: true, strict: false, addUsedSchema: false, validateFormats: true });
  private readonly cache = new Map<string, { schema: Record<string, unknown>; validate: ValidateFunction }>();

  constructor() {
    formats.default(this.ajv);
  }

  validatorFor(schema: Record<string, unknown>, field: string): ValidateFunction {
    const key = JSON.stringify(schema);
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.validate;
    }
    if (Buffer.byteLength(key) > MAX_SCHEMA_BYTES) throw new GatehouseError("invalid_request", `the schema is larger than ${MAX_SCHEMA_BYTES} bytes`, field);
    if (depthOf(schema) > MAX_SCHEMA_DEPTH) throw new GatehouseError("invalid_request", `the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels`, field);
    const pattern = unsafePattern(schema);
    if (pattern !== undefined) {
      throw new GatehouseError("invalid_request", `the schema's pattern ${JSON.stringify(pattern.slice(0, 100))} nests quantifiers, which can take exponential time to match`, field);
    }
    const copy = structuredClone(schema);
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile(copy);
    } catch (error) {
      throw new GatehouseError("invalid_request", `the schema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`, field);
    }
    this.cache.set(key, { schema: copy, validate });
    if (this.cache.size > CACHED_SCHEMAS) {
      const [oldestKey, oldest] = this.cache.entries().next().value as [string, { schema: Record<string, unknown> }];
      this.cache.delete(oldestKey);
      this.ajv.removeSchema(oldest.schema);
    }
    return validate;
  }

  /** Checks a value against a schema (refused as validatorFor says when the schema itself is not usable). */
  check(schema: Record<string, unknown>, value: unknown, field: string): SchemaCheck {
    const validate = this.validatorFor(schema, field);
    if (validate(value)) return { valid: true };
    return { valid: false, errors: (validate.errors ?? []).slice(0, 5).map(describeError) };
  }
}

const publishing = new JsonSchemas();

/** What makes a schema unusable (see JsonSchemas), for refusing it when it is published; undefined when nothing does. */
export function jsonSchemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    publishing.validatorFor(schema, "schema");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
