// The changes list and a change's page, against the app factory: filters in
// the URL give the same changes as the CSV and the Atom feed; pages are
// closed to the anonymous unless the instance is public; source text with
// markup renders inert; a list change shows its redline, its instrument (the
// Federal Register rule), the rule's other changes and its lifecycle.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { listChanges } from "@regwatch/db/queries/changes";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes } from "@regwatch/pipeline/run-source";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { parse as parseCsv } from "csv-parse/sync";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { eclItems, eclVersion } from "../support/ecl-builder.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";
import { ingestEcl, type WebApp, webApp } from "../support/web.ts";

const fixtures = join(import.meta.dirname, "../../packages/sources/src");
const read = (path: string) => readFileSync(join(fixtures, path));
const small = (id: string): SourceDefinition => {
  const s = findSource(id)!;
  return { ...s, expectations: { ...s.expectations, minEntries: 5 } };
};

const items = eclItems(120);
const SCRIPT = '<script>alert("x")</script>';

const hrefs = (html: string) => [...html.matchAll(/href="\/changes\/([0-9a-f]+)"/g)].map((m) => m[1]!);
const unique = (ids: string[]) => [...new Set(ids)];

describe.each(testDatabases())("the changes pages on $name", (testDb) => {
  let database: Database;
  let web: WebApp;
  let open: WebApp;

  beforeAll(async () => {
    database = await testDb.open();
    await ingestEcl(database, eclVersion(items, "2026-01-01"), "2026-01-02T00:00:00Z");
    const changed = [
      ...items.slice(0, 10),
      { label: "5111", text: `Quantum computers ${SCRIPT} & parts, "as described". (All destinations)` },
      ...items.slice(11, 30),
      // Enough modified entries for more than one page of 50.
      ...items.slice(30, 90).map((item, i) => ({
        ...item,
        text: i === 30 ? `${item.text} Also cryogenic wafer probers.` : `${item.text} (amended)`,
      })),
      ...items.slice(90),
    ];
    await ingestEcl(database, eclVersion(changed, "2026-02-01"), "2026-02-02T00:00:00Z");

    // The US pair: the Federal Register rule, then the eCFR version that codifies it.
    const deps: PipelineDeps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient({}),
    };
    const ingest = (source: SourceDefinition, body: Buffer, url: string, at: string) =>
      ingestBytes(deps, source, { body, url, sha256: sha256Hex(body) }, { runAt: new Date(at) });
    const fr = findSource("us.federal-register")!;
    await ingest(
      fr,
      read("us/federal-register/fixtures/fr-search-bis-2024.json"),
      "https://www.federalregister.gov/api/v1/documents.json",
      "2024-09-10T00:00:00Z",
    );
    const ccl = small("us.ecfr.ccl");
    for (const [date, at] of [
      ["2024-08-01", "2024-09-11T00:00:00Z"],
      ["2024-09-06", "2024-09-12T00:00:00Z"],
    ] as const) {
      await ingest(
        ccl,
        read(`us/ecfr-ccl/fixtures/ccl-small-${date}.xml`),
        `https://www.ecfr.gov/api/versioner/v1/full/${date}/title-15.xml`,
        at,
      );
    }
    web = await webApp(database);
    open = await webApp(database, { publicRead: true });
  });
  afterAll(async () => {
    await web.close();
    await open.close();
    await database.close();
  });

  it("sends the anonymous to sign in, and back; opens to anyone on a public instance", async () => {
    const anonymous = web.anonymous();
    const res = await anonymous.request("/changes?technology=quantum");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=%2Fchanges%3Ftechnology%3Dquantum");
    expect((await anonymous.request("/api/changes")).status).toBe(401);
    expect((await anonymous.request("/api/sources")).status).toBe(401);
    expect((await anonymous.request(`/artifacts?sha256=${"0".repeat(64)}`)).status).toBe(303);
    expect((await anonymous.request(`/changes/${"0".repeat(16)}`)).status).toBe(303);
    expect((await open.anonymous().request("/changes")).status).toBe(200);
    const { browser } = await web.signedIn("viewer");
    expect((await browser.request("/changes")).status).toBe(200);
  });

  it("agrees with its CSV and its Atom feed for a technology filter", async () => {
    const { browser } = await web.signedIn("viewer");
    const page = await browser.request("/changes?technology=semiconductor-manufacturing-equipment");
    expect(page.status).toBe(200);
    const html = await page.text();
    // The form shows the filter in use, and the exports carry it.
    expect(html).toMatch(/<option value="semiconductor-manufacturing-equipment" selected>/);
    expect(html).toContain('href="/changes.csv?technology=semiconductor-manufacturing-equipment"');
    expect(html).toContain('href="/feeds/changes.atom?technology=semiconductor-manufacturing-equipment"');
    // The subscribe form opens with the same technology ticked.
    const subscribe = await (
      await browser.request("/subscribe?technology=semiconductor-manufacturing-equipment")
    ).text();
    expect(html).toContain('href="/subscribe?technology=semiconductor-manufacturing-equipment"');
    expect(subscribe).toMatch(/value="semiconductor-manufacturing-equipment" checked/);
    const ids = unique(hrefs(html));
    expect(ids.length).toBeGreaterThan(0);

    const stored = await listChanges(database.db, { technology: "semiconductor-manufacturing-equipment" });
    expect(new Set(ids)).toEqual(new Set(stored.map((c) => c.id)));

    const csv = parseCsv(
      await (await browser.request("/changes.csv?technology=semiconductor-manufacturing-equipment")).text(),
      { columns: true, bom: true },
    ) as Record<string, string>[];
    expect(new Set(csv.map((r) => r.id))).toEqual(new Set(ids));

    const atom = new XMLParser({ isArray: (name) => name === "entry" }).parse(
      await (
        await browser.request("/feeds/changes.atom?technology=semiconductor-manufacturing-equipment")
      ).text(),
    );
    const alerted = stored.filter((c) => c.alert).map((c) => c.id);
    expect(new Set((atom.feed.entry ?? []).map((e: { id: string }) => e.id.split("/changes/")[1]))).toEqual(
      new Set(alerted),
    );
  });

  it("pages by keyset without overlap, and refuses a bad filter naming it", async () => {
    const { browser } = await web.signedIn("viewer");
    const first = await (await browser.request("/changes")).text();
    const next = /<a rel="next" href="([^"]+)"/.exec(first)?.[1]?.replaceAll("&amp;", "&");
    const all = await listChanges(database.db);
    expect(all.length).toBeGreaterThan(50);
    expect(next).toBeDefined();
    const second = await (await browser.request(next!)).text();
    const a = unique(hrefs(first.split("<table")[1]!.split("</table>")[0]!));
    const b = unique(hrefs(second.split("<table")[1]!.split("</table>")[0]!));
    expect(a).toHaveLength(50);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(new Set([...a, ...b]).size).toBe(Math.min(all.length, 100));

    const bad = await browser.request("/changes?technology=warp-drive");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("technology: unknown value");
    const cursor = await browser.request("/changes?cursor=garbage");
    expect(cursor.status).toBe(400);
  });

  it("renders source text with markup inert, on the list and on the change's page", async () => {
    const { browser } = await web.signedIn("viewer");
    const [change] = (await listChanges(database.db, { source: "ca.export-control-list" })).filter((c) =>
      (c.after ?? "").includes("<script>"),
    );
    expect(change).toBeDefined();
    const res = await browser.request(`/changes/${change!.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const html = await res.text();
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;");
    // The only scripts are the site's own asset.
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual([
      expect.stringMatching(/^<script src="\/assets\/app\.[0-9a-f]{12}\.js" defer>$/),
    ]);
    const list = await (await browser.request("/changes?q=quantum")).text();
    expect(list).not.toContain("<script>alert");
  });

  it("shows a modified entry's redline, texts, provenance and entry history link", async () => {
    const { browser } = await web.signedIn("viewer");
    const [modified] = (await listChanges(database.db, { source: "ca.export-control-list" })).filter(
      (c) => c.kind === "modified" && (c.after ?? "").includes("cryogenic wafer probers"),
    );
    expect(modified).toBeDefined();
    const html = await (await browser.request(`/changes/${modified!.id}`)).text();
    expect(html).toMatch(/<ins>[^<]*cryogenic[^<]*<\/ins>/);
    expect(html).toContain("<h2>Before</h2>");
    expect(html).toContain(`href="/artifacts?sha256=${modified!.provenance.artifactSha256}"`);
    expect(html).toContain(modified!.provenance.parserVersion);
    expect(html).toContain(
      `href="/sources/ca.export-control-list/entries/${encodeURIComponent(modified!.subject)}"`,
    );
  });

  it("shows a CCL change's instrument, the rule's other changes and its lifecycle", async () => {
    const { browser } = await web.signedIn("viewer");
    const ccl = await listChanges(database.db, { source: "us.ecfr.ccl" });
    const added = ccl.find((c) => c.subject === "3B903");
    expect(added).toMatchObject({ citation: "89 FR 72926" });
    const html = await (await browser.request(`/changes/${added!.id}`)).text();
    expect(html).toContain("<h2>Instrument</h2>");
    const others = html.split("Other changes from the same instrument")[1] ?? "";
    expect(new Set(hrefs(others))).toEqual(new Set(ccl.filter((c) => c.id !== added!.id).map((c) => c.id)));
    const lifecycle = /<ol class="lifecycle">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? "";
    expect(lifecycle).toContain("Published: ");
    expect(lifecycle).toMatch(/Codified in the list: <a href="\/changes\/[0-9a-f]+">2024-09-06<\/a>/);
    expect(lifecycle).toContain("Effective: 2024-09-06");
  });

  it("names the same control in the other lists, from the crosswalk, with its basis", async () => {
    const { browser } = await web.signedIn("viewer");
    const ccl = await listChanges(database.db, { source: "us.ecfr.ccl" });
    const sem = ccl.find((c) => c.subject === "3B903");
    const html = await (await browser.request(`/changes/${sem!.id}`)).text();
    const section = html.split("<h2>Same control elsewhere</h2>")[1]?.split("<h2>")[0] ?? "";
    expect(section).toContain("Scanning electron microscopes");
    expect(section).toContain('href="/sources/gb.legislation.eco-schedules/entries/PL9013"');
    expect(section).toContain(
      `href="/sources/ca.export-control-list/entries/${encodeURIComponent("5506(2)(d)(iv)")}"`,
    );
    expect(section).toContain("SOR/2024-112");
    expect(section).toContain("not an official concordance");
    // An ECL item outside the crosswalk says nothing of equivalents.
    const [item] = await listChanges(database.db, { source: "ca.export-control-list" });
    const plain = await (await browser.request(`/changes/${item!.id}`)).text();
    expect(plain).not.toContain("Same control elsewhere");
  });

  it("answers 404 for an unknown change, and serves its assets cached for good", async () => {
    const { browser } = await web.signedIn("viewer");
    expect((await browser.request(`/changes/${"f".repeat(16)}`)).status).toBe(404);
    const html = await (await browser.request("/changes")).text();
    const css = /href="(\/assets\/app\.[0-9a-f]{12}\.css)"/.exec(html)![1]!;
    const res = await browser.request(css);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/css/);
    expect(res.headers.get("cache-control")).toContain("immutable");
    expect(await res.text()).toContain("@media print");
    expect((await browser.request("/assets/app.000000000000.css")).status).toBe(404);
  });
});
