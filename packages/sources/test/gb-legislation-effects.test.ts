import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpRequestOptions, HttpResponse } from "@regwatch/core/http";
import { diffDocuments, type StoredDocument } from "@regwatch/diff/diff-snapshots";
import { documentHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { silentLog } from "../../../test/support/test-http.ts";
import { gbEcoSchedules } from "../src/gb/eco-schedules/source.ts";
import {
  effectsToDocuments,
  entriesNamed,
  itemPath,
  parseChangesFeed,
} from "../src/gb/legislation-effects/parse.ts";
import {
  affectedFeedUrl,
  instrumentFeedUrl,
  gbEcoAmendments as source,
} from "../src/gb/legislation-effects/source.ts";

const PAGE1 = "changes-affected-eco-page1.feed";
const PAGE2 = "changes-affected-eco-page2.feed";
const SI_2024 = "changes-affected-eco-affecting-uksi-2024-346.feed";
const SI_2024_APPLIED = "changes-affected-eco-affecting-uksi-2024-346-applied.feed";
const SI_2025 = "changes-affected-eco-affecting-uksi-2025-532.feed";
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../src/gb/legislation-effects/fixtures", name));
const parse = (name: string) => {
  const snapshot = source.parse({ body: fixture(name) });
  if (snapshot.kind !== "documents") throw new Error("expected documents");
  return snapshot;
};

function response(url: string, body: Buffer, extra: Partial<HttpResponse> = {}): HttpResponse {
  return {
    url,
    status: 200,
    notModified: false,
    contentType: "application/atom+xml",
    headers: {},
    body,
    sha256: "x",
    fetchedAt: "2025-06-11T06:47:00Z",
    ...extra,
  };
}

describe("gb.legislation.eco-amendments parser", () => {
  it("reads a changes feed page: paging, and one effect per entry", () => {
    const feed = parseChangesFeed({ body: fixture(PAGE1) });
    expect(feed).toMatchObject({
      page: 1,
      morePages: 1,
      totalPages: 2,
      totalResults: 6,
      itemsPerPage: 4,
      startIndex: 1,
      next: "http://www.legislation.gov.uk/changes/affected/uksi/2008/3231/data.feed?results-count=4&sort=modified&page=2",
      updated: "2025-06-10T12:00:00.1+01:00",
    });
    expect(feed.warnings).toEqual([]);
    expect(feed.effects.map((e) => [e.affectingCitation, e.affectedProvisions, e.type, e.applied])).toEqual([
      ["S.I. 2025/532", "art. 34(1)", "words substituted", false],
      ["S.I. 2024/346", "Sch. 2 entry ML4", "word substituted", true],
      ["S.I. 2024/346", "Sch. 3 entry PL9009.b", "words substituted", true],
      ["S.I. 2024/346", "Sch. 3 entries PL9013-PL9015", "inserted", true],
    ]);
    expect(feed.effects[0]).toMatchObject({
      id: "key-a25art34",
      requiresApplied: true,
      modified: "2025-06-10T10:00:00Z",
      affectedUri: "http://www.legislation.gov.uk/id/uksi/2008/3231",
      affectedCitation: "S.I. 2008/3231",
      affectedTitle: "The Export Control Order 2008",
      affectedSections: [
        {
          label: "art. 34(1)",
          uri: "http://www.legislation.gov.uk/id/uksi/2008/3231/article/34/1",
          upTo: null,
        },
      ],
      inForce: [{ date: "2025-06-01", qualification: "wholly in force", applied: false, prospective: null }],
      row: 1,
    });
    expect(parseChangesFeed({ body: fixture(PAGE2) })).toMatchObject({ page: 2, morePages: 0, next: null });
  });

  it("makes one document per amending instrument, linked to the Order's list", () => {
    const snapshot = parse(SI_2024);
    expect(snapshot.source).toBe("gb.legislation.eco-amendments");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents).toHaveLength(1);
    const doc = snapshot.documents[0]!;
    expect(doc).toMatchObject({
      id: "uksi/2024/346",
      stage: "published",
      type: "UK Statutory Instrument",
      title: "The Export Control (Amendment) Regulations 2024",
      citation: "S.I. 2024/346",
      publishedAt: "2024-04-01",
      effectiveAt: "2024-04-01",
      url: "https://www.legislation.gov.uk/uksi/2024/346",
      cfrReferences: ["S.I. 2008/3231"],
      abstract:
        "Effects on The Export Control Order 2008 (S.I. 2008/3231): Sch. 2 entry ML4 word substituted; Sch. 3 entry PL9009.b words substituted; Sch. 3 entries PL9013-PL9015 inserted.",
    });
    expect(doc.urls).toEqual({
      xml: "https://www.legislation.gov.uk/uksi/2024/346/data.xml",
      effects: "https://www.legislation.gov.uk/changes/affected/uksi/2008/3231/affecting/uksi/2024/346",
    });
    // The list source cites the Order the same way: a list change of 2024-04-01 links to this document.
    expect(gbEcoSchedules.citedAs).toContain(doc.cfrReferences[0]);
    expect(doc.data).toMatchObject({
      language: "en",
      inForceDates: ["2024-04-01"],
      entriesNamed: ["ML4", "PL9009", "PL9013", "PL9014", "PL9015"],
    });
    expect(
      (doc.data!.effects as { type: string; applied: boolean | null }[]).map((e) => [e.type, e.applied]),
    ).toEqual([
      ["word substituted", false],
      ["words substituted", false],
      ["inserted", false],
    ]);
  });

  it("tags an instrument by the list entries its effects name", () => {
    expect(parse(SI_2024).documents[0]!.technologies).toEqual(
      expect.arrayContaining([
        "quantum",
        "semiconductor-manufacturing-equipment",
        "advanced-semiconductors",
        "additive-manufacturing",
      ]),
    );
    expect(parse(SI_2025).documents[0]!.technologies).toEqual([]);
  });

  it("gives no new record when effects are applied and the feed's order moves", () => {
    const before = parse(SI_2024).documents[0]!;
    const after = parse(SI_2024_APPLIED).documents[0]!;
    expect(documentHash(after)).toBe(documentHash(before));
    const stored = new Map<string, StoredDocument>([
      [before.id, { id: before.id, hash: documentHash(before), stage: "published", text: "" }],
    ]);
    expect(diffDocuments(stored, [after], recordContext(source))).toEqual([]);
    // The data keeps the news.
    expect((after.data!.effects as { applied: boolean }[]).every((e) => e.applied)).toBe(true);
  });

  it("reads every instrument of a page of the Order's feed", () => {
    const snapshot = parse(PAGE1);
    expect(snapshot.documents.map((d) => [d.id, d.citation, d.effectiveAt])).toEqual([
      ["uksi/2024/346", "S.I. 2024/346", "2024-04-01"],
      ["uksi/2025/532", "S.I. 2025/532", "2025-06-01"],
    ]);
    expect(snapshot.meta).toMatchObject({
      page: 1,
      morePages: 1,
      totalResults: 6,
      effects: 4,
      ecoEffects: 4,
      newestModified: "2025-06-10T10:00:00Z",
    });
  });

  it("spells out the list entries an effect names, short ranges included", () => {
    expect(entriesNamed("Sch. 3 entries PL9013-PL9015")).toEqual(["PL9013", "PL9014", "PL9015"]);
    expect(entriesNamed("Sch. 2 entry ML8.d.3, ML10")).toEqual(["ML8", "ML10"]);
    expect(entriesNamed("art. 34(1)")).toEqual([]);
  });

  it("keeps only effects on the item asked for", () => {
    const feed = parseChangesFeed({ body: fixture(PAGE1) });
    expect(
      effectsToDocuments(feed.effects, "http://www.legislation.gov.uk/id/ukpga/2018/12").documents,
    ).toEqual([]);
    expect(itemPath("http://www.legislation.gov.uk/id/uksi/2024/346")).toBe("uksi/2024/346");
    expect(itemPath("https://www.legislation.gov.uk/ukpga/2018/12/section/45")).toBe("ukpga/2018/12");
    expect(itemPath("http://example.com/id/uksi/2024/346")).toBeNull();
  });

  it("refuses malformed XML, an HTML page served with 200, and feeds that are not changes feeds", () => {
    const truncated = fixture(SI_2024).subarray(0, 3000);
    expect(() => source.parse({ body: truncated })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: truncated })).toThrow(/malformed XML/);
    const html = Buffer.from(
      "<html><head><title>Page not found - legislation.gov.uk</title></head><body>Sorry</body></html>",
    );
    expect(() => source.parse({ body: html, url: "https://www.legislation.gov.uk/changes/x" })).toThrow(
      /answered with an HTML page \("Page not found - legislation.gov.uk"\), not XML/,
    );
    const noEffect = fixture(SI_2025)
      .toString("utf8")
      .replace(/<content type="text\/xml">[\s\S]*<\/content>/, "<content type='text'>x</content>");
    expect(() => source.parse({ body: Buffer.from(noEffect) })).toThrow(
      /carries no <ukm:Effect>; not a changes feed/,
    );
    const badPaging = fixture(SI_2025).toString("utf8").replace("<leg:morePages>0", "<leg:morePages>many");
    expect(() => source.parse({ body: Buffer.from(badPaging) })).toThrow(
      /<leg:morePages> "many" is not a number/,
    );
    expect(() => source.parse({ body: Buffer.from("<Legislation/>") })).toThrow(/expected an Atom <feed>/);
  });

  it("takes no impossible date: a warning and no date instead", () => {
    const odd = fixture(SI_2025).toString("utf8").replace('Date="2025-06-01"', 'Date="2025-02-30"');
    const snapshot = source.parse({ body: Buffer.from(odd) });
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.warnings).toEqual(['effect key-a25art34: in-force date "2025-02-30" is not a date']);
    expect(snapshot.documents[0]).toMatchObject({ effectiveAt: null, publishedAt: null });
  });
});

describe("gb.legislation.eco-amendments fetch", () => {
  function client() {
    const asked: { url: string; options?: HttpRequestOptions }[] = [];
    const routes: Record<string, string> = {
      [affectedFeedUrl(1)]: PAGE1,
      [affectedFeedUrl(2)]: PAGE2,
      [instrumentFeedUrl("uksi/2024/346")]: SI_2024_APPLIED,
      [instrumentFeedUrl("uksi/2025/532")]: SI_2025,
      [instrumentFeedUrl("uksi/2023/695")]: SI_2025,
    };
    const http: HttpClient = {
      async get(url, options) {
        asked.push({ url, options });
        const name = routes[url];
        if (!name) throw new Error(`unexpected ${url}`);
        return response(url, fixture(name), { headers: url === affectedFeedUrl(1) ? { etag: '"p1"' } : {} });
      },
    };
    return { http, asked };
  }
  const now = new Date("2025-06-11T06:47:00Z");

  it("builds its URLs from the https origin", () => {
    expect(affectedFeedUrl()).toBe(
      "https://www.legislation.gov.uk/changes/affected/uksi/2008/3231/data.feed?results-count=50&sort=modified",
    );
    expect(affectedFeedUrl(3)).toMatch(/&page=3$/);
    expect(instrumentFeedUrl("uksi/2024/346")).toBe(
      "https://www.legislation.gov.uk/changes/affected/uksi/2008/3231/affecting/uksi/2024/346/data.feed?results-count=200",
    );
  });

  it("reads only page 1 on a first run, then each instrument's own feed, oldest first", async () => {
    const { http, asked } = client();
    const result = await source.fetch({ http, log: silentLog, now, state: {} });
    expect(asked.map((a) => a.url)).toEqual([
      affectedFeedUrl(1),
      instrumentFeedUrl("uksi/2024/346"),
      instrumentFeedUrl("uksi/2025/532"),
    ]);
    expect(asked[0]!.options).toEqual({ conditional: false, headers: {} });
    expect(result.artifacts.map((a) => a.response.url)).toEqual([asked[1]!.url, asked[2]!.url]);
    expect(result.state).toEqual({ feedEtag: '"p1"', lastModified: "2025-06-10T10:00:00Z" });
  });

  it("asks only for instruments modified since the cursor, and stops paging there", async () => {
    const { http, asked } = client();
    const result = await source.fetch({
      http,
      log: silentLog,
      now,
      state: { feedEtag: '"p0"', lastModified: "2024-04-22T09:15:00Z" },
    });
    expect(asked.map((a) => a.url)).toEqual([affectedFeedUrl(1), instrumentFeedUrl("uksi/2025/532")]);
    expect(asked[0]!.options?.headers).toEqual({ "if-none-match": '"p0"' });
    expect(result.artifacts).toHaveLength(1);
    expect(result.state).toMatchObject({ lastModified: "2025-06-10T10:00:00Z" });
  });

  it("pages on while every effect is newer than the cursor", async () => {
    const { http, asked } = client();
    await source.fetch({ http, log: silentLog, now, state: { lastModified: "2023-08-01T00:00:00Z" } });
    expect(asked.map((a) => a.url)).toEqual([
      affectedFeedUrl(1),
      affectedFeedUrl(2),
      instrumentFeedUrl("uksi/2024/346"),
      instrumentFeedUrl("uksi/2025/532"),
    ]);
  });

  it("does nothing more on a 304 for page 1", async () => {
    const asked: string[] = [];
    const http: HttpClient = {
      async get(url) {
        asked.push(url);
        return response(url, Buffer.alloc(0), { status: 304, notModified: true });
      },
    };
    const state = { feedEtag: '"p1"', lastModified: "2025-06-10T10:00:00Z" };
    expect(await source.fetch({ http, log: silentLog, now, state })).toEqual({ artifacts: [], state });
    expect(asked).toEqual([affectedFeedUrl(1)]);
  });

  it("backfills the instruments in force since a date, oldest first, moving the cursor last", async () => {
    const { http, asked } = client();
    const steps = [];
    for await (const step of source.backfill!({ http, log: silentLog, now, state: {} }, "2024-01-01"))
      steps.push(step);
    expect(asked.map((a) => a.url)).toEqual([
      affectedFeedUrl(1),
      affectedFeedUrl(2),
      instrumentFeedUrl("uksi/2024/346"),
      instrumentFeedUrl("uksi/2025/532"),
    ]);
    expect(steps.map((s) => [s.index, s.total, s.state ?? null])).toEqual([
      [1, 2, null],
      [2, 2, { lastModified: "2025-06-10T10:00:00Z" }],
    ]);
  });
});
