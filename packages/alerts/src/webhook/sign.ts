// Signatures that let a receiver tell our webhook posts from anyone else's.
//
// Each subscription has its own secret, derived rather than stored:
//   secret = "whsec_" + hex(HMAC-SHA256(key = SECRET_KEY, data = "webhook:" + subscription id))
// It is shown to the subscriber once the webhook is set up; changing
// SECRET_KEY changes every subscription's secret (and every link token).
//
// Each post carries
//   X-Regwatch-Timestamp: <Unix seconds>
//   X-Regwatch-Signature: v1=<hex(HMAC-SHA256(key = secret, data = timestamp + "." + body))>
// The timestamp is inside the MAC so a captured post cannot be replayed
// later; "v1=" names the scheme so a second one can be added beside it (the
// header may hold several comma-separated values, any of which may match).

import { createHmac, timingSafeEqual } from "node:crypto";

export const TIMESTAMP_HEADER = "X-Regwatch-Timestamp";
export const SIGNATURE_HEADER = "X-Regwatch-Signature";

const SECRET_PREFIX = "whsec_";
// Five minutes either way: room for clock skew and a slow receiver, short
// enough that a captured post is useless soon after.
const DEFAULT_TOLERANCE_SECONDS = 300;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function hmacHex(key: string, data: string): string {
  return createHmac("sha256", key).update(data, "utf8").digest("hex");
}

/** The signing secret of one subscription's webhook ("whsec_" and 64 hex digits). */
export function webhookSecret(secretKey: string, subscriptionId: string): string {
  if (typeof secretKey !== "string" || secretKey.length === 0) {
    throw new TypeError("webhook secret key must be a non-empty string (set SECRET_KEY)");
  }
  if (typeof subscriptionId !== "string" || subscriptionId.length === 0) {
    throw new TypeError("subscription id must be a non-empty string");
  }
  return SECRET_PREFIX + hmacHex(secretKey, `webhook:${subscriptionId}`);
}

function unixSeconds(at: Date): number {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new TypeError("signature time must be a valid Date");
  return Math.floor(ms / 1000);
}

/** The headers that sign `body` (the exact bytes posted, as a string) at `at`. */
export function signatureHeaders(secret: string, body: string, at: Date): Record<string, string> {
  const timestamp = String(unixSeconds(at));
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `v1=${hmacHex(secret, `${timestamp}.${body}`)}`,
  };
}

/** A header's value whatever the case of its name, as Node (lower case) or a test (as sent) gives it. */
function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value.join(",") : value;
  }
  return null;
}

/**
 * What a receiver runs on each post: true when `headers` carry a "v1"
 * signature of `body` under `secret` and a timestamp within
 * `toleranceSeconds` of `now`. `body` must be the raw request body, before
 * any JSON parsing. Signatures are compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  headers: Record<string, string | string[] | undefined>,
  now: Date,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  const timestamp = header(headers, TIMESTAMP_HEADER)?.trim() ?? "";
  const signatures = header(headers, SIGNATURE_HEADER) ?? "";
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(unixSeconds(now) - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, `${timestamp}.${body}`), "hex");
  let matched = false;
  for (const item of signatures.split(",")) {
    const [scheme, value = ""] = item.trim().split("=", 2);
    if (scheme !== "v1" || !HEX_SHA256.test(value)) continue;
    // Every candidate is compared, so the time taken does not say which one matched.
    if (timingSafeEqual(Buffer.from(value, "hex"), expected)) matched = true;
  }
  return matched;
}
