import type { Logger } from "@regwatch/core/http";
import { createHttpClient, type ValidatorStore } from "@regwatch/fetch/http-client";

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The real HTTP client, pointed at local servers, one attempt, no politeness wait. */
export function testHttpClient(
  originMap: Record<string, string>,
  options: { maxBytes?: number; validators?: ValidatorStore } = {},
) {
  return createHttpClient({
    userAgent: "regwatch-test",
    timeoutMs: 5000,
    maxBytes: options.maxBytes ?? 10 * 1024 * 1024,
    hostIntervalMs: 0,
    attempts: 1,
    originMap,
    validators: options.validators,
  });
}
