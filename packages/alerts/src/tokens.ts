// Signed, expiring tokens for the links in subscription mail (confirm, manage
// preferences, unsubscribe), so that a link never carries a guessable id.
//
// Format: base64url(payload) "." base64url(HMAC-SHA256(key(purpose), payloadPart)),
// with payload = UTF-8 JSON {"p": purpose, "s": subject, "e": expiry in Unix seconds}.
// The MAC covers the base64url text exactly as it appears in the link.
//
// Keys: the raw secret is never used as a MAC key. Each purpose has its own key,
//   key(purpose) = HMAC-SHA256(key = secret, data = "regwatch:token:v1:" + purpose)
// so a token minted for one purpose can never verify for another even if the
// payload were edited, and changing "v1" retires every outstanding token.
// The purpose is also inside the payload, which lets `verifyToken` tell an
// authentic token used for the wrong link ("wrong-purpose") from a forgery.
//
// Tokens are not encrypted: the subject (an email address or subscription id)
// is readable by whoever holds the link, who is its recipient.

import { createHmac, timingSafeEqual } from "node:crypto";

export const TOKEN_PURPOSES = ["confirm", "manage", "unsubscribe", "sign-in", "session"] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

export interface TokenClaims {
  purpose: TokenPurpose;
  subject: string;
  expiresAt: Date;
}

export interface VerifiedToken {
  subject: string;
  expiresAt: Date;
}

export type TokenErrorReason = "malformed" | "bad-signature" | "wrong-purpose" | "expired";

/** A link token that must not be honoured; `reason` says why (the page shown to the person may differ per reason). */
export class TokenError extends Error {
  override name = "TokenError";
  constructor(
    readonly reason: TokenErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** Longest token accepted; checked before any decoding, so hostile input costs nothing. Links stay well under URL limits. */
export const MAX_TOKEN_LENGTH = 1024;

const KEY_LABEL = "regwatch:token:v1:";
// HMAC-SHA256 is 32 bytes: 43 base64url characters without padding.
const SIGNATURE_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function purposeKey(secret: string, purpose: TokenPurpose): Buffer {
  return createHmac("sha256", secret)
    .update(KEY_LABEL + purpose)
    .digest();
}

function mac(secret: string, purpose: TokenPurpose, payloadPart: string): Buffer {
  return createHmac("sha256", purposeKey(secret, purpose)).update(payloadPart).digest();
}

function assertSecret(secret: string): void {
  if (typeof secret !== "string" || secret.length === 0) {
    throw new TypeError("token secret must be a non-empty string (set SECRET_KEY)");
  }
}

function isPurpose(value: unknown): value is TokenPurpose {
  return typeof value === "string" && (TOKEN_PURPOSES as readonly string[]).includes(value);
}

/**
 * Mints a token for a link. The expiry is stored in whole seconds, rounded
 * down, so a token never outlives the `expiresAt` the caller asked for.
 */
export function signToken(secret: string, claims: TokenClaims): string {
  assertSecret(secret);
  const { purpose, subject, expiresAt } = claims;
  if (!isPurpose(purpose)) throw new TypeError(`unknown token purpose ${JSON.stringify(purpose)}`);
  if (typeof subject !== "string" || subject.length === 0) {
    throw new TypeError("token subject must be a non-empty string");
  }
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) {
    throw new TypeError("token expiresAt must be a valid Date");
  }
  const e = Math.floor(expiresAt.getTime() / 1000);
  const payloadPart = Buffer.from(JSON.stringify({ p: purpose, s: subject, e }), "utf8").toString(
    "base64url",
  );
  const token = `${payloadPart}.${mac(secret, purpose, payloadPart).toString("base64url")}`;
  if (token.length > MAX_TOKEN_LENGTH) {
    // verifyToken would reject it: fail here, where the cause is visible.
    throw new RangeError(
      `token would be ${token.length} characters, over ${MAX_TOKEN_LENGTH}: subject too long`,
    );
  }
  return token;
}

/** Strict base64url: only the URL-safe alphabet, no padding, and the canonical encoding of its bytes. */
function decodeBase64url(text: string): Buffer | null {
  if (!BASE64URL.test(text)) return null;
  const bytes = Buffer.from(text, "base64url");
  // Buffer decoding is lenient (stray bits, odd lengths); a re-encode that differs means the text was not ours.
  return bytes.toString("base64url") === text ? bytes : null;
}

interface Payload {
  p: TokenPurpose;
  s: string;
  e: number;
}

function parsePayload(bytes: Buffer): Payload | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 3) return null;
  const { p, s, e } = value as Record<string, unknown>;
  if (!isPurpose(p)) return null;
  if (typeof s !== "string" || s.length === 0) return null;
  if (typeof e !== "number" || !Number.isSafeInteger(e) || e < 0) return null;
  return { p, s, e };
}

/**
 * Checks a token from a link for `purpose` at `now` and returns its claims,
 * or throws a `TokenError`. A token is expired from its expiry second on
 * (`now >= expiresAt`).
 */
export function verifyToken(secret: string, token: string, purpose: TokenPurpose, now: Date): VerifiedToken {
  assertSecret(secret);
  if (!isPurpose(purpose)) throw new TypeError(`unknown token purpose ${JSON.stringify(purpose)}`);
  if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new TokenError("malformed", "token is empty or too long");
  }
  const parts = token.split(".");
  if (parts.length !== 2) throw new TokenError("malformed", "token must have exactly two parts");
  const [payloadPart = "", signaturePart = ""] = parts;
  const payloadBytes = decodeBase64url(payloadPart);
  const signature = decodeBase64url(signaturePart);
  if (payloadBytes === null || signature === null || signature.length !== SIGNATURE_BYTES) {
    throw new TokenError("malformed", "token is not two base64url parts");
  }

  // Authenticate before trusting anything in the payload.
  if (!timingSafeEqual(signature, mac(secret, purpose, payloadPart))) {
    // Only an authentic token for another purpose earns "wrong-purpose"; anything else is a forgery.
    const claimed = parsePayload(payloadBytes);
    if (
      claimed !== null &&
      claimed.p !== purpose &&
      timingSafeEqual(signature, mac(secret, claimed.p, payloadPart))
    ) {
      throw new TokenError("wrong-purpose", `token is for "${claimed.p}", not "${purpose}"`);
    }
    throw new TokenError("bad-signature", "token signature does not match");
  }

  const payload = parsePayload(payloadBytes);
  if (payload === null) throw new TokenError("malformed", "token payload is not {p, s, e}");
  // The key already binds the purpose; this guards against a payload signed under the wrong key by a bug.
  if (payload.p !== purpose) throw new TokenError("wrong-purpose", `token is for "${payload.p}"`);
  const expiresAt = new Date(payload.e * 1000);
  if (Number.isNaN(expiresAt.getTime())) throw new TokenError("malformed", "token expiry out of range");
  if (now.getTime() >= expiresAt.getTime()) {
    throw new TokenError("expired", `token expired at ${expiresAt.toISOString()}`);
  }
  return { subject: payload.s, expiresAt };
}
