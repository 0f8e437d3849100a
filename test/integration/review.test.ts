// The weekly review against the app factory (no socket), on each test
// database: two versions of the CA Export Control List ingested through the
// real pipeline give the changes to review (one whose text carries
// `<script>`); a reviewer marks them through the form, with CSRF, and every
// mark is audited once; viewers read but cannot mark; the review is never
// public; the CSV parses back to the page's rows; the sources section tells a
// provably quiet source from a silent but unhealthy one; the PDF is a PDF.

import { existsSync } from "node:fs";
import { escapeHtml } from "@regwatch/alerts/escape";
import { classifyError, SourceUnavailableError } from "@regwatch/core/errors";
import type { Database } from "@regwatch/db/open-database";
import { type ReviewAuditEntry, reviewAudit, reviewChanges } from "@regwatch/db/queries/reviews";
import { ensureSource, recordFailure, recordSuccess } from "@regwatch/db/queries/sources";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { eclItems, eclVersion } from "../support/ecl-builder.ts";
import { type Browser, ingestEcl, type WebApp, webApp } from "../support/web.ts";

const NOW = new Date("2026-02-05T12:00:00Z");
// The default period at NOW: the 7 days ending on its date.
const PERIOD = "from=2026-01-30&to=2026-02-05";
const REVIEW = `/review?${PERIOD}`;
const items = eclItems(120);

function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium"].filter((p): p is string => !!p);
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** The part of a review page about the sources. */
function sourcesSection(page: string): { quiet: string; unproven: string } {
  const section = page.split('<section class="review-sources">')[1] ?? "";
  const [quiet = "", unproven = ""] = section.split('<div class="notice">');
  return { quiet, unproven };
}

describe.each(testDatabases())("the weekly review on $name", (testDb) => {
  let database: Database;
  let web: WebApp;
  let scriptId: string;
  let addedId: string;
  const chromium = chromiumPath();

  beforeAll(async () => {
    database = await testDb.open();
    await ingestEcl(database, eclVersion(items, "2026-01-01"), "2026-01-02T00:00:00Z");
    const changed = [
      ...items.slice(0, 10),
      { label: "5111", text: 'Quantum computers <script>alert("x")</script> & parts. (All destinations)' },
      ...items.slice(11),
      { label: "5999", text: "Ceramic garden ornaments. (All destinations)" },
    ];
    await ingestEcl(database, eclVersion(changed, "2026-02-01"), "2026-02-02T00:00:00Z");
    const { changes } = await reviewChanges(database.db, {
      start: new Date("2026-01-30T00:00:00Z"),
      end: new Date("2026-02-06T00:00:00Z"),
    });
    scriptId = changes.find((c) => c.subject === "5111")!.id;
    addedId = changes.find((c) => c.subject === "5999")!.id;
    // A source that ran well all week and found nothing, and one that was down.
    await ensureSource(database.db, {
      id: "us.federal-register",
      jurisdiction: "US",
      kind: "documents",
      title: "Federal Register",
    });
    await recordSuccess(database.db, "us.federal-register", { at: new Date("2026-01-20T06:00:00Z") });
    await recordSuccess(database.db, "us.federal-register", { at: new Date("2026-02-04T06:00:00Z") });
    await ensureSource(database.db, {
      id: "us.ecfr.ccl",
      jurisdiction: "US",
      kind: "list",
      title: "Commerce Control List",
    });
    await recordSuccess(database.db, "us.ecfr.ccl", { at: new Date("2026-01-20T06:00:00Z") });
    await recordSuccess(database.db, "us.ecfr.ccl", { at: new Date("2026-01-25T06:00:00Z") });
    await recordFailure(database.db, "us.ecfr.ccl", {
      at: new Date("2026-02-03T06:00:00Z"),
      failure: classifyError(new SourceUnavailableError("HTTP 503 from www.ecfr.gov")),
    });
    web = await webApp(database, { now: () => NOW, dashboard: { chromiumPath: chromium } });
  });
  afterAll(async () => {
    await web?.close();
    await database?.close();
  });

  const audit = (changeId?: string): Promise<ReviewAuditEntry[]> =>
    reviewAudit(database.db, { changeId: changeId ?? null, limit: 100 });

  async function reviewer(): Promise<{ browser: Browser; csrf: string; email: string }> {
    const { browser, user } = await web.signedIn("reviewer");
    return { browser, csrf: await browser.csrfFrom(REVIEW), email: user.email };
  }

  it("sends the signed-out to sign in, even on a public instance", async () => {
    const res = await web.anonymous().request(REVIEW);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent(REVIEW)}`);
    const open = await webApp(database, { now: () => NOW, publicRead: true });
    try {
      for (const path of [REVIEW, `/review.csv?${PERIOD}`, "/review/audit"]) {
        const answer = await open.anonymous().request(path);
        expect(answer.status, path).toBe(303);
        expect(answer.headers.get("location")).toMatch(/^\/login\?next=/);
      }
      const post = await open.anonymous().post("/review/marks", { change: scriptId, status: "reviewed" });
      expect(post.status).toBe(303);
      expect(post.headers.get("location")).toMatch(/^\/login/);
    } finally {
      await open.close();
    }
  });

  it("shows a viewer the review without mark forms, and refuses the viewer's marks", async () => {
    const { browser } = await web.signedIn("viewer");
    const res = await browser.request(REVIEW);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`href="/changes/${scriptId}"`);
    expect(page).toContain(`href="/changes/${addedId}"`);
    expect(page).not.toContain('class="mark"');
    expect(page).not.toContain('action="/review/marks"');
    expect(page).not.toContain('href="/review/audit"');
    // The viewer's own CSRF value (from the sign-out form): refused for the role, not the form.
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const post = await browser.post("/review/marks", { csrf, change: scriptId, status: "reviewed" });
    expect(post.status).toBe(403);
    expect(await audit()).toHaveLength(0);
    expect((await browser.request("/review/audit")).status).toBe(403);
  });

  it("groups the period's changes by jurisdiction and technology, with counts and escaped source text", async () => {
    const { browser } = await reviewer();
    const page = await (await browser.request(REVIEW)).text();
    expect(page).toContain("CA — Canada");
    expect(page).toContain("Quantum computing and quantum devices");
    expect(page).toContain("Other (no technology tag)");
    expect(page).toMatch(/<dt>Changes<\/dt><dd class="num">2<\/dd>/);
    expect(page).toMatch(/<dt>Open<\/dt><dd class="num">2<\/dd>/);
    expect(page).not.toContain("<script>alert");
    expect(page).toContain(escapeHtml('<script>alert("x")</script>'));
    // One form per change, each carrying the change, the CSRF value and the way back.
    expect(page.match(/<form class="mark" method="post" action="\/review\/marks">/g)).toHaveLength(2);
    expect(page).toContain(`name="change" value="${scriptId}"`);
    expect(page).toContain(`name="back" value="${escapeHtml(REVIEW)}"`);
    // The period's links: the weeks either side (none after today), the CSV, print, PDF, audit log.
    expect(page).toContain(`href="${escapeHtml("/review?from=2026-01-23&to=2026-01-29")}"`);
    expect(page).not.toContain("Next week");
    expect(page).toContain(`href="${escapeHtml(`/review.csv?${PERIOD}`)}"`);
    expect(page).toContain("data-print");
    expect(page).toContain(`href="${escapeHtml(`${REVIEW}&print=1`)}"`);
    expect(page.includes(`href="/review.pdf?`)).toBe(chromium !== null);
    expect(page).toContain('href="/review/audit"');
    // A week with no changes says so; the week after the ingest is empty.
    const empty = await (await browser.request("/review?from=2026-01-03&to=2026-01-09")).text();
    expect(empty).toContain("No changes were detected in this period.");
    expect(empty).toContain(`href="${escapeHtml("/review?from=2026-01-10&to=2026-01-16")}"`);
  });

  it("marks a change, audits each change of mark once, and shows the note escaped", async () => {
    const { browser, csrf, email } = await reviewer();
    const first = await browser.post("/review/marks", {
      csrf,
      change: scriptId,
      status: "action-needed",
      note: "<b>x</b> check the licence\r\nbefore Friday",
      back: REVIEW,
    });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe(`${REVIEW}#change-${scriptId}`);
    const page = await (await browser.request(REVIEW)).text();
    expect(page).toContain('<span class="mark-action-needed">Action needed</span>');
    expect(page).toContain(`${escapeHtml("<b>x</b> check the licence")}<br>before Friday`);
    expect(page).not.toContain("<b>x</b>");
    expect(page).toContain(email);
    expect(page).toContain(`href="/review/audit?change=${scriptId}"`);
    expect(page).toMatch(/<dt>Action needed<\/dt><dd class="num mark-action-needed">1<\/dd>/);
    expect(page).toMatch(/<dt>Open<\/dt><dd class="num">1<\/dd>/);
    let log = await audit(scriptId);
    expect(log).toHaveLength(1);
    expect(log[0]!.before).toBeNull();
    expect(log[0]!.after).toEqual({
      status: "action-needed",
      note: "<b>x</b> check the licence\nbefore Friday",
    });
    expect(log[0]!.userEmail).toBe(email);

    const second = await browser.post("/review/marks", {
      csrf,
      change: scriptId,
      status: "reviewed",
      back: REVIEW,
    });
    expect(second.status).toBe(303);
    log = await audit(scriptId);
    expect(log).toHaveLength(2);
    expect(log[0]!.before).toEqual({
      status: "action-needed",
      note: "<b>x</b> check the licence\nbefore Friday",
    });
    expect(log[0]!.after).toEqual({ status: "reviewed", note: "" });

    // The same mark again: nothing to audit.
    const again = await browser.post("/review/marks", {
      csrf,
      change: scriptId,
      status: "reviewed",
      back: REVIEW,
    });
    expect(again.status).toBe(303);
    expect(await audit(scriptId)).toHaveLength(2);

    const auditPage = await (await browser.request(`/review/audit?change=${scriptId}`)).text();
    expect(auditPage).toContain(email);
    expect(auditPage).toContain(`href="/changes/${scriptId}"`);
    expect(auditPage).toContain(escapeHtml("<b>x</b>"));
    expect(auditPage).not.toContain("<b>x</b>");
    expect(auditPage.match(/<tr><td class="date">/g)).toHaveLength(2);
    // Newest first: the row that set "reviewed" comes before the one that set "action needed".
    expect(auditPage.indexOf(">Reviewed<")).toBeLessThan(auditPage.lastIndexOf(escapeHtml("<b>x")));
  });

  it("refuses a mark without this browser's CSRF value, and writes nothing", async () => {
    const { browser } = await reviewer();
    const before = (await audit()).length;
    const missing = await browser.post("/review/marks", { change: addedId, status: "not-applicable" });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain("Form expired");
    const wrong = await browser.post("/review/marks", {
      csrf: "A".repeat(43),
      change: addedId,
      status: "not-applicable",
    });
    expect(wrong.status).toBe(403);
    expect(await audit()).toHaveLength(before);
    expect(await audit(addedId)).toHaveLength(0);
  });

  it("refuses a bad status, an unknown change, a long note and bad periods, naming what was wrong", async () => {
    const { browser, csrf } = await reviewer();
    const before = (await audit()).length;
    const badStatus = await browser.post("/review/marks", { csrf, change: addedId, status: "done" });
    expect(badStatus.status).toBe(400);
    expect(await badStatus.text()).toContain(
      "status: expected one of reviewed, action-needed, not-applicable",
    );
    const unknown = await browser.post("/review/marks", { csrf, change: "f".repeat(32), status: "reviewed" });
    expect(unknown.status).toBe(404);
    const long = await browser.post("/review/marks", {
      csrf,
      change: addedId,
      status: "reviewed",
      note: "n".repeat(2001),
    });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain("note: at most 2000 characters");
    const nul = await browser.post("/review/marks", {
      csrf,
      change: addedId,
      status: "reviewed",
      note: "a\u0000b",
    });
    expect(nul.status).toBe(400);
    expect(await audit()).toHaveLength(before);

    const periods: [string, string][] = [
      ["from=2026-02-30&to=2026-03-01", "from:"],
      ["from=2026-2-1&to=2026-02-07", "from:"],
      ["from=2026-02-07&to=2026-02-01", "from:"],
      ["from=2025-01-01&to=2026-02-01", "to:"],
      ["to=yesterday", "to:"],
      ["from=2026-01-01&from=2026-01-02", "from:"],
    ];
    for (const [query, parameter] of periods) {
      for (const path of ["/review", "/review.csv"]) {
        const res = await browser.request(`${path}?${query}`);
        expect(res.status, `${path}?${query}`).toBe(400);
        expect(await res.text(), query).toContain(parameter);
      }
    }
    // A full leap year is a review; a day more is not.
    expect((await browser.request("/review?from=2024-01-01&to=2024-12-31")).status).toBe(200);
    expect((await browser.request("/review?from=2024-01-01&to=2025-01-01")).status).toBe(400);
  });

  it("sends the reviewer back only to a review page of this site", async () => {
    const { browser, csrf } = await reviewer();
    const backs: [string, string][] = [
      ["//evil.example/review", "/review"],
      ["https://evil.example/review", "/review"],
      ["/review\\@evil.example", "/review"],
      ["/changes", "/review"],
      ["/review?from=2026-01-30&to=2026-02-05\r\nset-cookie: x=1", "/review"],
      ["/review/audit?change=abc", "/review/audit?change=abc"],
    ];
    for (const [back, expected] of backs) {
      const res = await browser.post("/review/marks", {
        csrf,
        change: addedId,
        status: "not-applicable",
        note: `back ${back}`,
        back,
      });
      expect(res.status, back).toBe(303);
      expect(res.headers.get("location"), back).toBe(`${expected}#change-${addedId}`);
    }
  });

  it("exports the review as CSV that parses back to one row per change with its mark", async () => {
    const { browser, csrf, email } = await reviewer();
    await browser.post("/review/marks", {
      csrf,
      change: addedId,
      status: "not-applicable",
      note: '=HYPERLINK("http://evil.example"), "quoted", and a comma',
      back: REVIEW,
    });
    const { browser: viewer } = await web.signedIn("viewer");
    const res = await viewer.request(`/review.csv?${PERIOD}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toBe(
      'attachment; filename="regwatch-review-2026-01-30-to-2026-02-05.csv"',
    );
    const text = await res.text();
    expect(text.endsWith("\r\n")).toBe(true);
    // CRLF after every record, and no bare LF: the notes in this period hold no line breaks.
    expect(text.split("\r\n")).toHaveLength(4);
    expect(text.replace(/\r\n/g, "")).not.toContain("\n");
    const rows: string[][] = parse(text);
    expect(rows[0]).toEqual([
      "detected_at",
      "jurisdiction",
      "technology",
      "subject",
      "title",
      "kind",
      "citation",
      "status",
      "note",
      "reviewed_by",
      "reviewed_at",
      "url",
    ]);
    expect(rows).toHaveLength(3);
    const bySubject = new Map(rows.slice(1).map((r) => [r[3], r]));
    const quantum = bySubject.get("5111")!;
    expect(quantum.slice(0, 3)).toEqual(["2026-02-02T00:00:00.000Z", "CA", "quantum"]);
    expect(quantum[4]).toContain('<script>alert("x")</script>');
    expect(quantum[7]).toBe("reviewed");
    const added = bySubject.get("5999")!;
    expect(added[5]).toBe("added");
    expect(added[6]).toBe("SOR/2026-1");
    expect(added[7]).toBe("not-applicable");
    // A note that would run as a formula in a spreadsheet is written as text.
    expect(added[8]).toBe(`'=HYPERLINK("http://evil.example"), "quoted", and a comma`);
    expect(added[9]).toBe(email);
    expect(added[10]).toBe(NOW.toISOString());
    expect(added[11]).toMatch(/^https:\/\/laws-lois\.justice\.gc\.ca\//);
    // The period's rows only.
    const empty: string[][] = parse(
      await (await viewer.request("/review.csv?from=2026-01-03&to=2026-01-09")).text(),
    );
    expect(empty).toHaveLength(1);
  });

  it("names the healthy sources with no changes, and warns of the silent ones that were not healthy", async () => {
    const { browser } = await web.signedIn("viewer");
    const page = await (await browser.request(REVIEW)).text();
    // Marks are shown to a viewer, but not the reviewers' audit trail.
    expect(page).toContain('<span class="mark-reviewed">Reviewed</span>');
    expect(page).not.toContain("/review/audit");
    const { quiet, unproven } = sourcesSection(page);
    expect(quiet).toContain('<td class="key">us.federal-register</td>');
    expect(quiet).not.toContain("ca.export-control-list</td>");
    expect(quiet).not.toContain("us.ecfr.ccl");
    expect(unproven).toContain("us.ecfr.ccl");
    expect(unproven).toContain("it went unreachable during the period");
    expect(unproven).not.toContain("us.federal-register");
    // What a source is now does not rewrite a past week: the CCL, down since 02-03, was healthy through 01-21..27.
    const earlier = sourcesSection(
      await (await browser.request("/review?from=2026-01-21&to=2026-01-27")).text(),
    );
    for (const id of ["us.federal-register", "us.ecfr.ccl", "ca.export-control-list"])
      expect(earlier.quiet).toContain(`<td class="key">${id}</td>`);
    expect(earlier.unproven).toBe("");
  });

  it("does not count as quiet a healthy source with no successful check in the period, nor one that never ran", async () => {
    await ensureSource(database.db, { id: "test.silent", jurisdiction: "GB", kind: "page", title: "Silent" });
    await recordSuccess(database.db, "test.silent", { at: new Date("2026-01-10T06:00:00Z") });
    const wider = await webApp(database, {
      now: () => NOW,
      sourceIds: ["us.federal-register", "test.silent", "test.never-ran"],
    });
    try {
      const { browser } = await wider.signedIn("viewer");
      const { quiet, unproven } = sourcesSection(await (await browser.request(REVIEW)).text());
      expect(quiet).toContain('<td class="key">us.federal-register</td>');
      expect(quiet).not.toContain("test.silent");
      expect(unproven).toContain("test.silent");
      expect(unproven).toContain("no successful check since 2026-01-10");
      expect(unproven).toMatch(/test\.never-ran<\/span>: it has never run/);
    } finally {
      await wider.close();
    }
  });

  it("renders a print view without forms, the source text still escaped", async () => {
    const { browser } = await reviewer();
    const res = await browser.request(`${REVIEW}&print=1`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`href="/changes/${scriptId}"`);
    expect(page).not.toContain('class="mark"');
    expect(page).not.toContain('class="filters"');
    expect(page).toContain("data-print");
    expect(page).not.toContain("<script>alert");
    expect(page).toContain(escapeHtml("<script>alert"));
  });

  it("prints the review to PDF through Chromium, and has no PDF without it", async (ctx) => {
    const { browser } = await reviewer();
    const plain = await webApp(database, { now: () => NOW, dashboard: { chromiumPath: null } });
    try {
      const { browser: other } = await plain.signedIn("reviewer");
      expect((await other.request(`/review.pdf?${PERIOD}`)).status).toBe(404);
      expect(await (await other.request(REVIEW)).text()).not.toContain("/review.pdf");
    } finally {
      await plain.close();
    }
    if (!chromium) {
      if (process.env.REGWATCH_REQUIRE_SERVICES === "1")
        throw new Error("REGWATCH_REQUIRE_SERVICES=1 but Chromium is not installed (CHROMIUM_PATH)");
      ctx.skip();
      return;
    }
    const res = await browser.request(`/review.pdf?${PERIOD}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toBe(
      'attachment; filename="regwatch-review-2026-01-30-to-2026-02-05.pdf"',
    );
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(pdf.length).toBeGreaterThan(1000);
  });
});
