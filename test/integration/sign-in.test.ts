// Signing in by emailed link, over real SMTP and the app factory: the link
// works once, a GET never uses it up, forms without this site's CSRF value are
// refused, the session opens the API, signing out (or disabling the user)
// closes it, and the form does not tell who has an account.

import { randomUUID } from "node:crypto";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import type { Database } from "@regwatch/db/open-database";
import { disableUser, upsertUser } from "@regwatch/db/queries/users";
import { createMailer, type Mailer } from "@regwatch/mail/mailer";
import { createApp } from "@regwatch/server/app";
import { safeNext } from "@regwatch/server/routes/login";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { silentLog } from "../support/test-http.ts";
import { Browser } from "../support/web.ts";

const SOURCES = ["ca.export-control-list"];

describe.each(testDatabases())("sign-in by emailed link on $name", (testDb) => {
  let database: Database;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    database = await testDb.open();
    smtp = await startSmtpServer();
    mailer = createMailer({
      smtpUrl: smtp.url,
      outboxDir: "/nonexistent",
      from: "regwatch <alerts@regwatch.test>",
    });
    const alerts: AlertDeps = {
      db: database.db,
      mailer,
      secret: "a".repeat(64),
      publicUrl: "https://regwatch.test",
      log: silentLog,
      now: () => new Date(),
    };
    app = createApp({
      database,
      sourceIds: SOURCES,
      startedAt: new Date(),
      auth: alerts,
      changes: { database, sourceIds: SOURCES },
      dashboard: {
        database,
        sources: SOURCES.map((id) => ({ id, schedule: "0 * * * *", cadence: "hourly" })),
      },
    });
    await upsertUser(
      database.db,
      { id: randomUUID(), email: "admin@example.org", role: "admin" },
      new Date(),
    );
    await upsertUser(
      database.db,
      { id: randomUUID(), email: "gone@example.org", role: "viewer" },
      new Date(),
    );
  });
  afterAll(async () => {
    await mailer.close();
    await smtp.close();
    await database.close();
  });

  async function signIn(browser: Browser, email: string): Promise<string> {
    const before = smtp.messages.length;
    const sent = await browser.post("/login", { email, csrf: await browser.csrfFrom("/login") });
    expect(sent.status).toBe(200);
    await smtp.waitFor(before + 1);
    const mail = smtp.messages[before]!;
    expect(mail.to).toEqual([email]);
    expect(mail.parsed.subject).toBe("Sign in to regwatch");
    return /https:\/\/regwatch\.test(\/login\?token=\S+)/.exec(mail.parsed.text ?? "")![1]!;
  }

  it("signs in through the emailed link, once, and the session opens the API until signing out", async () => {
    const browser = new Browser(app);
    expect((await browser.request("/api/changes")).status).toBe(401);
    expect((await browser.request("/")).headers.get("location")).toBe("/login");

    const link = await signIn(browser, "admin@example.org");
    // Following the link (or a mail scanner doing so) only shows a button.
    const landing = await browser.request(link);
    expect(landing.status).toBe(200);
    const html = await landing.text();
    const token = /name="token" value="([^"]+)"/.exec(html)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const confirmed = await browser.post("/login/confirm", { token, csrf });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe("/");
    const cookie = confirmed.headers.getSetCookie().find((c) => c.startsWith("regwatch_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Secure/);

    expect((await browser.request("/api/changes")).status).toBe(200);
    expect((await browser.request("/")).headers.get("location")).toBe("/changes");
    expect(await (await browser.request("/changes")).text()).toContain("admin@example.org · admin");

    // The same link again, even in the same browser: used.
    const again = await browser.post("/login/confirm", { token, csrf });
    expect(again.status).toBe(400);

    const out = await browser.post("/logout", { csrf: await browser.csrfFrom("/changes") });
    expect(out.status).toBe(303);
    expect((await browser.request("/api/changes")).status).toBe(401);
  });

  it("goes back to the page that asked for sign-in, and never to another site", async () => {
    const browser = new Browser(app);
    const asked = await browser.request("/changes?technology=quantum");
    expect(asked.status).toBe(303);
    const login = asked.headers.get("location")!;
    expect(login).toBe(`/login?next=${encodeURIComponent("/changes?technology=quantum")}`);
    const csrf = await browser.csrfFrom(login);
    const before = smtp.messages.length;
    await browser.post("/login", { email: "admin@example.org", csrf, next: "/changes?technology=quantum" });
    await smtp.waitFor(before + 1);
    const link = /https:\/\/regwatch\.test(\/login\?token=\S+)/.exec(
      smtp.messages[before]!.parsed.text ?? "",
    )![1]!;
    const html = await (await browser.request(link)).text();
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)![1]!;
    expect(field("next")).toBe("/changes?technology=quantum");
    const confirmed = await browser.post("/login/confirm", {
      token: field("token"),
      csrf: field("csrf"),
      next: "/changes?technology=quantum",
    });
    expect(confirmed.headers.get("location")).toBe("/changes?technology=quantum");
    expect(safeNext("//evil.example/x")).toBeNull();
    expect(safeNext("/\\evil.example")).toBeNull();
    expect(safeNext("https://evil.example/")).toBeNull();
    expect(safeNext("/review?from=2026-01-01")).toBe("/review?from=2026-01-01");
  });

  it("refuses forms without this site's CSRF value, and forged session cookies", async () => {
    const browser = new Browser(app);
    await browser.csrfFrom("/login");
    const before = smtp.messages.length;
    expect((await browser.post("/login", { email: "admin@example.org", csrf: "x".repeat(43) })).status).toBe(
      403,
    );
    expect((await browser.post("/login", { email: "admin@example.org" })).status).toBe(403);
    // A form posted from elsewhere carries no cookie at all.
    const stranger = new Browser(app);
    expect((await stranger.post("/login", { email: "admin@example.org", csrf: "y".repeat(43) })).status).toBe(
      403,
    );
    expect(smtp.messages.length).toBe(before);

    const forged = new Browser(app);
    forged.jar.set("regwatch_session", "eyJwIjoic2Vzc2lvbiIsInMiOiJ4IiwiZSI6OTk5OTk5OTk5OX0.AAAA");
    expect((await forged.request("/api/changes")).status).toBe(401);
  });

  it("answers the same whether or not the address has an account, and sends nothing to a disabled one", async () => {
    const browser = new Browser(app);
    const before = smtp.messages.length;
    const unknown = await browser.post("/login", {
      email: "nobody@example.org",
      csrf: await browser.csrfFrom("/login"),
    });
    const known = await browser.post("/login", {
      email: "gone@example.org",
      csrf: await browser.csrfFrom("/login"),
    });
    expect(await unknown.text()).toBe(await known.text());
    await smtp.waitFor(before + 1);
    await disableUser(database.db, "gone@example.org", new Date());
    await browser.post("/login", { email: "gone@example.org", csrf: await browser.csrfFrom("/login") });
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.messages.slice(before).map((m) => m.to[0])).toEqual(["gone@example.org"]);
  });

  it("ends a disabled user's sessions", async () => {
    await upsertUser(
      database.db,
      { id: randomUUID(), email: "temp@example.org", role: "viewer" },
      new Date(),
    );
    const browser = new Browser(app);
    const link = await signIn(browser, "temp@example.org");
    const html = await (await browser.request(link)).text();
    await browser.post("/login/confirm", {
      token: /name="token" value="([^"]+)"/.exec(html)![1]!,
      csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]!,
    });
    expect((await browser.request("/api/changes")).status).toBe(200);
    await disableUser(database.db, "temp@example.org", new Date());
    expect((await browser.request("/api/changes")).status).toBe(401);
  });
});
