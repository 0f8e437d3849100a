import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signatureHeaders, verifyWebhookSignature, webhookSecret } from "../../src/webhook/sign.ts";

const KEY = "test-secret-key";
const SECRET = webhookSecret(KEY, "sub-1");
const BODY = JSON.stringify({ type: "regwatch.alert", id: "abc@regwatch", subject: "Ünïcode — ✓" });
const AT = new Date("2024-09-06T12:00:00.900Z");

describe("webhookSecret", () => {
  it("is whsec_ and the hex HMAC of the subscription id under the secret key", () => {
    const expected = createHmac("sha256", KEY).update("webhook:sub-1").digest("hex");
    expect(SECRET).toBe(`whsec_${expected}`);
    expect(SECRET).toMatch(/^whsec_[0-9a-f]{64}$/);
  });

  it("differs per subscription and per secret key, and is stable", () => {
    expect(webhookSecret(KEY, "sub-1")).toBe(SECRET);
    expect(webhookSecret(KEY, "sub-2")).not.toBe(SECRET);
    expect(webhookSecret("another-key", "sub-1")).not.toBe(SECRET);
  });

  it("refuses an empty key or subscription id", () => {
    expect(() => webhookSecret("", "sub-1")).toThrow(/SECRET_KEY/);
    expect(() => webhookSecret(KEY, "")).toThrow(/subscription id/);
  });
});

describe("signatureHeaders", () => {
  it("signs timestamp.body with the secret, the timestamp in whole Unix seconds", () => {
    const headers = signatureHeaders(SECRET, BODY, AT);
    expect(headers["X-Regwatch-Timestamp"]).toBe("1725624000");
    const mac = createHmac("sha256", SECRET).update(`1725624000.${BODY}`).digest("hex");
    expect(headers["X-Regwatch-Signature"]).toBe(`v1=${mac}`);
  });
});

describe("verifyWebhookSignature", () => {
  const headers = signatureHeaders(SECRET, BODY, AT);
  const later = (seconds: number) => new Date(AT.getTime() + seconds * 1000);

  it("accepts the signed body, with header names in any case", () => {
    expect(verifyWebhookSignature(SECRET, BODY, headers, AT)).toBe(true);
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifyWebhookSignature(SECRET, BODY, lower, later(10))).toBe(true);
  });

  it("refuses a changed body, another secret or a changed signature", () => {
    expect(verifyWebhookSignature(SECRET, BODY.replace("alert", "alerT"), headers, AT)).toBe(false);
    expect(verifyWebhookSignature(webhookSecret(KEY, "sub-2"), BODY, headers, AT)).toBe(false);
    const flipped = headers["X-Regwatch-Signature"]!.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    expect(verifyWebhookSignature(SECRET, BODY, { ...headers, "X-Regwatch-Signature": flipped }, AT)).toBe(
      false,
    );
  });

  it("refuses a timestamp that was changed to pass the tolerance", () => {
    const moved = { ...headers, "X-Regwatch-Timestamp": "1725624100" };
    expect(verifyWebhookSignature(SECRET, BODY, moved, later(100))).toBe(false);
  });

  it("accepts a post within the tolerance and refuses an older or a future one", () => {
    expect(verifyWebhookSignature(SECRET, BODY, headers, later(300))).toBe(true);
    expect(verifyWebhookSignature(SECRET, BODY, headers, later(301))).toBe(false);
    expect(verifyWebhookSignature(SECRET, BODY, headers, later(-301))).toBe(false);
    expect(verifyWebhookSignature(SECRET, BODY, headers, later(3600), 7200)).toBe(true);
  });

  it("accepts when any of several v1 signatures matches (a receiver rotating secrets)", () => {
    const both = {
      ...headers,
      "X-Regwatch-Signature": `v1=${"0".repeat(64)}, ${headers["X-Regwatch-Signature"]}`,
    };
    expect(verifyWebhookSignature(SECRET, BODY, both, AT)).toBe(true);
  });

  it("refuses missing and malformed headers", () => {
    expect(verifyWebhookSignature(SECRET, BODY, {}, AT)).toBe(false);
    const sig = headers["X-Regwatch-Signature"]!;
    const ts = headers["X-Regwatch-Timestamp"]!;
    for (const bad of [
      { "X-Regwatch-Signature": sig },
      { "X-Regwatch-Timestamp": ts },
      { "X-Regwatch-Timestamp": "soon", "X-Regwatch-Signature": sig },
      { "X-Regwatch-Timestamp": ts, "X-Regwatch-Signature": sig.replace("v1=", "v0=") },
      { "X-Regwatch-Timestamp": ts, "X-Regwatch-Signature": "v1=zz" },
      { "X-Regwatch-Timestamp": ts, "X-Regwatch-Signature": sig.slice(0, -2) },
    ]) {
      expect(verifyWebhookSignature(SECRET, BODY, bad, AT)).toBe(false);
    }
  });
});
