import { z } from "zod";
import { recordName } from "../../registry/kinds.js";

const scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);
type Scalar = z.output<typeof scalar>;

/**
 * A constraint on one argument of the calls a grant covers: exactly one of equals (a value),
 * in (one of a list), prefix (a string starting so), or min and/or max (a number in range).
 */
export const argumentConstraint = z
  .object({
    equals: scalar.optional(),
    in: z.array(scalar).min(1).max(100).optional(),
    prefix: z.string().min(1).max(1000).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict()
  .refine((c) => ["equals", "in", "prefix"].filter((k) => k in c).length + (c.min !== undefined || c.max !== undefined ? 1 : 0) === 1, {
    message: "name exactly one of equals, in, prefix, or min and/or max",
  });
export type ArgumentConstraint = z.output<typeof argumentConstraint>;

/**
 * What a grant covers within its resource: read-only use, one table, one row of it, and
 * constraints on arguments. Tools that act on a table name it in an argument called `table`,
 * and the row in one called `row`; a grant scoped to a table (or row) covers only calls that
 * name it. Arguments the scope does not mention are unconstrained.
 */
export const grantScope = z
  .object({
    readOnly: z.boolean().default(false),
    table: z.string().min(1).max(200).optional(),
    row: z.union([z.string().min(1).max(200), z.number().int()]).optional(),
    arguments: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/, "must be an argument name"), argumentConstraint)
      .refine((a) => Object.keys(a).length <= 50, "at most 50 constrained arguments")
      .default({}),
  })
  .strict()
  .refine((s) => s.row === undefined || s.table !== undefined, { path: ["row"], message: "a row is named within a table: give table too" });
export type GrantScope = z.output<typeof grantScope>;

export const resourceKinds = ["tool", "data_source"] as const;
export type GrantResourceKind = (typeof resourceKinds)[number];
export const grantActions = ["call", "read", "write"] as const;
export type GrantAction = (typeof grantActions)[number];

/** The longest (and default) time a grant lives. */
export const MAX_GRANT_SECONDS = 300;

export const grantRequestBody = z
  .object({
    resource: z.object({ kind: z.enum(resourceKinds), name: recordName }).strict(),
    /** Tools: call (the default). Data sources: read (the default) and/or write. */
    actions: z.array(z.enum(grantActions)).min(1).max(3).optional(),
    scope: grantScope.prefault({}),
    ttlSeconds: z.number().int().min(1).max(MAX_GRANT_SECONDS, `grants live at most ${MAX_GRANT_SECONDS} s`).default(MAX_GRANT_SECONDS),
  })
  .strict()
  .transform((body, ctx) => {
    const actions = [...new Set(body.actions ?? [body.resource.kind === "tool" ? "call" : "read"])].sort() as GrantAction[];
    if (body.resource.kind === "tool" && actions.some((a) => a !== "call")) {
      ctx.addIssue({ code: "custom", path: ["actions"], message: "a tool grant's only action is call" });
    }
    if (body.resource.kind === "data_source" && actions.includes("call")) {
      ctx.addIssue({ code: "custom", path: ["actions"], message: "a data source grant's actions are read and write" });
    }
    if (body.scope.readOnly && actions.includes("write")) ctx.addIssue({ code: "custom", path: ["actions"], message: "a read-only grant cannot write" });
    return { ...body, actions };
  });
export type GrantRequest = z.output<typeof grantRequestBody>;

export type Coverage = { covered: true } | { covered: false; reason: string };

const show = (value: unknown): string => JSON.stringify(value)?.slice(0, 100) ?? String(value);

function satisfies(value: unknown, c: ArgumentConstraint): boolean {
  if ("equals" in c) return value === c.equals;
  if (c.in !== undefined) return c.in.includes(value as Scalar);
  if (c.prefix !== undefined) return typeof value === "string" && value.startsWith(c.prefix);
  return typeof value === "number" && Number.isFinite(value) && (c.min === undefined || value >= c.min) && (c.max === undefined || value <= c.max);
}

const sameKey = (a: unknown, b: string | number): boolean => (typeof a === "string" || typeof a === "number") && String(a) === String(b);

/**
 * Whether a scope covers one use of its resource: a read-only scope covers only read use (a tool
 * whose side effect is read); a table or row scope only calls naming that table or row; each
 * constrained argument must be present and satisfy its constraint. Fails closed: arguments that
 * are not an object are covered by nothing.
 */
export function scopeCovers(scope: GrantScope, use: { sideEffect: "read" | "write" | "egress"; arguments: unknown }): Coverage {
  const args = use.arguments;
  if (typeof args !== "object" || args === null || Array.isArray(args)) return { covered: false, reason: "the call's arguments are not an object" };
  const values = args as Record<string, unknown>;
  if (scope.readOnly && use.sideEffect !== "read") return { covered: false, reason: `the grant is read-only and the tool's side effect is ${use.sideEffect}` };
  if (scope.table !== undefined && !sameKey(values.table, scope.table)) {
    return { covered: false, reason: `the grant covers table ${show(scope.table)}, the call names ${show(values.table)}` };
  }
  if (scope.row !== undefined && !sameKey(values.row, scope.row)) {
    return { covered: false, reason: `the grant covers row ${show(scope.row)}, the call names ${show(values.row)}` };
  }
  for (const [name, constraint] of Object.entries(scope.arguments)) {
    if (!Object.hasOwn(values, name)) return { covered: false, reason: `argument ${name} is constrained by the grant and missing from the call` };
    if (!satisfies(values[name], constraint)) {
      return { covered: false, reason: `argument ${name} = ${show(values[name])} is outside the grant (${show(constraint)})` };
    }
  }
  return { covered: true };
}
