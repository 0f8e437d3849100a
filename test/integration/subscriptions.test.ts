// Subscribing as a person does it, over HTTP and real SMTP: double opt-in,
// signed links, one-click unsubscribe, clear refusals, escaped input.
import type { Server } from "node:http";
import { subscriptionLinks } from "@regwatch/alerts/links";
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

  it("manages preferences from the signed link: the form shows them, a POST saves them, bad input names the field", async () => {
    const res = await fetch(`${base}/subscriptions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "manage@example.org", keywords: ["<b>wafer</b>"] }),
    });
    const { id } = (await res.json()) as { id: string };
    const manage = local(subscriptionLinks("http://regwatch.test", SECRET, id, new Date()).manage);

    const page = await fetch(manage);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("manage@example.org");
    // What the subscriber typed comes back escaped, in the field's value.
    expect(html).toContain('value="&#60;b&#62;wafer&#60;/b&#62;"');
    expect(html).not.toContain("<b>wafer</b>");
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'none'/);

    const form = new URLSearchParams([
      ["technologies", "quantum"],
      ["technologies", "semiconductor-manufacturing-equipment"],
      ["jurisdictions", "JP"],
      ["entries", "3B001, 5506"],
      ["keywords", ""],
      ["cadence", "weekly"],
      ["weekday", "4"],
      ["hour", "7"],
      ["timeZone", "Asia/Tokyo"],
      ["sendEmptyDigests", "false"],
      ["emailAlerts", "true"],
      ["webhookUrl", ""],
      ["webhookFormat", "json"],
    ]);
    const saved = await fetch(manage, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    const savedPage = await saved.clone().text();
    expect(saved.status, /Not saved[^<]*/.exec(savedPage)?.[0]).toBe(200);
    expect(await saved.text()).toMatch(/Saved\./);
    const row = await getSubscription(database.db, id);
    expect(row).toMatchObject({
      email: "manage@example.org",
      cadence: "weekly",
      weekday: 4,
      hour: 7,
      timeZone: "Asia/Tokyo",
      sendEmptyDigests: false,
      filters: {
        technologies: ["quantum", "semiconductor-manufacturing-equipment"],
        jurisdictions: ["JP"],
        entries: ["3B001", "5506"],
        keywords: [],
        kinds: [],
      },
    });

    // A bad value is refused naming the field, and nothing is saved.
    form.set("timeZone", "Mars/Olympus_Mons");
    const refused = await fetch(manage, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/Not saved — timeZone/);
    expect((await getSubscription(database.db, id))?.timeZone).toBe("Asia/Tokyo");

    // The address is not the form's to change.
    form.set("timeZone", "UTC");
    form.set("email", "thief@example.net");
    await fetch(manage, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    expect((await getSubscription(database.db, id))?.email).toBe("manage@example.org");

    // A link for another purpose does not open the page; a tampered one neither.
    const unsubscribeLink = local(
      subscriptionLinks("http://regwatch.test", SECRET, id, new Date()).unsubscribe,
    );
    const wrong = await fetch(unsubscribeLink.replace("/unsubscribe", "/subscriptions/manage"));
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toMatch(/not meant for this page/);
    const tampered = await fetch(`${manage.slice(0, -2)}xx`, { method: "POST", body: form.toString() });
    expect(tampered.status).toBe(400);

    const stop = await fetch(manage.replace("/subscriptions/manage", "/subscriptions/manage/unsubscribe"), {
      method: "POST",
    });
    expect(stop.status).toBe(200);
    expect((await getSubscription(database.db, id))?.status).toBe("unsubscribed");
    expect((await fetch(manage)).status).toBe(410);
  });
});
