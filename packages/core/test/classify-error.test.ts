import { describe, expect, it } from "vitest";
import {
  classifyError,
  ExpectationFailedError,
  RateLimitedError,
  ResponseTooLargeError,
  SourceShapeChangedError,
  SourceUnavailableError,
} from "../src/errors.ts";

describe("classifyError", () => {
  it("retries an unreachable source with backoff and says it is unreachable", () => {
    expect(classifyError(new SourceUnavailableError("www.ecfr.gov: 503"))).toEqual({
      kind: "unreachable",
      health: "unreachable",
      retry: { kind: "backoff" },
      reason: "www.ecfr.gov: 503",
    });
  });

  it("waits as long as the publisher asked when rate limited, without spending an attempt", () => {
    expect(classifyError(new RateLimitedError("429", 120_000))).toMatchObject({
      kind: "rate-limited",
      health: "unreachable",
      retry: { kind: "delay", ms: 120_000 },
    });
    expect(classifyError(new RateLimitedError("429", null)).retry).toEqual({ kind: "delay", ms: null });
  });

  it("never retries what someone must look at first", () => {
    expect(classifyError(new SourceShapeChangedError("no root"))).toMatchObject({
      kind: "shape-changed",
      health: "broken",
      retry: { kind: "never" },
    });
    expect(classifyError(new ExpectationFailedError("too few"))).toMatchObject({
      kind: "expectation-failed",
      health: "quarantined",
      retry: { kind: "never" },
    });
    expect(classifyError(new ResponseTooLargeError("70 MB"))).toMatchObject({
      kind: "too-large",
      health: "broken",
      retry: { kind: "never" },
    });
  });

  it("treats anything else as unexpected: broken, retried, and says so", () => {
    expect(classifyError(new TypeError("x is undefined"))).toEqual({
      kind: "unexpected",
      health: "broken",
      retry: { kind: "backoff" },
      reason: "unexpected: x is undefined",
    });
    expect(classifyError("a string").reason).toBe("unexpected: a string");
  });
});
