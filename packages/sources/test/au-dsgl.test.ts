import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import { type Entry, listSnapshotSchema } from "@regwatch/core/schemas";
import { listTagger } from "@regwatch/core/taxonomy";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { type Reply, startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import {
  documentUrl,
  FRL_WEB_CRAWL_DELAY_MS,
  type FrlVersion,
  readDsglTitles,
  readVersions,
  titlesSearchUrl,
  versionInForce,
  versionsUrl,
} from "../src/au/dsgl/frl-api.ts";
import { createPacer } from "../src/au/dsgl/pacer.ts";
import { parseEnglishDate } from "../src/au/dsgl/parse.ts";
import { createAuFrlDsgl, auFrlDsgl as source } from "../src/au/dsgl/source.ts";
import { fixtureFiles } from "./fixture-files.ts";

const { fixture, edited } = fixtureFiles("au/dsgl");

const V2021 = { titleId: "F2021L00000", start: "2021-09-01", retrospectiveStart: "2021-09-01" };
const V2024 = { titleId: "F2024L01024", start: "2024-09-01", retrospectiveStart: "2024-09-01" };
const URL_2021 = documentUrl(V2021);
const URL_2024 = documentUrl(V2024);

const listOf = (body: Uint8Array, url: string | null = URL_2024) => {
  const snapshot = source.parse({ body, url, contentType: "application/xhtml+xml" });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};
const byKey = (entries: Entry[]) => new Map(entries.map((e) => [e.key, e]));
const ctx = recordContext(source, { detectedAt: "2024-09-02T21:41:00.000Z" });
const diff = (before: Entry[], after: Entry[]) =>
  diffLists(
    before.map((e) => ({ ...e, hash: entryHash(e) })),
    after,
    ctx,
  );

describe("au.frl.dsgl: the list's HTML", () => {
  it("reads both Parts into Wassenaar-style keys, under their parts, categories and groups", () => {
    const snapshot = listOf(fixture("dsgl-2021.html"), URL_2021);
    expect(listSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    expect(snapshot.source).toBe("au.frl.dsgl");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.map((e) => e.key)).toEqual([
      "part.1",
      "ML1",
      "ML1.a",
      "ML1.a.note",
      "ML1.b",
      "ML1.b.1",
      "ML1.b.2",
      "ML1.b.2.a",
      "ML1.b.2.b",
      "ML1.c",
      "ML1.note.1",
      "ML2",
      "ML2.a",
      "ML2.b",
      "part.2",
      "cat.1",
      "cat.1.A",
      "1A004",
      "1A004.nb",
      "1A004.a",
      "1A004.a.note",
      "1A004.a.technical-note",
      "1A004.a.1",
      "1A004.a.2",
      "1A004.a.3",
      "1A004.a.4",
      "1A004.a.4.a",
      "1A004.a.4.b",
      "1A004.b",
      "1A004.b.1",
      "1A004.b.2",
      "1A004.b.3",
      "1A004.c",
      "1A004.c.1",
      "1A004.c.2",
      "1A004.c.3",
      "1A004.d",
      "cat.3",
      "cat.3.B",
      "3B001",
      "3B001.nb",
      "3B001.a",
      "3B001.a.1",
      "3B001.a.2",
      "3B001.b",
      "3B001.b.1",
      "3B001.b.2",
      "3B001.c",
      "3B001.c.1",
      "3B001.c.2",
      "cat.4",
      "cat.4.A",
      "4A001",
      "4A001.a",
      "4A001.a.1",
      "4A001.a.2",
      "cat.5",
      "cat.5.part.2",
      "cat.5.A2",
      "5A002",
      "5A002.a",
    ]);
    const entries = byKey(snapshot.entries);
    expect(entries.get("part.2")).toEqual({
      key: "part.2",
      parentKey: null,
      heading: "Part 2—Dual-Use List",
      text: "",
      data: { part: "2" },
    });
    expect(entries.get("cat.1.A")).toMatchObject({
      parentKey: "cat.1",
      heading: "1A Systems, Equipment and Components",
    });
    expect(entries.get("1A004")).toEqual({
      key: "1A004",
      parentKey: "cat.1.A",
      heading:
        "Protective and detection equipment and components, other than those specified in the Munitions List, as follows:",
      text: "Protective and detection equipment and components, other than those specified in the Munitions List, as follows:",
      data: { part: "2", category: "1", group: "1A" },
    });
    expect(entries.get("1A004.a.4.a")).toMatchObject({
      parentKey: "1A004.a.4",
      heading: null,
      text: "α‑Bromobenzeneacetonitrile, (Bromobenzyl cyanide) (CA) (CAS 5798‑79‑8);",
    });
    // Category 5 in two parts, keyed as EU Annex I keys them.
    expect(entries.get("cat.5.A2")).toMatchObject({ parentKey: "cat.5.part.2" });
    expect(entries.get("5A002")).toMatchObject({ parentKey: "cat.5.A2", data: { group: "5A" } });
    // An exponent keeps its meaning in plain text.
    expect(entries.get("4A001.a.2")!.text).toBe(
      "Radiation hardened to exceed a total dose of 5 × 10^3 Gy (silicon);",
    );
    for (const e of snapshot.entries) expect(e.text, e.key).toBe(e.text.normalize("NFC"));
  });

  it("keeps notes with what they name, their numbered lines with them, and the paragraphs after them in sequence", () => {
    const entries = byKey(listOf(fixture("dsgl-2024.html")).entries);
    expect(entries.get("1A004.a.note")).toMatchObject({
      parentKey: "1A004.a",
      text: "Note: 1A004.a. includes Powered Air Purifying Respirators (PAPR) that are designed or modified for defence against agents or materials, listed in 1A004.a.",
      data: { note: "Note" },
    });
    expect(entries.get("1A004.a.technical-note")!.text).toBe(
      "Technical Notes:\n1. For the purposes of 1A004.a., full face masks are also known as gas masks.\n2. Filter canisters include filter cartridges.",
    );
    // After the Technical Notes' "1." and "2.", a new "1." is the paragraph's own list again.
    expect(entries.get("1A004.a.1")).toMatchObject({ parentKey: "1A004.a", text: "“Biological agents”;" });
    // A note's own lettered list stays in the note; the next entry starts after it.
    expect(entries.get("ML1.note.1")!.text).toBe(
      "Note 1: ML1 does not apply to:\na. Smooth-bore weapons used for hunting or sporting purposes;\nb. Firearms specially designed for dummy ammunition.",
    );
    // "N.B.: See also 2B351 …" names other entries only: it stays with the entry it follows.
    expect(entries.get("1A004.nb")).toMatchObject({
      parentKey: "1A004",
      text: "N.B.: See also 2B351 and 2B352.",
    });
    // A bare "Technical Note:" after 4A906.b is placed by its first line, which names 4A906.
    expect(entries.get("4A906.technical-note")).toMatchObject({
      parentKey: "4A906",
      text: "Technical Note:\nFor the purposes of 4A906, a ‘physical qubit’ is a two-level quantum system used to represent the elementary unit of quantum logic.",
    });
    expect(entries.get("3B903.note")).toMatchObject({ parentKey: "3B903" });
    expect(entries.has("4A906.b.technical-note")).toBe(false);
    // The markup's depth decides where labels alone cannot: "c." after "b.2.b" is ML1.c.
    expect(entries.get("ML1.c")).toMatchObject({
      parentKey: "ML1",
      text: "Weapons using caseless ammunition;",
    });
  });

  it("reads the version's facts and describes its records: start, register id, registration", () => {
    const snapshot = listOf(fixture("dsgl-2024.html"));
    expect(snapshot.meta).toEqual({
      title: "Defence and Strategic Goods List 2024",
      titleId: "F2024L01024",
      start: "2024-09-01",
      retrospectiveStart: "2024-09-01",
      registerId: "F2024L01024",
      registeredAt: "2024-08-16",
      compilationNumber: null,
      compilationDate: null,
      includesAmendmentsUpTo: null,
      commencement: "2024-09-01",
      counts: { categories: 4, groups: 4, items: 8, paragraphs: 45, notes: 8 },
      linesOutsideList: 14,
    });
    expect(source.describe(snapshot, { url: URL_2024, asOf: "2024-09-01" })).toEqual({
      publishedAt: "2024-08-16",
      effectiveAt: "2024-09-01",
      citation: "F2024L01024",
      url: URL_2024,
    });
    expect(source.versionDate!(snapshot, { url: URL_2024, asOf: null })).toBe("2024-09-01");
    // Read from a file (no address): the commencement it states; the list as made has no register id printed.
    const local = listOf(fixture("dsgl-2021.html"), null);
    expect(local.meta).toMatchObject({
      titleId: null,
      start: null,
      registerId: null,
      commencement: "2021-09-01",
    });
    expect(source.versionDate!(local, { url: null, asOf: null })).toBe("2021-09-01");
  });

  it("cites a compilation by the register id printed on it, else the amending instrument it includes", () => {
    const frontMatter = (registered: string) =>
      edited(
        "dsgl-2024.html",
        ['<p class="Header">Authorised Version F2024L01024 registered 16/08/2024</p>\n', ""],
        [
          '<p class="SignCoverPageStart">',
          `<p>Compilation No. 1</p>\n<p>Compilation date:&#9;1 March 2025</p>\n<p>Includes amendments up to:&#9;F2025L00123</p>\n<p>Registered:&#9;${registered}</p>\n<p class="SignCoverPageStart">`,
        ],
      );
    const url = documentUrl({
      titleId: "F2024L01024",
      start: "2025-03-01",
      retrospectiveStart: "2025-03-01",
    });
    const snapshot = listOf(frontMatter("10 March 2025"), url);
    expect(snapshot.meta).toMatchObject({
      registerId: null,
      compilationNumber: "1",
      compilationDate: "2025-03-01",
      includesAmendmentsUpTo: "F2025L00123",
      registeredAt: "2025-03-10",
    });
    expect(source.describe(snapshot, { url, asOf: "2025-03-01" })).toMatchObject({
      publishedAt: "2025-03-10",
      effectiveAt: "2025-03-01",
      citation: "F2025L00123",
    });
    // A day the calendar does not have is refused, and said.
    const wrong = listOf(frontMatter("31 April 2025"), url);
    expect(wrong.meta.registeredAt).toBeNull();
    expect(wrong.warnings).toEqual(['registration date "31 April 2025" is not a date']);
  });

  it("gives the same snapshot when only the rendering changed", () => {
    expect(fixture("dsgl-2024-chrome-only.html").equals(fixture("dsgl-2024.html"))).toBe(false);
    expect(listOf(fixture("dsgl-2024-chrome-only.html"))).toEqual(listOf(fixture("dsgl-2024.html")));
  });

  it("reads past a table of contents that carries no TOC style", () => {
    const plain = edited("dsgl-2024.html", [/ class="TOC\d"/g, ""]);
    const withToc = listOf(plain);
    expect(withToc.entries).toEqual(listOf(fixture("dsgl-2024.html")).entries);
    expect(withToc.warnings).toEqual([]);
  });

  it("places paragraphs by their labels' sequence where the markup gives no depth", () => {
    const withDepth = listOf(fixture("dsgl-2024.html")).entries;
    const plain = listOf(edited("dsgl-2024.html", [/ class="DSGL\w+"/g, ""])).entries;
    const keys = (entries: Entry[]) =>
      entries.map((e) => e.key).filter((k) => /^(?:1A004|3B001|4A906)/.test(k));
    expect(keys(plain)).toEqual(keys(withDepth));
    // Labels alone cannot tell a return to the first level after "b.2.b" from going on: the deeper is read.
    expect(plain.map((e) => e.key)).toContain("ML1.b.2.c");
  });

  it("diffs the remade list whole: exactly the entries added, amended and removed", () => {
    const before = listOf(fixture("dsgl-2021.html"), URL_2021).entries;
    const after = listOf(fixture("dsgl-2024.html")).entries;
    const records = diff(before, after);
    expect(records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "added 3B001.c.1.a",
      "added 3B001.c.1.b",
      "added 3B903",
      "added 4A906",
      "modified 3B001.c.1",
      "modified ML1.a",
      "removed 1A004.d",
    ]);
    const quantum = records.find((r) => r.subject === "4A906")!;
    expect(quantum.technologies).toEqual(["quantum"]);
    expect(quantum.wassenaarCategory).toBe("4");
  });

  it("tags the 2024 plurilateral entries by their number and words", () => {
    const entries = listOf(fixture("dsgl-2024.html")).entries;
    const tags = listTagger(byKey(entries), "au.frl.dsgl");
    expect(tags("3B001.c.1.a")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tags("3B001.c.1.b")).toEqual([
      "semiconductor-manufacturing-equipment",
      "advanced-semiconductors",
      "gaafet",
    ]);
    expect(tags("3B903")).toEqual(["semiconductor-manufacturing-equipment", "advanced-semiconductors"]);
    expect(tags("3B903.a")).toEqual(["semiconductor-manufacturing-equipment", "advanced-semiconductors"]);
    expect(tags("4A906")).toEqual(["quantum"]);
    expect(tags("4A906.b")).toEqual(["quantum"]);
    expect(tags("5A002.a")).toEqual(["cryptography"]);
    expect(tags("ML1.a")).toEqual([]);
    expect(tags("cat.4")).toEqual([]);
  });

  it("refuses what is not the whole list: truncated, the viewer page, another instrument, one volume", () => {
    const full = fixture("dsgl-2024.html");
    expect(() => listOf(full.subarray(0, full.length - 200))).toThrow(SourceShapeChangedError);
    expect(() => listOf(full.subarray(0, full.length - 200))).toThrow(/ends before <\/html>/);
    const viewer = Buffer.from(
      '<!DOCTYPE html><html><head><title>Federal Register of Legislation</title></head><body><nav>Home</nav><main><h1>Defence and Strategic Goods List 2024</h1><iframe id="epubFrame" src="/F2024L01024/2024-09-01/2024-09-01/text/original/epub/OEBPS/document_1/document_1.html"></iframe></main></body></html>',
    );
    expect(() => listOf(viewer)).toThrow(
      /the Register's viewer page, not the document; its text is at \/F2024L01024\/2024-09-01\/2024-09-01\/text\/original\/epub/,
    );
    const other = edited("dsgl-2024.html", [
      /Defence and Strategic Goods List 20(21|24)/g,
      "Customs (Prohibited Exports) Regulations 1958",
    ]);
    expect(() => listOf(other)).toThrow(/not the Defence and Strategic Goods List/);
    const volumeOne = edited("dsgl-2024.html", [
      /<p class="ActHead2"><a id="_Toc81000005"><\/a>Part 2[\s\S]*<\/div>\n<div class="WordSection3">/,
      "</div>\n<div>",
    ]);
    expect(() => listOf(volumeOne)).toThrow(/found part\.1 \(one volume of several\?\)/);
    const latin1 = Buffer.concat([full.subarray(0, 400), Buffer.from([0xe9, 0x20]), full.subarray(400)]);
    expect(() => listOf(latin1)).toThrow(/not valid utf-8/);
  });

  it("keeps markup written in the text as text", () => {
    const snapshot = listOf(
      edited("dsgl-2024.html", [
        "Weapons using caseless ammunition;",
        "Weapons using &lt;script&gt;caseless&lt;/script&gt; ammunition;",
      ]),
    );
    expect(byKey(snapshot.entries).get("ML1.c")!.text).toBe(
      "Weapons using <script>caseless</script> ammunition;",
    );
  });

  it("parses English dates strictly", () => {
    expect(parseEnglishDate("1 September 2024")).toBe("2024-09-01");
    expect(parseEnglishDate("29 February 2025")).toBeNull();
    expect(parseEnglishDate("1 Sept 2024")).toBeNull();
    expect(parseEnglishDate("2024-09-01")).toBeNull();
  });
});

describe("au.frl.dsgl: the Register's API", () => {
  it("finds the remade lists by title, newest first, leaving out amending and other instruments", () => {
    expect(readDsglTitles(fixture("frl-titles-dsgl.json"))).toEqual([
      { id: "F2024L01024", name: "Defence and Strategic Goods List 2024", makingDate: "2024-08-15" },
      { id: "F2021L00000", name: "Defence and Strategic Goods List 2021", makingDate: "2021-08-27" },
      { id: "F2019L00424", name: "Defence and Strategic Goods List 2019", makingDate: "2019-03-26" },
      { id: "F2008B00287", name: "Defence and Strategic Goods List", makingDate: null },
    ]);
    expect(titlesSearchUrl()).toBe(
      "https://api.prod.legislation.gov.au/v1/titles?$filter=contains(name%2C'Defence%20and%20Strategic%20Goods%20List')&$top=100",
    );
    expect(versionsUrl("F2024L01024")).toBe(
      "https://api.prod.legislation.gov.au/v1/versions?$filter=titleId%20eq%20'F2024L01024'&$top=100",
    );
  });

  it("reads versions strictly and picks the one in force", () => {
    const versions = readVersions(fixture("frl-versions-F2024L01024.json"), "F2024L01024");
    expect(versions).toEqual([
      {
        titleId: "F2024L01024",
        registerId: "F2024L01024",
        start: "2024-09-01",
        retrospectiveStart: "2024-09-01",
        end: null,
        compilationNumber: "0",
        registeredAt: "2024-08-16",
      },
    ]);
    expect(() => readVersions(fixture("frl-versions-F2024L01024.json"), "F2021L00000")).toThrow(
      /a version of F2024L01024 in the answer/,
    );
    const v = (start: string, compilationNumber: string | null, registeredAt = start): FrlVersion => ({
      ...versions[0]!,
      registerId: `F2025C${start.slice(5, 7)}${start.slice(8, 10)}0`,
      start,
      retrospectiveStart: start,
      compilationNumber,
      registeredAt,
    });
    const history = [v("2024-09-01", "0"), v("2025-03-01", "1"), v("2025-06-01", null), v("2025-09-01", "2")];
    // A version without a text of its own (an amendment in force, not compiled) is never the one read.
    expect(versionInForce(history, "2025-07-01")!.compilationNumber).toBe("1");
    expect(versionInForce(history, "2025-09-01")!.compilationNumber).toBe("2");
    expect(versionInForce(history, "2024-08-31")).toBeNull();
    const json = (body: string) => Buffer.from(body);
    expect(() => readVersions(json('{"value":[{"titleId":"F2024L01024"'), "F2024L01024")).toThrow(/not JSON/);
    expect(() => readVersions(json('{"error":{"code":"400"}}'), "F2024L01024")).toThrow(/"value" array/);
    expect(() =>
      readVersions(
        json('{"value":[],"@odata.nextLink":"https://api.prod.legislation.gov.au/v1/versions?$skip=100"}'),
        "F2024L01024",
      ),
    ).toThrow(/more than one page/);
    expect(() =>
      readVersions(
        json(
          '{"value":[{"titleId":"F2024L01024","registerId":"F2024L01024","start":"2024-02-30T00:00:00"}]}',
        ),
        "F2024L01024",
      ),
    ).toThrow(/start "2024-02-30T00:00:00" is not a date/);
  });
});

/** The Register as a local server: the API with ETags, and the two lists' documents. */
async function register(options: { documents?: Record<string, Buffer> } = {}) {
  const etag = (name: string) => `"${name}"`;
  const answer = (req: { headers: Record<string, unknown> }, name: string, body: Buffer): Reply =>
    req.headers["if-none-match"] === etag(name)
      ? { status: 304, headers: { etag: etag(name) } }
      : { headers: { "content-type": "application/json; charset=utf-8", etag: etag(name) }, body };
  const documents = options.documents ?? {
    [new URL(URL_2021).pathname]: fixture("dsgl-2021.html"),
    [new URL(URL_2024).pathname]: fixture("dsgl-2024.html"),
  };
  const server = await startSourceServer((url) => {
    if (url.pathname === "/v1/titles") return (req) => answer(req, "titles", fixture("frl-titles-dsgl.json"));
    if (url.pathname === "/v1/versions") {
      const id = /titleId eq '(\w+)'/.exec(url.searchParams.get("$filter") ?? "")?.[1] ?? "";
      const name = `frl-versions-${id}.json`;
      const body = ["F2024L01024", "F2021L00000"].includes(id) ? fixture(name) : Buffer.from('{"value":[]}');
      return (req) => answer(req, `versions-${id}`, body);
    }
    const doc = documents[url.pathname];
    return doc
      ? (): Reply => ({ headers: { "content-type": "application/xhtml+xml" }, body: doc })
      : undefined;
  });
  const http = testHttpClient({
    "https://api.prod.legislation.gov.au": server.origin,
    "https://www.legislation.gov.au": server.origin,
  });
  const web = () => server.requests.filter((r) => !r.path.startsWith("/v1/")).map((r) => r.path);
  return { server, http, web };
}

/** A pacer on a clock the test moves: the waits it asked for are recorded, never slept. */
function pacedClock() {
  let now = 0;
  const waits: number[] = [];
  const pacer = createPacer({
    intervalMs: FRL_WEB_CRAWL_DELAY_MS,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  });
  return { pacer, waits, advance: (ms: number) => (now += ms) };
}

describe("au.frl.dsgl: fetch", () => {
  it("probes the API, reads the list in force, and follows the remake on the day it starts", async () => {
    const { server, http, web } = await register();
    const clock = pacedClock();
    const dsgl = createAuFrlDsgl({ pacer: clock.pacer });
    try {
      // DSGL 2024 is registered, not in force yet: the 2021 list is read.
      const first = await dsgl.fetch({
        http,
        log: silentLog,
        now: new Date("2024-08-20T21:41:00Z"),
        state: {},
      });
      expect(first.artifacts.map((a) => [a.response.url, a.asOf])).toEqual([[URL_2021, "2021-09-01"]]);
      expect(first.state).toMatchObject({
        titlesEtag: '"titles"',
        titleId: "F2021L00000",
        registerId: "F2021L00000",
        start: "2021-09-01",
      });
      expect(Object.keys(first.state.versions as object)).toEqual(["F2024L01024", "F2021L00000"]);
      expect(server.requests.map((r) => r.path.split("?")[0])).toEqual([
        "/v1/titles",
        "/v1/versions",
        "/v1/versions",
        new URL(URL_2021).pathname,
      ]);

      // Next day: every probe answers 304, nothing moved, no request to www.legislation.gov.au.
      server.requests.length = 0;
      const second = await dsgl.fetch({
        http,
        log: silentLog,
        now: new Date("2024-08-21T21:41:00Z"),
        state: first.state,
      });
      expect(second.artifacts).toEqual([]);
      expect(second.state).toEqual(first.state);
      expect(server.requests.map((r) => r.headers["if-none-match"])).toEqual([
        '"titles"',
        '"versions-F2024L01024"',
        '"versions-F2021L00000"',
      ]);

      // 2 September: DSGL 2024 is in force (the probes still 304): its document, whole.
      server.requests.length = 0;
      clock.advance(4_000);
      const third = await dsgl.fetch({
        http,
        log: silentLog,
        now: new Date("2024-09-02T21:41:00Z"),
        state: second.state,
      });
      expect(third.artifacts.map((a) => [a.response.url, a.asOf])).toEqual([[URL_2024, "2024-09-01"]]);
      expect(third.state).toMatchObject({
        titleId: "F2024L01024",
        registerId: "F2024L01024",
        start: "2024-09-01",
      });
      expect(Object.keys(third.state.versions as object)).toEqual(["F2024L01024"]);
      expect(web()).toEqual([new URL(URL_2024).pathname]);
      // Ten seconds between the two requests to www.legislation.gov.au: 4 had passed, 6 were waited.
      expect(clock.waits).toEqual([6_000]);

      const fourth = await dsgl.fetch({
        http,
        log: silentLog,
        now: new Date("2024-09-02T21:45:00Z"),
        state: third.state,
      });
      expect(fourth.artifacts).toEqual([]);
      expect(web()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it("says so when the version's document is missing, rather than hand back a cursor", async () => {
    const { server, http } = await register({ documents: {} });
    const dsgl = createAuFrlDsgl({ pacer: pacedClock().pacer });
    try {
      const run = dsgl.fetch({ http, log: silentLog, now: new Date("2024-09-02T21:41:00Z"), state: {} });
      await expect(run).rejects.toThrow(SourceUnavailableError);
      await expect(
        dsgl.fetch({ http, log: silentLog, now: new Date("2024-09-02T21:41:00Z"), state: {} }),
      ).rejects.toThrow(/404 for F2024L01024 \(start 2024-09-01\)/);
    } finally {
      await server.close();
    }
  });

  it("refuses a day with no list in force rather than reading none", async () => {
    const { server, http } = await register();
    const dsgl = createAuFrlDsgl({ pacer: pacedClock().pacer });
    try {
      await expect(
        dsgl.fetch({ http, log: silentLog, now: new Date("2021-01-01T00:00:00Z"), state: {} }),
      ).rejects.toThrow(
        /no Defence and Strategic Goods List in force on 2021-01-01 among F2024L01024, F2021L00000, F2019L00424/,
      );
    } finally {
      await server.close();
    }
  });

  it("backfills every version of every remade list, oldest first, ten seconds apart", async () => {
    const { server, http, web } = await register();
    const clock = pacedClock();
    const dsgl = createAuFrlDsgl({ pacer: clock.pacer });
    try {
      const steps = [];
      for await (const step of dsgl.backfill!(
        { http, log: silentLog, now: new Date("2024-09-02T21:41:00Z"), state: {} },
        "2019-01-01",
      ))
        steps.push(step);
      expect(steps.map((s) => [s.index, s.total, s.artifact.asOf, s.state])).toEqual([
        [1, 2, "2021-09-01", { titleId: "F2021L00000", registerId: "F2021L00000", start: "2021-09-01" }],
        [2, 2, "2024-09-01", { titleId: "F2024L01024", registerId: "F2024L01024", start: "2024-09-01" }],
      ]);
      expect(web()).toEqual([new URL(URL_2021).pathname, new URL(URL_2024).pathname]);
      expect(clock.waits).toEqual([FRL_WEB_CRAWL_DELAY_MS]);
    } finally {
      await server.close();
    }
  });
});

describe("au.frl.dsgl: definition", () => {
  it("declares how the list is cited and what a sane snapshot is", () => {
    expect(source).toMatchObject({
      id: "au.frl.dsgl",
      jurisdiction: "AU",
      kind: "list",
      citedAs: ["Defence and Strategic Goods List", "DSGL"],
      officialUrl: "https://www.legislation.gov.au/F2024L01024/latest/text",
    });
    expect(source.expectations.minEntries).toBeLessThan(source.expectations.maxEntries);
    expect(source.backfill).toBeTypeOf("function");
  });
});
