// Operator alerts over real SMTP: one email to ADMIN_EMAIL per source-health
// transition (failing, quarantined, recovered), never one per failed attempt;
// the quarantine email says why and links the kept bytes, which the server
// hands out as a download.

import type { Server } from "node:http";
import { deliverPending } from "@regwatch/alerts/deliver";
import { planOperatorAlerts } from "@regwatch/alerts/operator";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import { classifyError, SourceUnavailableError } from "@regwatch/core/errors";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { recordFailure, recordSuccess } from "@regwatch/db/queries/sources";
import { createMailer, type Mailer } from "@regwatch/mail/mailer";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes } from "@regwatch/pipeline/run-source";
import { createAppServer } from "@regwatch/server/app";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { eclItems, eclVersion } from "../support/ecl-builder.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const ca = findSource("ca.export-control-list")!;
const items = eclItems(120);
const version = (lastAmended: string, list = items) => eclVersion(list, lastAmended);

describe.each(testDatabases())("operator alerts on $name", (testDb) => {
  let database: Database;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let deps: PipelineDeps;
  let alerts: AlertDeps;
  let server: Server;
  let base: string;
  const now = () => new Date();
  const ingest = (body: Buffer, at: Date) =>
    ingestBytes(
      deps,
      ca,
      { body, url: "https://laws-lois.justice.gc.ca/eng/XML/SOR-89-202.xml", sha256: sha256Hex(body) },
      { runAt: at },
    );
  const sweep = async () => {
    const written = await planOperatorAlerts(alerts, now());
    const report = await deliverPending(alerts, { kinds: ["operator"] });
    return { written, ...report };
  };

  beforeAll(async () => {
    database = await testDb.open();
    smtp = await startSmtpServer();
    mailer = createMailer({
      smtpUrl: smtp.url,
      outboxDir: "/nonexistent",
      from: "regwatch <alerts@regwatch.test>",
    });
    deps = { db: database.db, log: silentLog, exclusive: createExclusive(), http: testHttpClient({}) };
    alerts = {
      db: database.db,
      mailer,
      secret: "o".repeat(64),
      publicUrl: "http://regwatch.test",
      log: silentLog,
      now,
      adminEmail: "ops@example.org",
    };
    server = createAppServer({
      database,
      sourceIds: [ca.id],
      startedAt: new Date(),
      artifacts: { database, files: null },
      publicRead: true,
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

  it("says nothing about a source's first success", async () => {
    expect((await ingest(version("2026-01-10"), new Date(Date.now() - 3_600_000))).status).toBe("baseline");
    expect(await sweep()).toMatchObject({ written: 0, sent: 0 });
  });

  it("sends one email when a source starts failing, however many attempts fail", async () => {
    const failure = classifyError(
      new SourceUnavailableError("GET laws-lois.justice.gc.ca: connect ECONNREFUSED"),
    );
    for (let i = 0; i < 3; i++) await recordFailure(database.db, ca.id, { at: now(), failure });
    expect(await sweep()).toMatchObject({ written: 1, sent: 1 });
    await recordFailure(database.db, ca.id, { at: now(), failure });
    expect(await sweep()).toMatchObject({ written: 0, sent: 0 });
    await smtp.waitFor(1);
    const [mail] = smtp.messages;
    expect(mail!.to).toEqual(["ops@example.org"]);
    expect(mail!.parsed.subject).toBe(
      "[regwatch] ca.export-control-list is failing (unreachable): GET laws-lois.justice.gc.ca: connect ECONNREFUSED",
    );
    expect(mail!.parsed.text).toMatch(/Health: healthy → unreachable/);
    expect(mail!.parsed.text).toMatch(/none per failed attempt/);
  });

  it("sends one email when it recovers", async () => {
    await recordSuccess(database.db, ca.id, { at: now() });
    expect(await sweep()).toMatchObject({ written: 1, sent: 1 });
    await smtp.waitFor(2);
    expect(smtp.messages[1]!.parsed.subject).toBe(
      "[regwatch] ca.export-control-list recovered (was unreachable)",
    );
  });

  it("says why a snapshot was quarantined and links its kept bytes", async () => {
    // Most of the list gone at once: outside the source's expectations.
    const suspicious = version("2026-11-20", items.slice(0, 10));
    expect((await ingest(suspicious, now())).status).toBe("quarantined");
    expect(await sweep()).toMatchObject({ written: 1, sent: 1 });
    await smtp.waitFor(3);
    const mail = smtp.messages[2]!;
    expect(mail.parsed.subject).toMatch(
      /^\[regwatch\] ca\.export-control-list quarantined a snapshot: 11 entries, fewer than the \d+ expected$/,
    );
    const text = mail.parsed.text ?? "";
    expect(text).toContain(`SHA-256: ${sha256Hex(suspicious)}`);
    const link = /Kept bytes: (\S+)/.exec(text)![1]!;
    expect(link).toBe(`http://regwatch.test/artifacts?sha256=${sha256Hex(suspicious)}`);

    const res = await fetch(link.replace("http://regwatch.test", base));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await res.arrayBuffer()).equals(suspicious)).toBe(true);
    expect((await fetch(`${base}/artifacts?sha256=nothex`)).status).toBe(400);
    expect((await fetch(`${base}/artifacts?sha256=${"0".repeat(64)}`)).status).toBe(404);
  });

  it("writes nothing without ADMIN_EMAIL", async () => {
    await recordSuccess(database.db, ca.id, { at: now() });
    expect(await planOperatorAlerts({ ...alerts, adminEmail: null }, now())).toBe(0);
  });
});
