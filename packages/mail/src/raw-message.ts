// The message as bytes, built here rather than by nodemailer's composer: the
// composer streams every part through JavaScript encoders (about 1.4 ms per
// alert-sized message even in base64, most of a send's cost), where one
// multipart/alternative of two base64 parts is a few Buffer calls. Headers
// are few and already checked (`checkMessage`): printable ASCII on one line,
// except the subject and the From display name, encoded as RFC 2047 words.

import { randomBytes } from "node:crypto";
import { encodeWords, foldLines } from "nodemailer/lib/mime-funcs";

export interface RawMessageInput {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Bracketed, checked. */
  messageId: string;
  date: Date;
  /** Checked: printable ASCII, one line each. */
  headers: Record<string, string>;
}

// RFC 5322 recommends lines of at most 78 characters; base64 bodies use 76 (RFC 2045).
const LINE = 76;

/** A header field, folded, non-ASCII text as encoded words. */
function field(name: string, value: string, encode: boolean): string {
  const body = encode && /[^\x20-\x7e]/.test(value) ? encodeWords(value, "Q", 52) : value;
  return foldLines(`${name}: ${body}`, LINE);
}

/** `Regwatch <a@b>` with a non-ASCII display name encoded; the address itself is ASCII (checked). */
function mailbox(value: string): string {
  const m = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(value);
  if (!m?.[1]) return value.trim();
  const name = /[^\x20-\x7e]/.test(m[1])
    ? encodeWords(m[1], "Q", 52)
    : /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$/.test(m[1])
      ? m[1]
      : `"${m[1].replace(/["\\]/g, "\\$&")}"`;
  return `${name} <${m[2]}>`;
}

function base64Lines(text: string): string {
  const encoded = Buffer.from(text, "utf8").toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += LINE) lines.push(encoded.slice(i, i + LINE));
  return lines.join("\r\n");
}

/** RFC 5322 date-time in UTC: "Wed, 02 Dec 2026 01:50:00 +0000". */
function dateTime(d: Date): string {
  return d.toUTCString().replace(/GMT$/, "+0000");
}

/** The whole message, CRLF line ends: multipart/alternative, text then HTML, both UTF-8 in base64. */
export function buildRawMessage(m: RawMessageInput): Buffer {
  const boundary = `----regwatch-${randomBytes(12).toString("hex")}`;
  const head = [
    field("From", mailbox(m.from), false),
    field("To", m.to, false),
    field("Subject", m.subject, true),
    field("Message-ID", m.messageId, false),
    field("Date", dateTime(m.date), false),
    ...Object.entries(m.headers).map(([name, value]) => field(name, value, false)),
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=utf-8`,
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(body),
    ].join("\r\n");
  return Buffer.from(
    [
      head.join("\r\n"),
      "",
      part("text/plain", m.text),
      part("text/html", m.html),
      `--${boundary}--`,
      "",
    ].join("\r\n"),
    "utf8",
  );
}
