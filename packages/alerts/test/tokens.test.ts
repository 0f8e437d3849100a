import { createHmac } from "node:crypto";
import {
  MAX_TOKEN_LENGTH,
  signToken,
  TokenError,
  type TokenErrorReason,
  type TokenPurpose,
  verifyToken,
} from "@regwatch/alerts/tokens";
import { describe, expect, it } from "vitest";

const SECRET = "test-secret-0123456789abcdef";
const NOW = new Date("2025-01-15T12:00:00Z");
const IN_7_DAYS = new Date("2025-01-22T12:00:00Z");

function reasonOf(fn: () => unknown): TokenErrorReason {
  try {
    fn();
  } catch (error) {
    if (error instanceof TokenError) return error.reason;
    throw error;
  }
  throw new Error("expected a TokenError, got a verified token");
}

// Signs an arbitrary payload text the way the module documents it, to reach
// the checks that run after the signature (bad JSON, wrong types).
function forge(payloadJson: string, purpose: TokenPurpose, secret = SECRET): string {
  const payloadPart = Buffer.from(payloadJson, "utf8").toString("base64url");
  const key = createHmac("sha256", secret).update(`regwatch:token:v1:${purpose}`).digest();
  return `${payloadPart}.${createHmac("sha256", key).update(payloadPart).digest("base64url")}`;
}

describe("signToken / verifyToken", () => {
  it("round-trips subject and expiry", () => {
    const token = signToken(SECRET, {
      purpose: "confirm",
      subject: "anna@example.com",
      expiresAt: IN_7_DAYS,
    });
    expect(verifyToken(SECRET, token, "confirm", NOW)).toEqual({
      subject: "anna@example.com",
      expiresAt: IN_7_DAYS,
    });
  });

  it("produces a URL-safe token of one payload part and one signature part", () => {
    const token = signToken(SECRET, { purpose: "manage", subject: "s?=&/+", expiresAt: IN_7_DAYS });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);
  });

  it("keeps the payload compact: {p, s, e} with e in seconds", () => {
    const token = signToken(SECRET, { purpose: "confirm", subject: "x", expiresAt: IN_7_DAYS });
    const payload = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8"));
    expect(payload).toEqual({ p: "confirm", s: "x", e: IN_7_DAYS.getTime() / 1000 });
  });

  it("derives the MAC key from the secret instead of using the secret itself", () => {
    const token = signToken(SECRET, { purpose: "confirm", subject: "x", expiresAt: IN_7_DAYS });
    const [payloadPart, signaturePart] = token.split(".");
    const rawKeyMac = createHmac("sha256", SECRET).update(payloadPart!).digest("base64url");
    expect(signaturePart).not.toBe(rawKeyMac);
    expect(token).toBe(
      forge(JSON.stringify({ p: "confirm", s: "x", e: IN_7_DAYS.getTime() / 1000 }), "confirm"),
    );
  });

  it("rounds a sub-second expiry down, never extending the token's life", () => {
    const expiresAt = new Date("2025-01-22T12:00:00.900Z");
    const token = signToken(SECRET, { purpose: "confirm", subject: "x", expiresAt });
    expect(verifyToken(SECRET, token, "confirm", NOW).expiresAt).toEqual(new Date("2025-01-22T12:00:00Z"));
  });

  it("verifies a subject with unicode (IDN email address)", () => {
    const subject = "jörg@bücher.example";
    const token = signToken(SECRET, { purpose: "unsubscribe", subject, expiresAt: IN_7_DAYS });
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(verifyToken(SECRET, token, "unsubscribe", NOW).subject).toBe(subject);
  });

  it("verifies a subscription uuid subject", () => {
    const subject = "3f2b8c1e-9a4d-4c7e-b1f0-2d6e8a9c0b11";
    const token = signToken(SECRET, { purpose: "manage", subject, expiresAt: IN_7_DAYS });
    expect(verifyToken(SECRET, token, "manage", NOW).subject).toBe(subject);
  });

  it("keeps an unsubscribe link valid for a year and more", () => {
    const inOneYear = new Date("2026-01-15T12:00:00Z");
    const token = signToken(SECRET, { purpose: "unsubscribe", subject: "a@b.example", expiresAt: inOneYear });
    expect(verifyToken(SECRET, token, "unsubscribe", new Date("2026-01-15T11:59:59Z")).subject).toBe(
      "a@b.example",
    );
    const farFuture = new Date("2100-01-01T00:00:00Z");
    const far = signToken(SECRET, { purpose: "unsubscribe", subject: "a@b.example", expiresAt: farFuture });
    expect(verifyToken(SECRET, far, "unsubscribe", NOW).expiresAt).toEqual(farFuture);
  });
});

describe("expiry", () => {
  const token = signToken(SECRET, { purpose: "confirm", subject: "x", expiresAt: IN_7_DAYS });

  it("accepts a token one second before expiry", () => {
    expect(verifyToken(SECRET, token, "confirm", new Date(IN_7_DAYS.getTime() - 1000)).subject).toBe("x");
  });

  it("treats a token as expired exactly at its expiry", () => {
    expect(reasonOf(() => verifyToken(SECRET, token, "confirm", IN_7_DAYS))).toBe("expired");
  });

  it("rejects a token after expiry", () => {
    expect(reasonOf(() => verifyToken(SECRET, token, "confirm", new Date("2026-01-01T00:00:00Z")))).toBe(
      "expired",
    );
  });
});

describe("rejections", () => {
  const token = signToken(SECRET, { purpose: "confirm", subject: "anna@example.com", expiresAt: IN_7_DAYS });
  const [payloadPart, signaturePart] = token.split(".") as [string, string];

  it("rejects a tampered payload with a valid-looking encoding", () => {
    const tampered = Buffer.from(
      JSON.stringify({ p: "confirm", s: "mallory@example.com", e: IN_7_DAYS.getTime() / 1000 }),
    ).toString("base64url");
    expect(reasonOf(() => verifyToken(SECRET, `${tampered}.${signaturePart}`, "confirm", NOW))).toBe(
      "bad-signature",
    );
  });

  it("rejects a payload with an extended expiry", () => {
    const tampered = Buffer.from(
      JSON.stringify({ p: "confirm", s: "anna@example.com", e: IN_7_DAYS.getTime() / 1000 + 86400 }),
    ).toString("base64url");
    expect(reasonOf(() => verifyToken(SECRET, `${tampered}.${signaturePart}`, "confirm", NOW))).toBe(
      "bad-signature",
    );
  });

  it("rejects a tampered signature", () => {
    const bytes = Buffer.from(signaturePart, "base64url");
    bytes[0] = bytes[0]! ^ 1;
    expect(
      reasonOf(() => verifyToken(SECRET, `${payloadPart}.${bytes.toString("base64url")}`, "confirm", NOW)),
    ).toBe("bad-signature");
  });

  it("rejects a token signed with another secret", () => {
    expect(reasonOf(() => verifyToken("another-secret", token, "confirm", NOW))).toBe("bad-signature");
  });

  it("rejects a token minted for another purpose, in every direction", () => {
    const purposes: TokenPurpose[] = ["confirm", "manage", "unsubscribe"];
    for (const minted of purposes) {
      const t = signToken(SECRET, { purpose: minted, subject: "x", expiresAt: IN_7_DAYS });
      for (const used of purposes) {
        if (used === minted) continue;
        expect(reasonOf(() => verifyToken(SECRET, t, used, NOW))).toBe("wrong-purpose");
      }
    }
  });

  it("rejects a payload whose purpose was edited, as a forgery", () => {
    const edited = Buffer.from(
      JSON.stringify({ p: "unsubscribe", s: "anna@example.com", e: IN_7_DAYS.getTime() / 1000 }),
    ).toString("base64url");
    expect(reasonOf(() => verifyToken(SECRET, `${edited}.${signaturePart}`, "unsubscribe", NOW))).toBe(
      "bad-signature",
    );
  });

  it("rejects a truncated token", () => {
    expect(reasonOf(() => verifyToken(SECRET, token.slice(0, -1), "confirm", NOW))).toBe("malformed");
    expect(reasonOf(() => verifyToken(SECRET, token.slice(0, token.length - 10), "confirm", NOW))).toBe(
      "malformed",
    );
    expect(reasonOf(() => verifyToken(SECRET, payloadPart, "confirm", NOW))).toBe("malformed");
    expect(reasonOf(() => verifyToken(SECRET, `${payloadPart}.`, "confirm", NOW))).toBe("malformed");
  });

  it("rejects extra dots", () => {
    expect(reasonOf(() => verifyToken(SECRET, `${token}.`, "confirm", NOW))).toBe("malformed");
    expect(reasonOf(() => verifyToken(SECRET, `.${token}`, "confirm", NOW))).toBe("malformed");
    expect(reasonOf(() => verifyToken(SECRET, `${payloadPart}..${signaturePart}`, "confirm", NOW))).toBe(
      "malformed",
    );
  });

  it("rejects an empty token", () => {
    expect(reasonOf(() => verifyToken(SECRET, "", "confirm", NOW))).toBe("malformed");
    expect(reasonOf(() => verifyToken(SECRET, ".", "confirm", NOW))).toBe("malformed");
  });

  it("rejects a huge token before decoding it", () => {
    expect(reasonOf(() => verifyToken(SECRET, "A".repeat(MAX_TOKEN_LENGTH + 1), "confirm", NOW))).toBe(
      "malformed",
    );
    const huge = `${"A".repeat(5_000_000)}.${signaturePart}`;
    expect(reasonOf(() => verifyToken(SECRET, huge, "confirm", NOW))).toBe("malformed");
  });

  it("rejects characters outside base64url (standard base64, padding, spaces, unicode)", () => {
    const standard = token.replace(/-/g, "+").replace(/_/g, "/");
    const variants = [`${payloadPart}=.${signaturePart}`, `${payloadPart}.${signaturePart}=`, ` ${token}`];
    variants.push(
      `${payloadPart}.${signaturePart.slice(0, -1)}é`,
      `${payloadPart}.${signaturePart.slice(0, -1)}+`,
    );
    if (standard !== token) variants.push(standard);
    for (const variant of variants) {
      expect(reasonOf(() => verifyToken(SECRET, variant, "confirm", NOW))).toBe("malformed");
    }
  });

  it("rejects a signature of the wrong length", () => {
    expect(reasonOf(() => verifyToken(SECRET, `${payloadPart}.${signaturePart}AAAA`, "confirm", NOW))).toBe(
      "malformed",
    );
  });

  it("rejects a signed payload that is not JSON", () => {
    expect(reasonOf(() => verifyToken(SECRET, forge("not json", "confirm"), "confirm", NOW))).toBe(
      "malformed",
    );
  });

  it("rejects a signed payload that is not valid UTF-8", () => {
    const e = IN_7_DAYS.getTime() / 1000;
    const bytes = Buffer.concat([
      Buffer.from('{"p":"confirm","s":"anna'),
      Buffer.from([0xff]),
      Buffer.from(`@example.com","e":${e}}`),
    ]);
    const payload = bytes.toString("base64url");
    const key = createHmac("sha256", SECRET).update("regwatch:token:v1:confirm").digest();
    const forged = `${payload}.${createHmac("sha256", key).update(payload).digest("base64url")}`;
    expect(reasonOf(() => verifyToken(SECRET, forged, "confirm", NOW))).toBe("malformed");
  });

  it("rejects a non-canonical encoding of the right signature bytes", () => {
    // 43 characters carry 258 bits for 32 bytes: the last character's 2 low bits are padding.
    const last = signaturePart.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    const variant = `${payloadPart}.${signaturePart.slice(0, -1)}${sibling}`;
    expect(Buffer.from(variant.split(".")[1]!, "base64url")).toEqual(Buffer.from(signaturePart, "base64url"));
    expect(reasonOf(() => verifyToken(SECRET, variant, "confirm", NOW))).toBe("malformed");
  });

  it("rejects signed payloads with wrong types or fields", () => {
    const e = IN_7_DAYS.getTime() / 1000;
    const payloads = [
      "null",
      "[]",
      '"confirm"',
      JSON.stringify({ p: "confirm", s: 42, e }),
      JSON.stringify({ p: "confirm", s: "", e }),
      JSON.stringify({ p: "confirm", s: "x", e: String(e) }),
      JSON.stringify({ p: "confirm", s: "x", e: e + 0.5 }),
      JSON.stringify({ p: "confirm", s: "x", e: -1 }),
      JSON.stringify({ p: "confirm", s: "x", e: 1e300 }),
      JSON.stringify({ p: "confirm", s: "x", e: Number.MAX_SAFE_INTEGER }),
      JSON.stringify({ p: "confirm", s: "x" }),
      JSON.stringify({ p: "confirm", s: "x", e, admin: true }),
      JSON.stringify({ p: "other", s: "x", e }),
    ];
    for (const payload of payloads) {
      expect(
        reasonOf(() => verifyToken(SECRET, forge(payload, "confirm"), "confirm", NOW)),
        payload,
      ).toBe("malformed");
    }
  });

  it("refuses to sign with an empty secret or an invalid expiry", () => {
    expect(() => signToken("", { purpose: "confirm", subject: "x", expiresAt: IN_7_DAYS })).toThrow(
      TypeError,
    );
    expect(() =>
      signToken(SECRET, { purpose: "confirm", subject: "x", expiresAt: new Date("nope") }),
    ).toThrow(TypeError);
    expect(() => signToken(SECRET, { purpose: "confirm", subject: "", expiresAt: IN_7_DAYS })).toThrow(
      TypeError,
    );
  });

  it("refuses to sign a token that verifyToken would reject as too long", () => {
    expect(() =>
      signToken(SECRET, { purpose: "confirm", subject: "x".repeat(2000), expiresAt: IN_7_DAYS }),
    ).toThrow(RangeError);
  });
});
