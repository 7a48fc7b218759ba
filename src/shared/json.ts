export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * JSON with object keys in sorted order, so equal values always serialise to equal text. The
 * same text as JSON.stringify of a key-sorted copy, written without the copy: it is on the path
 * of every recorded event. Most values are built with their keys in order already; those are
 * handed to JSON.stringify whole, which writes them twice as fast as the walk below.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? "null";
}

/**
 * Whether JSON.stringify writes the value canonically: every object's own keys are in code-unit
 * order (Object.keys puts integer-like keys first, which fails this for those) and none has a
 * toJSON, whose answer JSON.stringify would write in its own key order.
 */
function inKeyOrder(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!inKeyOrder(value[i])) return false;
    return true;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && (keys[i - 1] as string) >= (keys[i] as string)) return false;
    if (!inKeyOrder((value as Record<string, unknown>)[keys[i] as string])) return false;
  }
  return true;
}

function write(value: unknown): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "number":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (inKeyOrder(value)) return JSON.stringify(value);
      return Array.isArray(value) ? writeArray(value) : writeObject(value as Record<string, unknown>);
    case "bigint":
      throw new TypeError("a BigInt cannot be serialised as JSON");
    default:
      return undefined;
  }
}

function writeArray(values: unknown[]): string {
  let out = "[";
  for (let i = 0; i < values.length; i++) out += (i === 0 ? "" : ",") + (write(values[i]) ?? "null");
  return out + "]";
}

function writeObject(object: Record<string, unknown>): string {
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return write(toJSON.call(object)) ?? "null";
  const keys = Object.keys(object).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const text = write(object[key]);
    if (text === undefined) continue;
    out += (first ? "" : ",") + JSON.stringify(key) + ":" + text;
    first = false;
  }
  return out + "}";
}

export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export const jsonEqual = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** A JSON object (not null, not an array). */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** Array.isArray without its any[]: the elements stay unknown until checked. */
export const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
