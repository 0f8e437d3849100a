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
