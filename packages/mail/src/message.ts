import addressparser from "nodemailer/lib/addressparser";
import { PermanentMailError } from "./errors.ts";

/** One email to one recipient, as the alert and digest code hands it over. */
export interface OutgoingMessage {
  /** One recipient: "analyst@example.com" or "Ana Lyst <analyst@example.com>". */
  to: string;
  subject: string;
  text: string;
  /** Already escaped by the caller: it goes on the wire byte for byte. */
  html: string;
  /**
   * Stable per delivery: retries reuse it, so the receiving side can tell a
   * resend. An RFC 5322 msg-id, with or without its angle brackets
   * ("delivery-123.abcdef@regwatch.local" and "<delivery-123.abcdef@regwatch.local>"
   * are the same id); `SendResult.messageId` is always the bracketed form, which
   * is also exactly what appears in the Message-ID header.
   */
  messageId: string;
  /** Extra header fields such as List-Unsubscribe, List-Unsubscribe-Post, List-Id: ASCII, one line each. */
  headers?: Record<string, string>;
}

// RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">", id-left a dot-atom-text,
// id-right a dot-atom-text or a no-fold-literal. The obsolete forms are not accepted.
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const DOT_ATOM_TEXT = `${ATEXT}(?:\\.${ATEXT})*`;
const NO_FOLD_LITERAL = "\\[[\\x21-\\x5a\\x5e-\\x7e]*\\]";
const MSG_ID = new RegExp(`^<${DOT_ATOM_TEXT}@(?:${DOT_ATOM_TEXT}|${NO_FOLD_LITERAL})>$`);

// RFC 5322 §3.6.8: a field name is printable ASCII except the colon.
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
// A field body the caller gives is printable ASCII and spaces: no CR or LF (that
// would let a value start a header of its own) and nothing that needs encoding.
const FIELD_BODY = /^[\x20-\x7e\t]*$/;

// Fields the mailer itself writes from OutgoingMessage and the options; a custom
// header of the same name would silently replace or duplicate them.
const RESERVED_FIELDS = new Set([
  "from",
  "sender",
  "to",
  "cc",
  "bcc",
  "reply-to",
  "subject",
  "date",
  "message-id",
  "mime-version",
  "content-type",
  "content-transfer-encoding",
]);

function invalid(reason: string): PermanentMailError {
  // A malformed message fails the same way on every attempt, so it is permanent.
  return new PermanentMailError(`invalid message: ${reason}`, {
    responseCode: null,
    response: reason,
    code: "EINVALID",
  });
}

/** The bracketed msg-id, or a PermanentMailError thrown for one that is not valid. */
export function normalizeMessageId(messageId: string): string {
  const bracketed = messageId.startsWith("<") ? messageId : `<${messageId}>`;
  if (!MSG_ID.test(bracketed))
    throw invalid(`Message-ID ${JSON.stringify(messageId)} is not an RFC 5322 msg-id`);
  return bracketed;
}

/** Checks what nodemailer would otherwise rewrite or let through; throws PermanentMailError. */
export function checkMessage(message: OutgoingMessage): {
  messageId: string;
  headers: Record<string, string>;
} {
  const messageId = normalizeMessageId(message.messageId);
  // One recipient per message: with several, a partial refusal would leave the
  // caller unable to retry without resending to those who already have it.
  const recipients = addressparser(message.to, { flatten: true });
  if (
    /[\r\n]/.test(message.to) ||
    recipients.length !== 1 ||
    !/^[^@\s]+@[^@\s]+$/.test(recipients[0]!.address)
  )
    throw invalid(`To must be exactly one address, not ${JSON.stringify(message.to)}`);
  if (/[\r\n]/.test(message.subject)) throw invalid("Subject must be one line");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!FIELD_NAME.test(name)) throw invalid(`header name ${JSON.stringify(name)}`);
    if (RESERVED_FIELDS.has(name.toLowerCase())) throw invalid(`header ${name} is set by the mailer`);
    if (!FIELD_BODY.test(value)) throw invalid(`header ${name} must be printable ASCII on one line`);
    headers[name] = value;
  }
  return { messageId, headers };
}
