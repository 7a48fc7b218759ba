/** A value that satisfies a JSON Schema well enough for a simulated answer: required fields, enums, consts and types. */
export function sampleValue(schema: unknown, hint = "simulated", depth = 0): unknown {
  if (schema === null || typeof schema !== "object" || depth > 8) return hint;
  const s = schema as Record<string, unknown>;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) return sampleValue(options[0], hint, depth + 1);
  }
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "object": {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(properties)) out[key] = sampleValue(child, key, depth + 1);
      return out;
    }
    case "array":
      return s.minItems && typeof s.minItems === "number" && s.minItems > 0 ? [sampleValue(s.items, hint, depth + 1)] : [];
    case "integer":
    case "number":
      return typeof s.minimum === "number" ? s.minimum : 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return hint;
  }
}
