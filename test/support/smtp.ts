import type { Socket } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerAddress } from "smtp-server";

/** A message as the server received it. */
export interface ReceivedMessage {
  /** The envelope: MAIL FROM and the accepted RCPT TO addresses. */
  from: string | null;
  to: string[];
  /** The DATA bytes exactly as they arrived (dot-unstuffed, CRLF line ends). */
  raw: Buffer;
  /** `raw` read by mailparser's simpleParser: decoded subject, headers, text, html. */
  parsed: ParsedMail;
}

export interface SmtpServerOptions {
  /** Called on each RCPT TO: return a reply such as `{ code: 550, message: "No such user" }` to refuse it, or null to accept. */
  rejectRecipients?: (address: string) => { code: number; message: string } | null;
  /** Read every message whole, keep it, then cut the connection without replying, as a server crashing mid-transaction would. */
  dropConnectionAfterData?: boolean;
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>`, for createMailer's smtpUrl. */
  url: string;
  /** Every message received so far, in order of arrival (also those whose connection was then dropped). */
  messages: ReceivedMessage[];
  /** Resolves with the messages once at least `count` arrived; rejects after `timeoutMs` (default 5000). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

/**
 * An in-process SMTP server on 127.0.0.1 (random port, plain text, no auth) that
 * keeps what it receives, so tests hold a real SMTP conversation with the mailer.
 */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<() => void>();
  // Remote port to socket, so onData can cut the connection a message came on.
  const sockets = new Map<number, Socket>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    // Pooled clients keep their connections open: close the server without the
    // default 30 s grace period.
    closeTimeout: 100,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const refusal = options.rejectRecipients?.(address.address);
      if (!refusal) return callback();
      const error = new Error(refusal.message) as Error & { responseCode: number };
      error.responseCode = refusal.code;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            const mailFrom = session.envelope.mailFrom;
            messages.push({
              from: mailFrom ? mailFrom.address : null,
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              raw,
              parsed,
            });
            for (const wake of waiters) wake();
            if (options.dropConnectionAfterData) sockets.get(session.remotePort)?.destroy();
            else callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  server.server.on("connection", (socket: Socket) => {
    const port = socket.remotePort;
    if (port === undefined) return;
    sockets.set(port, socket);
    socket.on("close", () => sockets.delete(port));
  });
  // Connections cut on purpose surface as socket errors on the server: expected here.
  server.on("error", () => {});

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  if (typeof address !== "object" || address === null) throw new Error("SMTP server has no port");

  return {
    url: `smtp://127.0.0.1:${address.port}`,
    messages,
    waitFor(count, timeoutMs = 5000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const wake = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`expected ${count} messages within ${timeoutMs} ms, got ${messages.length}`));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    close() {
      for (const socket of sockets.values()) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
