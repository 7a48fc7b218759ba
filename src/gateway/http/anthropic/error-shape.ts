import type { GatewayError } from "../errors.js";

const typeByStatus: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  409: "invalid_request_error",
  413: "request_too_large",
  415: "invalid_request_error",
  429: "rate_limit_error",
  502: "api_error",
  503: "api_error",
};

/** Anthropic's error object: {type: "error", error: {type, message}}. */
export function anthropicError(error: GatewayError) {
  return {
    type: "error",
    error: { type: typeByStatus[error.status] ?? (error.status >= 500 ? "api_error" : "invalid_request_error"), message: error.message },
  };
}
