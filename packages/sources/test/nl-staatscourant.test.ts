import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpRequestOptions, HttpResponse } from "@regwatch/core/http";
import { sha256Hex } from "@regwatch/core/text";
import { diffDocuments } from "@regwatch/diff/diff-snapshots";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { silentLog } from "../../../test/support/test-http.ts";
import { BUNDLE_CONTENT_TYPE, bundleResponse, readBundle, writeBundle } from "../src/bundle.ts";
import { nlBwbStrategicGoods as bwb, REGULATION_TITLE } from "../src/nl/bwb/source.ts";
import {
  exportControlVerdict,
  parseDutchDate,
  parseIsoDate,
  readPublicationXml,
} from "../src/nl/staatscourant/parse.ts";
import {
  dayQuery,
  daysToRead,
  searchUrl,
  nlStaatscourantExportControl as source,
  TOPIC_CLAUSE,
  topicalDayQuery,
  topicalSinceQuery,
} from "../src/nl/staatscourant/source.ts";

const dir = join(import.meta.dirname, "../src/nl/staatscourant/fixtures");
const fixture = (name: string) => readFileSync(join(dir, name));
const text = (name: string) => fixture(name).toString("utf8");

const REPO = "https://repository.overheid.nl/frbr/officielepublicaties/stcrt";
const xmlUrl = (id: string) => `${REPO}/${id.split("-")[1]}/${id}/1/xml/${id}.xml`;

function response(
  url: string,
  body: Uint8Array | string,
  contentType = "application/xml; charset=utf-8",
): HttpResponse {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  return {
    url,
    status: 200,
    notModified: false,
    contentType,
    headers: { etag: '"e1"', "content-length": String(bytes.length) },
    body: bytes,
    sha256: sha256Hex(bytes),
    fetchedAt: "2024-09-06T06:40:00.000Z",
  };
}

/** A page bundled with the texts of the given publications, as the fetch builds it. */
function bundle(pageName: string, ids: string[]) {
  const page = response(searchUrl(dayQuery("2024-09-06")), fixture(pageName));
  return bundleResponse(
    page,
    ids.map((id) => response(xmlUrl(id), fixture(`${id}.xml`))),
  );
}

const parse = (r: HttpResponse) => source.parse({ body: r.body, contentType: r.contentType, url: r.url });
const docs = (r: HttpResponse) => {
  const snapshot = parse(r);
  if (snapshot.kind !== "documents") throw new Error("expected documents");
  return snapshot;
};

describe("nl.staatscourant.export-control parser", () => {
  it("reads an SRU page alone: the kept regulation waits for its text, the rest is counted out", () => {
    const snapshot = docs(response("page.xml", fixture("sru-stcrt-2024-09-06-p1.xml")));
    expect(snapshot.source).toBe("nl.staatscourant.export-control");
    expect(snapshot.documents).toEqual([]);
    expect(snapshot.meta).toEqual({
      read: "page",
      numberOfRecords: 3,
      records: 2,
      excluded: 1,
      notStaatscourant: [],
      kept: ["stcrt-2024-99999"],
      awaitingText: ["stcrt-2024-99999"],
    });
    expect(snapshot.warnings).toEqual([]);
  });

  it("reads a page bundled with its texts into the amendment, in force the day after its issue", () => {
    const snapshot = docs(bundle("sru-stcrt-2024-09-06-p1.xml", ["stcrt-2024-99999"]));
    expect(snapshot.meta).toMatchObject({ read: "bundle", kept: ["stcrt-2024-99999"], awaitingText: [] });
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents).toHaveLength(1);
    const doc = snapshot.documents[0]!;
    expect(doc).toMatchObject({
      id: "stcrt-2024-99999",
      stage: "published",
      type: "regeling",
      title:
        "Regeling van de Minister voor Buitenlandse Handel en Ontwikkelingshulp van 2 september 2024, nr. MinBuza.2024.0000-01, tot wijziging van de Regeling geavanceerde productieapparatuur voor halfgeleiders in verband met een uitbreiding van de vergunningplicht",
      citation: "Stcrt. 2024, 99999",
      publishedAt: "2024-09-06",
      effectiveAt: "2024-09-07",
      url: "https://zoek.officielebekendmakingen.nl/stcrt-2024-99999.html",
      cfrReferences: [REGULATION_TITLE],
      technologies: ["semiconductor-manufacturing-equipment"],
      countries: [],
    });
    expect(doc.urls).toEqual({
      html: "https://zoek.officielebekendmakingen.nl/stcrt-2024-99999.html",
      metadata: `${REPO}/2024/stcrt-2024-99999/1/metadata/metadata.xml`,
      pdf: `${REPO}/2024/stcrt-2024-99999/1/pdf/stcrt-2024-99999.pdf`,
      xml: xmlUrl("stcrt-2024-99999"),
    });
    expect(doc.data).toMatchObject({
      language: "nl",
      titleEn:
        "Amendment of the Regulation on advanced semiconductor production equipment (Regeling geavanceerde productieapparatuur voor halfgeleiders)",
      creator: "Ministerie van Buitenlandse Zaken",
      issuedAt: "2024-09-06",
      signedAt: "2024-09-02",
      explanatoryNotes: true,
      inForce: [
        {
          rule: "day-after-issue",
          date: null,
          sentence:
            "treedt in werking met ingang van de dag na de datum van uitgifte van de Staatscourant waarin zij wordt geplaatst, met dien verstande dat vergunningen die vóór de inwerkingtreding zijn verleend, van kracht blijven",
        },
      ],
    });
    // The regulation's text, list numbers with their paragraphs, markup characters kept as text;
    // the explanatory notes (which retell other dates) and the journal's masthead left out.
    expect(doc.abstract).toContain("ARTIKEL III\nDe bijlage bij de Regeling");
    expect(doc.abstract).toContain("B. Er wordt een onderdeel toegevoegd, luidende: d. 3B001.f.1.b.2");
    expect(doc.abstract).toContain("‘dedicated chuck overlay’ <= 1,5 nm.");
    expect(doc.abstract).not.toContain("TOELICHTING");
    expect(doc.abstract).not.toContain("1 oktober 2024");
    expect(doc.abstract).not.toContain("STAATSCOURANT");
  });

  it("links to the BWB version it causes: same citation, effective date and cited name", () => {
    const doc = docs(bundle("sru-stcrt-2024-09-06-p1.xml", ["stcrt-2024-99999"])).documents[0]!;
    const version = bwb.parse({
      body: readFileSync(join(import.meta.dirname, "../src/nl/bwb/fixtures/regeling-2024-09-07_0.xml")),
    });
    const described = bwb.describe(version, { url: null, asOf: null });
    // What the pipeline's instrumentFor asks: effective that day, citing one of the list's citedAs.
    expect(doc.effectiveAt).toBe(described.effectiveAt);
    expect(doc.cfrReferences.filter((r) => bwb.citedAs!.includes(r))).toEqual([bwb.citedAs![0]]);
    // And the list change and the document name one event (events are keyed by citation).
    expect(doc.citation).toBe(described.citation);
  });

  it("reads the base regulation and the 2025 amendment, each with the in-force date its text gives", () => {
    const snapshot = docs(bundle("sru-stcrt-2025-01-15.xml", ["stcrt-2025-99998", "stcrt-2023-18212"]));
    expect(snapshot.warnings).toEqual([]);
    expect(
      snapshot.documents.map((d) => [
        d.id,
        d.citation,
        d.publishedAt,
        d.effectiveAt,
        d.cfrReferences,
        d.technologies,
      ]),
    ).toEqual([
      [
        "stcrt-2023-18212",
        "Stcrt. 2023, 18212",
        "2023-06-30",
        "2023-09-01",
        [REGULATION_TITLE],
        ["semiconductor-manufacturing-equipment"],
      ],
      [
        "stcrt-2025-99998",
        "Stcrt. 2025, 99998",
        "2025-01-15",
        "2025-04-01",
        [REGULATION_TITLE],
        ["semiconductor-manufacturing-equipment"],
      ],
    ]);
    const base = snapshot.documents[0]!;
    expect(base.data?.titleEn).toBe(
      "Regulation on advanced semiconductor production equipment (Regeling geavanceerde productieapparatuur voor halfgeleiders)",
    );
    // The annex: list items with their letters, a table as rows of cells.
    expect(base.abstract).toContain("a. apparatuur voor extreem ultraviolet lithografie;");
    expect(base.abstract).toContain("Code | Omschrijving\n3B001.l | EUV");
    // The BWB base version's in-force date and the regulation's own citation.
    expect(base.effectiveAt).toBe(
      bwb.describe(
        bwb.parse({
          body: readFileSync(join(import.meta.dirname, "../src/nl/bwb/fixtures/regeling-2023-09-01_0.xml")),
        }),
        { url: null, asOf: null },
      ).effectiveAt,
    );
    expect(bwb.citedAs).toContain(base.citation);
  });

  it("gives the same document however often it is read, and a diff records it once", () => {
    const first = docs(bundle("sru-stcrt-2024-09-06-p1.xml", ["stcrt-2024-99999"])).documents;
    const again = docs(bundle("sru-stcrt-2024-09-06-p1.xml", ["stcrt-2024-99999"])).documents;
    expect(again).toEqual(first);
    const ctx = recordContext(source, { detectedAt: "2024-09-06T07:00:00.000Z" });
    const records = diffDocuments(new Map(), first, ctx);
    expect(records.map((r) => [r.kind, r.subject, r.effectiveAt, r.citation])).toEqual([
      ["published", "stcrt-2024-99999", "2024-09-07", "Stcrt. 2024, 99999"],
    ]);
  });

  it("keeps only Staatscourant regulations whose title names an export-control instrument", () => {
    const verdict = (title: string, type: string | null = "regeling", id = "stcrt-2024-1") =>
      exportControlVerdict({ id, type, title }).keep;
    expect(verdict("Regeling … tot wijziging van de Sanctieregeling terrorisme 2007")).toBe(false);
    expect(
      verdict("Besluit … houdende mandaat op grond van het Besluit strategische goederen", "besluit"),
    ).toBe(false);
    expect(verdict("Regeling … over de uitvoer van producten voor TWEEËRLEI gebruik")).toBe(true);
    expect(verdict("Regeling … over de uitvoer van producten voor tweeërlei gebruik".normalize("NFD"))).toBe(
      true,
    );
    expect(verdict("Regeling … strategische goederen", null)).toBe(true);
    expect(verdict("Wijziging … strategische goederen", null)).toBe(false);
    expect(verdict("Regeling … strategische goederen", "regeling", "gmb-2024-1")).toBe(false);
    // The second page: a mandate decision (a besluit) naming the Besluit strategische goederen.
    const p2 = docs(response("p2.xml", fixture("sru-stcrt-2024-09-06-p2.xml")));
    expect(p2.meta).toMatchObject({ records: 1, excluded: 1, kept: [] });
  });

  it("counts a record of another publication apart, and reads a record without a text from the record alone", () => {
    const page = text("sru-stcrt-2024-09-06-p1.xml")
      .replace(
        "<dcterms:identifier>stcrt-2024-99990</dcterms:identifier>",
        "<dcterms:identifier>gmb-2024-99990</dcterms:identifier>",
      )
      .replace(/\s*<gzd:itemUrl manifestation="xml">[^<]*stcrt-2024-99999\.xml<\/gzd:itemUrl>/, "");
    const snapshot = docs(response("page.xml", page));
    expect(snapshot.meta).toMatchObject({
      notStaatscourant: ["gmb-2024-99990"],
      excluded: 0,
      awaitingText: [],
    });
    expect(snapshot.documents.map((d) => [d.id, d.publishedAt, d.effectiveAt, d.abstract])).toEqual([
      ["stcrt-2024-99999", "2024-09-06", null, null],
    ]);
  });

  it("refuses an SRU diagnostic, a truncated page, a page that is not SRU, and a damaged bundle", () => {
    expect(() => parse(response("diag.xml", fixture("sru-diagnostic.xml")))).toThrow(
      /the SRU service answered with a diagnostic: info:srw\/diagnostic\/1\/10: Query syntax error \(dt.modified==2024-13-01\)/,
    );
    const truncated = fixture("sru-stcrt-2024-09-06-p1.xml").subarray(0, 3000);
    expect(() => parse(response("page.xml", truncated))).toThrow(SourceShapeChangedError);
    expect(() => parse(response("page.xml", truncated))).toThrow(/malformed XML/);
    expect(() => parse(response("page.xml", "<html><body>Storing</body></html>"))).toThrow(
      /not an SRU searchRetrieve answer \(root <html> in no namespace\)/,
    );
    const whole = bundle("sru-stcrt-2024-09-06-p1.xml", ["stcrt-2024-99999"]);
    expect(() => parse({ ...whole, body: whole.body.subarray(0, whole.body.length - 200) })).toThrow(
      /truncated bundle part 2/,
    );
    const flipped = Buffer.from(whole.body);
    flipped[flipped.indexOf("Artikel 3 van de Regeling")] = "a".charCodeAt(0);
    expect(() => parse({ ...whole, body: flipped })).toThrow(
      /bundle part 2 \(.*stcrt-2024-99999\.xml\) does not match its SHA-256/,
    );
    expect(() => parse({ ...whole, body: Buffer.concat([whole.body, Buffer.from("x")]) })).toThrow(
      /bytes after the end of the bundle/,
    );
  });

  it("refuses a text that is not the publication's, or not a publication", () => {
    const other = text("stcrt-2024-99999.xml").replace(
      "/stcrt-2024-99999/metadata.xml",
      "/stcrt-2024-12345/metadata.xml",
    );
    expect(() => readPublicationXml({ body: Buffer.from(other), url: "x.xml" }, "stcrt-2024-99999")).toThrow(
      /x.xml: the text's metadata record is https:\/\/zoek.officielebekendmakingen.nl\/stcrt-2024-12345\/metadata.xml, not that of stcrt-2024-99999/,
    );
    expect(() => readPublicationXml({ body: Buffer.from("<toestand/>") }, "stcrt-2024-99999")).toThrow(
      /root element is <toestand>, expected <officiele-publicatie>/,
    );
    expect(() =>
      readPublicationXml(
        { body: Buffer.from("<officiele-publicatie><kop><titel>x</titel></kop></officiele-publicatie>") },
        "stcrt-2024-1",
      ),
    ).toThrow(/publication stcrt-2024-1 has no paragraph of text/);
    expect(() =>
      readPublicationXml(
        { body: Buffer.from('<!DOCTYPE x [<!ENTITY a "b">]><officiele-publicatie/>') },
        "stcrt-2024-1",
      ),
    ).toThrow(/refusing to expand them/);
  });

  it("takes no in-force date when the text gives several, or one it cannot read", () => {
    const xml = (clause: string) =>
      Buffer.from(
        `<officiele-publicatie><staatscourant><regeling><regeling-tekst><artikel><al>${clause}</al></artikel></regeling-tekst></regeling></staatscourant></officiele-publicatie>`,
      );
    const two = readPublicationXml(
      {
        body: xml(
          "Artikel I treedt in werking met ingang van 1 april 2025; artikel II treedt in werking op 1 juli 2025.",
        ),
      },
      "stcrt-2025-1",
    );
    expect(two.inForce.map((c) => c.date)).toEqual(["2025-04-01", "2025-07-01"]);
    const page = text("sru-stcrt-2025-01-15.xml");
    const several = bundleResponse(response("page.xml", page), [
      response(
        xmlUrl("stcrt-2025-99998"),
        xml(
          "Artikel I treedt in werking met ingang van 1 april 2025; artikel II treedt in werking op 1 juli 2025.",
        ),
      ),
      response(xmlUrl("stcrt-2023-18212"), fixture("stcrt-2023-18212.xml")),
    ]);
    const snapshot = docs(several);
    expect(snapshot.documents.find((d) => d.id === "stcrt-2025-99998")?.effectiveAt).toBeNull();
    expect(snapshot.warnings).toEqual([
      "stcrt-2025-99998: several in-force dates (2025-04-01, 2025-07-01); none taken as the date",
    ]);
    const unclear = readPublicationXml(
      { body: xml("Deze regeling treedt in werking op een bij koninklijk besluit te bepalen tijdstip.") },
      "stcrt-2025-2",
    );
    expect(unclear.inForce).toEqual([]);
    expect(unclear.warnings).toEqual([
      'stcrt-2025-2: in-force clause not understood: "treedt in werking op een bij koninklijk besluit te bepalen tijdstip"',
    ]);
    expect(
      readPublicationXml(
        { body: xml("Deze regeling treedt in werking met ingang van 31 april 2025.") },
        "stcrt-2025-3",
      ).warnings,
    ).toEqual([
      'stcrt-2025-3: in-force clause not understood: "treedt in werking met ingang van 31 april 2025"',
    ]);
  });

  it("parses dates strictly and keeps text NFC", () => {
    expect(parseDutchDate("1 april 2025")).toBe("2025-04-01");
    expect(parseDutchDate("7 SEPTEMBER 2024")).toBe("2024-09-07");
    expect(parseDutchDate("29 februari 2023")).toBeNull();
    expect(parseDutchDate("1 aprilis 2025")).toBeNull();
    expect(parseIsoDate("2024-09-06T06:02:11.482+02:00")).toBe("2024-09-06");
    expect(parseIsoDate("2024-02-30")).toBeNull();
    expect(parseIsoDate("06-09-2024")).toBeNull();
    const bad = text("sru-stcrt-2024-09-06-p1.xml").replace(
      '<dcterms:issued>2024-09-06</dcterms:issued>\n                <dcterms:subject scheme="OVERHEID.TaxonomieBeleidsagenda">Economie',
      '<dcterms:issued>2024-09-31</dcterms:issued>\n                <dcterms:subject scheme="OVERHEID.TaxonomieBeleidsagenda">Economie',
    );
    const decomposed = text("stcrt-2024-99999.xml").replace("vóór", "vo\u0301o\u0301r");
    const snapshot = docs(
      bundleResponse(response("page.xml", bad), [response(xmlUrl("stcrt-2024-99999"), decomposed)]),
    );
    expect(snapshot.warnings).toEqual(['stcrt-2024-99999: <dcterms:issued> "2024-09-31" is not a date']);
    // No issue date: the available date is the publication date, and the day after it the in-force date.
    expect(snapshot.documents[0]).toMatchObject({ publishedAt: "2024-09-06", effectiveAt: "2024-09-07" });
    expect(snapshot.documents[0]!.abstract).toContain("vóór de inwerkingtreding");
  });
});

describe("the bundle of a page and its texts", () => {
  it("keeps each body byte for byte, with its URL and content type", () => {
    const parts = [
      {
        url: "https://a.example/page",
        contentType: "application/xml; charset=utf-8",
        body: Buffer.from("<a>\n</a>"),
      },
      { url: "https://a.example/x.xml", contentType: null, body: new Uint8Array([0, 10, 255, 10]) },
    ];
    const bytes = writeBundle(parts);
    expect(readBundle(bytes).map((p) => [p.url, p.contentType, Buffer.from(p.body).toString("hex")])).toEqual(
      [
        [
          "https://a.example/page",
          "application/xml; charset=utf-8",
          Buffer.from("<a>\n</a>").toString("hex"),
        ],
        ["https://a.example/x.xml", null, "000aff0a"],
      ],
    );
    expect(Buffer.from(writeBundle(parts)).equals(Buffer.from(bytes))).toBe(true);
    const b = bundle("sru-stcrt-2024-09-06-p1.xml", ["stcrt-2024-99999"]);
    expect(b).toMatchObject({
      contentType: BUNDLE_CONTENT_TYPE,
      headers: { etag: '"e1"' },
      sha256: sha256Hex(b.body),
    });
    expect(b.headers["content-length"]).toBeUndefined();
  });
});

describe("nl.staatscourant.export-control definition and fetch", () => {
  it("is defined like the other documents sources", () => {
    expect(source).toMatchObject({
      id: "nl.staatscourant.export-control",
      jurisdiction: "NL",
      kind: "documents",
      alertWindowDays: 30,
      expectations: {
        minEntries: 0,
        maxEntries: 100,
        requiredFields: ["id", "title", "citation", "publishedAt"],
      },
    });
    const url = new URL(searchUrl(dayQuery("2024-09-06"), 101));
    expect(url.origin + url.pathname).toBe("https://repository.overheid.nl/sru");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      operation: "searchRetrieve",
      version: "2.0",
      query:
        "c.product-area==officielepublicaties AND w.publicatienaam==Staatscourant AND dt.modified==2024-09-06",
      recordSchema: "gzd",
      startRecord: "101",
      maximumRecords: "100",
    });
    expect(TOPIC_CLAUSE).toBe(
      '(dt.title="productieapparatuur voor halfgeleiders" OR dt.title="strategische goederen" OR dt.title="strategische diensten" OR dt.title="tweeërlei gebruik" OR dt.title="2021/821" OR dt.title="dual-use")',
    );
    expect(daysToRead(null, new Date("2024-09-06T06:40:00Z"))).toEqual(["2024-09-06"]);
    expect(daysToRead("2024-09-04", new Date("2024-09-06T06:40:00Z"))).toEqual(["2024-09-05", "2024-09-06"]);
    expect(daysToRead("2024-08-01", new Date("2024-09-06T06:40:00Z"))).toHaveLength(7);
  });

  /** KOOP as a fake: the search answers by query and start, and the publications' texts. */
  function fakeKoop(pages: Record<string, Buffer | string>) {
    const asked: { url: string; options?: HttpRequestOptions }[] = [];
    const http: HttpClient = {
      async get(url, options) {
        asked.push({ url, options });
        if (url.startsWith(`${REPO}/`)) {
          const id = /\/(stcrt-\d{4}-\d+)\.xml$/.exec(url)![1]!;
          return response(url, fixture(`${id}.xml`));
        }
        const params = new URL(url).searchParams;
        const key = `${params.get("query")}|${params.get("startRecord")}`;
        const body = pages[key];
        if (body === undefined) throw new Error(`unexpected search ${key}`);
        return response(url, body);
      },
    };
    return { http, asked };
  }

  it("reads each day since the cursor page by page, and bundles only pages that hold a regulation with its text", async () => {
    const empty =
      '<searchRetrieveResponse xmlns="http://docs.oasis-open.org/ns/search-ws/sruResponse"><version>2.0</version><numberOfRecords>0</numberOfRecords><records/></searchRetrieveResponse>';
    const { http, asked } = fakeKoop({
      [`${dayQuery("2024-09-05")}|1`]: empty,
      [`${dayQuery("2024-09-06")}|1`]: fixture("sru-stcrt-2024-09-06-p1.xml"),
      [`${dayQuery("2024-09-06")}|3`]: fixture("sru-stcrt-2024-09-06-p2.xml"),
    });
    const result = await source.fetch({
      http,
      log: silentLog,
      now: new Date("2024-09-06T15:40:00Z"),
      state: { lastDay: "2024-09-04" },
    });
    expect(asked.map((a) => a.url)).toEqual([
      searchUrl(dayQuery("2024-09-05"), 1),
      searchUrl(dayQuery("2024-09-06"), 1),
      searchUrl(dayQuery("2024-09-06"), 3),
      xmlUrl("stcrt-2024-99999"),
    ]);
    // Every request unconditional: a 304 would leave nothing to read or bundle.
    expect(asked.every((a) => a.options?.conditional === false)).toBe(true);
    // Today is read again next run; the cursor stays on the last whole day, with today's page taken.
    expect(result.state).toEqual({
      lastDay: "2024-09-05",
      pages: { [searchUrl(dayQuery("2024-09-06"), 1)]: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(result.artifacts).toHaveLength(1);
    const artifact = result.artifacts[0]!.response;
    expect(artifact.url).toBe(searchUrl(dayQuery("2024-09-06"), 1));
    expect(readBundle(artifact.body).map((p) => p.url)).toEqual([
      searchUrl(dayQuery("2024-09-06"), 1),
      xmlUrl("stcrt-2024-99999"),
    ]);
    expect(docs(artifact).documents.map((d) => [d.id, d.effectiveAt])).toEqual([
      ["stcrt-2024-99999", "2024-09-07"],
    ]);
  });

  it("reads a re-indexing day through the topical query", async () => {
    const huge = text("sru-stcrt-2024-09-06-p2.xml").replace(
      "<sru:numberOfRecords>3</sru:numberOfRecords>",
      "<sru:numberOfRecords>31000</sru:numberOfRecords>",
    );
    const topical = text("sru-stcrt-2024-09-06-p1.xml")
      .replace("<sru:numberOfRecords>3</sru:numberOfRecords>", "<sru:numberOfRecords>2</sru:numberOfRecords>")
      .replace("<sru:nextRecordPosition>3</sru:nextRecordPosition>", "");
    const { http, asked } = fakeKoop({
      [`${dayQuery("2024-09-06")}|1`]: huge,
      [`${topicalDayQuery("2024-09-06")}|1`]: topical,
    });
    const result = await source.fetch({
      http,
      log: silentLog,
      now: new Date("2024-09-06T06:40:00Z"),
      state: {},
    });
    expect(asked.map((a) => a.url)).toEqual([
      searchUrl(dayQuery("2024-09-06"), 1),
      searchUrl(topicalDayQuery("2024-09-06"), 1),
      xmlUrl("stcrt-2024-99999"),
    ]);
    expect(result.artifacts).toHaveLength(1);
    // A first run: tomorrow's goes on from today.
    expect(result.state).toMatchObject({ lastDay: "2024-09-05" });
    const stillHuge = fakeKoop({
      [`${dayQuery("2024-09-06")}|1`]: huge,
      [`${topicalDayQuery("2024-09-06")}|1`]: huge,
    });
    await expect(
      source.fetch({
        http: stillHuge.http,
        log: silentLog,
        now: new Date("2024-09-06T06:40:00Z"),
        state: {},
      }),
    ).rejects.toThrow(/Staatscourant search for 2024-09-06 by title still gives 31000 records/);
  });

  it("fails the run on a diagnostic rather than moving the cursor past the day", async () => {
    const { http } = fakeKoop({ [`${dayQuery("2024-09-06")}|1`]: fixture("sru-diagnostic.xml") });
    await expect(
      source.fetch({
        http,
        log: silentLog,
        now: new Date("2024-09-06T06:40:00Z"),
        state: { lastDay: "2024-09-05" },
      }),
    ).rejects.toThrow(SourceShapeChangedError);
  });

  it("backfills what was issued since a date through the topical query", async () => {
    const { http, asked } = fakeKoop({
      [`${topicalSinceQuery("2023-06-01")}|1`]: fixture("sru-stcrt-2025-01-15.xml"),
    });
    const steps = [];
    for await (const step of source.backfill!(
      { http, log: silentLog, now: new Date("2025-01-16T06:40:00Z"), state: {} },
      "2023-06-01",
    ))
      steps.push(step);
    expect(asked.map((a) => a.url)).toEqual([
      searchUrl(topicalSinceQuery("2023-06-01"), 1),
      xmlUrl("stcrt-2025-99998"),
      xmlUrl("stcrt-2023-18212"),
    ]);
    expect(steps.map((s) => [s.index, s.total, s.state])).toEqual([[1, 1, { lastDay: "2025-01-15" }]]);
    expect(docs(steps[0]!.artifact.response).documents.map((d) => [d.id, d.effectiveAt])).toEqual([
      ["stcrt-2023-18212", "2023-09-01"],
      ["stcrt-2025-99998", "2025-04-01"],
    ]);
  });
});
