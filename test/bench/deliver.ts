// npm run bench, mail delivery: 10,000 alert messages through regwatch's
// mailer (createMailer, pooled SMTP) beside the same 10,000 through bare
// nodemailer with the same pool (createTransport({ pool: true }), 5
// connections, 100 messages each), in the same run, to a local SMTP server.
// Target: ≥ 500 messages/s with pooling.
//
// Each message is a real alert: the CCL's 3A001 (real content, ../shared/samples)
// with its text amended, rendered by alertMessage (~8 KB HTML and ~5.5 KB text),
// one recipient, a Message-ID of its own, the unsubscribe headers. The server
// is an smtp-server in this process that reads DATA to the end and keeps only
// the Message-ID (to check that each arrived once), not test/support/smtp.ts:
// that one parses and keeps every message (mailparser), which for 10,000
// messages would cost more CPU in this process than the sending being measured.
//
// Alone, from the repository root:
//   node --expose-gc --import tsx -e 'import("./test/bench/deliver.ts").then(m => m.benchDeliver())'
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { subscriptionLinks, unsubscribeHeaders } from "@regwatch/alerts/links";
import { alertMessage } from "@regwatch/alerts/messages/alert";
import type { ListSnapshot } from "@regwatch/core/schemas";
import { createMailer, type OutgoingMessage } from "@regwatch/mail/mailer";
import { findSource } from "@regwatch/sources/registry";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { SAMPLES } from "../conformance/samples-dir.ts";
import { changedRecord } from "../support/changed-record.ts";
import { recordContext } from "../support/record-context.ts";
import { type CclEntry, renderCclXml } from "../support/render-ccl.ts";

const MESSAGES = 10_000;
const WARMUP_MESSAGES = 500;
// The 10,000 of each side go in slices, alternating bare and regwatch (ABBA),
// each slice on a fresh pool: a drift in the machine's state (another process,
// a GC-heavy stretch) lands on both sides alike.
const SLICES = 4;
// The mailer's own defaults (packages/mail/src/mailer.ts), given to bare nodemailer too.
const POOL = { maxConnections: 5, maxMessages: 100 };
// Sends in flight at once, as that many callers awaiting send(): ten per pooled
// connection keeps every connection busy without holding all 10,000 messages.
const IN_FLIGHT = 50;
// Distinct bodies cycled through (each subscriber's signed links differ); the
// recipient and Message-ID are unique per message.
const BODIES = 50;
const TARGET_PER_SECOND = 500;
const FROM = "regwatch <alerts@regwatch.example>";
const PUBLIC_URL = "https://regwatch.example";

export interface DrainSmtpServer {
  /** `smtp://127.0.0.1:<port>`. */
  url: string;
  /** Messages accepted (250 after DATA) so far. */
  accepted(): number;
  /** Message-IDs seen since the last call, and forgets them. */
  takeMessageIds(): Set<string>;
  /** Resolves with the moment (performance.now()) the `count`-th message was accepted. */
  waitFor(count: number, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 that accepts everything, reads each message to
 * its end and keeps nothing of it but the Message-ID header: the least a
 * receiving server does, so the sending side is what a bench measures.
 */
export async function startDrainSmtpServer(
  options: { keepMessageIds?: boolean } = {},
): Promise<DrainSmtpServer> {
  let accepted = 0;
  let ids = new Set<string>();
  const waiters: { count: number; resolve: (at: number) => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    disableReverseLookup: true,
    logger: false,
    // Pooled clients keep their connections open: close without the 30 s grace.
    closeTimeout: 100,
    onData(stream, _session, callback) {
      let head = "";
      let headDone = !options.keepMessageIds;
      stream.on("data", (chunk: Buffer) => {
        if (headDone) return;
        head += chunk.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end >= 0 || head.length > 64 * 1024) {
          headDone = true;
          const id = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(end >= 0 ? head.slice(0, end) : head)?.[1];
          if (id) ids.add(id);
          head = "";
        }
      });
      stream.on("end", () => {
        accepted++;
        const at = performance.now();
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (accepted >= waiters[i]!.count) waiters.splice(i, 1)[0]!.resolve(at);
        }
        callback();
      });
    },
  });
  server.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  if (typeof address !== "object" || address === null) throw new Error("SMTP server has no port");
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    accepted: () => accepted,
    takeMessageIds() {
      const taken = ids;
      ids = new Set();
      return taken;
    },
    waitFor(count, timeoutMs) {
      if (accepted >= count) return Promise.resolve(performance.now());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`expected ${count} messages within ${timeoutMs} ms, got ${accepted}`));
        }, timeoutMs);
        const waiter = {
          count,
          resolve(at: number) {
            clearTimeout(timer);
            resolve(at);
          },
        };
        waiters.push(waiter);
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A real alert: the CCL's 3A001 with its text amended, as one subscriber receives it. */
function alertBodies(): { subject: string; bodies: Pick<OutgoingMessage, "html" | "text" | "headers">[] } {
  const json = JSON.parse(
    readFileSync(join(SAMPLES, "us/ccl-derived-json-ecfr-2026-07-23.json"), "utf8"),
  ) as {
    entries: CclEntry[];
  };
  const source = findSource("us.ecfr.ccl")!;
  const snapshot = source.parse({
    body: Buffer.from(renderCclXml(json.entries.filter((e) => e.eccn === "3A001"))),
  }) as ListSnapshot;
  const change = changedRecord(snapshot.entries, "3A001", recordContext(source));
  const sources = {
    "us.ecfr.ccl": {
      title: "Commerce Control List",
      health: "healthy",
      lastSuccessAt: new Date().toISOString(),
    },
  };
  let subject = "";
  const bodies = Array.from({ length: BODIES }, (_, n) => {
    const links = subscriptionLinks(PUBLIC_URL, "s".repeat(64), `sub-${n}`, new Date());
    const message = alertMessage({ changes: [change], links, sources });
    subject = message.subject;
    return { html: message.html, text: message.text, headers: unsubscribeHeaders(links, null) };
  });
  return { subject, bodies };
}

type Send = (message: OutgoingMessage) => Promise<unknown>;

/** `count` messages through `send`, IN_FLIGHT at a time; ms from the first send to the last acceptance. */
async function sendAll(
  send: Send,
  server: DrainSmtpServer,
  message: (n: number) => OutgoingMessage,
  count: number,
): Promise<number> {
  const before = server.accepted();
  server.takeMessageIds();
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await send(message(next++));
    }),
  );
  const ms = performance.now() - t;
  const arrived = server.accepted() - before;
  const ids = server.takeMessageIds().size;
  // Every message accepted once, each under its own Message-ID, or the figure means nothing.
  if (arrived !== count || ids !== count)
    throw new Error(
      `sent ${count} messages, the server accepted ${arrived} with ${ids} distinct Message-IDs`,
    );
  return ms;
}

function regwatchSend(url: string): { send: Send; close(): Promise<void> } {
  const mailer = createMailer({ smtpUrl: url, outboxDir: "/nonexistent", from: FROM });
  return { send: (m) => mailer.send(m), close: () => mailer.close() };
}

/** Bare nodemailer, the same pool, the same fields on each message; none of regwatch's checks or options. */
function bareSend(url: string): { send: Send; close(): Promise<void> } {
  const { hostname, port } = new URL(url);
  const transport = nodemailer.createTransport({ pool: true, host: hostname, port: Number(port), ...POOL });
  return {
    send: (m) =>
      transport.sendMail({
        from: FROM,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        messageId: m.messageId,
        date: new Date(),
        headers: m.headers,
      }),
    async close() {
      transport.close();
    },
  };
}

export interface DeliverResult {
  messages: number;
  slices: number;
  htmlBytes: number;
  textBytes: number;
  poolConnections: number;
  inFlight: number;
  server: string;
  bareMs: number;
  regwatchMs: number;
  barePerSecond: number;
  regwatchPerSecond: number;
  ratio: number;
  meetsTarget: boolean;
}

export async function benchDeliver(): Promise<DeliverResult> {
  const { subject, bodies } = alertBodies();
  const server = await startDrainSmtpServer({ keepMessageIds: true });
  let run = 0;
  const messagesOf = (label: string) => {
    const tag = `${label}${run++}`;
    return (n: number): OutgoingMessage => ({
      to: `subscriber-${n}@example.org`,
      subject,
      ...bodies[n % BODIES]!,
      messageId: `<alert.sub-${n}.${tag}@regwatch.example>`,
    });
  };
  const once = async (
    make: (url: string) => { send: Send; close(): Promise<void> },
    label: string,
    count: number,
  ) => {
    const client = make(server.url);
    try {
      return await sendAll(client.send, server, messagesOf(label), count);
    } finally {
      await client.close();
    }
  };
  const bare: number[] = [];
  const ours: number[] = [];
  const slice = Math.ceil(MESSAGES / SLICES);
  try {
    await once(bareSend, "warm", WARMUP_MESSAGES);
    await once(regwatchSend, "warm", WARMUP_MESSAGES);
    for (let n = 0; n < SLICES; n++) {
      const count = Math.min(slice, MESSAGES - n * slice);
      const sides = [
        async () => bare.push(await once(bareSend, "bare", count)),
        async () => ours.push(await once(regwatchSend, "ours", count)),
      ];
      for (const side of n % 2 ? sides.reverse() : sides) {
        globalThis.gc?.();
        await side();
      }
    }
  } finally {
    await server.close();
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const bareMs = sum(bare);
  const regwatchMs = sum(ours);
  const barePerSecond = MESSAGES / (bareMs / 1000);
  const regwatchPerSecond = MESSAGES / (regwatchMs / 1000);
  const result: DeliverResult = {
    messages: MESSAGES,
    slices: SLICES,
    htmlBytes: Buffer.byteLength(bodies[0]!.html),
    textBytes: Buffer.byteLength(bodies[0]!.text),
    poolConnections: POOL.maxConnections,
    inFlight: IN_FLIGHT,
    server: "smtp-server in this process, DATA drained, Message-ID kept",
    bareMs,
    regwatchMs,
    barePerSecond,
    regwatchPerSecond,
    ratio: regwatchPerSecond / barePerSecond,
    meetsTarget: regwatchPerSecond >= TARGET_PER_SECOND,
  };
  console.log(
    `\nmail delivery, ${MESSAGES} alert messages (${(result.htmlBytes / 1024).toFixed(1)} KB HTML + ${(result.textBytes / 1024).toFixed(1)} KB text, unique Message-IDs) over pooled SMTP, ${POOL.maxConnections} connections, ${IN_FLIGHT} sends in flight, to an in-process smtp-server that drains DATA (${SLICES} alternating slices per side, each on a fresh pool, first send to last acceptance, summed):`,
  );
  console.log(
    `  bare nodemailer, createTransport({ pool: true }) ${barePerSecond.toFixed(0).padStart(6)} messages/s (${bareMs.toFixed(0)} ms)`,
  );
  console.log(
    `  regwatch createMailer (smtpUrl, pooled)         ${regwatchPerSecond.toFixed(0).padStart(6)} messages/s (${regwatchMs.toFixed(0)} ms)`,
  );
  console.log(
    `  regwatch / bare: ${result.ratio.toFixed(2)}×; target ≥ ${TARGET_PER_SECOND} messages/s with pooling: ${result.meetsTarget ? "met" : "missed"}`,
  );
  console.log(JSON.stringify({ deliver: result }));
  return result;
}
