import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/shared/json.js";

/** The reference: JSON.stringify of a copy whose object keys are sorted (which JS cannot do for integer-like keys). */
function reference(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") return sort((v as { toJSON(): unknown }).toJSON());
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value)) ?? "null";
}

describe("canonicalJson", () => {
  const cases: [string, unknown][] = [
    ["scalars", [null, true, false, 0, -0, 1.5, 1e21, -1e-7, NaN, Infinity, "", "x"]],
    ["keys in code-unit order, at every depth", { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null }, B: 2, "é": 3, _: 4, "-": 5 }],
    ["strings that need escaping", { 'q"': 'quote " backslash \\ newline \n tab \t', ctl: "\u0000\u001f\u2028\u2029", emoji: "😀 漢字", lone: "\ud800" }],
    ["undefined, functions and symbols: left out of objects, null in arrays", { u: undefined, f: () => 1, s: Symbol("s"), list: [undefined, () => 1, Symbol("t"), 1] }],
    ["values with toJSON", { at: new Date(1_700_000_000_000), nested: { toJSON: () => ({ b: 2, a: 1 }) } }],
    ["empty containers", { a: {}, b: [], c: [[]], d: [{}] }],
  ];

  it.each(cases)("writes %s exactly as JSON.stringify of a sorted copy", (_name, value) => {
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it("gives equal text for equal values built in any key order", () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe('{"a":1,"b":{"c":2,"d":3}}');
  });

  it("sorts integer-like keys as text too (RFC 8785 order), where a JS object would put them first", () => {
    expect(canonicalJson({ "9": 5, "10": 4, a: 1 })).toBe('{"10":4,"9":5,"a":1}');
  });

  it("refuses a BigInt, as JSON.stringify does", () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});
