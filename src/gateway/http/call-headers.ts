import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { parseInput } from "../../shared/validation.js";
import type { CallHeaders } from "../pipeline/model-call.js";

const headerValue = (max: number) => z.string().trim().min(1).max(max).optional();

/** The x-gatehouse-* headers a call may carry; each is optional and recorded with the call. */
const callHeadersSchema = z.object({
  "x-gatehouse-task-id": z.string().regex(/^[A-Za-z0-9._:#-]{1,200}$/, "must be 1-200 letters, digits or . _ : # -").optional(),
  "x-gatehouse-purpose": headerValue(500),
  "x-gatehouse-business-unit": headerValue(100),
  "x-gatehouse-task-class": z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, "must be a task class name such as chat").optional(),
  "x-gatehouse-data-region": z.string().regex(/^[a-z]{2}(-[a-z0-9-]+)?$/, "must be a region code such as eu, us or eu-west-1").optional(),
});

export function callHeadersOf(request: FastifyRequest): CallHeaders {
  const h = parseInput(callHeadersSchema, request.headers, "headers");
  return {
    taskId: h["x-gatehouse-task-id"],
    purpose: h["x-gatehouse-purpose"],
    businessUnit: h["x-gatehouse-business-unit"],
    taskClass: h["x-gatehouse-task-class"],
    dataRegion: h["x-gatehouse-data-region"],
  };
}

/** The presented key: Authorization: Bearer (OpenAI clients) or x-api-key (Anthropic clients). */
export function apiKeyOf(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === "string") {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  const key = request.headers["x-api-key"];
  return typeof key === "string" && key.length > 0 ? key : undefined;
}

/** The body extension that names a prompt template: {"gatehouse_template": {"name", "version"?, "variables"?}}. */
export const templateSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, "must be a template name"),
    version: z.number().int().min(1).optional(),
    variables: z.record(z.string(), z.string().max(100_000)).default({}),
  })
  .strict();
