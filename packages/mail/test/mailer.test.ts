import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ParsedMail, simpleParser } from "mailparser";
import { afterEach, describe, expect, it } from "vitest";
import { startSmtpServer, type TestSmtpServer } from "../../../test/support/smtp.ts";
import {
  classifyMailError,
  createMailer,
  fileName,
  type Mailer,
  type OutgoingMessage,
  PermanentMailError,
  TemporaryMailError,
} from "../src/mailer.ts";

const FROM = "regwatch alerts <alerts@regwatch.local>";
const UNSUBSCRIBE =
  "<mailto:unsubscribe+7f3a9c2e1b@regwatch.local?subject=unsubscribe>, " +
  "<https://regwatch.example.com/unsubscribe?token=7f3a9c2e1b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f>";

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    to: "analyst@example.com",
    subject: "Schedule 5 — Kühlung",
    text: "ECCN 3B001 gained paragraph c.1.a.\nEffective 2024-09-06, 89 FR 72926.\n",
    // What the caller sends is already escaped: the source text "<script>" became entities.
    html:
      "<p>ECCN <b>3B001</b> gained paragraph c.1.a: &lt;script&gt;alert(1)&lt;/script&gt; — Kühlung, 冷却.</p>\n" +
      `<p>${"A long line that makes the encoder wrap it. ".repeat(8)}</p>\n`,
    messageId: "<delivery-123.abcdef@regwatch.local>",
    headers: {
      "List-Unsubscribe": UNSUBSCRIBE,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      "List-Id": "regwatch alerts <alerts.regwatch.local>",
    },
    ...overrides,
  };
}

/** A header's value as written, unfolded (RFC 5322 §2.2.3), from the parsed message's raw lines. */
function headerValue(parsed: ParsedMail, name: string): string | undefined {
  const line = parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.replace(/\r?\n(?=[ \t])/g, "").replace(/^[^:]*:\s*/, "");
}

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the promise to reject");
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function smtpServer(options?: Parameters<typeof startSmtpServer>[0]): Promise<TestSmtpServer> {
  const server = await startSmtpServer(options);
  cleanups.push(() => server.close());
  return server;
}

function mailer(smtpUrl: string | null, outboxDir = "/nonexistent/outbox"): Mailer {
  const m = createMailer({ smtpUrl, outboxDir, from: FROM });
  cleanups.push(() => m.close());
  return m;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "regwatch-mail-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("SMTP mode", () => {
  it("delivers From, To and a non-ASCII Subject, encoded on the wire and decoded back", async () => {
    const server = await smtpServer();
    const m = mailer(server.url);
    const result = await m.send(message());
    const [received] = await server.waitFor(1);

    expect(m.kind).toBe("smtp");
    expect(result).toMatchObject({ accepted: true, via: "smtp" });
    expect(result.response).toMatch(/^250 /);
    expect(received!.from).toBe("alerts@regwatch.local");
    expect(received!.to).toEqual(["analyst@example.com"]);
    expect(received!.parsed.from?.value).toEqual([
      { address: "alerts@regwatch.local", name: "regwatch alerts" },
    ]);
    expect(received!.parsed.to).toMatchObject({ value: [{ address: "analyst@example.com" }] });
    expect(received!.parsed.subject).toBe("Schedule 5 — Kühlung");
    // RFC 2047: the header itself stays ASCII.
    expect(received!.raw.toString("latin1")).toMatch(
      /^Subject: [\x20-\x7e]*=\?UTF-8\?[QB]\?[\x20-\x7e]*\r$/m,
    );
    expect(received!.parsed.date).toBeInstanceOf(Date);
    expect(Math.abs(received!.parsed.date!.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("puts the given Message-ID on the wire unchanged, with or without angle brackets", async () => {
    const server = await smtpServer();
    const m = mailer(server.url);
    const first = await m.send(message());
    const second = await m.send(message({ messageId: "digest-2024-W36.99@regwatch.local" }));
    const [a, b] = await server.waitFor(2);

    expect(first.messageId).toBe("<delivery-123.abcdef@regwatch.local>");
    expect(a!.raw.toString()).toMatch(/^Message-ID: <delivery-123\.abcdef@regwatch\.local>\r$/m);
    expect(a!.parsed.messageId).toBe("<delivery-123.abcdef@regwatch.local>");
    expect(second.messageId).toBe("<digest-2024-W36.99@regwatch.local>");
    expect(b!.parsed.messageId).toBe("<digest-2024-W36.99@regwatch.local>");
  });

  it("carries List-Unsubscribe, List-Unsubscribe-Post and List-Id through unchanged", async () => {
    const server = await smtpServer();
    await mailer(server.url).send(message());
    const [received] = await server.waitFor(1);

    expect(headerValue(received!.parsed, "List-Unsubscribe")).toBe(UNSUBSCRIBE);
    expect(headerValue(received!.parsed, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(headerValue(received!.parsed, "List-Id")).toBe("regwatch alerts <alerts.regwatch.local>");
  });

  it("sends multipart/alternative whose text and html parts equal what was sent", async () => {
    const server = await smtpServer();
    const sent = message();
    await mailer(server.url).send(sent);
    const [received] = await server.waitFor(1);

    expect(received!.parsed.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
    expect(received!.parsed.text).toBe(sent.text);
    expect(received!.parsed.html).toBe(sent.html);
    // The escaped text stays escaped: no live script element anywhere in the bytes.
    expect(received!.raw.toString()).not.toContain("<script>");
  });

  it("rejects with PermanentMailError carrying 550 when the server refuses the recipient", async () => {
    const server = await smtpServer({
      rejectRecipients: (address) =>
        address === "gone@example.com" ? { code: 550, message: "5.1.1 No such user here" } : null,
    });
    const error = await rejection(mailer(server.url).send(message({ to: "gone@example.com" })));

    expect(error).toBeInstanceOf(PermanentMailError);
    expect(error).toMatchObject({ responseCode: 550, code: "EENVELOPE" });
    expect((error as PermanentMailError).response).toContain("No such user here");
    expect(server.messages).toHaveLength(0);
  });

  it("rejects with TemporaryMailError carrying 451 when the server defers the recipient", async () => {
    const server = await smtpServer({
      rejectRecipients: () => ({ code: 451, message: "4.7.1 Greylisted, try again later" }),
    });
    const error = await rejection(mailer(server.url).send(message()));

    expect(error).toBeInstanceOf(TemporaryMailError);
    expect(error).toMatchObject({ responseCode: 451 });
    expect((error as TemporaryMailError).response).toContain("Greylisted");
  });

  it("fails fast with TemporaryMailError when nothing listens on the port", async () => {
    const port = await closedPort();
    const started = Date.now();
    const error = await rejection(
      mailer(`smtp://127.0.0.1:${port}?connectionTimeout=1000&greetingTimeout=1000`).send(message()),
    );

    expect(error).toBeInstanceOf(TemporaryMailError);
    expect(error).toMatchObject({ responseCode: null });
    expect(["ECONNECTION", "ESOCKET"]).toContain((error as TemporaryMailError).code);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("gives up with TemporaryMailError ETIMEDOUT on a server that accepts but never greets", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    const error = await rejection(mailer(`smtp://127.0.0.1:${port}?greetingTimeout=300`).send(message()));

    expect(error).toBeInstanceOf(TemporaryMailError);
    expect(error).toMatchObject({ code: "ETIMEDOUT", responseCode: null });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("reports a dropped connection after DATA as temporary; the resend carries the same Message-ID", async () => {
    const server = await smtpServer({ dropConnectionAfterData: true });
    const m = mailer(server.url);
    const first = await rejection(m.send(message()));
    // The caller's retry of the same delivery.
    const second = await rejection(m.send(message()));

    for (const error of [first, second]) {
      expect(error).toBeInstanceOf(TemporaryMailError);
      expect((error as TemporaryMailError).code).toBe("ECONNECTION");
    }
    // The server did get the message each time although the client could not know:
    // the stable Message-ID is how the receiving side tells the copies apart.
    expect(server.messages).toHaveLength(2);
    expect(server.messages.map((m) => m.parsed.messageId)).toEqual([
      "<delivery-123.abcdef@regwatch.local>",
      "<delivery-123.abcdef@regwatch.local>",
    ]);
  });

  it("treats a refused login as temporary: the credentials are wrong, not the message", async () => {
    const server = await smtpServer();
    const url = server.url.replace("smtp://", "smtp://user:wrong@");
    const error = await rejection(mailer(url).send(message()));

    expect(error).toBeInstanceOf(TemporaryMailError);
    expect((error as TemporaryMailError).code).toBe("EAUTH");
    expect(server.messages).toHaveLength(0);
  });

  it("delivers 200 messages sent at once over the pool, each exactly once", async () => {
    const server = await smtpServer();
    const m = mailer(server.url);
    const ids = Array.from({ length: 200 }, (_, i) => `<delivery-${i}.pool@regwatch.local>`);
    const results = await Promise.all(ids.map((messageId) => m.send(message({ messageId }))));
    const received = await server.waitFor(200);

    expect(results.every((r) => r.accepted)).toBe(true);
    expect(received).toHaveLength(200);
    expect(received.map((r) => r.parsed.messageId).sort()).toEqual([...ids].sort());
  });

  it("verify() is ok against a live server and not ok against a closed port", async () => {
    const server = await smtpServer();
    const port = await closedPort();

    await expect(mailer(server.url).verify()).resolves.toMatchObject({ ok: true });
    const down = await mailer(`smtp://127.0.0.1:${port}?connectionTimeout=1000`).verify();
    expect(down.ok).toBe(false);
    expect(down.detail).toContain(`127.0.0.1:${port}`);
  });

  it("refuses an invalid Message-ID, an injected header line or two recipients, before connecting", async () => {
    const server = await smtpServer();
    const m = mailer(server.url);

    const badId = await rejection(m.send(message({ messageId: "no-at-sign" })));
    expect(badId).toBeInstanceOf(PermanentMailError);
    expect((badId as PermanentMailError).message).toContain("Message-ID");
    const injected = await rejection(
      m.send(message({ headers: { "List-Id": "x\r\nBcc: victim@example.com" } })),
    );
    expect(injected).toBeInstanceOf(PermanentMailError);
    const override = await rejection(
      m.send(message({ headers: { "Message-ID": "<other@regwatch.local>" } })),
    );
    expect(override).toBeInstanceOf(PermanentMailError);
    const two = await rejection(m.send(message({ to: "a@example.com, b@example.com" })));
    expect(two).toBeInstanceOf(PermanentMailError);
    expect(server.messages).toHaveLength(0);
  });

  it("close() lets a send in flight finish, then refuses new sends as temporary", async () => {
    const server = await smtpServer();
    const m = mailer(server.url);
    const inFlight = m.send(message());
    await m.close();

    await expect(inFlight).resolves.toMatchObject({ accepted: true });
    expect(server.messages).toHaveLength(1);
    const after = await rejection(m.send(message()));
    expect(after).toBeInstanceOf(TemporaryMailError);
  });

  it("refuses an SMTP URL of another scheme", () => {
    expect(() => createMailer({ smtpUrl: "http://mail.example.com", outboxDir: ".", from: FROM })).toThrow(
      /smtp:\/\/ or smtps:\/\//,
    );
  });
});

describe("classifyMailError", () => {
  it("maps SMTP reply codes and nodemailer codes to what the caller must do", () => {
    const nm = (fields: Record<string, unknown>) => Object.assign(new Error("x"), fields);
    expect(classifyMailError(nm({ code: "EENVELOPE", responseCode: 552 }))).toBeInstanceOf(
      PermanentMailError,
    );
    expect(classifyMailError(nm({ code: "EMESSAGE", responseCode: 421 }))).toBeInstanceOf(TemporaryMailError);
    // 503: bad sequence of commands, a session problem rather than a refusal.
    expect(classifyMailError(nm({ code: "EPROTOCOL", responseCode: 503 }))).toBeInstanceOf(
      TemporaryMailError,
    );
    // No reply at all, but an address nodemailer cannot put in an envelope.
    expect(classifyMailError(nm({ code: "EENVELOPE" }))).toBeInstanceOf(PermanentMailError);
    expect(classifyMailError(nm({ code: "EAUTH", responseCode: 535 }))).toBeInstanceOf(TemporaryMailError);
    expect(classifyMailError(nm({ code: "ETIMEDOUT" }))).toBeInstanceOf(TemporaryMailError);
    expect(classifyMailError(new Error("Connection pool was closed"))).toBeInstanceOf(TemporaryMailError);
  });
});

describe("file mode (no SMTP_URL)", () => {
  it("writes one .eml that parses back to the same subject, Message-ID, headers and parts", async () => {
    const dir = await tempDir();
    const m = mailer(null, join(dir, "outbox"));
    const sent = message();
    const result = await m.send(sent);

    expect(m.kind).toBe("file");
    const files = await readdir(join(dir, "outbox"));
    expect(files).toHaveLength(1);
    expect(result).toMatchObject({ accepted: true, via: "file", path: join(dir, "outbox", files[0]!) });
    expect(result.messageId).toBe(sent.messageId);

    const raw = await readFile(result.path!);
    // RFC 5322 line ends, as on the wire.
    expect(raw.toString()).not.toMatch(/[^\r]\n/);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(sent.subject);
    expect(parsed.messageId).toBe(sent.messageId);
    expect(parsed.from?.value).toEqual([{ address: "alerts@regwatch.local", name: "regwatch alerts" }]);
    expect(parsed.to).toMatchObject({ value: [{ address: sent.to }] });
    expect(parsed.date).toBeInstanceOf(Date);
    expect(headerValue(parsed, "List-Unsubscribe")).toBe(UNSUBSCRIBE);
    expect(headerValue(parsed, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(parsed.text).toBe(sent.text);
    expect(parsed.html).toBe(sent.html);
  });

  it("writes two messages as two files named by time and Message-ID, with no temporary file left", async () => {
    const dir = await tempDir();
    const m = mailer(null, dir);
    const a = await m.send(message({ messageId: "<delivery-1.a@regwatch.local>" }));
    const b = await m.send(message({ messageId: "<delivery-2.b@regwatch.local>" }));

    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.endsWith(".eml") && !f.startsWith("."))).toBe(true);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z_delivery-1\.a_regwatch\.local\.eml$/);
    expect(files[1]).toMatch(/_delivery-2\.b_regwatch\.local\.eml$/);
    expect(new Set([a.path, b.path]).size).toBe(2);
  });

  it("names files with a safe form of any Message-ID", () => {
    const at = new Date("2024-09-06T10:11:12.345Z");
    expect(fileName(at, "<a/../b c@[127.0.0.1]>")).toBe("2024-09-06T10-11-12.345Z_a_.._b_c_127.0.0.1_.eml");
    expect(fileName(at, "<...hidden@x>")).toBe("2024-09-06T10-11-12.345Z_hidden_x.eml");
  });

  it("verify() is ok for a writable outbox and not ok when the path is a file", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "not-a-dir"), "x");

    await expect(mailer(null, join(dir, "outbox")).verify()).resolves.toMatchObject({ ok: true });
    const blocked = await mailer(null, join(dir, "not-a-dir")).verify();
    expect(blocked.ok).toBe(false);
    expect(blocked.detail).toContain("not-a-dir");
  });

  it("rejects with TemporaryMailError when the outbox cannot be written", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "not-a-dir"), "x");
    const error = await rejection(mailer(null, join(dir, "not-a-dir")).send(message()));
    expect(error).toBeInstanceOf(TemporaryMailError);
  });
});
