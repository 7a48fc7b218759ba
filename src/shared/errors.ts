/**
 * Domain errors carry a code that every surface maps the same way (HTTP status, CLI exit).
 * Services throw them; only the HTTP layer turns them into responses.
 */
export type ErrorCode =
  | "invalid_request"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "rate_limited"
  | "upstream_failed"
  | "unavailable";

export class GatehouseError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The request field at fault, for invalid_request. */
    readonly field?: string,
    options?: ErrorOptions & { retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = "GatehouseError";
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** For rate_limited and unavailable: when the caller may try again (the Retry-After header). */
  readonly retryAfterSeconds: number | undefined;
}

export const invalid = (field: string, message: string) => new GatehouseError("invalid_request", message, field);
export const notFound = (what: string) => new GatehouseError("not_found", `${what} not found`);
export const conflict = (message: string) => new GatehouseError("conflict", message);
export const forbidden = (message: string) => new GatehouseError("forbidden", message);
