import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import formats from "ajv-formats";
import type { RegistryRecord } from "../../registry/registry.js";
import { GatehouseError } from "../../shared/errors.js";

const CACHED_TOOLS = 512;

const describeError = (e: ErrorObject): string => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`.trim();

export type ArgumentCheck = { valid: true } | { valid: false; errors: string[] };

/**
 * Tool arguments against the tool's argumentsSchema, compiled once per tool version (a new
 * version of the tool compiles afresh; old versions fall out of a bounded cache). A schema that
 * does not compile refuses every call (fail closed) rather than letting arguments through unchecked.
 */
export class ArgumentSchemas {
  private readonly ajv = new Ajv({ allErrors: true, strict: false, addUsedSchema: false, validateFormats: true });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    formats.default(this.ajv);
  }

  check(tool: RegistryRecord<"tool">, args: Record<string, unknown>): ArgumentCheck {
    const validate = this.validatorFor(tool);
    if (validate(args)) return { valid: true };
    return { valid: false, errors: (validate.errors ?? []).slice(0, 5).map(describeError) };
  }

  private validatorFor(tool: RegistryRecord<"tool">): ValidateFunction {
    const key = `${tool.id}@${tool.version}`;
    let validate = this.cache.get(key);
    if (validate) return validate;
    try {
      validate = this.ajv.compile(structuredClone(tool.spec.argumentsSchema));
    } catch (error) {
      throw new GatehouseError("unavailable", `tool '${tool.name}' has an argumentsSchema that does not compile (${error instanceof Error ? error.message : String(error)}); no call is made until it is fixed`);
    }
    this.cache.set(key, validate);
    if (this.cache.size > CACHED_TOOLS) this.cache.delete(this.cache.keys().next().value as string);
    return validate;
  }
}
