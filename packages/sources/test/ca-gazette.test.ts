import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { type Route, startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import { caExportControlList } from "../src/ca/export-control-list/source.ts";
import {
  exportControlCandidate,
  type IndexEntry,
  parseIssueIndex,
  parseRss,
  parseYearIndex,
  RSS_URL,
  yearIndexUrl,
} from "../src/ca/gazette/issues.ts";
import { parseEnglishDate } from "../src/ca/gazette/page.ts";
import { readRegulationPage } from "../src/ca/gazette/parse.ts";
import { caGazettePartII as source } from "../src/ca/gazette/source.ts";
import { fixtureFiles } from "./fixture-files.ts";

const { fixture, edited } = fixtureFiles("ca/gazette");

const RSS = "rss-p2-eng.xml";
const INDEX = "p2-2024-06-19-index-eng.html";
const SOR_112 = "p2-2024-06-19-sor-dors112-eng.html";
const SOR_105 = "p2-2024-06-07-x1-sor-dors105-eng.html";
const ERROR_503 = "error-503-service-unavailable.html";
const ISSUE = "https://gazette.gc.ca/rp-pr/p2/2024/2024-06-19/html";
const INDEX_URL = `${ISSUE}/index-eng.html`;
const SOR_112_URL = `${ISSUE}/sor-dors112-eng.html`;
const SOR_105_URL = "https://gazette.gc.ca/rp-pr/p2/2024/2024-06-07-x1/html/sor-dors105-eng.html";
const ISSUE_19 = { key: "2024-06-19", date: "2024-06-19", url: INDEX_URL, extra: false };

const regulation = (body: Uint8Array, url = SOR_112_URL) =>
  readRegulationPage({ body, url, contentType: "text/html; charset=utf-8" });
const snapshotOf = (body: Uint8Array, url: string) => {
  const snapshot = source.parse({ body, url, contentType: "text/html; charset=utf-8" });
  if (snapshot.kind !== "documents") throw new Error("expected documents");
  return documentsSnapshotSchema.parse(snapshot);
};

describe("ca.gazette.part-ii: the feed and the issues", () => {
  it("lists the feed's issues oldest first, an extra edition apart, and no quarterly index", () => {
    expect(parseRss({ body: fixture(RSS), url: RSS_URL })).toEqual([
      {
        key: "2024-06-05",
        date: "2024-06-05",
        url: "https://gazette.gc.ca/rp-pr/p2/2024/2024-06-05/html/index-eng.html",
        extra: false,
      },
      { key: "2024-06-07-x1", date: "2024-06-07", url: SOR_105_URL, extra: true },
      ISSUE_19,
    ]);
  });

  it("takes a 503 page answered as the feed for a passing failure, and anything else not RSS for a changed feed", () => {
    expect(() => parseRss({ body: fixture(ERROR_503), url: RSS_URL })).toThrow(SourceUnavailableError);
    expect(() => parseRss({ body: fixture(ERROR_503), url: RSS_URL })).toThrow(
      /answered a server error \("503 Service Unavailable"\) instead of its feed/,
    );
    expect(() => parseRss({ body: Buffer.from("<feed><entry/></feed>"), url: RSS_URL })).toThrow(
      SourceShapeChangedError,
    );
    // A feed whose items link no issue, or an issue on a day the calendar does not have.
    expect(() =>
      parseRss({
        body: edited(RSS, [
          /<item>[\s\S]*<\/item>\s*<item>\s*<title>Canada Gazette, Part II, Quarterly/,
          "<item><title>Q",
        ]),
      }),
    ).toThrow(/1 feed items, none links a Part II issue/);
    expect(() => parseRss({ body: edited(RSS, ["2024/2024-06-05/", "2024/2024-06-31/"]) })).toThrow(
      /an issue link ".*2024-06-31.*" names no valid date/,
    );
    // Truncated: the XML reader refuses it.
    const whole = fixture(RSS).toString("utf8");
    expect(() => parseRss({ body: Buffer.from(whole.slice(0, whole.indexOf("</channel>"))) })).toThrow();
  });

  it("reads an issue index grouped by act, in <main> only", () => {
    const index = parseIssueIndex({ body: fixture(INDEX), url: INDEX_URL }, ISSUE_19);
    expect(index.date).toBe("2024-06-19");
    expect(index.nothingPublished).toBe(false);
    expect(index.entries.map((e) => [e.number, e.act])).toEqual([
      ["SOR/2024-110", "Canada Labour Code"],
      ["SOR/2024-112", "Export and Import Permits Act"],
      ["SOR/2024-111", "Export Development Act"],
      ["SOR/2024-113", "Special Economic Measures Act"],
      ["SOR/2024-114", "Special Economic Measures Act"],
      ["SI/2024-30", "Financial Administration Act"],
    ]);
    expect(index.entries[1]).toEqual({
      number: "SOR/2024-112",
      title: "Order Amending the Export Control List",
      act: "Export and Import Permits Act",
      registeredAt: "2024-05-31",
      url: SOR_112_URL,
    });
    // Only the regulation made under the Export and Import Permits Act is read; "Export Development" is not it.
    expect(index.entries.filter((e) => exportControlCandidate(e)).map((e) => e.number)).toEqual([
      "SOR/2024-112",
    ]);
  });

  it("reads an index laid out as a table with an act column, or with the act after a dash", () => {
    const page = (rows: string) =>
      Buffer.from(
        `<!DOCTYPE html><html><head><title>Index</title></head><body><main><h1>Canada Gazette, Part II, Volume 158, Number 13</h1><p>June 19, 2024</p>
        <table><thead><tr><th>Title</th><th>Statutory authority</th><th>Registration number</th></tr></thead><tbody>${rows}</tbody></table></main></body></html>`,
      );
    const index = parseIssueIndex({
      body: page(`<tr><td><a href="sor-dors112-eng.html">Order Amending the Export Control List</a></td><td>Export and Import Permits Act</td><td>SOR/2024-112</td></tr>
        <tr><td><a href="sor-dors116-eng.html">General Export Permit No. 48 — Export and Import Permits Act</a></td><td></td><td>SOR/2024-116</td></tr>
        <tr><td><a href="sor-dors117-eng.html">Order Amending the Import Control List</a></td><td></td><td>SOR/2024-117</td></tr>
        <tr><td><a href="sor-dors118-eng.html">Regulations Respecting Exports of Logs</a></td><td></td><td>SOR/2024-118</td></tr>
        <tr><td><a href="sor-dors119-eng.html">Regulations Amending the Canada Labour Standards Regulations</a></td><td></td><td>SOR/2024-119</td></tr>`),
      url: INDEX_URL,
    });
    const why = Object.fromEntries(index.entries.map((e) => [e.number, [e.act, exportControlCandidate(e)]]));
    expect(why).toEqual({
      "SOR/2024-112": ["Export and Import Permits Act", "made under the Export and Import Permits Act"],
      "SOR/2024-116": ["Export and Import Permits Act", "made under the Export and Import Permits Act"],
      "SOR/2024-117": [null, "its title names an export-control list or permit"],
      "SOR/2024-118": [null, "no act named in the index; its title names exports"],
      "SOR/2024-119": [null, null],
    });
    expect(index.entries[1]!.title).toBe("General Export Permit No. 48");
    // A number that contradicts its link, and two numbers in one entry, are a changed page.
    expect(() =>
      parseIssueIndex({
        body: page(
          `<tr><td><a href="sor-dors112-eng.html">Order</a></td><td></td><td>SOR/2024-113</td></tr>`,
        ),
        url: INDEX_URL,
      }),
    ).toThrow(/lists SOR\/2024-113 with a link to .*sor-dors112-eng\.html/);
    expect(() =>
      parseIssueIndex({
        body: page(
          `<tr><td><a href="sor-dors112-eng.html">Order</a> SOR/2024-112</td><td></td><td>SOR/2024-113</td></tr>`,
        ),
        url: INDEX_URL,
      }),
    ).toThrow(/one index entry names SOR\/2024-112 and SOR\/2024-113/);
  });

  it("reads an index that says nothing was published as empty, and refuses one that lists nothing or another day", () => {
    const empty = edited(INDEX, [
      /<h2 id="toc">[\s\S]*?<h2 id="misc">/,
      '<p>No regulatory text was registered for publication in this issue.</p><h2 id="misc">',
    ]);
    expect(parseIssueIndex({ body: empty, url: INDEX_URL }, ISSUE_19)).toEqual({
      date: "2024-06-19",
      entries: [],
      nothingPublished: true,
    });
    const nothing = edited(INDEX, [/<h2 id="toc">[\s\S]*?<h2 id="misc">/, '<h2 id="misc">']);
    expect(() => parseIssueIndex({ body: nothing, url: INDEX_URL }, ISSUE_19)).toThrow(
      /no regulation is linked, and the index does not say none was published/,
    );
    expect(() =>
      parseIssueIndex(
        { body: fixture(INDEX), url: INDEX_URL },
        { ...ISSUE_19, key: "2024-07-03", date: "2024-07-03" },
      ),
    ).toThrow(/the index is of 2024-06-19, expected the issue of 2024-07-03/);
    expect(() => parseIssueIndex({ body: fixture(ERROR_503), url: INDEX_URL })).toThrow(
      SourceShapeChangedError,
    );
  });

  it("reads a year page's issues, regular and extra, in <main> only", () => {
    const year = Buffer.from(`<!DOCTYPE html><html><head><title>Part II: Volume 158</title></head><body>
      <nav><a href="/rp-pr/p2/2023/2023-12-20/html/index-eng.html">chrome</a></nav><main><h1>Canada Gazette, Part II: Volume 158</h1><table>
      <tr><td>Wednesday, June 19, 2024</td><td><a href="/rp-pr/p2/2024/2024-06-19/html/index-eng.html">Part II, volume 158, number 13</a></td><td><a href="/rp-pr/p2/2024/2024-06-19/pdf/g2-15813.pdf">PDF</a></td></tr>
      <tr><td>Friday, June 7, 2024</td><td><a href="/rp-pr/p2/2024/2024-06-07-x1/html/sor-dors105-eng.html">SOR/2024-105</a></td></tr>
      <tr><td>Wednesday, June 5, 2024</td><td><a href="/rp-pr/p2/2024/2024-06-05/html/index-eng.html">Part II, volume 158, number 12</a></td></tr>
      </table><a href="/rp-pr/p2/2024/g2-158q1.pdf">Quarterly index</a></main></body></html>`);
    expect(parseYearIndex({ body: year, url: yearIndexUrl(2024) }).map((i) => i.key)).toEqual([
      "2024-06-05",
      "2024-06-07-x1",
      "2024-06-19",
    ]);
  });
});

describe("ca.gazette.part-ii: a regulation's page", () => {
  it("reads SOR/2024-112 into a document linked to the Export Control List", () => {
    const { document, keptBecause, warnings } = regulation(fixture(SOR_112));
    expect(warnings).toEqual([]);
    expect(keptBecause).toBe("made under the Export and Import Permits Act");
    expect(document).toEqual({
      id: "SOR/2024-112",
      stage: "published",
      type: "SOR",
      title: "Order Amending the Export Control List",
      abstract:
        "Emerging technologies such as quantum computing and advanced semiconductors have strategic military value and are not yet covered by the multilateral control lists Canada implements.",
      citation: "SOR/2024-112",
      publishedAt: "2024-06-19",
      effectiveAt: "2024-07-19",
      url: SOR_112_URL,
      urls: {
        html: SOR_112_URL,
        fr: `${ISSUE}/sor-dors112-fra.html`,
        pdf: "https://gazette.gc.ca/rp-pr/p2/2024/2024-06-19/pdf/g2-15813.pdf",
      },
      cfrReferences: ["SOR/89-202"],
      // The 2024 plurilateral items of 5506, by the order's own words.
      technologies: ["quantum", "semiconductor-manufacturing-equipment", "advanced-semiconductors", "gaafet"],
      // "All Destinations Other than the United States" exempts a destination; the RIAS's partners are none.
      countries: [],
      data: {
        language: "en",
        acts: ["EXPORT AND IMPORT PERMITS ACT"],
        registeredAt: "2024-05-31",
        orderInCouncil: { number: "P.C. 2024-623", date: "2024-05-31" },
        gazette: { part: "II", volume: "158", number: "13", date: "2024-06-19", extraEdition: false },
        effectiveFrom: "days-after-publication",
        comingIntoForce:
          "This Order comes into force on the 30th day after the day on which it is published in the Canada Gazette, Part II.",
        amends: ["Export Control List"],
        eclItemsNamed: ["5504", "5505", "5506"],
        keptBecause: "made under the Export and Import Permits Act",
      },
    });
    // The RIAS names additive manufacturing, which the order does not control.
    expect(document.technologies).not.toContain("additive-manufacturing");
    expect(snapshotOf(fixture(SOR_112), SOR_112_URL).documents.map((d) => d.id)).toEqual(["SOR/2024-112"]);
  });

  it("gives the citation and in-force date the Export Control List's own version names, so its change links", () => {
    // The ECL consolidation that brought in 5506 (fixture of the ECL source: RecentAmendments SOR/2024-112,
    // 2024-07-19). Events are keyed by (jurisdiction, citation): the list change and this document meet on
    // "SOR/2024-112". SOURCES.md says in force 2024-07-20 (law firms' reading); the consolidation and the
    // order's clause (30th day after 2024-06-19) both give 2024-07-19.
    const ecl = caExportControlList.parse({
      body: readFileSync(
        join(import.meta.dirname, "../src/ca/export-control-list/fixtures/ecl-small-2024.xml"),
      ),
    });
    const defaults = caExportControlList.describe(ecl, { url: null, asOf: null });
    const { document } = regulation(fixture(SOR_112));
    expect(defaults.citation).toBe("SOR/2024-112");
    expect(document.citation).toBe(defaults.citation);
    expect(document.effectiveAt).toBe(defaults.effectiveAt);
    expect(defaults.citationsByDate?.[document.effectiveAt!]).toBe(document.citation);
    // And the list it amends by the ECL's own instrument number.
    expect(document.cfrReferences).toEqual([(ecl.meta as { instrument: string }).instrument]);
    expect(source.jurisdiction).toBe(caExportControlList.jurisdiction);
  });

  it("leaves out a regulation made under another act, even one that mentions exports", () => {
    const snapshot = snapshotOf(fixture(SOR_105), SOR_105_URL);
    expect(snapshot.documents).toEqual([]);
    expect(snapshot.meta).toEqual({
      excluded: [
        {
          id: "SOR/2024-105",
          reason:
            "made under SPECIAL ECONOMIC MEASURES ACT, not the Export and Import Permits Act, and amends none of its lists",
        },
      ],
    });
    // Read on its own, it is dated and in force on registration.
    expect(regulation(fixture(SOR_105), SOR_105_URL).document).toMatchObject({
      publishedAt: "2024-06-07",
      effectiveAt: "2024-06-06",
      data: { effectiveFrom: "registration", gazette: { extraEdition: true } },
    });
  });

  it("reads each coming-into-force form strictly, and never a guess", () => {
    const clause = (text: string) =>
      regulation(
        edited(SOR_112, [
          "This Order comes into force on the 30th day after the day on which it is published in the <i>Canada Gazette</i>, Part II.",
          text,
        ]),
      );
    expect(
      clause("This Order comes into force on the day on which it is registered.").document.effectiveAt,
    ).toBe("2024-05-31");
    expect(clause("This Order comes into force on July 1, 2024.").document.effectiveAt).toBe("2024-07-01");
    expect(
      clause(
        "This Order comes into force on May 1, 2024, but if it is registered after that day, on the day on which it is registered.",
      ).document.effectiveAt,
    ).toBe("2024-05-31");
    expect(
      clause(
        "This Order comes into force on the day on which it is published in the Canada Gazette, Part II.",
      ).document.effectiveAt,
    ).toBe("2024-06-19");
    expect(
      clause("This Order comes into force on the 15th day after the day on which it is registered.").document
        .effectiveAt,
    ).toBe("2024-06-15");
    const conditional = clause(
      "This Order comes into force on the day on which section 12 of the Act comes into force.",
    );
    expect(conditional.document.effectiveAt).toBeNull();
    expect(conditional.warnings).toEqual([
      'SOR/2024-112: the coming-into-force clause is not in a known form: "This Order comes into force on the day on which section 12 of the Act comes into force."',
    ]);
    const impossible = clause("This Order comes into force on June 31, 2024.");
    expect(impossible.document.effectiveAt).toBeNull();
    // No clause at all: in force on registration.
    const none = regulation(edited(SOR_112, [/<h3>Coming into Force<\/h3>\s*<p>.*?<\/p>/, ""]));
    expect(none.document).toMatchObject({
      effectiveAt: "2024-05-31",
      data: { effectiveFrom: "no-clause-registration" },
    });
    // A clause in the RIAS is not the order's.
    const inRias = regulation(
      edited(SOR_112, [
        "<h3>Background</h3>",
        "<h3>Background</h3><p>The Order comes into force on January 1, 2030.</p>",
      ]),
    );
    expect(inRias.document.effectiveAt).toBe("2024-07-19");
  });

  it("refuses a page cut short, an error page, or one whose number, dates or heading do not hold together", () => {
    const whole = fixture(SOR_112).toString("utf8");
    expect(() => regulation(Buffer.from(whole.slice(0, whole.indexOf("</main>"))))).toThrow(
      /the page ends before <\/html> \(truncated\?\)/,
    );
    expect(() => regulation(fixture(ERROR_503))).toThrow(/answered a server error/);
    expect(() => regulation(fixture(SOR_112), `${ISSUE}/sor-dors113-eng.html`)).toThrow(
      /the page is SOR\/2024-112, its address names sor-dors113/,
    );
    expect(() =>
      regulation(
        edited(SOR_112, [
          'content="2024-06-19">\n<meta name="dcterms.modified"',
          'content="2024-06-20">\n<meta name="dcterms.modified"',
        ]),
      ),
    ).toThrow(/the issue dates disagree \(the page's address 2024-06-19, dcterms.issued 2024-06-20\)/);
    expect(() =>
      regulation(edited(SOR_112, ["SOR/2024-112 May 31, 2024", "SOR/2024-112 June 31, 2024"])),
    ).toThrow(/registration date "June 31, 2024" is not a date/);
    expect(() =>
      regulation(edited(SOR_112, ["<strong>Registration</strong><br>SOR/2024-112 May 31, 2024", ""])),
    ).toThrow(/no "Registration SOR\/YYYY-N <date>" line/);
    expect(() =>
      regulation(
        edited(SOR_112, ["Export Control List: SOR/2024-112</h1>", "Export Control List: SOR/2024-113</h1>"]),
      ),
    ).toThrow(/the title names SOR\/2024-113, the registration SOR\/2024-112/);
    expect(() => regulation(edited(SOR_112, ["</main>", "<h1>Another</h1></main>"]))).toThrow(
      /2 <h1> in <main>/,
    );
    expect(() =>
      regulation(
        edited(
          SOR_112,
          ['<main property="mainContentOfPage"', '<div property="mainContentOfPage"'],
          ["</main>", "</div>"],
        ),
      ),
    ).toThrow(/0 <main> elements/);
    expect(() => regulation(Buffer.from([0x3c, 0x68, 0x74, 0x6d, 0x6c, 0x3e, 0xff, 0xfe]))).toThrow(
      SourceShapeChangedError,
    );
  });

  it("keeps markup written as text as text, drops footnote markers, and stores NFC", () => {
    const { document } = regulation(
      edited(SOR_112, [
        "Order Amending the Export Control List: SOR",
        "Order Amending the Export Control List &lt;script&gt;: SOR",
      ]),
    );
    expect(document.title).toBe("Order Amending the Export Control List <script>");
    const all = JSON.stringify(document);
    expect(all).not.toMatch(/footnote/i);
    const { document: nfc } = regulation(
      edited(SOR_112, ["Emerging technologies such as", "Emerging te\u0301chnologies such as"]),
    );
    expect(nfc.abstract).toMatch(/^Emerging t\u00e9chnologies such as/);
  });

  it("reads English dates strictly", () => {
    expect(parseEnglishDate("May 31, 2024")).toBe("2024-05-31");
    expect(parseEnglishDate("Wednesday, June 19, 2024")).toBe("2024-06-19");
    expect(parseEnglishDate("February 29, 2025")).toBeNull();
    expect(parseEnglishDate("31/05/24")).toBeNull();
    expect(parseEnglishDate("Mai 31, 2024")).toBeNull();
  });
});

describe("ca.gazette.part-ii: fetch", () => {
  const at = new Date("2024-06-20T15:23:00Z");
  const html = (body: Uint8Array | string, headers: Record<string, string> = {}) => ({
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8", ...headers },
    body,
  });
  const routes = (overrides: Record<string, Route> = {}): Record<string, Route> => ({
    "/rss/p2-eng.xml": (req) =>
      req.headers["if-none-match"] === '"rss-1"'
        ? { status: 304 }
        : {
            status: 200,
            headers: { "content-type": "application/rss+xml", etag: '"rss-1"' },
            body: fixture(RSS),
          },
    "/rp-pr/p2/2024/2024-06-19/html/index-eng.html": () => html(fixture(INDEX)),
    "/rp-pr/p2/2024/2024-06-19/html/sor-dors112-eng.html": () => html(fixture(SOR_112)),
    "/rp-pr/p2/2024/2024-06-07-x1/html/sor-dors105-eng.html": () => html(fixture(SOR_105)),
    "/rp-pr/p2/2024/2024-06-05/html/index-eng.html": () => ({ status: 404, body: "" }),
    ...overrides,
  });
  const clientFor = (
    origin: string,
    validators?: NonNullable<Parameters<typeof testHttpClient>[1]>["validators"],
  ) =>
    testHttpClient({ "https://www.gazette.gc.ca": origin, "https://gazette.gc.ca": origin }, { validators });
  const asked = (server: { requests: { path: string }[] }) => server.requests.map((r) => r.path);

  it("reads the newest issues on a first run, only the pages of export-control regulations, and keeps the feed's validators", async () => {
    const server = await startSourceServer(routes());
    try {
      const http = clientFor(server.origin);
      const first = await source.fetch({ http, log: silentLog, now: at, state: {} });
      expect(asked(server)).toEqual([
        "/rss/p2-eng.xml",
        "/rp-pr/p2/2024/2024-06-07-x1/html/sor-dors105-eng.html",
        "/rp-pr/p2/2024/2024-06-19/html/index-eng.html",
        "/rp-pr/p2/2024/2024-06-19/html/sor-dors112-eng.html",
      ]);
      expect(first.artifacts.map((a) => [a.response.url, a.asOf])).toEqual([
        [SOR_105_URL, "2024-06-07"],
        [SOR_112_URL, "2024-06-19"],
      ]);
      expect(first.state).toEqual({
        lastIssue: "2024-06-19",
        pending: [],
        rss: { etag: '"rss-1"', lastModified: null },
      });
      const documents = first.artifacts.flatMap((a) => snapshotOf(a.response.body, a.response.url).documents);
      expect(documents.map((d) => d.id)).toEqual(["SOR/2024-112"]);

      // Next run: the feed has not moved (304), nothing else is asked.
      const second = await source.fetch({ http, log: silentLog, now: at, state: first.state });
      expect(asked(server).slice(4)).toEqual(["/rss/p2-eng.xml"]);
      expect(server.requests[4]!.headers["if-none-match"]).toBe('"rss-1"');
      expect(second).toEqual({ artifacts: [], state: first.state });
    } finally {
      await server.close();
    }
  });

  it("keeps an issue not served yet for the next run, and reads it then", async () => {
    const server = await startSourceServer(routes());
    try {
      const http = clientFor(server.origin);
      const state = { lastIssue: "2024-05-22", pending: [], rss: {} };
      const first = await source.fetch({ http, log: silentLog, now: at, state });
      expect(first.artifacts.map((a) => a.response.url)).toEqual([SOR_105_URL, SOR_112_URL]);
      expect(first.state).toMatchObject({
        lastIssue: "2024-06-19",
        pending: [{ key: "2024-06-05", date: "2024-06-05", extra: false }],
      });
      const second = await source.fetch({ http, log: silentLog, now: at, state: first.state });
      // The feed answers 304; the pending issue is asked again, and still not served.
      expect(asked(server).slice(-2)).toEqual([
        "/rss/p2-eng.xml",
        "/rp-pr/p2/2024/2024-06-05/html/index-eng.html",
      ]);
      expect(second.state).toMatchObject({ lastIssue: "2024-06-19", pending: [{ key: "2024-06-05" }] });
    } finally {
      await server.close();
    }
  });

  it("asks a regulation's page conditionally: one archived before answers 304 and is not read again", async () => {
    const server = await startSourceServer(
      routes({
        "/rp-pr/p2/2024/2024-06-19/html/sor-dors112-eng.html": (req) =>
          req.headers["if-none-match"] === '"p112"' ? { status: 304 } : html(fixture(SOR_112)),
      }),
    );
    try {
      const http = clientFor(server.origin, {
        get: async (url) => (url === SOR_112_URL ? { etag: '"p112"', lastModified: null } : null),
      });
      const result = await source.fetch({
        http,
        log: silentLog,
        now: at,
        state: { lastIssue: "2024-06-07-x1", pending: [], rss: {} },
      });
      expect(asked(server)).toContain("/rp-pr/p2/2024/2024-06-19/html/sor-dors112-eng.html");
      expect(result.artifacts).toEqual([]);
      expect(result.state).toMatchObject({ lastIssue: "2024-06-19", pending: [] });
    } finally {
      await server.close();
    }
  });

  it("fails as unreachable when the feed answers 503, or an error page with 200", async () => {
    const server = await startSourceServer(
      routes({
        "/rss/p2-eng.xml": () => ({
          status: 503,
          headers: { "content-type": "text/html" },
          body: fixture(ERROR_503),
        }),
      }),
    );
    try {
      await expect(
        source.fetch({ http: clientFor(server.origin), log: silentLog, now: at, state: {} }),
      ).rejects.toThrow(SourceUnavailableError);
    } finally {
      await server.close();
    }
    const errorPage = await startSourceServer(routes({ "/rss/p2-eng.xml": () => html(fixture(ERROR_503)) }));
    try {
      await expect(
        source.fetch({ http: clientFor(errorPage.origin), log: silentLog, now: at, state: {} }),
      ).rejects.toThrow(SourceUnavailableError);
      expect(asked(errorPage)).toEqual(["/rss/p2-eng.xml"]);
    } finally {
      await errorPage.close();
    }
  });

  it("backfills from the year pages, oldest first, the kept regulations only", async () => {
    const year = `<!DOCTYPE html><html><head><title>Volume 158</title></head><body><main><h1>Volume 158</h1>
      <a href="/rp-pr/p2/2024/2024-06-19/html/index-eng.html">number 13</a>
      <a href="/rp-pr/p2/2024/2024-06-07-x1/html/sor-dors105-eng.html">SOR/2024-105</a>
      <a href="/rp-pr/p2/2024/2024-01-03/html/index-eng.html">number 1</a></main></body></html>`;
    const server = await startSourceServer(routes({ "/rp-pr/p2/2024/index-eng.html": () => html(year) }));
    try {
      const steps = [];
      for await (const step of source.backfill!(
        { http: clientFor(server.origin), log: silentLog, now: at, state: {} },
        "2024-06-01",
      ))
        steps.push(step);
      expect(steps.map((s) => [s.index, s.total, s.artifact.response.url, s.artifact.asOf, s.state])).toEqual(
        [
          [1, 2, SOR_105_URL, "2024-06-07", { lastIssue: "2024-06-07-x1", pending: [] }],
          [2, 2, SOR_112_URL, "2024-06-19", { lastIssue: "2024-06-19", pending: [] }],
        ],
      );
      // January's issue is before `since`: never asked.
      expect(asked(server)).not.toContain("/rp-pr/p2/2024/2024-01-03/html/index-eng.html");
    } finally {
      await server.close();
    }
  });
});

describe("ca.gazette.part-ii: definition", () => {
  it("is a Canadian documents source with sane expectations", () => {
    expect(source).toMatchObject({ id: "ca.gazette.part-ii", jurisdiction: "CA", kind: "documents" });
    expect(source.expectations.requiredFields).toEqual(["id", "title", "citation", "publishedAt"]);
    const entry: IndexEntry = { number: null, title: "x", act: null, registeredAt: null, url: INDEX_URL };
    expect(exportControlCandidate(entry)).toBeNull();
  });
});
