// Webhook subscriptions end to end: a new list version reaches a local
// receiver as a signed JSON (or Slack) POST, besides or instead of the email;
// a receiver that fails is retried after a backoff, one that refuses is given
// up and counted as a bounce; and a webhook to a private address is refused
// unless private webhooks are allowed.

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { deliverPending } from "@regwatch/alerts/deliver";
import { createSubscriptionMatcher } from "@regwatch/alerts/matcher";
import { alertOutbox } from "@regwatch/alerts/outbox";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import { verifyWebhookSignature, webhookSecret } from "@regwatch/alerts/webhook/sign";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import {
  confirmSubscription,
  createSubscription,
  getSubscription,
  type NewSubscription,
  pendingDeliveries,
} from "@regwatch/db/queries/subscriptions";
import { createMailer, type Mailer } from "@regwatch/mail/mailer";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes } from "@regwatch/pipeline/run-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { eclItems, eclVersion } from "../support/ecl-builder.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const ca = findSource("ca.export-control-list")!;
const items = eclItems(120);
const version = (lastAmended: string, list = items) => eclVersion(list, lastAmended);
const SECRET = "w".repeat(64);

interface Post {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver whose answer per path can be changed between deliveries. */
async function startReceiver() {
  const posts: Post[] = [];
  const status = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      posts.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status.get(req.url ?? "") ?? 200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    posts,
    status,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const subscription = (id: string, rest: Partial<NewSubscription>): NewSubscription => ({
  id,
  email: `${id}@example.org`,
  filters: {
    technologies: [],
    jurisdictions: ["CA"],
    countries: [],
    entries: [],
    kinds: [],
    sources: [],
    keywords: [],
  },
  cadence: "immediate",
  weekday: null,
  hour: 8,
  timeZone: "UTC",
  ...rest,
});

describe.each(testDatabases())("webhooks on $name", (testDb) => {
  let database: Database;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let deps: PipelineDeps;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let clock = new Date("2026-11-20T10:00:00Z");
  let alerts: AlertDeps;
  const ingest = (body: Buffer, at: string) =>
    ingestBytes(
      deps,
      ca,
      { body, url: "https://laws-lois.justice.gc.ca/eng/XML/SOR-89-202.xml", sha256: sha256Hex(body) },
      { runAt: new Date(at) },
    );

  beforeAll(async () => {
    database = await testDb.open();
    smtp = await startSmtpServer();
    receiver = await startReceiver();
    mailer = createMailer({
      smtpUrl: smtp.url,
      outboxDir: "/nonexistent",
      from: "regwatch <alerts@regwatch.test>",
    });
    deps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient({}),
      outbox: alertOutbox(createSubscriptionMatcher(), "https://regwatch.test"),
    };
    alerts = {
      db: database.db,
      mailer,
      secret: SECRET,
      publicUrl: "https://regwatch.test",
      log: silentLog,
      now: () => clock,
      allowPrivateWebhooks: true,
    };
    const at = new Date("2026-01-01T00:00:00Z");
    for (const sub of [
      subscription("json-and-email", { webhookUrl: `${receiver.origin}/json`, webhookFormat: "json" }),
      subscription("slack-only", {
        webhookUrl: `${receiver.origin}/slack`,
        webhookFormat: "slack",
        emailAlerts: false,
      }),
      subscription("flaky", {
        webhookUrl: `${receiver.origin}/flaky`,
        webhookFormat: "json",
        emailAlerts: false,
      }),
      subscription("gone", {
        webhookUrl: `${receiver.origin}/gone`,
        webhookFormat: "teams",
        emailAlerts: false,
      }),
    ]) {
      await createSubscription(database.db, sub, at);
      await confirmSubscription(database.db, sub.id, at);
    }
    receiver.status.set("/flaky", 503);
    receiver.status.set("/gone", 404);
    expect((await ingest(version("2026-01-10"), "2026-01-11T00:00:00Z")).status).toBe("baseline");
    const changed = version("2026-11-19", [
      ...items.slice(0, 5),
      {
        label: "5999",
        text: "Cryogenic wafer probers <@channel> [click](https://evil.example). (All destinations)",
      },
      ...items.slice(5),
    ]);
    expect((await ingest(changed, "2026-11-20T06:00:00Z")).status).toBe("changed");
  });
  afterAll(async () => {
    await mailer.close();
    await smtp.close();
    await receiver.close();
    await database.close();
  });

  it("posts each alert, signed, to each webhook, besides the email only where email is on", async () => {
    const report = await deliverPending(alerts);
    // json-and-email: email + webhook; slack-only: webhook; flaky: deferred; gone: failed.
    expect(report).toEqual({ sent: 3, failed: 1, deferred: 1, skipped: 0 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual(["json-and-email@example.org"]);

    const json = receiver.posts.find((p) => p.path === "/json")!;
    expect(json.headers["content-type"]).toMatch(/^application\/json/);
    const secret = webhookSecret(SECRET, "json-and-email");
    expect(verifyWebhookSignature(secret, json.body, json.headers, clock)).toBe(true);
    // Another subscription's secret, or a body changed on the way, does not verify.
    expect(verifyWebhookSignature(webhookSecret(SECRET, "slack-only"), json.body, json.headers, clock)).toBe(
      false,
    );
    expect(verifyWebhookSignature(secret, json.body.replace("5999", "5998"), json.headers, clock)).toBe(
      false,
    );
    const payload = JSON.parse(json.body);
    expect(payload.type).toBe("regwatch.alert");
    expect(payload.changes.map((c: { subject: string }) => c.subject)).toContain("5999");
    expect(json.headers["x-regwatch-delivery"]).toBe(payload.id);

    const slack = JSON.parse(receiver.posts.find((p) => p.path === "/slack")!.body);
    expect(typeof slack.text).toBe("string");
    expect(Array.isArray(slack.blocks)).toBe(true);
    // Source text cannot mention the channel or forge a link in Slack.
    expect(JSON.stringify(slack)).not.toContain("<@channel>");
    expect(JSON.stringify(slack)).toContain("&lt;@channel&gt;");

    const teams = JSON.parse(receiver.posts.find((p) => p.path === "/gone")!.body);
    expect(teams.attachments[0].contentType).toBe("application/vnd.microsoft.card.adaptive");
  });

  it("retries a failing receiver after its backoff, with the same delivery id, and pauses one that refuses", async () => {
    const flakyPosts = () => receiver.posts.filter((p) => p.path === "/flaky");
    expect(flakyPosts()).toHaveLength(1);
    // Within the backoff nothing is attempted.
    expect(await deliverPending(alerts)).toEqual({ sent: 0, failed: 0, deferred: 0, skipped: 0 });
    expect(flakyPosts()).toHaveLength(1);
    const [row] = await pendingDeliveries(database.db, ["immediate"], new Date("2100-01-01T00:00:00Z"));
    expect(row).toMatchObject({ subscriptionId: "flaky", channel: "webhook", attempts: 1 });
    expect(row!.lastError).toMatch(/503/);

    receiver.status.set("/flaky", 200);
    clock = new Date(clock.getTime() + 2 * 60_000);
    expect(await deliverPending(alerts)).toEqual({ sent: 1, failed: 0, deferred: 0, skipped: 0 });
    const [first, second] = flakyPosts();
    expect(second!.headers["x-regwatch-delivery"]).toBe(first!.headers["x-regwatch-delivery"]);

    // The 404 was final: one bounce counted (three pause the subscription).
    expect((await getSubscription(database.db, "gone"))?.bounces).toBe(1);
  });

  it("refuses a webhook to a private address when private webhooks are not allowed", async () => {
    const strict = { ...alerts, allowPrivateWebhooks: false };
    const at = new Date("2026-01-01T00:00:00Z");
    await createSubscription(
      database.db,
      subscription("private", { webhookUrl: `${receiver.origin}/private`, emailAlerts: false }),
      at,
    );
    await confirmSubscription(database.db, "private", at);
    const before = receiver.posts.length;
    const changed = version("2026-11-21", items);
    expect((await ingest(changed, "2026-11-21T06:00:00Z")).status).toBe("changed");
    const report = await deliverPending(strict);
    expect(report.failed).toBeGreaterThanOrEqual(1);
    expect(receiver.posts.slice(before).some((p) => p.path === "/private")).toBe(false);
  });
});
