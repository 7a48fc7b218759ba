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
    expect(canonicalJson({ a: [{ b: { "2": 1, "11": 2 } }] })).toBe('{"a":[{"b":{"11":2,"2":1}}]}');
  });

  it("writes random values exactly as the reference, whether their keys come in order or not", () => {
    let seed = 7;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    // No integer-like keys: the reference cannot order them (the test below covers them).
    const keyPool = ["a", "b", "c", "id", "at", "Z", "é", "_x", "seq", "-"];
    const valueOf = (depth: number): unknown => {
      switch (random(depth > 3 ? 4 : 7)) {
        case 0: return random(1000) - 500;
        case 1: return `s${random(50)}\n"`;
        case 2: return random(2) === 0 ? null : random(2) === 0;
        case 3: return undefined;
        case 4: return Array.from({ length: random(4) }, () => valueOf(depth + 1));
        case 5: {
          if (random(6) === 0) return new Date(random(1e9));
          const inner = valueOf(depth + 1);
          return { toJSON: () => ({ y: 1, x: inner }) };
        }
        default: {
          const keys = [...new Set(Array.from({ length: random(6) }, () => keyPool[random(keyPool.length)] as string))];
          // Half the objects are built with their keys in order, as most recorded values are.
          if (random(2) === 0) keys.sort();
          return Object.fromEntries(keys.map((k) => [k, valueOf(depth + 1)]));
        }
      }
    };
    for (let i = 0; i < 3000; i++) {
      const value = valueOf(0);
      expect(canonicalJson(value)).toBe(reference(value));
    }
  });

  it("refuses a BigInt, as JSON.stringify does", () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
    expect(() => canonicalJson({ b: { n: 1n }, a: 1 })).toThrow(TypeError);
  });
});
