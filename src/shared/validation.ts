import type { z } from "zod";
import { invalid } from "./errors.js";

/** Formats a zod issue path the way users write it: spec.capabilities.tools[0]. */
export function fieldPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "body";
}

/** Parses input with a zod schema, or throws invalid_request naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ""): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = fieldPath(issue?.path ?? [], prefix);
  throw invalid(field, `${field}: ${issue?.message ?? "invalid"}`);
}
