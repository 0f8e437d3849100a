// Errors are named for what the system must do about them; the pipeline maps
// them to retry, quarantine or operator alerts in one place.

/** The source could not be reached or answered 5xx: retry with backoff. */
export class SourceUnavailableError extends Error {
  override name = "SourceUnavailableError";
}

/** The source asked us to slow down: wait, do not count an attempt. */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

/** The document is not what the parser knows (malformed, wrong root, unknown shape): do not retry, alert the operator. */
export class SourceShapeChangedError extends Error {
  override name = "SourceShapeChangedError";
}

/**
 * An address regwatch must not fetch from: a watched URL with another
 * scheme or with credentials, or a host that is (or resolves to) a private,
 * loopback, link-local or reserved address, refused before the request or
 * when the connection is made. Retrying does not help: a person must look
 * (the CLI reports it as bad usage).
 */
export class UnsafeUrlError extends SourceShapeChangedError {
  override name = "UnsafeUrlError";
}

/** The parsed snapshot breaks the source's expectations: quarantine it. */
export class ExpectationFailedError extends Error {
  override name = "ExpectationFailedError";
}

/** A body larger than the configured cap: keep nothing, alert the operator. */
export class ResponseTooLargeError extends Error {
  override name = "ResponseTooLargeError";
}

/** A command was called wrongly (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The service is stopping; not a source failure. Requests and waits in flight are abandoned. */
export class AbortedError extends Error {
  override name = "AbortedError";
}

/** A source's health as operators see it. stale: what regwatch holds may be out of date (an older version served, or no success for several scheduled runs). */
export type Health = "healthy" | "unreachable" | "stale" | "quarantined" | "broken" | "unknown";

/** What went wrong, in the words source health and metrics use. */
export type ErrorKind =
  | "unreachable"
  | "rate-limited"
  | "shape-changed"
  | "expectation-failed"
  | "too-large"
  | "unexpected";

/**
 * What a runner does after a failure: try again with exponential backoff
 * (spending an attempt), try again after a delay without spending one (the
 * publisher asked us to slow down; `ms` null: the runner's default), or
 * never (the document must be looked at first).
 */
export type RetryPolicy = { kind: "backoff" } | { kind: "delay"; ms: number | null } | { kind: "never" };

export interface Failure {
  kind: ErrorKind;
  health: Health;
  retry: RetryPolicy;
  reason: string;
}

/**
 * The one place that decides what a failure means: the health it leaves the
 * source in and how it is retried. Every failure recorded against a source
 * is classified here.
 */
export function classifyError(err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RateLimitedError)
    return {
      kind: "rate-limited",
      health: "unreachable",
      retry: { kind: "delay", ms: err.retryAfterMs },
      reason: message,
    };
  if (err instanceof SourceUnavailableError)
    return { kind: "unreachable", health: "unreachable", retry: { kind: "backoff" }, reason: message };
  if (err instanceof SourceShapeChangedError)
    return { kind: "shape-changed", health: "broken", retry: { kind: "never" }, reason: message };
  if (err instanceof ExpectationFailedError)
    return { kind: "expectation-failed", health: "quarantined", retry: { kind: "never" }, reason: message };
  if (err instanceof ResponseTooLargeError)
    return { kind: "too-large", health: "broken", retry: { kind: "never" }, reason: message };
  // A bug, or the database gone for a moment: worth another attempt, and an operator's look.
  return {
    kind: "unexpected",
    health: "broken",
    retry: { kind: "backoff" },
    reason: `unexpected: ${message}`,
  };
}
