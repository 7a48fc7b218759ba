import { describe, expect, it } from "vitest";
import { grantRequestBody, grantScope, scopeCovers } from "../../src/agents/grants/scope.js";
import type { GatehouseError } from "../../src/shared/errors.js";
import { parseInput } from "../../src/shared/validation.js";

const scope = (value: unknown) => grantScope.parse(value);
const read = (args: unknown) => ({ sideEffect: "read" as const, arguments: args });

describe("grant scopes", () => {
  it("covers any arguments when unconstrained, and nothing that is not an argument object", () => {
    expect(scopeCovers(scope({}), read({ id: 1, anything: "goes" }))).toEqual({ covered: true });
    for (const args of [null, "id=1", [1], 42]) expect(scopeCovers(scope({}), read(args)).covered).toBe(false);
  });

  it("read-only covers only tools whose side effect is read", () => {
    expect(scopeCovers(scope({ readOnly: true }), read({})).covered).toBe(true);
    for (const sideEffect of ["write", "egress"] as const) {
      expect(scopeCovers(scope({ readOnly: true }), { sideEffect, arguments: {} })).toEqual({
        covered: false,
        reason: `the grant is read-only and the tool's side effect is ${sideEffect}`,
      });
    }
    expect(scopeCovers(scope({}), { sideEffect: "write", arguments: {} }).covered).toBe(true);
  });

  it("a table and a row cover only calls that name them", () => {
    const s = scope({ table: "orders", row: 12345 });
    expect(scopeCovers(s, read({ table: "orders", row: 12345 })).covered).toBe(true);
    expect(scopeCovers(s, read({ table: "orders", row: "12345" })).covered).toBe(true);
    expect(scopeCovers(s, read({ table: "orders", row: 12346 }))).toMatchObject({ covered: false, reason: expect.stringMatching(/row 12345/) });
    expect(scopeCovers(s, read({ table: "customers", row: 12345 }))).toMatchObject({ covered: false, reason: expect.stringMatching(/table "orders"/) });
    expect(scopeCovers(s, read({ row: 12345 })).covered).toBe(false);
    expect(scopeCovers(scope({ table: "orders" }), read({ table: "orders", row: 1 })).covered).toBe(true);
    expect(scopeCovers(scope({ table: "orders" }), read({ table: { toString: "orders" } })).covered).toBe(false);
  });

  it("argument constraints: equals, in, prefix, min/max; a constrained argument must be present", () => {
    const s = scope({
      arguments: {
        id: { equals: "12345" },
        currency: { in: ["EUR", "USD"] },
        path: { prefix: "/orders/" },
        amount: { min: 0, max: 100 },
      },
    });
    const ok = { id: "12345", currency: "EUR", path: "/orders/12345", amount: 99.5, note: "free" };
    expect(scopeCovers(s, read(ok)).covered).toBe(true);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ id: 12345 }, /argument id = 12345 is outside/],
      [{ currency: "GBP" }, /argument currency = "GBP"/],
      [{ path: "/customers/1" }, /argument path/],
      [{ path: 7 }, /argument path/],
      [{ amount: 100.01 }, /argument amount/],
      [{ amount: -1 }, /argument amount/],
      [{ amount: "50" }, /argument amount/],
    ];
    for (const [change, reason] of cases) {
      const result = scopeCovers(s, read({ ...ok, ...change }));
      expect(result, JSON.stringify(change)).toMatchObject({ covered: false, reason: expect.stringMatching(reason) });
    }
    const { amount: _amount, ...missing } = ok;
    expect(scopeCovers(s, read(missing))).toEqual({ covered: false, reason: "argument amount is constrained by the grant and missing from the call" });
    // Inherited properties are not arguments.
    expect(scopeCovers(scope({ arguments: { toString: { prefix: "f" } } }), read({})).covered).toBe(false);
    expect(scopeCovers(scope({ arguments: { flag: { equals: null } } }), read({ flag: null })).covered).toBe(true);
  });

  it("refuses malformed scopes and requests, naming the field", () => {
    const field = (value: unknown) => {
      try {
        parseInput(grantRequestBody, value);
        return "accepted";
      } catch (error) {
        return (error as GatehouseError).field;
      }
    };
    const tool = { kind: "tool", name: "lookup" };
    expect(field({ resource: tool })).toBe("accepted");
    expect(field({ resource: tool, ttlSeconds: 301 })).toBe("ttlSeconds");
    expect(field({ resource: tool, ttlSeconds: 0 })).toBe("ttlSeconds");
    expect(field({ resource: tool, actions: ["read"] })).toBe("actions");
    expect(field({ resource: { kind: "data_source", name: "kb" }, actions: ["call"] })).toBe("actions");
    expect(field({ resource: { kind: "data_source", name: "kb" }, actions: ["write"], scope: { readOnly: true } })).toBe("actions");
    expect(field({ resource: { kind: "model", name: "x" } })).toBe("resource.kind");
    expect(field({ resource: tool, scope: { row: 5 } })).toBe("scope.row");
    expect(field({ resource: tool, scope: { arguments: { id: { equals: 1, prefix: "a" } } } })).toBe("scope.arguments.id");
    expect(field({ resource: tool, scope: { arguments: { id: {} } } })).toBe("scope.arguments.id");
    expect(field({ resource: tool, scope: { arguments: { "bad name": { equals: 1 } } } })).toBe("scope.arguments.bad name");
    expect(field({ resource: tool, scope: { columns: ["a"] } })).toBe("scope");
    const parsed = parseInput(grantRequestBody, { resource: { kind: "data_source", name: "kb" } });
    expect(parsed).toMatchObject({ actions: ["read"], ttlSeconds: 300, scope: { readOnly: false, arguments: {} } });
  });
});
