import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, open, rename, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "@regwatch/core/http";
import nodemailer from "nodemailer";
import addressparser from "nodemailer/lib/addressparser";
import type { SendMailOptions } from "nodemailer/lib/mailer";
import { parseConnectionUrl } from "nodemailer/lib/shared";
import type { SMTPPoolOptions, SMTPPoolSentMessageInfo } from "nodemailer/lib/smtp-pool";
import { classifyMailError, TemporaryMailError } from "./errors.ts";
import { checkMessage, type OutgoingMessage } from "./message.ts";
import { buildRawMessage } from "./raw-message.ts";

export { classifyMailError, type MailError, PermanentMailError, TemporaryMailError } from "./errors.ts";
export type { OutgoingMessage } from "./message.ts";

export interface SendResult {
  /** Always true: a message that was not accepted rejects with a PermanentMailError or TemporaryMailError. */
  accepted: boolean;
  /** The Message-ID on the wire, with its angle brackets. */
  messageId: string;
  /** The server's final reply ("250 OK: queued as ..."), or where the file went. */
  response: string;
  via: "smtp" | "file";
  /** The .eml file written, in file mode. */
  path?: string;
  /**
   * Set when the server's reply says it gave the message its own Message-ID
   * (Amazon SES, Microsoft 365 do): the delivered copy carries this one instead.
   */
  serverMessageId?: string;
}

export interface Mailer {
  readonly kind: "smtp" | "file";
  /** Resolves once the server accepted the message (or the file is in place); rejects with a PermanentMailError or TemporaryMailError. */
  send(message: OutgoingMessage): Promise<SendResult>;
  /** Can messages go out now: connects and greets the server (or checks the outbox is writable). Never rejects. */
  verify(): Promise<{ ok: boolean; detail: string }>;
  /** Lets sends already started finish, then closes the pooled connections. Later sends reject with a TemporaryMailError. */
  close(): Promise<void>;
}

export interface MailerOptions {
  /**
   * `smtp://[user:pass@]host[:port][?option=value...]` or `smtps://...` (TLS from
   * the first byte, usually port 465). Query options are nodemailer's SMTP pool
   * options and override the defaults below (`?maxConnections=2`,
   * `?connectionTimeout=5000`, `?pool=false`, `?tls.rejectUnauthorized=false`).
   * Null: messages are written as .eml files under `outboxDir`.
   */
  smtpUrl: string | null;
  outboxDir: string;
  /** The From header and envelope sender: "regwatch <alerts@example.com>". */
  from: string;
  log?: Logger;
}

// Defaults for the SMTP pool; each can be overridden from the URL's query.
const SMTP_DEFAULTS = {
  pool: true,
  // Five parallel connections is what most relays and providers allow one client
  // before they start deferring (and nodemailer's own default).
  maxConnections: 5,
  // A fresh connection every 100 messages: some servers cap messages per session.
  maxMessages: 100,
  // A message whose pooled connection turns out closed before it could go (the server
  // dropped an idle connection) is put on a new one at most twice. A connection lost
  // mid-message fails the send as temporary at once: the server may have the message
  // already, so the job's retry policy decides, and resends with the same Message-ID.
  maxRequeues: 2,
  // So a dead or black-holed server fails a delivery in seconds rather than hanging a
  // job: nodemailer's defaults are 2 minutes to connect and 10 minutes of silence.
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  dnsTimeout: 10_000,
  // Silence in the middle of a conversation; generous enough for a slow server to
  // take a large digest.
  socketTimeout: 60_000,
} as const;

/** Sends over pooled SMTP when `smtpUrl` is set, else writes .eml files to `outboxDir`. Opens nothing until the first send. */
export function createMailer(options: MailerOptions): Mailer {
  return options.smtpUrl ? createSmtpMailer(options, options.smtpUrl) : createFileMailer(options);
}

function mailOptions(
  from: string,
  message: OutgoingMessage,
): SendMailOptions & { raw: Buffer; messageId: string } {
  const { messageId, headers } = checkMessage(message);
  const sender = addressparser(from, { flatten: true })[0]?.address ?? from;
  const recipient = addressparser(message.to, { flatten: true })[0]!.address;
  return {
    // The bytes are built here (raw-message.ts), so the envelope is given apart.
    envelope: { from: sender, to: [recipient] },
    raw: buildRawMessage({
      from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId,
      date: new Date(),
      headers,
    }),
    messageId,
  };
}

function createSmtpMailer(options: MailerOptions, smtpUrl: string): Mailer {
  let protocol: string;
  try {
    protocol = new URL(smtpUrl).protocol;
  } catch {
    throw new Error("SMTP_URL is not a URL (expected smtp://host:port or smtps://host:port)");
  }
  if (protocol !== "smtp:" && protocol !== "smtps:")
    throw new Error(`SMTP_URL must start with smtp:// or smtps://, not ${protocol}//`);
  const parsed = parseConnectionUrl(smtpUrl);
  const transport = nodemailer.createTransport({
    ...SMTP_DEFAULTS,
    ...parsed,
    // Message content comes from scraped official texts: never let nodemailer
    // read a local file or fetch a URL named in it.
    disableFileAccess: true,
    disableUrlAccess: true,
  } as SMTPPoolOptions & { pool: true });
  // Never log the URL itself: it may hold the password.
  const target = `${parsed.host ?? "localhost"}:${parsed.port ?? (protocol === "smtps:" ? 465 : 587)}`;
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  async function deliver(message: OutgoingMessage): Promise<SendResult> {
    const mail = mailOptions(options.from, message);
    let info: SMTPPoolSentMessageInfo;
    try {
      info = await transport.sendMail(mail);
    } catch (err) {
      const error = classifyMailError(err);
      options.log?.debug(
        { messageId: mail.messageId, error: error.name, responseCode: error.responseCode, code: error.code },
        "mail not sent",
      );
      throw error;
    }
    // With its one recipient refused nodemailer rejects above; this only guards
    // against ever reporting a refused address as sent.
    if (info.rejected.length > 0 || info.accepted.length === 0)
      throw classifyMailError(info.rejectedErrors?.[0] ?? new Error(`recipient rejected: ${info.response}`));
    options.log?.debug({ messageId: mail.messageId, response: info.response }, "mail sent");
    const result: SendResult = {
      accepted: true,
      messageId: mail.messageId as string,
      response: info.response,
      via: "smtp",
    };
    if (info.serverMessageId) result.serverMessageId = info.serverMessageId;
    return result;
  }

  return {
    kind: "smtp",
    async send(message) {
      if (closed) throw closedError();
      const sending = deliver(message);
      inFlight.add(sending);
      try {
        return await sending;
      } finally {
        inFlight.delete(sending);
      }
    },
    async verify() {
      try {
        await transport.verify();
        return { ok: true, detail: `SMTP server ${target} answered` };
      } catch (err) {
        const detail = `SMTP server ${target}: ${err instanceof Error ? err.message : String(err)}`;
        options.log?.warn({ target }, detail);
        return { ok: false, detail };
      }
    },
    async close() {
      closed = true;
      await Promise.allSettled(inFlight);
      transport.close();
    },
  };
}

function closedError(): TemporaryMailError {
  // Another worker (or this one after a restart) can send it.
  return new TemporaryMailError("mailer is closed", {
    responseCode: null,
    response: "mailer is closed",
    code: "ECLOSED",
  });
}

function createFileMailer(options: MailerOptions): Mailer {
  const outboxDir = resolve(options.outboxDir);
  let closed = false;

  return {
    kind: "file",
    async send(message) {
      if (closed) throw closedError();
      // The exact bytes an SMTP server would get, CRLF line ends as on the wire.
      const mail = mailOptions(options.from, message);
      const messageId = mail.messageId;
      try {
        const path = await writeAtomically(outboxDir, fileName(new Date(), messageId), mail.raw);
        options.log?.debug({ messageId, path }, "mail written to outbox");
        return { accepted: true, messageId, response: `written to ${path}`, via: "file", path };
      } catch (err) {
        // A full disk or a missing permission: nothing wrong with the message.
        throw classifyMailError(err);
      }
    },
    async verify() {
      try {
        await mkdir(outboxDir, { recursive: true });
        await access(outboxDir, constants.W_OK);
        return { ok: true, detail: `writing messages to ${outboxDir}` };
      } catch (err) {
        return {
          ok: false,
          detail: `outbox ${outboxDir}: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
    },
    async close() {
      closed = true;
    },
  };
}

/**
 * "2024-09-06T10-11-12.345Z_delivery-123.abcdef_regwatch.local.eml": sorts by
 * time, and names the delivery. Two sends of one delivery in the same millisecond
 * would share a name; the second replaces the first, which is the same message.
 */
export function fileName(at: Date, messageId: string): string {
  const stamp = at.toISOString().replaceAll(":", "-");
  const safeId = messageId
    .replace(/^<|>$/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[.]+/, "")
    .slice(0, 120);
  return `${stamp}_${safeId}.eml`;
}

// Written under a temporary name in the same directory and renamed, so a reader
// of the outbox never sees half a message and a crash leaves no partial .eml.
async function writeAtomically(dir: string, name: string, bytes: Buffer): Promise<string> {
  await mkdir(dir, { recursive: true });
  const finalPath = join(dir, name);
  const tempPath = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(tempPath, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, finalPath);
  } catch (err) {
    await unlink(tempPath).catch(() => {});
    throw err;
  }
  return finalPath;
}
