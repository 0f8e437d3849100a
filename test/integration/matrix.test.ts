// The alignment matrix (/matrix and /api/matrix) against the app factory,
// built from lists ingested through the real pipeline: a cell is in force
// when the current list version holds an entry tagged with the technology,
// its "since" is traced to the change record and instrument that brought
// it (or to the list's own date, or to the first version seen), a removed
// entry takes the cell back to "none", jurisdictions without a tracked list
// are "not tracked", and the page shows exactly what the JSON says.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { JURISDICTION_CODES } from "@regwatch/core/jurisdictions";
import { TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { listChanges } from "@regwatch/db/queries/changes";
import type { AlignmentMatrix, MatrixCell } from "@regwatch/db/queries/matrix";
import { ensureSource } from "@regwatch/db/queries/sources";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes } from "@regwatch/pipeline/run-source";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { type EclItem, eclItems, eclVersion } from "../support/ecl-builder.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";
import { type Browser, ingestEcl, type WebApp, webApp } from "../support/web.ts";

const fixtures = join(import.meta.dirname, "../../packages/sources/src");
const read = (path: string) => readFileSync(join(fixtures, path));

// The small CCL fixtures hold 14 entries; the real expectations are sized for the real list.
const ccl: SourceDefinition = (() => {
  const s = findSource("us.ecfr.ccl")!;
  return { ...s, expectations: { ...s.expectations, minEntries: 5 } };
})();
const fr = findSource("us.federal-register")!;

const TODAY = "2026-06-01";
const ECL_URL = "https://laws-lois.justice.gc.ca/eng/regulations/SOR-89-202/FullText.html";

const items = eclItems(120);
// In the list since 2024 (the baseline says so), tagged quantum by its words.
const quantum: EclItem = {
  label: "5601",
  text: "Quantum computers and their electronic assemblies, as described in the Guide. (All destinations)",
  inForce: "2024-07-19",
};
// Added in 2026 by SOR/2026-1; its text carries markup that must stay text.
const additive: EclItem = {
  label: "5602",
  text: 'Additive manufacturing equipment <script>alert("x")</script> & "parts". (All destinations)',
  inForce: "2026-02-01",
};
// Enacted, in force only in 2099.
const gaafet: EclItem = {
  label: "5603",
  text: "Technology for GAAFETs, as described in the Guide. (All destinations)",
  inForce: "2099-01-01",
};
// A generic item reworded in 2026 to cover quantum: the control begins with the rewording.
const reworded = (i: number): EclItem => ({
  ...items[i]!,
  text: "Cryocoolers for quantum computers, as described in the Guide. (All destinations)",
  inForce: "2026-02-01",
});
const REWORDED = items[9]!.label;

const versions = {
  v1: eclVersion([...items, quantum], "2026-01-01"),
  v2: eclVersion(
    [...items.map((it, i) => (i === 9 ? reworded(i) : it)), quantum, additive, gaafet],
    "2026-02-01",
  ),
  // The quantum item repealed and the rewording undone.
  v3: eclVersion([...items, additive, gaafet], "2026-03-01"),
};

function cellOf(m: AlignmentMatrix, technology: string, jurisdiction: string): MatrixCell {
  const cell = m.cells.find((c) => c.technology === technology && c.jurisdiction === jurisdiction);
  if (!cell) throw new Error(`no cell ${technology} × ${jurisdiction}`);
  return cell;
}

const decode = (s: string) =>
  s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, "&");
const textOf = (markup: string) =>
  decode(
    markup
      .replace(/<\/?(?:div|strong|br)[^>]*>/g, " ")
      .replace(/<[^>]+>/g, "")
      .replace(/\s+/g, " ")
      .trim(),
  );

interface PageCell {
  technology: string;
  jurisdiction: string;
  status: MatrixCell["status"];
  since: string | null;
  keys: string[];
  hrefs: string[];
  more: number;
  changeId: string | null;
  text: string;
}

const STATUS_BY_TEXT: [string, MatrixCell["status"]][] = [
  ["In force", "in-force"],
  ["Scheduled", "scheduled"],
  ["No control found", "none"],
  // A dash under a column marked "not tracked" (asserted with the column's note).
  ["—", "not-tracked"],
];

/** The cells of the page's matrix table, read by position: columns from the header, rows from their headers. */
function pageCells(page: string): PageCell[] {
  const table = /<table class="matrix">([\s\S]*?)<\/table>/.exec(page)?.[1];
  if (!table) throw new Error("no matrix table on the page");
  const head = /<thead>([\s\S]*?)<\/thead>/.exec(table)![1]!;
  const columns = [
    ...head.matchAll(/<th scope="col"><a [^>]*><abbr title="[^"]*">([^<]+)<\/abbr><\/a>([\s\S]*?)<\/th>/g),
  ];
  const codes = columns.map((m) => m[1]!);
  const notes = new Map(columns.map((m) => [m[1]!, textOf(m[2]!)]));
  const out: PageCell[] = [];
  for (const row of table.matchAll(/<tr><th scope="row">([\s\S]*?)<\/th>([\s\S]*?)<\/tr>/g)) {
    const technology = /<a href="\/changes\?technology=([^"]+)"/.exec(row[1]!)![1]!;
    const tds = [...row[2]!.matchAll(/<td class="(yes|no)">([\s\S]*?)<\/td>/g)];
    expect(tds).toHaveLength(codes.length);
    tds.forEach((td, i) => {
      const body = td[2]!;
      const text = textOf(body);
      const status = STATUS_BY_TEXT.find(([label]) => text.startsWith(label))?.[1];
      if (!status) throw new Error(`cell ${technology} × ${codes[i]} says "${text}"`);
      // A column says why it has nothing to say, and only then.
      expect(/not tracked|no list version yet/.test(notes.get(codes[i]!)!)).toBe(status === "not-tracked");
      // Only an in-force cell is marked as such.
      expect(td[1]).toBe(status === "in-force" ? "yes" : "no");
      const links = [...body.matchAll(/<a class="key" href="([^"]+)"[^>]*>([^<]+)<\/a>/g)];
      out.push({
        technology,
        jurisdiction: codes[i]!,
        status,
        since: /<time datetime="([^"]*)">/.exec(body)?.[1] ?? null,
        keys: links.map((l) => decode(l[2]!)),
        hrefs: links.map((l) => decode(l[1]!)),
        more: Number(/\+(\d+) more/.exec(text)?.[1] ?? 0),
        changeId: /<a href="\/changes\/([^"]+)">change record<\/a>/.exec(body)?.[1] ?? null,
        text,
      });
    });
  }
  return out;
}

describe.each(testDatabases())("the alignment matrix on $name", (testDb) => {
  let database: Database;
  let web: WebApp;
  let viewer: Browser;
  let deps: PipelineDeps;

  const api = async (browser: Browser = viewer): Promise<AlignmentMatrix> => {
    const res = await browser.request("/api/matrix");
    expect(res.status).toBe(200);
    return (await res.json()) as AlignmentMatrix;
  };
  const page = async (browser: Browser = viewer): Promise<string> => {
    const res = await browser.request("/matrix");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    return res.text();
  };
  const recordId = async (source: string, kind: string, subject: string) => {
    const found = (await listChanges(database.db, { source })).filter(
      (r) => r.kind === kind && r.subject === subject,
    );
    expect(found).toHaveLength(1);
    return found[0]!.id;
  };

  beforeAll(async () => {
    database = await testDb.open();
    web = await webApp(database, { now: () => new Date(`${TODAY}T12:00:00Z`) });
    viewer = (await web.signedIn("viewer")).browser;
    deps = { db: database.db, log: silentLog, exclusive: createExclusive(), http: testHttpClient({}) };
  });
  afterAll(async () => {
    await web?.close();
    await database?.close();
  });

  it("shows every technology and every jurisdiction, all not tracked before any list is read", async () => {
    const m = await api();
    expect(m.date).toBe(TODAY);
    expect(m.technologies.map((t) => t.id)).toEqual(TECHNOLOGY_IDS);
    expect(m.jurisdictions.map((j) => j.code)).toEqual(JURISDICTION_CODES);
    expect(m.cells).toHaveLength(TECHNOLOGY_IDS.length * JURISDICTION_CODES.length);
    expect(new Set(m.cells.map((c) => c.status))).toEqual(new Set(["not-tracked"]));
    expect(m.sources).toEqual([]);
  });

  it("marks quantum in force in CA from the first version's own in-force date, and says nothing of lists not tracked", async () => {
    await ingestEcl(database, versions.v1, "2026-01-02T00:00:00Z");
    // The US list is registered (as the service does at start) but has no version yet.
    await ensureSource(database.db, ccl);
    const m = await api();
    const ca = m.jurisdictions.find((j) => j.code === "CA")!;
    expect(ca).toEqual({
      code: "CA",
      name: "Canada",
      tracked: true,
      sources: ["ca.export-control-list"],
      awaiting: [],
    });
    expect(m.sources).toMatchObject([
      { id: "ca.export-control-list", jurisdiction: "CA", versionDate: "2026-01-01" },
    ]);

    expect(cellOf(m, "quantum", "CA")).toMatchObject({
      status: "in-force",
      since: "2024-07-19",
      sinceBasis: "in-force",
      changeId: null,
      instrument: null,
      entries: [
        {
          source: "ca.export-control-list",
          key: "5601",
          since: "2024-07-19",
          inForce: true,
          taggedBy: "text",
        },
      ],
    });
    // Tracked, and no entry of the list is about these.
    expect(cellOf(m, "gaafet", "CA")).toMatchObject({ status: "none", since: null, entries: [] });
    expect(cellOf(m, "cryptography", "CA")).toMatchObject({ status: "none", entries: [] });
    // No US list read yet (only Canada's was ingested): not "none", which would claim there is no control.
    expect(m.jurisdictions.find((j) => j.code === "US")).toMatchObject({
      tracked: false,
      sources: [],
      awaiting: ["us.ecfr.ccl"],
    });
    expect(cellOf(m, "quantum", "US")).toMatchObject({ status: "not-tracked", since: null, entries: [] });
    expect(cellOf(m, "quantum", "JP")).toMatchObject({ status: "not-tracked", entries: [] });
    const cells = pageCells(await page());
    const said = (t: string, j: string) =>
      cells.find((c) => c.technology === t && c.jurisdiction === j)?.text;
    expect(said("quantum", "US")).toBe("—");
    expect(said("quantum", "JP")).toBe("—");
    expect(said("gaafet", "CA")).toBe("No control found");
    const html = await page();
    const note = (code: string) =>
      textOf(new RegExp(`<abbr title="[^"]*">${code}</abbr></a>([\\s\\S]*?)</th>`).exec(html)![1]!);
    expect([note("US"), note("JP"), note("CA")]).toEqual([
      "no list version yet",
      "not tracked",
      "list of 2026-01-01",
    ]);
  });

  it("dates an entry added or reworded by an amendment from its change record and instrument", async () => {
    await ingestEcl(database, versions.v2, "2026-02-02T00:00:00Z");
    const m = await api();

    const additiveId = await recordId("ca.export-control-list", "added", "5602");
    expect(cellOf(m, "additive-manufacturing", "CA")).toMatchObject({
      status: "in-force",
      since: "2026-02-01",
      sinceBasis: "effective",
      changeId: additiveId,
      instrument: { citation: "SOR/2026-1", url: ECL_URL },
      entries: [{ key: "5602", changeId: additiveId, inForce: true }],
    });

    // Quantum: the old item still gives the date; the reworded one is dated by its rewording,
    // not by its first version (which said nothing of quantum).
    const rewordedId = await recordId("ca.export-control-list", "modified", REWORDED);
    const q = cellOf(m, "quantum", "CA");
    expect(q).toMatchObject({ status: "in-force", since: "2024-07-19", sinceBasis: "in-force" });
    expect(q.entries.map((e) => [e.key, e.since, e.sinceBasis, e.changeId])).toEqual([
      ["5601", "2024-07-19", "in-force", null],
      [REWORDED, "2026-02-01", "effective", rewordedId],
    ]);

    // Enacted but in force only from 2099: scheduled, not in force.
    expect(cellOf(m, "gaafet", "CA")).toMatchObject({
      status: "scheduled",
      since: "2099-01-01",
      sinceBasis: "effective",
      entries: [{ key: "5603", inForce: false }],
    });
  });

  it("takes a cell back to none when a new version removes its entries", async () => {
    await ingestEcl(database, versions.v3, "2026-03-02T00:00:00Z");
    const m = await api();
    expect(cellOf(m, "quantum", "CA")).toMatchObject({
      status: "none",
      since: null,
      sinceBasis: null,
      changeId: null,
      entries: [],
    });
    // What was not removed stays as it was.
    expect(cellOf(m, "additive-manufacturing", "CA")).toMatchObject({
      status: "in-force",
      since: "2026-02-01",
    });
    expect(m.sources).toMatchObject([{ id: "ca.export-control-list", versionDate: "2026-03-01" }]);
  });

  it("reads the US list: first-seen dates for the baseline, the Federal Register rule for what it added", async () => {
    const ingest = (source: SourceDefinition, body: Buffer, url: string, at: string, asOf?: string) =>
      ingestBytes(deps, source, { body, url, sha256: sha256Hex(body) }, { runAt: new Date(at), asOf });
    const search = "https://www.federalregister.gov/api/v1/documents.json";
    await ingest(
      fr,
      read("us/federal-register/fixtures/fr-search-bis-2024.json"),
      search,
      "2026-03-03T00:00:00Z",
    );
    const xml = (d: string) => `https://www.ecfr.gov/api/versioner/v1/full/${d}/title-15.xml?part=774`;
    for (const d of ["2024-08-01", "2024-09-06"]) {
      const outcome = await ingest(
        ccl,
        read(`us/ecfr-ccl/fixtures/ccl-small-${d}.xml`),
        xml(d),
        "2026-03-04T00:00:00Z",
        d,
      );
      expect(["baseline", "changed"]).toContain(outcome.status);
    }
    const m = await api();
    // The Federal Register is a feed of documents, not a list: it does not make a column tracked.
    expect(m.jurisdictions.find((j) => j.code === "US")).toMatchObject({
      tracked: true,
      sources: ["us.ecfr.ccl"],
    });

    expect(cellOf(m, "quantum", "US")).toMatchObject({
      status: "in-force",
      since: "2024-08-01",
      sinceBasis: "first-seen",
      changeId: null,
      entries: [{ source: "us.ecfr.ccl", key: "4A906", taggedBy: "number" }],
    });
    const sme = cellOf(m, "semiconductor-manufacturing-equipment", "US");
    const added = await recordId("us.ecfr.ccl", "added", "3B903");
    expect(sme).toMatchObject({ status: "in-force", since: "2024-08-01", sinceBasis: "first-seen" });
    // 3B001 was reworded in September but covered SME before: still dated from August.
    expect(sme.entries.map((e) => [e.key, e.since, e.sinceBasis, e.changeId])).toEqual([
      ["3B001", "2024-08-01", "first-seen", null],
      ["3B903", "2024-09-06", "effective", added],
    ]);
    expect(sme.entries[1]!.instrument).toEqual({
      citation: "89 FR 72926",
      url: "https://www.federalregister.gov/documents/2024/09/06/2024-19633/slug",
    });
    expect(cellOf(m, "biotechnology", "US")).toMatchObject({ status: "none", entries: [] });
    // Canada is unchanged by another jurisdiction's list; Japan is still not tracked.
    expect(cellOf(m, "quantum", "CA").status).toBe("none");
    expect(cellOf(m, "quantum", "JP").status).toBe("not-tracked");
  });

  it("shows in the page exactly what the JSON says, cell by cell", async () => {
    const [m, html] = [await api(), await page()];
    const cells = pageCells(html);
    expect(cells.map((c) => `${c.technology} ${c.jurisdiction}`)).toEqual(
      m.cells.map((c) => `${c.technology} ${c.jurisdiction}`),
    );
    for (const [i, want] of m.cells.entries()) {
      const got = cells[i]!;
      expect({ at: `${want.technology} ${want.jurisdiction}`, status: got.status }).toEqual({
        at: `${want.technology} ${want.jurisdiction}`,
        status: want.status,
      });
      expect(got.since).toBe(want.since);
      expect(got.keys).toEqual(want.entries.slice(0, 3).map((e) => e.key));
      expect(got.hrefs).toEqual(want.entries.slice(0, 3).map((e) => `/sources/${e.source}/entries/${e.key}`));
      expect(got.more).toBe(Math.max(0, want.entries.length - 3));
      expect(got.changeId).toBe(want.changeId);
    }
    const inForce = cells
      .filter((c) => c.status === "in-force")
      .map((c) => `${c.technology} ${c.jurisdiction}`);
    expect(inForce).toEqual(
      expect.arrayContaining([
        "quantum US",
        "semiconductor-manufacturing-equipment US",
        "additive-manufacturing CA",
      ]),
    );
    // The basis and the instrument are in the words of the cell.
    const additive = cells.find((c) => c.technology === "additive-manufacturing" && c.jurisdiction === "CA")!;
    expect(additive.text).toContain("since 2026-02-01 (effective, SOR/2026-1)");
    const quantumUs = cells.find((c) => c.technology === "quantum" && c.jurisdiction === "US")!;
    expect(quantumUs.text).toContain("tracked since 2024-08-01 (first seen)");
    const gaafetCa = cells.find((c) => c.technology === "gaafet" && c.jurisdiction === "CA")!;
    expect(gaafetCa.text).toContain("from 2099-01-01");
  });

  it("keeps markup in source text inert", async () => {
    const html = await page();
    expect(html).toContain("5602");
    expect(html).not.toContain('<script>alert("x")</script>');
    expect(html).not.toMatch(/<script>alert/);
    // The entry's words are there, as text (in the key's title).
    expect(html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#34;parts&#34;");
  });

  it("sends the signed-out to sign in, refuses the API without a token, and opens both on a public instance", async () => {
    const anonymous = web.anonymous();
    const refused = await anonymous.request("/matrix");
    expect(refused.status).toBe(303);
    expect(refused.headers.get("location")).toBe("/login?next=%2Fmatrix");
    const api401 = await anonymous.request("/api/matrix");
    expect(api401.status).toBe(401);
    expect(await api401.json()).not.toHaveProperty("cells");

    const open = await webApp(database, { publicRead: true, now: () => new Date(`${TODAY}T12:00:00Z`) });
    try {
      const visitor = open.anonymous();
      const html = await page(visitor);
      expect(html).toContain('<table class="matrix">');
      expect(await api(visitor)).toEqual(await api());
    } finally {
      await open.close();
    }
  });
});
