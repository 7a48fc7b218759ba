import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { GatehouseError, type ErrorCode } from "../shared/errors.js";

export const statusOf: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  upstream_failed: 502,
  unavailable: 503,
};

export interface ErrorBody {
  error: { code: ErrorCode | string; message: string; field?: string };
}

const codeForStatus = (status: number): ErrorCode | string =>
  (Object.entries(statusOf).find(([, s]) => s === status)?.[0] as ErrorCode | undefined) ?? "invalid_request";

/** Errors from the stores that mean "try again later", not "the request was wrong". */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return false;
  return (
    code.startsWith("ECONN") ||
    code === "ETIMEDOUT" ||
    code === "EPIPE" ||
    code === "SQLITE_BUSY" ||
    code === "SQLITE_IOERR" ||
    code === "SQLITE_FULL" ||
    /^(08|53|57)/.test(code)
  );
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** Maps any error to a status and the admin API's error shape; nothing reaches the client as a stack trace. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof GatehouseError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.field) body.error.field = error.field;
    return { status: statusOf[error.code], body };
  }
  if (isUniqueViolation(error)) {
    return { status: 409, body: { error: { code: "conflict", message: "the record was changed concurrently; retry" } } };
  }
  if (isUnavailable(error)) {
    return { status: 503, body: { error: { code: "unavailable", message: "the store is unavailable; nothing was changed" } } };
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const message =
      fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? "request body is larger than the configured limit"
        : (fastifyError.message ?? "bad request");
    return { status, body: { error: { code: codeForStatus(status), message, ...(status === 400 ? { field: "body" } : {}) } } };
  }
  return { status: 500, body: { error: { code: "internal_error", message: "internal error; see the server log for the request id" } } };
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toErrorResponse(error);
  if (status >= 500) request.log.error({ err: error }, "request failed");
  return reply.code(status).send(body);
}

/** The one answer for a route that does not exist. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send({ error: { code: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` } });
}

const maxBodyDepth = 64;

/**
 * Refuses bodies nested deeper than any schema needs, before anything recursive (validation,
 * canonical JSON, diffs) walks them. The walk itself uses an explicit stack.
 */
export async function limitBodyDepth(request: FastifyRequest): Promise<void> {
  const stack: [unknown, number][] = [[request.body, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (value === null || typeof value !== "object") continue;
    if (depth >= maxBodyDepth) throw new GatehouseError("invalid_request", `body: nested more than ${maxBodyDepth} levels deep`, "body");
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
}
