import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpRequestOptions, HttpResponse } from "@regwatch/core/http";
import { documentsSnapshotSchema, type RegDocument } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { silentLog } from "../../../test/support/test-http.ts";
import {
  announcesEcoAmendment,
  findInForceDates,
  findSiCitations,
  htmlToText,
  isNoticeToExporters,
  londonDay,
  nteCitation,
  parseContentItem,
  parseEnglishDate,
  parseInstant,
  parseSearchAnswer,
} from "../src/gb/notices-to-exporters/parse.ts";
import {
  contentUrl,
  MAX_ITEMS_PER_RUN,
  searchUrl,
  gbNoticesToExporters as source,
} from "../src/gb/notices-to-exporters/source.ts";

const FIXTURES = join(import.meta.dirname, "../src/gb/notices-to-exporters/fixtures");
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited as parsed JSON, field by field
type JsonObject = Record<string, any>;
const json = (name: string) => JSON.parse(fixture(name).toString("utf8")) as JsonObject;
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

const AMENDMENT = "nte-2024-05-emerging-technologies.json";
const LICENCE = "nte-2024-09-general-licence.json";
const SCRIPT = "nte-2024-11-script-in-body.json";
const SEARCH = "search-ecju-notices.json";

const NTE_05 = "/government/publications/notice-to-exporters-202405-new-controls-on-emerging-technologies";
const NTE_09 =
  "/government/publications/notice-to-exporters-202409-open-general-export-licence-military-goods-updated";
const NTE_11 = "/government/publications/notice-to-exporters-202411-lite-replaces-spire";

function documentOf(body: Uint8Array): RegDocument {
  const snapshot = source.parse({ body });
  expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
  if (snapshot.kind !== "documents") throw new Error("expected documents");
  expect(snapshot.documents).toHaveLength(1);
  return snapshot.documents[0]!;
}

describe("gb.govuk.notices-to-exporters content items", () => {
  it("reads the notice announcing S.I. 2024/346: citation, dates, the Order it amends, tags", () => {
    const doc = documentOf(fixture(AMENDMENT));
    expect(doc).toMatchObject({
      id: NTE_05,
      stage: "published",
      type: "notice",
      title: "NTE 2024/05: new controls on emerging technologies",
      abstract:
        "New UK controls on quantum computing, semiconductor and additive manufacturing items come into force on 1 April 2024.",
      citation: "NTE 2024/05",
      publishedAt: "2024-03-14",
      effectiveAt: "2024-04-01",
      url: `https://www.gov.uk${NTE_05}`,
      // The Order the notice amends (what the UK list source is cited as), then the amending SI.
      cfrReferences: ["S.I. 2008/3231", "S.I. 2024/346"],
      // "UK" is the publisher's own country, not a destination.
      countries: [],
    });
    expect(doc.urls).toEqual({
      html: `https://www.gov.uk${NTE_05}`,
      json: `https://www.gov.uk/api/content${NTE_05}`,
      "attachment:Notice to exporters 2024/05":
        "https://assets.publishing.service.gov.uk/media/65f0000000000000000000a1/nte-2024-05.pdf",
    });
    expect(doc.data).toMatchObject({
      language: "en",
      contentId: "00000000-0000-4000-8000-000000240005",
      schemaName: "publication",
      updatedAt: "2024-03-14T09:30:00.000+00:00",
      changeNote: "First published.",
      inForceDates: ["2024-04-01"],
      amendsExportControlOrder: true,
      withdrawnAt: null,
      organisations: ["Export Control Joint Unit"],
      attachments: [
        {
          title: "Notice to exporters 2024/05",
          url: "https://assets.publishing.service.gov.uk/media/65f0000000000000000000a1/nte-2024-05.pdf",
          contentType: "application/pdf",
        },
      ],
    });
    // One line per paragraph or list item, markup gone.
    const text = String(doc.data?.text).split("\n");
    expect(text[0]).toBe("Summary");
    expect(text[1]).toBe(
      "The Export Control (Amendment) Order 2024 (S.I. 2024/346) was laid before Parliament on 13 March 2024 and comes into force on 1 April 2024.",
    );
    expect(text[4]).toBe(
      "PL9014: quantum computers, cryo-CMOS integrated circuits and parametric amplifiers",
    );
  });

  it("tags the 2024 plurilateral items PL9013-PL9015 with their technologies", () => {
    const doc = documentOf(fixture(AMENDMENT));
    expect(doc.technologies).toEqual([
      "quantum",
      "semiconductor-manufacturing-equipment",
      "advanced-semiconductors",
      "gaafet",
      "additive-manufacturing",
    ]);
    // Each list item alone carries its own technology.
    const lines = htmlToText(json(AMENDMENT).details.body).lines;
    const byItem = (key: string) =>
      documentOf(bytes(withBody(`<p>${lines.find((l) => l.startsWith(key))}</p>`)));
    expect(byItem("PL9013").technologies).toEqual(
      expect.arrayContaining(["semiconductor-manufacturing-equipment", "gaafet"]),
    );
    expect(byItem("PL9014").technologies).toContain("quantum");
    expect(byItem("PL9015").technologies).toEqual(["additive-manufacturing"]);
  });

  it("reads a general-licence notice: no Order amended, effect date, destinations, newest change note", () => {
    const doc = documentOf(fixture(LICENCE));
    expect(doc).toMatchObject({
      id: NTE_09,
      citation: "NTE 2024/09",
      publishedAt: "2024-06-03",
      effectiveAt: "2024-07-15",
      // "issued under article 26 of the Export Control Order 2008" is no amendment of it.
      cfrReferences: [],
      technologies: [],
      countries: ["BY", "IR", "RU"],
    });
    // change_history is listed oldest first here: the newest note is taken by its timestamp.
    expect(doc.data).toMatchObject({
      updatedAt: "2024-07-01T10:15:00.000+01:00",
      changeNote: "Excluded destinations corrected: Iran added.",
      changedAt: "2024-07-01T10:15:00.000+01:00",
      amendsExportControlOrder: false,
    });
    // A relative attachment address is made absolute on www.gov.uk.
    expect(doc.urls["attachment:Open general export licence (military goods)"]).toBe(
      "https://www.gov.uk/government/publications/open-general-export-licence-military-goods/open-general-export-licence-military-goods",
    );
  });

  it("keeps a script and escaped markup in the body as inert text, and says so", () => {
    const raw = fixture(SCRIPT).toString("utf8");
    expect(raw).toContain("<script>alert(");
    // Nothing here runs: `alert` does not exist in Node, so running it would throw.
    const { document: doc, warnings } = parseContentItem({ body: fixture(SCRIPT) });
    const text = String(doc.data?.text);
    expect(text.split("\n")).toEqual([
      "LITE replaces SPIRE for standard individual export licence applications.",
      '<script>alert("NTE 2024/11")</script>',
      "Do not paste <img src=x onerror=alert(1)> into the free-text field.",
      "<style>.govspeak { display: none }</style>",
    ]);
    // HTML comments are no text at all.
    expect(text).not.toContain("editor's note");
    expect(warnings).toEqual([
      `${NTE_11}: body has a <script> element; kept as text`,
      `${NTE_11}: body has a <style> element; kept as text`,
    ]);
    // The script's words do not make the notice cite itself, or anything else.
    expect(doc).toMatchObject({ citation: "NTE 2024/11", cfrReferences: [], effectiveAt: null });
    expect(doc.data).toMatchObject({
      withdrawnAt: "2024-07-08T09:00:00Z",
      withdrawnExplanation: "Replaced by NTE 2024/12.",
    });
  });

  it("reads the multi-part body form and Unicode in NFC", () => {
    const item = json(AMENDMENT);
    item.details.body = [
      { content_type: "text/govspeak", content: "ignored" },
      { content_type: "text/html", content: "<p>Cafe\u0301 quantum computers</p>" },
    ];
    item.title = "NTE 2024/05: Cafe\u0301";
    const doc = documentOf(bytes(item));
    expect(doc.data?.text).toBe("Café quantum computers");
    expect(doc.title).toBe("NTE 2024/05: Café");
  });

  it("refuses what is not a content item, with a clear error", () => {
    const html = Buffer.from(
      "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>Try later</body></html>",
    );
    expect(() => source.parse({ body: html, url: "x" })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: html, url: "x" })).toThrow(
      /x: the answer is HTML, not JSON \("503 Service Unavailable"\)/,
    );
    expect(() => source.parse({ body: bytes({ error: { code: 404, message: "Not found" } }) })).toThrow(
      /the API answered an error: 404 Not found/,
    );
    expect(() => source.parse({ body: fixture(AMENDMENT).subarray(0, 500) })).toThrow(/is not JSON/);
    expect(() => source.parse({ body: fixture(SEARCH) })).toThrow(/a search answer, not a content item/);
    expect(() => source.parse({ body: bytes({ title: "x" }) })).toThrow(/not a GOV.UK content item/);
    expect(() => source.parse({ body: bytes([1, 2]) })).toThrow(/not a JSON object/);
    expect(() => source.parse({ body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) })).toThrow(
      SourceShapeChangedError,
    );
    const redirect = { ...json(AMENDMENT), schema_name: "redirect", document_type: "redirect" };
    expect(() => source.parse({ body: bytes(redirect) })).toThrow(/a redirect item, not content/);
  });

  it("refuses impossible instants and broken change histories", () => {
    const item = json(AMENDMENT);
    expect(() =>
      source.parse({ body: bytes({ ...item, public_updated_at: "2024-02-30T09:30:00.000+00:00" }) }),
    ).toThrow(/public_updated_at "2024-02-30T09:30:00.000\+00:00" is not an instant/);
    expect(() => source.parse({ body: bytes({ ...item, public_updated_at: undefined }) })).toThrow(
      /has no public_updated_at/,
    );
    const broken = json(AMENDMENT);
    broken.details.change_history = [{ note: "First published." }];
    expect(() => source.parse({ body: bytes(broken) })).toThrow(
      /change_history entry has no note or timestamp/,
    );
  });

  it("takes the first publication date from Whitehall's copy when the item has none", () => {
    const item = json(AMENDMENT);
    delete item.first_published_at;
    expect(documentOf(bytes(item)).publishedAt).toBe("2024-03-14");
  });
});

/** The amendment notice with another body. */
function withBody(body: string) {
  const item = json(AMENDMENT);
  item.title = "NTE 2024/99: test";
  item.description = "";
  item.details.body = `<div class="govspeak">${body}</div>`;
  return item;
}

describe("gb.govuk.notices-to-exporters readers", () => {
  it("reads English long dates strictly", () => {
    expect(parseEnglishDate("1 April 2024")).toBe("2024-04-01");
    expect(parseEnglishDate("29 February 2024")).toBe("2024-02-29");
    expect(parseEnglishDate("1st April 2024")).toBe("2024-04-01");
    expect(parseEnglishDate("22nd May 2024")).toBe("2024-05-22");
    expect(parseEnglishDate("13th June 2024")).toBe("2024-06-13");
    for (const bad of [
      "29 February 2023",
      "31 April 2024",
      "0 April 2024",
      "1 april 2024",
      "1 Apr 2024",
      "1nd April 2024",
      "11st April 2024",
      "April 1, 2024",
      "1 April 24",
    ])
      expect(parseEnglishDate(bad), bad).toBeNull();
  });

  it("finds in-force dates in the usual wordings, an impossible one as a warning", () => {
    const warnings: string[] = [];
    expect(
      findInForceDates(
        "The Order comes into force on 1 April 2024. Licences apply with effect from the 2nd May 2024. " +
          "Article 3 will come into force on 31 April 2024. It took effect on 1 April 2024.",
        warnings,
      ),
    ).toEqual(["2024-04-01", "2024-05-02"]);
    expect(warnings).toEqual(['in-force date "31 April 2024" is not a date']);
    expect(findInForceDates("with effect from today")).toEqual([]);
  });

  it("numbers notices from their titles, and tells them from other notices", () => {
    expect(nteCitation("NTE 2024/05: new controls")).toBe("NTE 2024/05");
    expect(nteCitation("Notice to exporters 2019/3: Russia")).toBe("NTE 2019/03");
    expect(nteCitation("Notice to exporters: SPIRE")).toBeNull();
    expect(isNoticeToExporters("NTE 2024/05: new controls")).toBe(true);
    expect(isNoticeToExporters("Notice to exporters 2019/12")).toBe(true);
    expect(isNoticeToExporters("Export licensing system downtime: 15 June 2024")).toBe(false);
    expect(isNoticeToExporters("Maintenance notice")).toBe(false);
  });

  it("cites SIs in their forms, and tells amendments of the Order from sanctions notices", () => {
    expect(findSiCitations("S.I. 2024/346, SI 2025/532 and S.I. 2025 No. 1197; SI 2024/346 again")).toEqual([
      "S.I. 2024/346",
      "S.I. 2025/532",
      "S.I. 2025/1197",
    ]);
    expect(announcesEcoAmendment(["The Export Control (Amendment) (No. 2) Order 2024"])).toBe(true);
    expect(announcesEcoAmendment(["The Export Control (Miscellaneous Amendments) Order 2025"])).toBe(true);
    expect(announcesEcoAmendment(["This Order amends the Export Control Order 2008."])).toBe(true);
    expect(announcesEcoAmendment(["Issued under article 26 of the Export Control Order 2008."])).toBe(false);
    const sanctions = documentOf(
      bytes(
        withBody(
          "<p>The Russia (Sanctions) (EU Exit) (Amendment) Regulations 2024 (S.I. 2024/1234) amend the Russia regulations.</p>",
        ),
      ),
    );
    expect(sanctions.cfrReferences).toEqual(["S.I. 2024/1234"]);
    expect(sanctions.countries).toEqual(["RU"]);
    // A link to legislation.gov.uk names the SI too.
    const linked = documentOf(
      bytes(
        withBody('<p>See <a href="https://www.legislation.gov.uk/uksi/2025/532/made">the Order</a>.</p>'),
      ),
    );
    expect(linked.cfrReferences).toEqual(["S.I. 2025/532"]);
  });

  it("dates publications by the London day and refuses impossible instants", () => {
    expect(londonDay(parseInstant("2024-06-01T23:30:00.000+00:00")!)).toBe("2024-06-02");
    expect(londonDay(parseInstant("2024-01-01T23:30:00Z")!)).toBe("2024-01-01");
    expect(parseInstant("2024-03-14T09:30:00+00:00")).toBe(Date.UTC(2024, 2, 14, 9, 30));
    for (const bad of ["2024-02-30T00:00:00Z", "2024-03-14", "2024-03-14T24:00:00Z", "2024-03-14T09:30:00"])
      expect(parseInstant(bad), bad).toBeNull();
  });
});

describe("gb.govuk.notices-to-exporters search answers", () => {
  it("reads a search page: base paths, titles, timestamps, document types", () => {
    const answer = parseSearchAnswer({ body: fixture(SEARCH) });
    expect(answer.total).toBe(4);
    expect(answer.start).toBe(0);
    expect(answer.results.map((r) => [r.link, r.publicTimestamp, r.documentType])).toEqual([
      [NTE_09, "2024-07-01T10:15:00+01:00", "notice"],
      [NTE_11, "2024-06-20T10:00:00+01:00", "notice"],
      [
        "/government/publications/export-licensing-system-downtime-15-june-2024",
        "2024-06-10T16:45:00+01:00",
        "notice",
      ],
      [NTE_05, "2024-03-14T09:30:00+00:00", "notice"],
    ]);
    expect(answer.results.filter((r) => isNoticeToExporters(r.title))).toHaveLength(3);
  });

  it("refuses an answer it cannot order or follow", () => {
    const page = json(SEARCH);
    expect(() => parseSearchAnswer({ body: bytes({ ...page, total: undefined }) })).toThrow(
      /a search answer has results\[\] and total/,
    );
    const noTime = json(SEARCH);
    delete noTime.results[1].public_timestamp;
    expect(() => parseSearchAnswer({ body: bytes(noTime), url: "s" })).toThrow(
      `s: result 1 (${NTE_11}) has no public_timestamp`,
    );
    const badLink = json(SEARCH);
    badLink.results[0].link = "https://example.org/x";
    expect(() => parseSearchAnswer({ body: bytes(badLink) })).toThrow(/result 0 .* has no GOV.UK base path/);
    expect(() => parseSearchAnswer({ body: bytes({ error: "Invalid value for filter_format" }) })).toThrow(
      /the search API answered an error: Invalid value for filter_format/,
    );
    expect(() => parseSearchAnswer({ body: Buffer.from("<html><title>Bad gateway</title></html>") })).toThrow(
      /the search answer is HTML, not JSON \("Bad gateway"\)/,
    );
  });
});

// ---------------------------------------------------------------------------
// fetch

interface Asked {
  url: string;
  options?: HttpRequestOptions;
}

function respond(url: string, body: Uint8Array, status = 200): HttpResponse {
  return {
    url,
    status,
    notModified: status === 304,
    contentType: "application/json; charset=utf-8",
    headers: {},
    body: status === 304 ? new Uint8Array(0) : body,
    sha256: "x",
    fetchedAt: "2024-07-01T12:00:00.000Z",
  };
}

const BY_PATH: Record<string, string> = { [NTE_05]: AMENDMENT, [NTE_09]: LICENCE, [NTE_11]: SCRIPT };

/** A GOV.UK that answers the probe with `pages` (by start offset) and content items by path. */
function fakeGovUk(options: {
  pages?: Record<number, Uint8Array>;
  searchStatus?: number;
  content?: (path: string) => Uint8Array | Error;
}) {
  const asked: Asked[] = [];
  const http = {
    get: async (url: string, opts?: HttpRequestOptions) => {
      asked.push({ url, options: opts });
      const u = new URL(url);
      if (u.pathname === "/api/search.json") {
        const start = Number(u.searchParams.get("start"));
        const pages: Record<number, Uint8Array> = options.pages ?? { 0: fixture(SEARCH) };
        const page = pages[start];
        if (!page) throw new Error(`unexpected page ${start}`);
        return respond(url, page, options.searchStatus ?? 200);
      }
      const path = u.pathname.replace(/^\/api\/content/, "");
      const found = options.content ? options.content(path) : BY_PATH[path] && fixture(BY_PATH[path]!);
      if (!found) throw new Error(`unexpected ${url}`);
      if (found instanceof Error) throw found;
      return respond(url, found);
    },
  };
  return { http, asked };
}

const run = (http: { get: (url: string, o?: HttpRequestOptions) => Promise<HttpResponse> }, state = {}) =>
  source.fetch({ http, log: silentLog, now: new Date("2024-07-01T12:00:00Z"), state });

const contentAsked = (asked: Asked[]) =>
  asked.filter((a) => a.url.includes("/api/content/")).map((a) => a.url.replace(/^.*\/api\/content/, ""));

describe("gb.govuk.notices-to-exporters fetch", () => {
  it("asks the search API for ECJU notices, newest first, a few fields", () => {
    const url = new URL(searchUrl({ start: 0 }));
    expect(url.origin + url.pathname).toBe("https://www.gov.uk/api/search.json");
    expect([...url.searchParams]).toEqual([
      ["filter_organisations", "export-control-joint-unit"],
      ["filter_content_store_document_type", "notice"],
      ["order", "-public_timestamp"],
      ["count", "20"],
      ["start", "0"],
      ["fields", "title"],
      ["fields", "link"],
      ["fields", "public_timestamp"],
      ["fields", "content_store_document_type"],
    ]);
    expect(contentUrl(NTE_05)).toBe(`https://www.gov.uk/api/content${NTE_05}`);
  });

  it("on a first run reads the newest page's notices, oldest first, and sets the cursor", async () => {
    const { http, asked } = fakeGovUk({});
    const result = await run(http);
    expect(asked[0]!.url).toBe(searchUrl({ start: 0 }));
    expect(asked[0]!.options?.conditional).toBe(true);
    // Three notices to exporters; the downtime notice is not one.
    expect(contentAsked(asked)).toEqual([NTE_05, NTE_11, NTE_09]);
    expect(asked.slice(1).every((a) => a.options?.conditional !== false)).toBe(true);
    expect(result.artifacts.map((a) => a.response.url)).toEqual([NTE_05, NTE_11, NTE_09].map(contentUrl));
    expect(result.state).toEqual({ cursor: "2024-07-01T10:15:00+01:00", atCursor: [NTE_09] });
  });

  it("does nothing more when the probe is unchanged (304)", async () => {
    const { http, asked } = fakeGovUk({ searchStatus: 304 });
    const state = { cursor: "2024-07-01T10:15:00+01:00", atCursor: [NTE_09] };
    const result = await run(http, state);
    expect(asked).toHaveLength(1);
    expect(result).toEqual({ artifacts: [], state });
  });

  it("does nothing more when the probe changed but nothing is newer than the cursor", async () => {
    const { http, asked } = fakeGovUk({});
    const state = { cursor: "2024-07-01T10:15:00+01:00", atCursor: [NTE_09] };
    const result = await run(http, state);
    expect(asked).toHaveLength(1);
    expect(result).toEqual({ artifacts: [], state });
  });

  it("reads only the new or updated notice, once, and moves the cursor to it", async () => {
    const { http, asked } = fakeGovUk({});
    // The last run saw NTE 2024/11 as the newest; NTE 2024/09 was updated since (its timestamp moved).
    const result = await run(http, { cursor: "2024-06-20T10:00:00+01:00", atCursor: [NTE_11] });
    expect(asked.map((a) => a.url)).toEqual([searchUrl({ start: 0 }), contentUrl(NTE_09)]);
    expect(result.artifacts).toHaveLength(1);
    const doc = source.parse({ body: result.artifacts[0]!.response.body });
    expect(doc.kind === "documents" && doc.documents[0]!.citation).toBe("NTE 2024/09");
    expect(result.state).toEqual({ cursor: "2024-07-01T10:15:00+01:00", atCursor: [NTE_09] });
  });

  it("reads a notice published in the same second as the cursor's", async () => {
    const page = json(SEARCH);
    page.results[1].public_timestamp = "2024-07-01T10:15:00+01:00";
    const { http, asked } = fakeGovUk({ pages: { 0: bytes(page) } });
    const result = await run(http, { cursor: "2024-07-01T09:15:00Z", atCursor: [NTE_09] });
    expect(contentAsked(asked)).toEqual([NTE_11]);
    expect(result.state).toEqual({ cursor: "2024-07-01T09:15:00Z", atCursor: [NTE_09, NTE_11].sort() });
  });

  it("pages back until it reaches the cursor", async () => {
    const first = json(SEARCH);
    first.total = 6;
    const second = json(SEARCH);
    second.start = 4;
    second.total = 6;
    second.results = [
      { ...first.results[3], link: "/government/publications/nte-2024-02", title: "NTE 2024/02: older" },
      { ...first.results[3], link: "/government/publications/nte-2023-20", title: "NTE 2023/20: oldest" },
    ];
    second.results[0].public_timestamp = "2024-02-01T09:00:00+00:00";
    second.results[1].public_timestamp = "2023-12-01T09:00:00+00:00";
    const { http, asked } = fakeGovUk({
      pages: { 0: bytes(first), 4: bytes(second) },
      content: (path) => (BY_PATH[path] ? fixture(BY_PATH[path]!) : fixture(AMENDMENT)),
    });
    const result = await run(http, { cursor: "2024-01-01T00:00:00Z", atCursor: [] });
    expect(asked.filter((a) => a.url.includes("search.json")).map((a) => a.url)).toEqual([
      searchUrl({ start: 0 }),
      searchUrl({ start: 4 }),
    ]);
    // The second page is asked unconditionally: only the first is the probe.
    expect(asked[1]!.options?.conditional).toBe(false);
    expect(contentAsked(asked)).toEqual(["/government/publications/nte-2024-02", NTE_05, NTE_11, NTE_09]);
    expect(result.state).toMatchObject({ cursor: "2024-07-01T10:15:00+01:00" });
  });

  it("skips a notice the Content API no longer has, and fails on any other error", async () => {
    const gone = fakeGovUk({
      content: (path) =>
        path === NTE_11
          ? new SourceUnavailableError(`www.gov.uk/api/content${path}: HTTP 410`)
          : fixture(BY_PATH[path]!),
    });
    const result = await run(gone.http);
    expect(contentAsked(gone.asked)).toEqual([NTE_05, NTE_11, NTE_09]);
    expect(result.artifacts).toHaveLength(2);
    expect(result.state).toMatchObject({ cursor: "2024-07-01T10:15:00+01:00" });

    const down = fakeGovUk({
      content: (path) =>
        path === NTE_11 ? new SourceUnavailableError("HTTP 503 (after 4 attempts)") : fixture(AMENDMENT),
    });
    await expect(run(down.http)).rejects.toThrow(/HTTP 503/);
  });

  it("fails loudly on a probe that is not a search answer", async () => {
    const { http } = fakeGovUk({ pages: { 0: Buffer.from("<html><title>Maintenance</title></html>") } });
    await expect(run(http)).rejects.toThrow(/the search answer is HTML, not JSON \("Maintenance"\)/);
  });

  it("reads at most a run's worth of notices, oldest first, and comes back for the rest", async () => {
    const total = MAX_ITEMS_PER_RUN + 10;
    const results = Array.from({ length: total }, (_, i) => ({
      link: `/government/publications/nte-2024-${String(total - i).padStart(2, "0")}`,
      title: `NTE 2024/${String(total - i).padStart(2, "0")}: notice`,
      public_timestamp: new Date(Date.UTC(2024, 5, 1) + (total - i) * 3_600_000).toISOString(),
      content_store_document_type: "notice",
    }));
    const page = (start: number) => bytes({ results: results.slice(start, start + 20), total, start });
    const { http, asked } = fakeGovUk({
      pages: { 0: page(0), 20: page(20) },
      content: () => fixture(AMENDMENT),
    });
    const result = await run(http, { cursor: "2024-05-01T00:00:00Z", atCursor: [] });
    const read = contentAsked(asked);
    expect(read).toHaveLength(MAX_ITEMS_PER_RUN);
    expect(read[0]).toBe("/government/publications/nte-2024-01");
    expect(read.at(-1)).toBe(`/government/publications/nte-2024-${MAX_ITEMS_PER_RUN}`);
    expect(result.state).toEqual({
      cursor: results[total - MAX_ITEMS_PER_RUN]!.public_timestamp,
      atCursor: [`/government/publications/nte-2024-${MAX_ITEMS_PER_RUN}`],
      behind: true,
    });
    // The next run asks for the first page even if it has not changed.
    const next = fakeGovUk({ pages: { 0: page(0) }, content: () => fixture(AMENDMENT) });
    const second = await run(next.http, result.state);
    expect(next.asked[0]!.options?.conditional).toBe(false);
    expect(contentAsked(next.asked)).toHaveLength(10);
    expect(second.state).toEqual({ cursor: results[0]!.public_timestamp, atCursor: [results[0]!.link] });
  });

  it("backfills every notice since a date, oldest first, with the cursor after each", async () => {
    const page = json(SEARCH);
    const { http, asked } = fakeGovUk({ pages: { 0: bytes(page) } });
    const steps = [];
    for await (const step of source.backfill!(
      { http, log: silentLog, now: new Date("2024-07-02T00:00:00Z"), state: {} },
      "2024-01-01",
    ))
      steps.push(step);
    const search = new URL(asked[0]!.url);
    expect(search.searchParams.get("order")).toBe("public_timestamp");
    expect(search.searchParams.get("filter_public_timestamp")).toBe("from:2024-01-01");
    expect(search.searchParams.get("count")).toBe("100");
    expect(steps.map((s) => [s.index, s.total, s.artifact.response.url])).toEqual([
      [1, 3, contentUrl(NTE_05)],
      [2, 3, contentUrl(NTE_11)],
      [3, 3, contentUrl(NTE_09)],
    ]);
    expect(asked.slice(1).every((a) => a.options?.conditional === false)).toBe(true);
    expect(steps.at(-1)!.state).toEqual({ cursor: "2024-07-01T10:15:00+01:00", atCursor: [NTE_09] });
  });

  it("is a United Kingdom documents source", () => {
    expect(source).toMatchObject({
      id: "gb.govuk.notices-to-exporters",
      jurisdiction: "GB",
      kind: "documents",
    });
    expect(source.expectations).toMatchObject({ minEntries: 1, maxEntries: 1 });
  });
});
