import { GatehouseError, type ErrorCode } from "../../shared/errors.js";
import { toErrorResponse } from "../../http/errors.js";
import { UpstreamError } from "../routing/upstream-error.js";

/** An error as the gateway reports it, before each API puts it in its own shape. */
export interface GatewayError {
  status: number;
  code: ErrorCode | string;
  message: string;
  field?: string;
  retryAfterSeconds?: number;
}

/** Maps any error to a status and message; upstream failures are 502, nothing leaks a stack trace. */
export function gatewayErrorOf(error: unknown): GatewayError {
  if (error instanceof UpstreamError) {
    return { status: 502, code: "upstream_failed", message: `the model's upstream failed: ${error.message}` };
  }
  const { status, body } = toErrorResponse(error);
  const retryAfterSeconds = error instanceof GatehouseError ? error.retryAfterSeconds : undefined;
  return { status, code: body.error.code, message: body.error.message, field: body.error.field, retryAfterSeconds };
}
