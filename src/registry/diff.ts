import { createPatch } from "diff";
import { jsonEqual } from "../shared/json.js";

export interface FieldChange {
  /** Dotted path of the changed field, e.g. spec.capabilities.tools. */
  path: string;
  op: "add" | "remove" | "change";
  before?: unknown;
  after?: unknown;
  /** Unified line diff, for multi-line text such as Cedar policies and prompt templates. */
  patch?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Field-by-field difference between two JSON values; objects recurse, arrays and scalars compare whole. */
export function diffValues(before: unknown, after: unknown, path = ""): FieldChange[] {
  if (jsonEqual(before, after)) return [];
  if (before === undefined) return [{ path, op: "add", after }];
  if (after === undefined) return [{ path, op: "remove", before }];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffValues(before[key], after[key], path ? `${path}.${key}` : key));
  }
  const change: FieldChange = { path, op: "change", before, after };
  if (typeof before === "string" && typeof after === "string" && (before.includes("\n") || after.includes("\n"))) {
    change.patch = createPatch(path, before, after, "before", "after");
  }
  return [change];
}
