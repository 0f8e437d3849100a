// The dashboard in a real browser (playwright-core driving Debian's
// Chromium) against the real server over a socket, with mail through an
// in-process SMTP server: sign in through the emailed link, filter changes,
// open one, mark it reviewed with a note, export the review as CSV,
// subscribe and confirm. Each main page is saved as a screenshot under
// test-artifacts/screenshots/ for people to look at.

import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import { type Database, openDatabase } from "@regwatch/db/open-database";
import { upsertUser } from "@regwatch/db/queries/users";
import { CHROMIUM_ARGS } from "@regwatch/fetch/browser";
import { createMailer, type Mailer } from "@regwatch/mail/mailer";
import { createAppServer } from "@regwatch/server/app";
import { parse as parseCsv } from "csv-parse/sync";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eclItems, eclVersion } from "../support/ecl-builder.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { silentLog } from "../support/test-http.ts";
import { ingestEcl, SECRET, sourceInfo, WEB_SOURCES } from "../support/web.ts";

const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const present = existsSync(chromiumPath);
if (!present && process.env.REGWATCH_REQUIRE_SERVICES === "1") {
  throw new Error(`REGWATCH_REQUIRE_SERVICES=1 but Chromium is not at ${chromiumPath}`);
}
const SCREENSHOTS = join(import.meta.dirname, "../../test-artifacts/screenshots");
const ADMIN = "admin@example.org";

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe.skipIf(!present)("the dashboard in Chromium", () => {
  let database: Database;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    database = await openDatabase({ memory: true });
    await database.migrate();
    const items = eclItems(120);
    const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString();
    await ingestEcl(database, eclVersion(items, "2026-01-01"), day(3));
    await ingestEcl(
      database,
      eclVersion(
        [
          ...items.slice(0, 10),
          {
            label: "5111",
            text: 'Quantum computers <script>alert("x")</script> & parts. (All destinations)',
          },
          ...items.slice(11, 20),
          ...items.slice(20, 30).map((i) => ({ ...i, text: `${i.text} Also cryogenic wafer probers.` })),
          ...items.slice(30),
        ],
        "2026-02-01",
      ),
      day(1),
    );
    smtp = await startSmtpServer();
    mailer = createMailer({
      smtpUrl: smtp.url,
      outboxDir: "/nonexistent",
      from: "regwatch <alerts@regwatch.test>",
    });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const alerts: AlertDeps = {
      db: database.db,
      mailer,
      secret: SECRET,
      publicUrl: base,
      log: silentLog,
      now: () => new Date(),
    };
    const sources = WEB_SOURCES.map(sourceInfo);
    server = createAppServer({
      database,
      sourceIds: WEB_SOURCES,
      startedAt: new Date(),
      log: silentLog,
      publicUrl: base,
      auth: alerts,
      sources,
      changes: { database, sourceIds: WEB_SOURCES },
      subscriptions: { alerts, sourceIds: WEB_SOURCES },
      artifacts: { database, files: null },
      dashboard: { database, sources, chromiumPath },
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    // The first admin, as `regwatch users add --admin` makes it.
    await upsertUser(database.db, { id: randomUUID(), email: ADMIN, role: "admin" }, new Date());

    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1360, height: 900 },
    });
    page = await context.newPage();
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await mailer?.close();
    await smtp?.close();
    await database?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  /** The link in the newest message to `to`, made absolute on this server. */
  async function linkFromMail(count: number, pattern: RegExp): Promise<string> {
    await smtp.waitFor(count, 10_000);
    const text = smtp.messages[count - 1]!.parsed.text ?? "";
    const link = pattern.exec(text)?.[0];
    if (!link) throw new Error(`no link like ${pattern} in:\n${text}`);
    return link;
  }

  it("signs in through the emailed link and comes back to the page asked for", async () => {
    await page.goto(`${base}/changes?technology=quantum`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await shot("login");
    await page.fill('input[name="email"]', ADMIN);
    const before = smtp.messages.length;
    await page.click('button[type="submit"]');
    await page.waitForSelector("text=Check your inbox");
    const link = await linkFromMail(before + 1, /http:\/\/127\.0\.0\.1:\d+\/login\?token=\S+/);
    await page.goto(link);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(/\/changes\?technology=quantum$/);
    expect(await page.locator("header .who").textContent()).toContain(ADMIN);
  }, 30_000);

  it("filters changes and opens one: source markup stays text", async () => {
    await page.goto(`${base}/changes`);
    await page.selectOption('select[name="technology"]', "quantum");
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/technology=quantum/);
    // The enhancing script drops empty fields: the shared URL holds only the filter in use.
    expect(new URL(page.url()).search).toBe("?technology=quantum");
    const rows = page.locator("table.changes tbody tr");
    expect(await rows.count()).toBeGreaterThan(0);
    await shot("changes");
    await page.click("table.changes tbody tr:first-child td:nth-child(4) a");
    await page.waitForURL(/\/changes\/[0-9a-f]+$/);
    expect(await page.locator("h1").textContent()).toContain("5111");
    expect(await page.locator("main").textContent()).toContain('<script>alert("x")</script>');
    expect(dialogs).toEqual([]);
    await shot("change-detail");
  }, 30_000);

  it("marks a change reviewed with a note, then exports the review as CSV", async () => {
    await page.goto(`${base}/review`);
    const row = page.locator("tr:has(form.mark)").first();
    const changeId = ((await row.getAttribute("id")) ?? "").replace(/^change-/, "");
    expect(changeId).toMatch(/^[0-9a-f]+$/);
    await row.locator('select[name="status"]').selectOption("reviewed");
    await row.locator('textarea[name="note"]').fill("Checked against SOR/2026-1; no licence impact.");
    await row.locator('form.mark button[type="submit"]').click();
    await page.waitForURL(new RegExp(`#change-${changeId}$`));
    const marked = page.locator(`#change-${changeId}`);
    expect(await marked.textContent()).toContain("Checked against SOR/2026-1; no licence impact.");
    await shot("review");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click('a:has-text("Export CSV")'),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^regwatch-review-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    const rows = parseCsv(readFileSync((await download.path())!), { columns: true }) as Record<
      string,
      string
    >[];
    const mine = rows.filter((r) => r.status === "reviewed");
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      note: "Checked against SOR/2026-1; no licence impact.",
      reviewed_by: ADMIN,
    });
    expect(rows.length).toBeGreaterThan(1);

    await page.goto(`${base}/review?print=1`);
    expect(await page.locator("form.mark").count()).toBe(0);
    await page.emulateMedia({ media: "print" });
    await shot("review-print");
    await page.emulateMedia({ media: "screen" });
  }, 30_000);

  it("shows the matrix, the sources and the admin pages", async () => {
    for (const [path, name] of [
      ["/matrix", "matrix"],
      ["/sources", "sources"],
      ["/sources/ca.export-control-list", "source"],
      ["/admin", "admin"],
      ["/admin/queues", "queues"],
    ] as const) {
      const res = await page.goto(`${base}${path}`);
      expect(res?.status(), path).toBe(200);
      await shot(name);
    }
    // The matrix: Canada tracked and controlling quantum through 5111.
    const quantum = page.locator("table.matrix tr", { hasText: "Quantum" }).first();
    await page.goto(`${base}/matrix`);
    expect(await quantum.textContent()).toContain("5111");
    expect(dialogs).toEqual([]);
  }, 30_000);

  it("subscribes through the public form and confirms through the emailed link", async () => {
    const anonymous = await browser.newContext();
    const visitor = await anonymous.newPage();
    try {
      await visitor.goto(`${base}/subscribe`);
      await visitor.screenshot({ path: join(SCREENSHOTS, "subscribe.png"), fullPage: true });
      await visitor.fill('input[name="email"]', "analyst@example.org");
      await visitor.check('input[name="technologies"][value="quantum"]');
      const before = smtp.messages.length;
      await visitor.click('form button[type="submit"]');
      await visitor.waitForLoadState();
      const link = await linkFromMail(
        before + 1,
        /http:\/\/127\.0\.0\.1:\d+\/subscriptions\/confirm\?token=\S+/,
      );
      expect(smtp.messages[before]!.to).toEqual(["analyst@example.org"]);
      await visitor.goto(link);
      expect(await visitor.locator("h1").textContent()).toBe("Subscription confirmed");
    } finally {
      await anonymous.close();
    }
    // The admin sees it, confirmed.
    await page.goto(`${base}/admin/subscriptions`);
    const row = page.locator("tr", { hasText: "analyst@example.org" });
    expect(await row.textContent()).toContain("active");
    await shot("admin-subscriptions");
  }, 30_000);
});
