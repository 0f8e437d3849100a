// Subscribing as a person does it, over HTTP and real SMTP: double opt-in,
// signed links, one-click unsubscribe, clear refusals, escaped input.
import type { Server } from "node:http";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import type { Database } from "@regwatch/db/open-database";
import { getSubscription, listSubscriptions } from "@regwatch/db/queries/subscriptions";
import { createMailer, type Mailer } from "@regwatch/mail/mailer";
import { createAppServer } from "@regwatch/server/app";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { silentLog } from "../support/test-http.ts";

/** A header as it came on the wire, unfolded. */
function header(raw: Buffer, name: string): string | undefined {
  const head = raw
    .toString("utf8")
    .split("\r\n\r\n")[0]!
    .replace(/\r\n[ \t]+/g, " ");
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

const SOURCES = ["us.federal-register", "us.ecfr.ccl", "ca.export-control-list"];
const SECRET = "k".repeat(64);

describe.each(testDatabases())("subscriptions over HTTP and SMTP on $name", (testDb) => {
  let database: Database;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let server: Server;
  let base: string;
  let alerts: AlertDeps;

  beforeAll(async () => {
    database = await testDb.open();
    smtp = await startSmtpServer();
    mailer = createMailer({
      smtpUrl: smtp.url,
      outboxDir: "/nonexistent",
      from: "regwatch <alerts@regwatch.test>",
    });
    alerts = {
      db: database.db,
      mailer,
      secret: SECRET,
      publicUrl: "http://regwatch.test",
      log: silentLog,
      now: () => new Date(),
    };
    server = createAppServer({
      database,
      sourceIds: SOURCES,
      startedAt: new Date(),
      subscriptions: { alerts, sourceIds: SOURCES, perClientPerHour: 1000 },
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await mailer.close();
    await smtp.close();
    await database.close();
  });

  /** The service's links point at PUBLIC_URL; the test server answers them. */
  const local = (link: string) => link.replace("http://regwatch.test", base);

  it("takes a subscription, sends one confirmation with unsubscribe headers, and activates it from the link", async () => {
    const before = smtp.messages.length;
    const res = await fetch(`${base}/subscriptions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: "Analyst@Example.ORG",
        technologies: ["quantum"],
        jurisdictions: "us,ca",
      }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; status: string; confirmationSent: boolean };
    expect(created).toMatchObject({ status: "pending", confirmationSent: true });
    await smtp.waitFor(before + 1);
    const mail = smtp.messages[before]!;
    expect(mail.to).toEqual(["Analyst@example.org"]);
    expect(mail.parsed.subject).toBe("Confirm your regwatch subscription");
    expect(mail.parsed.messageId).toBe(`<confirm.${created.id}@regwatch.test>`);
    // mailparser folds List-* headers into its own structure: read them as they came.
    expect(header(mail.raw, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(header(mail.raw, "List-Unsubscribe")).toMatch(
      /^<http:\/\/regwatch\.test\/unsubscribe\?token=[^>]+>$/,
    );
    expect(mail.parsed.text).toMatch(/Technologies: quantum/);
    expect(mail.parsed.text).toMatch(/Issuing jurisdictions: US, CA/);
    const confirm = /http:\/\/regwatch\.test\/subscriptions\/confirm\?token=\S+/.exec(
      mail.parsed.text ?? "",
    )![0];

    // Nothing is active before the link is followed; following it twice is harmless.
    expect((await getSubscription(database.db, created.id))?.status).toBe("pending");
    for (let i = 0; i < 2; i++) {
      const page = await fetch(local(confirm));
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/Subscription confirmed/);
    }
    expect((await getSubscription(database.db, created.id))?.status).toBe("active");
  });

  it("unsubscribes with the one-click POST from the List-Unsubscribe header; GET only shows a button", async () => {
    const before = smtp.messages.length;
    const res = await fetch(`${base}/subscriptions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=oneclick%40example.org&cadence=weekly&weekday=fri&hour=7&timeZone=Europe%2FParis",
    });
    expect(res.status).toBe(201);
    expect(await res.text()).toMatch(/Check your inbox/);
    await smtp.waitFor(before + 1);
    const listUnsubscribe = header(smtp.messages[before]!.raw, "List-Unsubscribe") ?? "";
    const link = /<(http:\/\/regwatch\.test\/unsubscribe\?token=[^>]+)>/.exec(listUnsubscribe)![1]!;
    const [row] = await listSubscriptions(database.db, { email: "oneclick@example.org" });
    expect(row).toMatchObject({ cadence: "weekly", weekday: 5, hour: 7, timeZone: "Europe/Paris" });

    const shown = await fetch(local(link));
    expect(shown.status).toBe(200);
    expect(await shown.text()).toMatch(/<form method="post"/);
    expect((await getSubscription(database.db, row!.id))?.status).toBe("pending");

    const done = await fetch(local(link), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(done.status).toBe(200);
    expect((await getSubscription(database.db, row!.id))?.status).toBe("unsubscribed");
  });

  it("refuses bad input naming the field, tampered links, and a flood of confirmations to one address", async () => {
    const bad = await fetch(`${base}/subscriptions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@example.org", technologies: ["quantumm"] }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      field: "technologies",
      error: expect.stringMatching(/unknown technology "quantumm"/),
    });

    const injection = await fetch(`${base}/subscriptions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@example.org\r\nBcc: victim@example.net" }),
    });
    expect(injection.status).toBe(400);
    expect(await injection.json()).toMatchObject({ field: "email" });

    const tampered = await fetch(`${base}/subscriptions/confirm?token=eyJwIjoiY29uZmlybSJ9.AAAA`);
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toMatch(/Link not valid/);

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${base}/subscriptions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "flooded@example.org" }),
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it("escapes what subscribers type wherever it is shown", async () => {
    const before = smtp.messages.length;
    const res = await fetch(`${base}/subscriptions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "escape@example.org", keywords: ['<script>alert("x")</script>'] }),
    });
    expect(res.status).toBe(201);
    await smtp.waitFor(before + 1);
    const html = String(smtp.messages[before]!.parsed.html);
    expect(html).not.toMatch(/<script>/);
    expect(html).toMatch(/&#60;script&#62;/);
  });
});
