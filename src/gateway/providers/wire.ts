import type { z } from "zod";
import { UpstreamError } from "../routing/upstream-error.js";
import type { UpstreamTarget } from "./provider.js";

/** Checks an upstream answer against the wire format's schema; anything else is a malformed answer. */
export function parseWire<S extends z.ZodType>(target: UpstreamTarget, schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
  throw new UpstreamError("malformed", target.name, `upstream ${target.name} sent a malformed ${what}${where}: ${issue?.message ?? "invalid"}`);
}
