// Alerts end to end over real SMTP: a new version of a list reaches exactly the
// confirmed immediate subscribers it matches, once each, grouped into one
// message; delivering again sends nothing twice; an unsubscribed address gets
// nothing more.

import { deliverPending } from "@regwatch/alerts/deliver";
import { createSubscriptionMatcher } from "@regwatch/alerts/matcher";
import { alertOutbox } from "@regwatch/alerts/outbox";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import {
  confirmSubscription,
  createSubscription,
  type NewSubscription,
  pendingDeliveries,
  unsubscribe,
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
const items = eclItems(150);
const version = (lastAmended: string, list = items) => eclVersion(list, lastAmended);
const v2024 = version("2024-07-23");
const v2025 = version("2025-07-24", [
  ...items.slice(0, 10),
  {
    label: "5111",
    text: "Quantum computers <script>alert(1)</script>, as described in the Guide. (All destinations)",
  },
  ...items.slice(11),
  { label: "5999", text: "Cryogenic wafer probers. (All destinations)" },
]);
const v2026 = version("2026-01-10", items.slice(0, 140));

const subscription = (
  id: string,
  email: string,
  filters: Partial<NewSubscription["filters"]>,
  cadence: NewSubscription["cadence"] = "immediate",
): NewSubscription => ({
  id,
  email,
  filters: {
    technologies: [],
    jurisdictions: [],
    countries: [],
    entries: [],
    kinds: [],
    sources: [],
    keywords: [],
    ...filters,
  },
  cadence,
  weekday: cadence === "weekly" ? 1 : null,
  hour: 8,
  timeZone: "UTC",
});

describe.each(testDatabases())("alerts over SMTP on $name", (testDb) => {
  let database: Database;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let deps: PipelineDeps;
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
      secret: "s".repeat(64),
      publicUrl: "https://regwatch.test",
      log: silentLog,
      now: () => new Date(),
    };
    const at = new Date("2025-01-01T00:00:00Z");
    for (const sub of [
      subscription("all-ca", "ca@example.org", { jurisdictions: ["CA"] }),
      subscription("item-5999", "probers@example.org", { entries: ["5999"] }),
      subscription("us-only", "us@example.org", { jurisdictions: ["US"] }),
      subscription("weekly-ca", "weekly@example.org", { jurisdictions: ["CA"] }, "weekly"),
      subscription("never-confirmed", "pending@example.org", { jurisdictions: ["CA"] }),
    ]) {
      await createSubscription(database.db, sub, at);
      if (sub.id !== "never-confirmed") await confirmSubscription(database.db, sub.id, at);
    }
  });
  afterAll(async () => {
    await mailer.close();
    await smtp.close();
    await database.close();
  });

  it("sends one grouped message to each matching immediate subscriber, and nothing to the rest", async () => {
    expect((await ingest(v2024, "2025-01-02T00:00:00Z")).status).toBe("baseline");
    // A baseline tells nobody.
    expect(await pendingDeliveries(database.db, ["immediate"])).toEqual([]);

    const outcome = await ingest(v2025, "2025-07-25T00:00:00Z");
    expect(outcome.status).toBe("changed");
    const changed = outcome.records.filter((r) => r.alert);
    expect(changed.length).toBeGreaterThan(1);

    const report = await deliverPending(alerts);
    expect(report).toEqual({ sent: 2, failed: 0, deferred: 0, skipped: 0 });
    await smtp.waitFor(2);
    const byAddress = new Map<string, typeof smtp.messages>();
    for (const m of smtp.messages) byAddress.set(m.to[0]!, [...(byAddress.get(m.to[0]!) ?? []), m]);
    expect([...byAddress.keys()].sort()).toEqual(["ca@example.org", "probers@example.org"]);
    expect(byAddress.get("ca@example.org")).toHaveLength(1);
    const all = byAddress.get("ca@example.org")![0]!;
    // Every change of the version in one message, source text escaped.
    for (const r of changed) expect(all.parsed.text).toContain(r.subject);
    expect(String(all.parsed.html)).not.toMatch(/<script>/);
    expect(all.parsed.subject).toMatch(/^\[CA\] /);
    const probers = byAddress.get("probers@example.org")![0]!;
    expect(probers.parsed.subject).toMatch(/5999/);
    expect(probers.parsed.text).not.toContain("5111");
    expect(probers.raw.toString()).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    // Each message carries its own subscriber's links, in the body as in the header.
    for (const m of [all, probers]) {
      const head = m.raw
        .toString()
        .split("\r\n\r\n")[0]!
        .replace(/\r\n[ \t]+/g, " ");
      const header = /^List-Unsubscribe: <(\S+)>\r?$/m.exec(head)![1]!;
      expect(m.parsed.text).toContain(`Unsubscribe: ${header}`);
      expect(String(m.parsed.html)).toContain(`href="${header}"`);
      expect(`${m.parsed.text}${m.parsed.html}`).not.toContain("links.invalid");
    }
  });

  it("never sends a delivery twice, and the same Message-ID is the same message", async () => {
    const before = smtp.messages.length;
    expect(await deliverPending(alerts)).toEqual({ sent: 0, failed: 0, deferred: 0, skipped: 0 });
    expect(smtp.messages.length).toBe(before);
    const ids = smtp.messages.map((m) => m.parsed.messageId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("sends nothing more to an address that unsubscribed", async () => {
    await unsubscribe(database.db, { email: "probers@example.org" }, new Date());
    const before = smtp.messages.length;
    expect((await ingest(v2026, "2026-01-11T00:00:00Z")).status).toBe("changed");
    const report = await deliverPending(alerts);
    expect(report.sent).toBe(1);
    await smtp.waitFor(before + 1);
    expect(smtp.messages.slice(before).map((m) => m.to[0])).toEqual(["ca@example.org"]);
  });

  it("sends at most once more, with the same Message-ID, when the sender dies between 'accepted' and 'marked sent'", async () => {
    const before = smtp.messages.length;
    const v2027 = version("2027-01-10", [
      ...items.slice(0, 140),
      { label: "5998", text: "Ion implanters. (All destinations)" },
    ]);
    expect((await ingest(v2027, "2027-01-11T00:00:00Z")).status).toBe("changed");
    // The server accepts the message, then the sender dies before recording it:
    // the row is still pending, as after a crash.
    const dying: Mailer = {
      ...mailer,
      async send(message) {
        await mailer.send(message);
        throw new Error("worker killed after the server accepted the message");
      },
    };
    expect(await deliverPending({ ...alerts, mailer: dying })).toMatchObject({ sent: 0, deferred: 1 });
    await smtp.waitFor(before + 1);
    expect(await pendingDeliveries(database.db, ["immediate"], new Date("2100-01-01T00:00:00Z"))).not.toEqual(
      [],
    );

    // The next sweep (after the backoff) sends it again: the same message to the receiver.
    const later = { ...alerts, now: () => new Date(Date.now() + 10 * 60_000) };
    expect(await deliverPending(later)).toMatchObject({ sent: 1 });
    await smtp.waitFor(before + 2);
    const [first, second] = smtp.messages.slice(before);
    expect(second!.parsed.messageId).toBe(first!.parsed.messageId);
    expect(second!.parsed.subject).toBe(first!.parsed.subject);
    // And never a third time.
    expect(await deliverPending(later)).toEqual({ sent: 0, failed: 0, deferred: 0, skipped: 0 });
    expect(smtp.messages).toHaveLength(before + 2);
  });

  it("never lets two senders running at once send the same message", async () => {
    const before = smtp.messages.length;
    const v2028 = version("2028-01-10", [
      ...items.slice(0, 140),
      { label: "5998", text: "Ion implanters. (All destinations)" },
      { label: "5997", text: "Electron-beam lithography systems. (All destinations)" },
    ]);
    expect((await ingest(v2028, "2028-01-11T00:00:00Z")).status).toBe("changed");
    const [a, b] = await Promise.all([deliverPending(alerts), deliverPending(alerts)]);
    expect(a.sent + b.sent).toBe(1);
    await smtp.waitFor(before + 1);
    // Give a duplicate the time to arrive, were there one.
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.messages.slice(before).map((m) => m.to[0])).toEqual(["ca@example.org"]);
  });
});
