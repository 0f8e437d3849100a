import type { NodemailerError } from "nodemailer/lib/errors";

interface MailErrorDetails {
  /** The SMTP reply code when the server gave one (550, 451, ...), else null (refused connection, timeout). */
  responseCode: number | null;
  /** The server's reply text ("550 5.1.1 mailbox unavailable"), or the local reason when there was no reply. */
  response: string;
  /** Nodemailer's error code ("EENVELOPE", "ECONNECTION", "ETIMEDOUT", ...), or null. */
  code: string | null;
}

/** What both kinds of failure carry from the SMTP conversation. */
abstract class MailFailure extends Error implements MailErrorDetails {
  readonly responseCode: number | null;
  readonly response: string;
  readonly code: string | null;
  constructor(message: string, details: MailErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.responseCode = details.responseCode;
    this.response = details.response;
    this.code = details.code;
  }
}

/**
 * The message was refused for good (an SMTP 5xx reply, or an address or message
 * that can never be sent): do not retry this delivery; record it as failed.
 */
export class PermanentMailError extends MailFailure {
  override readonly name = "PermanentMailError";
}

/**
 * The message may well go through later (an SMTP 4xx reply, a refused or dropped
 * connection, a timeout, a rejected login): retry this delivery with backoff.
 */
export class TemporaryMailError extends MailFailure {
  override readonly name = "TemporaryMailError";
}

export type MailError = PermanentMailError | TemporaryMailError;

// Codes nodemailer sets before any reply is read, for a message that no server
// would take: an address it cannot put in the envelope, a message over the size
// the server announced, too many recipients. Sending it again fails the same way.
const PERMANENT_WITHOUT_REPLY = new Set(["EENVELOPE", "EMESSAGE", "EMAXRECIPIENTS", "EREQUIRETLS"]);

// A refused login is the server refusing our credentials, not this message: every
// other delivery fails the same way until an operator fixes SMTP_URL, after which
// this one should go out. So it is temporary even with its 535 reply.
const CREDENTIAL_CODES = new Set(["EAUTH", "ENOAUTH", "EOAUTH2"]);

/**
 * Maps an error from nodemailer (or anything thrown while sending) to the action
 * the caller must take. Already-classified errors pass through unchanged.
 */
export function classifyMailError(error: unknown): MailError {
  if (error instanceof PermanentMailError || error instanceof TemporaryMailError) return error;
  const err = (typeof error === "object" && error !== null ? error : {}) as NodemailerError;
  const message = err.message ?? String(error);
  const code = typeof err.code === "string" ? err.code : null;
  const responseCode = typeof err.responseCode === "number" ? err.responseCode : null;
  const details = { responseCode, response: err.response ?? message, code };
  const options = { cause: error };

  if (code !== null && CREDENTIAL_CODES.has(code)) return new TemporaryMailError(message, details, options);
  if (responseCode !== null) {
    // RFC 5321 §4.2.1: 5yz is a permanent negative reply, 4yz a transient one. 503
    // ("bad sequence of commands") is the exception nodemailer also makes: it says
    // the session was in the wrong state, not that the message was refused.
    const permanent = responseCode >= 500 && responseCode < 600 && responseCode !== 503;
    return permanent
      ? new PermanentMailError(message, details, options)
      : new TemporaryMailError(message, details, options);
  }
  if (code !== null && PERMANENT_WITHOUT_REPLY.has(code))
    return new PermanentMailError(message, details, options);
  // ECONNECTION, ETIMEDOUT, ESOCKET, EDNS, ETLS, EPROXY, a closed pool, or anything
  // unknown: nothing says the message is bad, so the delivery is tried again later
  // (the caller's retry policy bounds how often).
  return new TemporaryMailError(message, details, options);
}
