// Digests over real SMTP for a fixed moment: the period's changes grouped by
// jurisdiction then technology, the attestation of what was watched, an empty
// digest still sent (unless turned off), and a second decision for the same
// moment sending nothing.

import { deliverPending } from "@regwatch/alerts/deliver";
import { planDigests } from "@regwatch/alerts/digests";
import { createSubscriptionMatcher } from "@regwatch/alerts/matcher";
import { alertOutbox } from "@regwatch/alerts/outbox";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { ensureSource, recordFetchAttempt, recordSuccess } from "@regwatch/db/queries/sources";
import {
  confirmSubscription,
  createSubscription,
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
import { type ReceivedMessage, startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const ca = findSource("ca.export-control-list")!;
const ccl = findSource("us.ecfr.ccl")!;
const items = eclItems(150);
const version = (lastAmended: string, list = items) => eclVersion(list, lastAmended);
const before = version("2026-10-01");
const after = version("2026-11-17", [
  ...items.slice(0, 10),
  {
    label: "5111",
    text: "Quantum computers <b>and</b> their parts, as described in the Guide. (All destinations)",
  },
  ...items.slice(11),
  { label: "5999", text: "Cryogenic wafer probers. (All destinations)" },
]);

const subscription = (
  id: string,
  filters: Partial<NewSubscription["filters"]>,
  rest: Partial<NewSubscription> = {},
): NewSubscription => ({
  id,
  email: `${id}@example.org`,
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
  cadence: "weekly",
  weekday: 1,
  hour: 8,
  timeZone: "UTC",
  ...rest,
});

// Monday 2026-11-23 09:00 UTC: the weekly digests of Monday 08:00 UTC are due, covering Monday 11-16 to Sunday 11-22.
const NOW = new Date("2026-11-23T09:00:00Z");

describe.each(testDatabases())("digests on $name", (testDb) => {
  let database: Database;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let deps: PipelineDeps;
  let alerts: AlertDeps;
  const to = (address: string): ReceivedMessage[] => smtp.messages.filter((m) => m.to.includes(address));
  // A scheduled run as the pipeline records it: a fetch attempt and a success on the run's clock.
  const checked = async (sourceId: string, at: string, changed = false) => {
    await recordFetchAttempt(database.db, { sourceId, startedAt: new Date(at), outcome: "not-modified" });
    await recordSuccess(database.db, sourceId, { at: new Date(at), changed });
  };

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
    const ingest = (body: Buffer, at: string) =>
      ingestBytes(
        deps,
        ca,
        { body, url: "https://laws-lois.justice.gc.ca/eng/XML/SOR-89-202.xml", sha256: sha256Hex(body) },
        { runAt: new Date(at) },
      );
    await ensureSource(database.db, ccl);
    expect((await ingest(before, "2026-10-02T06:00:00Z")).status).toBe("baseline");
    await checked("us.ecfr.ccl", "2026-10-02T06:00:00Z", true);
    expect((await ingest(after, "2026-11-18T06:00:00Z")).status).toBe("changed");
    await checked("ca.export-control-list", "2026-11-20T06:00:00Z");
    await checked("us.ecfr.ccl", "2026-11-17T06:00:00Z");
    await checked("us.ecfr.ccl", "2026-11-20T06:00:00Z");
    const confirmedAt = new Date("2026-11-01T00:00:00Z");
    for (const sub of [
      subscription("weekly-ca", { jurisdictions: ["CA"] }),
      subscription("weekly-probers", { entries: ["5999"] }),
      subscription("weekly-us", { jurisdictions: ["US"] }),
      subscription("weekly-us-quiet", { jurisdictions: ["US"] }, { sendEmptyDigests: false }),
      // Tuesdays: not due on a Monday.
      subscription("weekly-tuesday", {}, { weekday: 2 }),
      subscription("immediate-ca", { jurisdictions: ["CA"] }, { cadence: "immediate", weekday: null }),
    ]) {
      await createSubscription(database.db, sub, confirmedAt);
      await confirmSubscription(database.db, sub.id, confirmedAt);
    }
    // Confirmed after the moment: it gets that moment's digest all the same.
    await createSubscription(database.db, subscription("weekly-late", {}), NOW);
    await confirmSubscription(database.db, "weekly-late", new Date("2026-11-23T08:30:00Z"));
  });
  afterAll(async () => {
    await mailer.close();
    await smtp.close();
    await database.close();
  });

  it("decides the digests due at the moment, and sends each once", async () => {
    const plan = await planDigests(alerts, "weekly", NOW);
    expect(plan).toEqual({ subscriptions: 6, due: 5, written: 5 });
    // The Tuesday subscriber's moment is six days old: past its grace, next Tuesday's digest will cover the gap.
    const report = await deliverPending(alerts, { kinds: ["digest"] });
    // The quiet US subscriber had no changes and turned empty digests off.
    expect(report).toEqual({ sent: 4, failed: 0, deferred: 0, skipped: 1 });
    await smtp.waitFor(4);
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual([
      "weekly-ca@example.org",
      "weekly-late@example.org",
      "weekly-probers@example.org",
      "weekly-us@example.org",
    ]);

    // The same moment again (a second sweep, `regwatch digest` run twice), and later in the same week: nothing new.
    expect(await planDigests(alerts, "weekly", NOW)).toMatchObject({ due: 5, written: 0 });
    expect(await planDigests(alerts, "weekly", new Date("2026-11-24T07:00:00Z"))).toMatchObject({
      written: 0,
    });
    expect(await deliverPending(alerts, { kinds: ["digest"] })).toEqual({
      sent: 0,
      failed: 0,
      deferred: 0,
      skipped: 0,
    });
    expect(smtp.messages).toHaveLength(4);
    expect(await pendingDeliveries(database.db, ["digest"])).toEqual([]);
  });

  it("lists the period's changes grouped by jurisdiction, with the attestation of the sources", () => {
    const [digest] = to("weekly-ca@example.org");
    const { parsed } = digest!;
    expect(parsed.subject).toMatch(/^\[Weekly\] \d+ changes in 1 jurisdiction, 2026-11-16 – 11-22$/);
    const text = parsed.text ?? "";
    expect(text).toContain("Canada (CA)");
    expect(text).toMatch(/5999/);
    expect(text).toMatch(/5111/);
    // Each change links to its page on regwatch.
    expect(text).toMatch(/https:\/\/regwatch\.test\/changes\/[^\s]+/);
    // Source text is escaped in HTML.
    expect(String(parsed.html)).not.toContain("<b>and</b>");
    expect(String(parsed.html)).toMatch(/Quantum computers (&lt;|&#60;)b(&gt;|&#62;)and/);
    // Grouped: the jurisdiction, then each technology under it.
    expect(text.indexOf("Canada (CA)")).toBeLessThan(text.indexOf("Quantum computing"));
    expect(text.indexOf("Quantum computing")).toBeLessThan(text.indexOf("ECL 5111"));
    expect(text.indexOf("Semiconductor manufacturing equipment")).toBeLessThan(text.indexOf("ECL 5999"));
    // The health section covers the subscriber's sources: CA only, checked in the period.
    expect(text).toMatch(/Source health/i);
    expect(text).not.toMatch(/CCL/);
    expect(digest!.raw.toString()).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    expect(parsed.messageId).toMatch(/^<digest\.weekly-ca\.20261123T000000000Z@regwatch\.test>$/);
  });

  it("keeps a portfolio digest to its entries", () => {
    const text = to("weekly-probers@example.org")[0]!.parsed.text ?? "";
    expect(to("weekly-probers@example.org")[0]!.parsed.subject).toMatch(
      /^\[Weekly\] 1 change in 1 jurisdiction/,
    );
    expect(text).toMatch(/5999/);
    expect(text).not.toMatch(/5111/);
  });

  it("sends a digest with no changes as the attestation that the sources were watched", () => {
    const { parsed } = to("weekly-us@example.org")[0]!;
    expect(parsed.subject).toBe("[Weekly] No changes, 2026-11-16 – 11-22");
    const text = parsed.text ?? "";
    expect(text).toMatch(/No changes matched your subscription/);
    // Checked twice in the period, nothing changed since the first run of 2026-10-02.
    expect(text).toMatch(/Nothing changed in CCL since 2026-10-02/);
    expect(text).toMatch(/2 checks/);
    expect(to("weekly-us-quiet@example.org")).toEqual([]);
  });

  it("sends next week's digests, each period starting where the last one ended", async () => {
    const next = await planDigests(alerts, "weekly", new Date("2026-11-30T08:00:00Z"));
    expect(next).toMatchObject({ due: 5, written: 5 });
    const report = await deliverPending(alerts, { kinds: ["digest"] });
    expect(report.sent).toBe(4);
    expect(report.skipped).toBe(1);
    await smtp.waitFor(8);
    expect(to("weekly-late@example.org")).toHaveLength(2);
    expect(to("weekly-ca@example.org")[1]!.parsed.subject).toBe("[Weekly] No changes, 2026-11-23 – 11-29");
  });
});
