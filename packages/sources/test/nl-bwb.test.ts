import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse } from "@regwatch/core/http";
import { listTagger, technologiesForText } from "@regwatch/core/taxonomy";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { silentLog } from "../../../test/support/test-http.ts";
import { bwbSearchUrl, readBwbSearch, worksTitled } from "../src/nl/bwb/discover.ts";
import { parseBwbManifest, publicationCitation } from "../src/nl/bwb/parse.ts";
import { currentExpression, REGULATION_TITLE, nlBwbStrategicGoods as source } from "../src/nl/bwb/source.ts";
import { readSruPage } from "../src/nl/bwb/sru.ts";
import { runSteps } from "../src/steps.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src/nl/bwb/fixtures", name));
const parseBody = (body: Buffer) => {
  const snapshot = source.parse({ body });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};
const parse = (name: string) => parseBody(fixture(name));
const ctx = recordContext(source, { detectedAt: "2024-09-07T08:00:00.000Z" });

const searchFixture = () => fixture("sru-bwb-search.xml").toString("utf8");

/** KOOP as a fake: the BWB search, the work's manifest (ETag "m1") and its expressions. */
function fakeKoop(options: { searchBody?: string | ((url: string) => string); manifestBody?: string } = {}) {
  const asked: string[] = [];
  const http: HttpClient = {
    async get(url) {
      asked.push(url);
      const search = options.searchBody ?? searchFixture();
      const body = url.startsWith("https://zoekservice.overheid.nl/")
        ? Buffer.from(typeof search === "function" ? search(url) : search)
        : url.endsWith("manifest.xml")
          ? Buffer.from(
              options.manifestBody ??
                MANIFEST.toString("utf8").replaceAll("BWBR0099999", /bwb\/(BWB[RV]\d{7})\//.exec(url)![1]!),
            )
          : fixture("regeling-2024-09-07_0.xml");
      return {
        url,
        status: 200,
        notModified: false,
        contentType: "application/xml",
        headers: { etag: '"m1"' },
        body,
        sha256: "",
        fetchedAt: "",
      } satisfies HttpResponse;
    },
  };
  return { http, asked };
}

const MANIFEST = Buffer.from(`<?xml version="1.0" encoding="utf-8"?>
<work label="BWBR0099999" _latestItem="2025-04-01_0/xml/BWBR0099999_2025-04-01_0.xml">
  <metadata><datum_inwerkingtreding>2023-09-01</datum_inwerkingtreding></metadata>
  <expression label="2023-09-01_0"><metadata><datum_inwerkingtreding>2023-09-01</datum_inwerkingtreding><einddatum>2024-09-06</einddatum></metadata>
    <manifestation label="xml"><metadata><hashcode> ab12 </hashcode><size>100</size></metadata><item label="BWBR0099999_2023-09-01_0.xml" _deleted="false"/></manifestation></expression>
  <expression label="2025-04-01_0"><metadata><datum_inwerkingtreding>2025-04-01</datum_inwerkingtreding><einddatum>9999-12-31</einddatum></metadata>
    <manifestation label="xml"><metadata><hashcode>cd34</hashcode><size>200</size></metadata><item label="BWBR0099999_2025-04-01_0.xml" _deleted="false"/></manifestation></expression>
  <expression label="2024-09-07_0"><metadata><datum_inwerkingtreding>2024-09-07</datum_inwerkingtreding><einddatum>2025-03-31</einddatum></metadata>
    <manifestation label="xml"><metadata><hashcode>ef56</hashcode><size>150</size></metadata><item label="BWBR0099999_2024-09-07_0.xml" _deleted="false"/></manifestation></expression>
</work>`);

function diff(oldName: string, newName: string) {
  const before = parse(oldName).entries.map((e) => ({ ...e, hash: entryHash(e) }));
  return diffLists(before, parse(newName).entries, ctx);
}

describe("nl.bwb.strategic-goods parser", () => {
  it("keys articles, paragraphs, list items, chapters and the annex", () => {
    const snapshot = parse("regeling-2023-09-01_0.xml");
    expect(snapshot.source).toBe("nl.bwb.strategic-goods");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.map((e) => [e.key, e.parentKey])).toEqual([
      ["hfdst.1", null],
      ["art.1", "hfdst.1"],
      ["art.1.p1", "art.1"],
      ["art.1.p2", "art.1"],
      ["art.2", "hfdst.1"],
      ["art.2.lid.1", "art.2"],
      ["art.2.lid.2", "art.2"],
      ["art.2.lid.2.a", "art.2.lid.2"],
      ["art.2.lid.2.b", "art.2.lid.2"],
      ["art.2.lid.3", "art.2"],
      ["hfdst.2", null],
      ["art.3", "hfdst.2"],
      ["art.4", "hfdst.2"],
      ["bijlage", null],
      ["bijlage.a", "bijlage"],
      ["bijlage.b", "bijlage"],
      ["bijlage.b.1°", "bijlage.b"],
      ["bijlage.c", "bijlage"],
    ]);
  });

  it("gives divisions and articles their heading, and keeps the Dutch text as is", () => {
    const byKey = new Map(parse("regeling-2023-09-01_0.xml").entries.map((e) => [e.key, e]));
    expect(byKey.get("hfdst.1")).toMatchObject({ heading: "Hoofdstuk 1 Algemene bepalingen", text: "" });
    expect(byKey.get("art.2")?.heading).toBe("Artikel 2");
    expect(byKey.get("art.2")?.data).toMatchObject({ inForce: "2023-09-01", source: "Stcrt.2023-18212" });
    expect(byKey.get("bijlage")?.heading).toBe("Bijlage behorende bij artikel 2, eerste lid");
    expect(byKey.get("bijlage")?.text).toBe(
      "Goederen als bedoeld in artikel 2, eerste lid: Code | Omschrijving / 3B001.l | EUV",
    );
    expect(byKey.get("art.2.lid.2.a")?.text).toBe("goederen die vóór 1 september 2023 zijn uitgevoerd;");
    expect(byKey.get("bijlage.b")?.text).toBe(
      "3B001.f.1.b: apparatuur voor stap-en-herhaal of stap-en-scan lithografie met een lichtbrongolflengte van 193 nm of meer en een ‘matched machine overlay’ van 1,5 nm of minder;",
    );
    // The JCI references in <meta-data> are bookkeeping, never text.
    expect([...byKey.values()].some((e) => e.text.includes("jci"))).toBe(false);
  });

  it("tags the annex's lithography items as semiconductor manufacturing equipment, in Dutch", () => {
    const entries = parse("regeling-2024-09-07_0.xml").entries;
    const byKey = new Map(entries.map((e) => [e.key, e]));
    // By their own Dutch words ("lithografie"), whatever list they are in.
    for (const key of ["bijlage.a", "bijlage.b", "bijlage.d"])
      expect(technologiesForText(byKey.get(key)!.text), key).toEqual([
        "semiconductor-manufacturing-equipment",
      ]);
    expect(technologiesForText(byKey.get("art.1.p1")!.text)).toEqual([]);
    // In this list every entry is: the crosswalk reads the regulation as a whole as such equipment.
    const tags = listTagger(byKey, source.id);
    expect(new Set(entries.map((e) => tags(e.key).join()))).toEqual(
      new Set(["semiconductor-manufacturing-equipment"]),
    );
  });

  it("normalizes whitespace and Unicode composition", () => {
    const decomposed = fixture("regeling-2023-09-01_0.xml")
      .toString("utf8")
      .replace("vóór", "vo\u0301o\u0301r")
      .replace("Het eerste lid", "Het\n\t  eerste\u00a0lid");
    const byKey = new Map(parseBody(Buffer.from(decomposed)).entries.map((e) => [e.key, e]));
    expect(byKey.get("art.2.lid.2.a")?.text).toBe("goederen die vóór 1 september 2023 zijn uitgevoerd;");
    expect(byKey.get("art.2.lid.2")?.text).toBe("Het eerste lid is niet van toepassing op:");
  });

  it("records the version metadata", () => {
    const snapshot = parse("regeling-2024-09-07_0.xml");
    expect(snapshot.meta).toMatchObject({
      bwbId: "BWBR0099999",
      expression: "2024-09-07_0",
      versionDate: "2024-09-07",
      inputFile: "BWBR0099999_2023-09-01_0",
      citationTitle: "Regeling geavanceerde productieapparatuur voor halfgeleiders",
      kind: "ministeriele-regeling",
    });
    expect(source.versionDate?.(snapshot, { url: null, asOf: null })).toBe("2024-09-07");
    const described = source.describe(snapshot, { url: null, asOf: null });
    // BWB's `bron` (Stcrt.2024-99999) cited as the Staatscourant source cites the same publication.
    expect(described).toMatchObject({ effectiveAt: "2024-09-07", citation: "Stcrt. 2024, 99999" });
    expect(described.citationsByDate).toEqual({
      "2023-09-01": "Stcrt. 2023, 18212",
      "2024-09-07": "Stcrt. 2024, 99999",
    });
    expect(described.url).toBe("https://wetten.overheid.nl/BWBR0099999/2024-09-07");
  });

  it("gives zero records for a re-serialized version (ids renumbered, JCI dates, whitespace, entities)", () => {
    expect(diff("regeling-2023-09-01_0.xml", "regeling-2023-09-01_0-cosmetic.xml")).toEqual([]);
  });

  it("diffs an amendment into exactly the provisions that changed", () => {
    const records = diff("regeling-2023-09-01_0.xml", "regeling-2024-09-07_0.xml");
    expect(records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "added bijlage.d",
      "modified art.2.lid.3",
      "modified art.3",
      "modified bijlage.c",
    ]);
    expect(parse("regeling-2024-09-07_0.xml").entries.find((e) => e.key === "art.3")).toMatchObject({
      text: "Vervallen",
      data: { status: "vervallen" },
    });
  });

  it("warns about unknown elements instead of dropping them silently", () => {
    const odd = fixture("regeling-2023-09-01_0.xml")
      .toString("utf8")
      .replace(
        '<lid><lidnr status="officieel">3</lidnr>',
        '<vreemd>x</vreemd><lid><lidnr status="officieel">3</lidnr>',
      );
    expect(parseBody(Buffer.from(odd)).warnings).toEqual([
      "art.2: unexpected <vreemd> kept out of the entries",
    ]);
  });

  it("refuses a document that is not a BWB toestand, or the consolidation of another regulation", () => {
    expect(() => source.parse({ body: Buffer.from("<work label='BWBR0099999'/>") })).toThrow(
      /expected a BWB consolidation \(<toestand>, toestand_2015-1.xsd\), found <work>/,
    );
    // The id is not known in advance: the citeertitel decides, whatever the bwb-id.
    const otherId = fixture("regeling-2023-09-01_0.xml")
      .toString("utf8")
      .replaceAll("BWBR0099999", "BWBR0012345");
    expect(source.parse({ body: Buffer.from(otherId) }).meta.bwbId).toBe("BWBR0012345");
    const otherTitle = fixture("regeling-2023-09-01_0.xml")
      .toString("utf8")
      .replace(
        ">Regeling geavanceerde productieapparatuur voor halfgeleiders</citeertitel>",
        ">Drank- en Horecawet</citeertitel>",
      );
    expect(() => source.parse({ body: Buffer.from(otherTitle) })).toThrow(
      /expected the BWB consolidation of "Regeling geavanceerde productieapparatuur voor halfgeleiders", found "Drank- en Horecawet" \(BWBR0099999\)/,
    );
    expect(() => runSteps(source.parseSteps!({ body: Buffer.from(otherTitle) }))).toThrow(
      SourceShapeChangedError,
    );
  });

  it("refuses malformed XML with a clear error", () => {
    const truncated = fixture("regeling-2023-09-01_0.xml").subarray(0, 1500);
    expect(() => source.parse({ body: truncated })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: truncated })).toThrow(/malformed XML/);
  });

  it("finds the work by title, then polls the manifest and fetches the expression in force only when it moved", async () => {
    const { http, asked } = fakeKoop();
    const now = new Date("2025-01-15T07:00:00Z");
    const first = await source.fetch({ http, log: silentLog, now, state: {} });
    expect(asked).toEqual([
      bwbSearchUrl(REGULATION_TITLE, 1),
      "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0099999/manifest.xml",
      "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0099999/2024-09-07_0/xml/BWBR0099999_2024-09-07_0.xml",
    ]);
    expect(first.artifacts.map((a) => a.asOf)).toEqual(["2024-09-07"]);
    // The discovered id lives in the cursor, and the snapshot says which work it read.
    expect(first.state).toEqual({
      bwbId: "BWBR0099999",
      bwbIdCheckedAt: "2025-01-15",
      lastExpression: "2024-09-07_0",
      lastHash: "ef56",
      manifestEtag: '"m1"',
      // Listed ahead of its in-force day: kept, to be taken on the day even if the manifest does not move.
      upcoming: [expect.objectContaining({ label: "2025-04-01_0", inForce: "2025-04-01" })],
    });
    expect(source.parse({ body: Buffer.from(first.artifacts[0]!.response.body) }).meta.bwbId).toBe(
      "BWBR0099999",
    );
    asked.length = 0;
    // Next run, within the week: no search, the manifest only, nothing new.
    const again = await source.fetch({ http, log: silentLog, now, state: first.state });
    expect(asked).toEqual([
      "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0099999/manifest.xml",
    ]);
    expect(again.artifacts).toEqual([]);
    expect(again.state).toMatchObject({ bwbId: "BWBR0099999", lastExpression: "2024-09-07_0" });
  });

  it("asks the search again after a week, and starts afresh when the regulation's id changed", async () => {
    const moved = fakeKoop({ searchBody: searchFixture().replaceAll("BWBR0099999", "BWBR0077777") });
    const week = new Date("2025-01-22T07:00:00Z");
    const state = {
      bwbId: "BWBR0099999",
      bwbIdCheckedAt: "2025-01-15",
      lastExpression: "2024-09-07_0",
      lastHash: "ef56",
      manifestEtag: '"m1"',
    };
    const result = await source.fetch({ http: moved.http, log: silentLog, now: week, state });
    expect(moved.asked[0]).toBe(bwbSearchUrl(REGULATION_TITLE, 1));
    expect(moved.asked[1]).toBe(
      "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0077777/manifest.xml",
    );
    // The old work's expression, hash and ETag are not carried over: the new work's current expression is read.
    expect(result.artifacts).toHaveLength(1);
    expect(result.state).toEqual({
      bwbId: "BWBR0077777",
      bwbIdCheckedAt: "2025-01-22",
      lastExpression: "2024-09-07_0",
      lastHash: "ef56",
      manifestEtag: '"m1"',
      // Listed ahead of its in-force day: kept, to be taken on the day even if the manifest does not move.
      upcoming: [expect.objectContaining({ label: "2025-04-01_0", inForce: "2025-04-01" })],
    });
  });

  it("takes an expression published ahead on the day it comes into force, though the manifest answers 304", async () => {
    const ahead = {
      label: "2025-04-01_0",
      inForce: "2025-04-01",
      endDate: null,
      hash: "ab12",
      size: 10,
      xmlPath: "2025-04-01_0/xml/BWBR0099999_2025-04-01_0.xml",
    };
    const state = {
      bwbId: "BWBR0099999",
      bwbIdCheckedAt: "2025-03-30",
      lastExpression: "2024-09-07_0",
      lastHash: "ef56",
      manifestEtag: '"m1"',
      upcoming: [ahead],
    };
    const asked: string[] = [];
    const http: HttpClient = {
      async get(url) {
        asked.push(url);
        const base = {
          url,
          headers: {},
          contentType: "application/xml",
          sha256: "x",
          fetchedAt: "2025-04-01T07:00:00Z",
        };
        if (url.endsWith("/manifest.xml"))
          return { ...base, status: 304, notModified: true, body: new Uint8Array() };
        return { ...base, status: 200, notModified: false, body: new TextEncoder().encode("<toestand/>") };
      },
    };
    // The day before: nothing in force yet, nothing fetched beyond the probe.
    const before = await source.fetch({ http, log: silentLog, now: new Date("2025-03-31T07:00:00Z"), state });
    expect(before.artifacts).toEqual([]);
    expect(asked).toHaveLength(1);
    // The day itself: the manifest unchanged (304), the kept expression taken.
    asked.length = 0;
    const on = await source.fetch({ http, log: silentLog, now: new Date("2025-04-01T07:00:00Z"), state });
    expect(asked).toEqual([
      "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0099999/manifest.xml",
      "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0099999/2025-04-01_0/xml/BWBR0099999_2025-04-01_0.xml",
    ]);
    expect(on.artifacts.map((a) => a.asOf)).toEqual(["2025-04-01"]);
    expect(on.state).toMatchObject({
      lastExpression: "2025-04-01_0",
      lastHash: "ab12",
      manifestEtag: '"m1"',
      upcoming: [],
    });
  });

  it("refuses when the search finds no work with the exact title, or more than one", async () => {
    const now = new Date("2025-01-15T07:00:00Z");
    const none = fakeKoop({
      searchBody: searchFixture().replace(
        /Regeling\s+geavanceerde productieapparatuur\s+voor halfgeleiders<\/dcterms:title>/g,
        "Regeling geavanceerde productieapparatuur voor halfgeleiders BES</dcterms:title>",
      ),
    });
    await expect(source.fetch({ http: none.http, log: silentLog, now, state: {} })).rejects.toThrow(
      /BWB search finds no work titled "Regeling geavanceerde productieapparatuur voor halfgeleiders" \(3 records/,
    );
    expect(none.asked).toHaveLength(1);
    // Two pages: the second holds another work with the very same title.
    const firstPage = searchFixture()
      .replace("<srw:numberOfRecords>3</srw:numberOfRecords>", "<srw:numberOfRecords>4</srw:numberOfRecords>")
      .replace("</srw:records>", "</srw:records><srw:nextRecordPosition>4</srw:nextRecordPosition>");
    const secondPage = searchFixture()
      .replace("<srw:numberOfRecords>3</srw:numberOfRecords>", "<srw:numberOfRecords>4</srw:numberOfRecords>")
      .replace(/<srw:record>[\s\S]*?<\/srw:record>\s*<srw:record>[\s\S]*?<\/srw:record>/, "")
      .replace(
        "<dcterms:identifier>BWBR0099998</dcterms:identifier>",
        "<dcterms:identifier>BWBR0055555</dcterms:identifier>",
      )
      .replace(
        "Regeling meldplicht productieapparatuur voor halfgeleiders en toebehoren",
        "Regeling geavanceerde productieapparatuur voor halfgeleiders",
      );
    const two = fakeKoop({ searchBody: (url) => (url.includes("startRecord=4") ? secondPage : firstPage) });
    await expect(source.fetch({ http: two.http, log: silentLog, now, state: {} })).rejects.toThrow(
      /BWB search finds 2 works titled "Regeling geavanceerde productieapparatuur voor halfgeleiders": BWBR0055555, BWBR0099999/,
    );
    expect(two.asked).toEqual([bwbSearchUrl(REGULATION_TITLE, 1), bwbSearchUrl(REGULATION_TITLE, 4)]);
  });

  it("refuses a search answer that is a diagnostic, truncated, or not SRU at all", async () => {
    const now = new Date("2025-01-15T07:00:00Z");
    const diagnostic = `<?xml version="1.0"?><srw:searchRetrieveResponse xmlns:srw="http://www.loc.gov/zing/srw/"><srw:version>1.2</srw:version><srw:numberOfRecords>0</srw:numberOfRecords><srw:diagnostics><diag:diagnostic xmlns:diag="http://www.loc.gov/zing/srw/diagnostic/"><diag:uri>info:srw/diagnostic/1/16</diag:uri><diag:details>overheidbwb.titel</diag:details><diag:message>Unsupported index</diag:message></diag:diagnostic></srw:diagnostics></srw:searchRetrieveResponse>`;
    await expect(
      source.fetch({ http: fakeKoop({ searchBody: diagnostic }).http, log: silentLog, now, state: {} }),
    ).rejects.toThrow(
      /SRU service answered with a diagnostic: info:srw\/diagnostic\/1\/16: Unsupported index \(overheidbwb.titel\)/,
    );
    const truncated = searchFixture().slice(0, 2000);
    await expect(
      source.fetch({ http: fakeKoop({ searchBody: truncated }).http, log: silentLog, now, state: {} }),
    ).rejects.toThrow(/malformed XML/);
    await expect(
      source.fetch({
        http: fakeKoop({ searchBody: "<html><body>Onderhoud</body></html>" }).http,
        log: silentLog,
        now,
        state: {},
      }),
    ).rejects.toThrow(/not an SRU searchRetrieve answer \(root <html> in no namespace\)/);
  });

  it("reads the BWB search records: ids, titles as written, validity and toestand", () => {
    const page = readBwbSearch({ body: Buffer.from(searchFixture()) });
    expect(page).toMatchObject({
      version: "1.2",
      numberOfRecords: 3,
      nextRecordPosition: null,
      warnings: [],
    });
    expect(page.records.map((r) => [r.bwbId, r.validFrom, r.validUntil])).toEqual([
      ["BWBR0099999", "2023-09-01", "2024-09-06"],
      ["BWBR0099999", "2024-09-07", null],
      ["BWBR0099998", "2022-03-01", null],
    ]);
    expect(page.records[1]).toMatchObject({
      type: "ministeriele-regeling",
      toestandUrl:
        "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0099999/2024-09-07_0/xml/BWBR0099999_2024-09-07_0.xml",
    });
    // Whitespace in a title is not a different title; other words are.
    expect(worksTitled(page.records, REGULATION_TITLE)).toEqual(["BWBR0099999"]);
    expect(worksTitled(page.records, "Regeling geavanceerde productieapparatuur")).toEqual([]);
    expect(() =>
      readBwbSearch({
        body: Buffer.from(searchFixture().replace("BWBR0099998</dcterms", "stcrt-2023-1</dcterms")),
      }),
    ).toThrow(/record 3 has dcterms:identifier "stcrt-2023-1", not a BWB id/);
  });

  it("asks the BWB collection by title with a CQL phrase", () => {
    const url = new URL(bwbSearchUrl('Regeling "x" \\ y', 51));
    expect(url.origin + url.pathname).toBe("https://zoekservice.overheid.nl/sru/Search");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      operation: "searchRetrieve",
      version: "1.2",
      "x-connection": "BWB",
      query: 'overheidbwb.titel="Regeling \\"x\\" \\\\ y"',
      startRecord: "51",
      maximumRecords: "50",
    });
  });

  it("refuses a manifest of another work than the one found", async () => {
    const now = new Date("2025-01-15T07:00:00Z");
    const other = fakeKoop({
      manifestBody: MANIFEST.toString("utf8").replace('label="BWBR0099999"', 'label="BWBR0002458"'),
    });
    await expect(source.fetch({ http: other.http, log: silentLog, now, state: {} })).rejects.toThrow(
      /BWB manifest is for BWBR0002458, expected BWBR0099999/,
    );
  });

  it("cites KOOP publications the way lawyers do", () => {
    expect(publicationCitation("Stcrt.2024-99999")).toBe("Stcrt. 2024, 99999");
    expect(publicationCitation("stcrt-2023-18212")).toBe("Stcrt. 2023, 18212");
    expect(publicationCitation("Stb.2014-12")).toBe("Stb. 2014, 12");
    expect(publicationCitation(" Kamerstukken II 2023/24, 1 ")).toBe("Kamerstukken II 2023/24, 1");
  });

  it("reads an SRU 2.0 answer's paging fields", () => {
    const page = readSruPage(
      {
        body: Buffer.from(
          '<searchRetrieveResponse xmlns="http://docs.oasis-open.org/ns/search-ws/sruResponse"><version>2.0</version><numberOfRecords>7</numberOfRecords><records/><nextRecordPosition>4</nextRecordPosition><odd/></searchRetrieveResponse>',
        ),
      },
      "test",
    );
    expect(page).toMatchObject({ version: "2.0", numberOfRecords: 7, nextRecordPosition: 4, records: [] });
    expect(page.warnings).toEqual(["test: unexpected <odd> in the SRU answer"]);
  });

  it("reads a repository manifest and picks the expression in force", () => {
    const manifest = MANIFEST;
    const parsed = parseBwbManifest(manifest);
    expect(parsed.bwbId).toBe("BWBR0099999");
    expect(parsed.expressions.map((e) => e.label)).toEqual(["2023-09-01_0", "2024-09-07_0", "2025-04-01_0"]);
    expect(parsed.expressions[0]).toMatchObject({ hash: "ab12", size: 100, endDate: "2024-09-06" });
    expect(parsed.expressions[2]?.endDate).toBeNull();
    expect(currentExpression(parsed.expressions, "2025-01-15")?.xmlPath).toBe(
      "2024-09-07_0/xml/BWBR0099999_2024-09-07_0.xml",
    );
  });
});
