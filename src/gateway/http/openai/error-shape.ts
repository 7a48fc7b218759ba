import type { GatewayError } from "../errors.js";

const typeByStatus: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "invalid_request_error",
  409: "invalid_request_error",
  413: "invalid_request_error",
  415: "invalid_request_error",
  429: "rate_limit_error",
  502: "upstream_error",
  503: "service_unavailable",
};

/** OpenAI's error object: {error: {message, type, param, code}}. */
export function openAiError(error: GatewayError) {
  const code = error.status === 404 && error.field === "model" ? "model_not_found" : error.status === 401 ? "invalid_api_key" : error.code;
  return {
    error: {
      message: error.message,
      type: typeByStatus[error.status] ?? (error.status >= 500 ? "server_error" : "invalid_request_error"),
      param: error.field ?? null,
      code,
    },
  };
}
