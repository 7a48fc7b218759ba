/**
 * How a call to an upstream model provider failed. Providers throw this and nothing else for
 * upstream failures; the router decides from `kind` and `status` whether to retry, fall back
 * or give up, and the record names the failure.
 */
export type UpstreamFailure =
  /** No answer within the deadline. */
  | "timeout"
  /** Refused, reset or unreachable before an answer. */
  | "connection"
  /** An HTTP error status from the upstream (see `status`). */
  | "status"
  /** A stream that ended or failed before its first token. */
  | "stream_broken"
  /** An answer that does not parse as the provider's wire format. */
  | "malformed";

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailure,
    /** The upstream that failed: the model record's name. */
    readonly upstream: string,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = "UpstreamError";
  }

  get status(): number | undefined {
    return this.details.status;
  }

  /** The upstream's Retry-After, in milliseconds, when it sent one. */
  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }

  /** Failures another attempt or another upstream may not repeat: timeouts, connection errors, 429 and 5xx, broken streams. */
  get retryable(): boolean {
    if (this.kind === "status") return this.status === 429 || (this.status !== undefined && this.status >= 500);
    return this.kind !== "malformed";
  }
}
