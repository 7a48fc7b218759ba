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

interface Quantifier {
  length: number;
  /** Lets what it follows occur more than once ("*", "+", "{3}", "{1,5}"; not "?" or "{1}"). */
  repeats: boolean;
  /** Lets the count vary ("*", "+", "{2,}", "{1,5}"; not "{3}"): what makes a match ambiguous. */
  varies: boolean;
}

const NO_QUANTIFIER: Quantifier = { length: 0, repeats: false, varies: false };

function quantifierAt(pattern: string, i: number): Quantifier {
  const c = pattern[i];
  if (c === "*" || c === "+") return { length: 1, repeats: true, varies: true };
  if (c === "?") return { length: 1, repeats: false, varies: true };
  if (c !== "{") return NO_QUANTIFIER;
  const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(pattern.slice(i, i + 24));
  if (!m) return NO_QUANTIFIER;
  const least = Number(m[1]);
  const most = m[2] === undefined ? least : m[3] === "" ? Infinity : Number(m[3]);
  return { length: m[0].length, repeats: most > 1, varies: most > least };
}

/**
 * Whether a pattern repeats a group that holds a variable repetition, however deep ("(a+)+",
 * "((ab)+)+", "(\w*){3}"): the usual shape of a pattern that backtracks catastrophically on the
 * wrong input, which a model or an agent writes. A reading of the pattern's structure (escapes,
 * classes and group prefixes skipped), not a proof: it misses overlapping alternatives
 * ("(a|a)*") and refuses some safe patterns ("([a-z]+\.)+").
 */
export function nestsQuantifiers(pattern: string): boolean {
  /** Per open group: whether something inside it repeats a variable number of times. */
  const open: boolean[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    let varyingInside = false;
    if (c === "\\") {
      i++;
    } else if (c === "[") {
      // A class is one atom: skip to its unescaped end.
      for (i++; i < pattern.length && pattern[i] !== "]"; i++) if (pattern[i] === "\\") i++;
    } else if (c === "(") {
      open.push(false);
      const prefix = /^\((?:\?(?:[:=!]|<[=!]|<[A-Za-z_][A-Za-z0-9_]*>))?/.exec(pattern.slice(i, i + 40));
      i += (prefix?.[0].length ?? 1) - 1;
      continue;
    } else if (c === ")") {
      varyingInside = open.pop() ?? false;
    } else if (c === "|" || c === "^" || c === "$" || c === "*" || c === "+" || c === "?") {
      continue;
    }
    // After an atom or a group: the quantifier that follows it, and a lazy "?" after that.
    const quantifier = quantifierAt(pattern, i + 1);
    if (quantifier.repeats && varyingInside) return true;
    if (open.length > 0 && ((quantifier.repeats && quantifier.varies) || varyingInside)) open[open.length - 1] = true;
    i += quantifier.length;
    if (quantifier.length > 0 && pattern[i + 1] === "?") i++;
  }
  return false;
}

function unsafePattern(schema: unknown): string | undefined {
  if (Array.isArray(schema)) return schema.map(unsafePattern).find((p) => p !== undefined);
  if (!isRecord(schema)) return undefined;
  const patterns = [schema.pattern, ...(isRecord(schema.patternProperties) ? Object.keys(schema.patternProperties) : [])];
  const bad = patterns.find((p): p is string => typeof p === "string" && nestsQuantifiers(p));
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
