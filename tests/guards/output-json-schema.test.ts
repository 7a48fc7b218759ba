import { describe, expect, it } from "vitest";
import { GatehouseError } from "../../src/shared/errors.js";
import { SchemaValidators } from "../../src/guards/output/schema-validators.js";

const format = (schema: Record<string, unknown>) => ({ type: "json_schema" as const, name: "answer", schema });

describe("response_format schema checks", () => {
  const validators = new SchemaValidators();
  const person = { type: "object", properties: { name: { type: "string" }, email: { type: "string", format: "email" } }, required: ["name"] };

  it("pass answers that match and name what is wrong with those that do not", () => {
    expect(validators.check(format(person), '{"name": "Ada", "email": "ada@example.com"}')).toEqual({ valid: true });
    expect(validators.check(format(person), '{"email": "not an address"}')).toEqual({
      valid: false,
      errors: ["(root) must have required property 'name'", '/email must match format "email"'],
    });
    expect(validators.check({ type: "json_object" }, "[1, 2]")).toEqual({ valid: false, errors: ["(root) must be a JSON object"] });
    expect(validators.check({ type: "json_object" }, '{"a": 1}')).toEqual({ valid: true });
    expect(validators.check({ type: "text" }, "anything")).toEqual({ valid: true });
    expect(validators.check(undefined, "anything")).toEqual({ valid: true });
  });

  it("never quote the answer in an error (it may hold what other guards keep back)", () => {
    const checked = validators.check(format(person), "Sure! Card 4111 1111 1111 1111");
    expect(checked).toEqual({ valid: false, errors: ["the answer is not valid JSON"] });
  });

  it("compile a schema once and keep two tenants' schemas with the same $id apart", () => {
    expect(validators.validatorFor(person)).toBe(validators.validatorFor(structuredClone(person)));
    const a = { $id: "https://example.test/answer", type: "object", required: ["a"] };
    const b = { $id: "https://example.test/answer", type: "object", required: ["b"] };
    expect(validators.check(format(a), '{"a": 1}')).toEqual({ valid: true });
    expect(validators.check(format(b), '{"b": 1}')).toEqual({ valid: true });
    expect(validators.check(format(b), '{"a": 1}').valid).toBe(false);
  });

  it("keep working past the cache's bound", () => {
    for (let i = 0; i < 300; i++) {
      expect(validators.check(format({ type: "object", required: [`k${i}`] }), `{"k${i}": true}`)).toEqual({ valid: true });
    }
    expect(validators.check(format({ type: "object", required: ["k0"] }), "{}").valid).toBe(false);
  });

  it("refuse schemas that are not safe to run on model output, and accept ordinary patterns", () => {
    const refusal = (schema: Record<string, unknown>) => {
      try {
        validators.validatorFor(schema);
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(GatehouseError);
        expect((error as GatehouseError).field).toBe("response_format.json_schema.schema");
        return (error as GatehouseError).message;
      }
    };
    expect(refusal({ type: "string", pattern: "^(a+)+$" })).toMatch(/nests quantifiers/);
    expect(refusal({ type: "object", patternProperties: { "^(\\w*)*$": { type: "string" } } })).toMatch(/nests quantifiers/);
    let deep: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 30; i++) deep = { type: "object", properties: { x: deep } };
    expect(refusal(deep)).toMatch(/nests deeper than/);
    expect(refusal({ type: "object", description: "x".repeat(120_000) })).toMatch(/larger than/);
    expect(refusal({ type: "object", properties: { n: { type: 12 } } })).toMatch(/not a valid JSON Schema/);
    expect(refusal({ type: "string", pattern: "^[A-Z]{2}-\\d{3,6}$" })).toBeUndefined();
    expect(refusal({ type: "string", pattern: "^(\\d{3}-)?\\d{4}$" })).toBeUndefined();
    // Repetition nested at any depth, behind group prefixes and exact counts.
    for (const pattern of ["^((ab)+)+$", "^(?:(?:a+)b?)+$", "(a{2,}){3,}", "(a+){10}", "(?<word>\\w+\\s?)*"]) {
      expect(refusal({ type: "string", pattern }), pattern).toMatch(/nests quantifiers/);
    }
    // Fixed counts, alternation, and quantifiers inside a class or escaped are not nested repetition.
    for (const pattern of ["(\\d{3}-){2}", "^(foo|bar)+$", "^[(a+)]+$", "^\\(a+\\)+$", "^(abc)+$"]) {
      expect(refusal({ type: "string", pattern }), pattern).toBeUndefined();
    }
  });
});
