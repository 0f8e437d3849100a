import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import { listSnapshotSchema } from "@regwatch/core/schemas";
import { listTagger, technologiesForKey } from "@regwatch/core/taxonomy";
import { checkExpectations } from "@regwatch/diff/check-expectations";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import { destinationCode, iecPageVerdict, itemsOf, parseUsDate } from "../src/us/bis-iec/parse.ts";
import { IEC_URL, usBisIec as source } from "../src/us/bis-iec/source.ts";
import { fixtureFiles } from "./fixture-files.ts";

const { fixture, edited } = fixtureFiles("us/bis-iec");
const V1 = "iec-2024-09-17.html";
const CHROME = "iec-2024-09-17-chrome-only.html";
const V2 = "iec-2025-01-15.html";
const LINK_ONLY = "iec-document-link-only.html";

const parseBody = (body: Uint8Array, contentType = "text/html; charset=utf-8") => {
  const snapshot = source.parse({ body, url: IEC_URL, contentType });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return listSnapshotSchema.parse(snapshot) as typeof snapshot;
};
const parse = (name: string) => parseBody(fixture(name));
const ctx = recordContext(source, { detectedAt: "2025-01-16T16:41:00.000Z", effectiveAt: "2025-01-15" });
const diff = (oldName: string, newName: string) =>
  diffLists(
    parse(oldName).entries.map((e) => ({ ...e, hash: entryHash(e) })),
    parse(newName).entries,
    ctx,
  );

const QUANTUM_DESTINATIONS =
  "Eligible destinations: Australia (AU), Canada (CA), Germany (DE), Spain (ES), Finland (FI), France (FR), United Kingdom (GB), Italy (IT), Japan (JP), Korea, South (KR)";

describe("us.bis.iec: the eligibility table", () => {
  it("reads one entry per item, keyed by ECCN and paragraph, with its destinations sorted by code", () => {
    const snapshot = parse(V1);
    expect(snapshot.entries.map((e) => e.key)).toEqual([
      "2B910",
      "2D910",
      "2E910",
      "2E903",
      "3A901",
      "3A904",
      "3B904",
      "3C907",
      "3C908",
      "3C909",
      "3D901",
      "3E901",
      "4A906",
      "4D906",
      "4E906",
      "3B001.c.1.a",
      "3B001.c.1.c",
      "3B001.q",
      "3B903",
      "3D001(for 3B001.q)",
      "3D002(for 3B001.c.1.a and c.1.c)",
      "3D907",
      "3E905",
    ]);
    const byKey = new Map(snapshot.entries.map((e) => [e.key, e]));
    // Destinations as a list (<li>) and as text with "Korea, South": the same sorted text.
    expect(byKey.get("3A901")!.text).toBe(QUANTUM_DESTINATIONS);
    expect(byKey.get("3B904")!.text).toBe(QUANTUM_DESTINATIONS);
    expect(byKey.get("3D002(for 3B001.c.1.a and c.1.c)")).toEqual({
      key: "3D002(for 3B001.c.1.a and c.1.c)",
      parentKey: null,
      heading: "“Software” for the use of equipment controlled by 3B001.c.1.a and c.1.c",
      // "Japan and Netherlands": two destinations.
      text: "Eligible destinations: Japan (JP), Netherlands (NL)",
      data: {
        eccn: "3D002",
        paragraph: null,
        scope: "for 3B001.c.1.a and c.1.c",
        destinations: ["JP", "NL"],
        row: 19,
        itemsCell: "3D002 (for 3B001.c.1.a and c.1.c)",
      },
    });
    expect(byKey.get("3B001.c.1.c")!.data).toMatchObject({ eccn: "3B001", paragraph: "c.1.c", scope: null });
    expect(snapshot.meta).toEqual({
      title: "License Exception Implemented Export Controls (IEC) Eligible Items and Destinations",
      lastModified: "2024-09-17",
      layout: "destinations-column",
      documents: [],
      unrecognizedDestinations: [],
    });
    // The contact table is said, not read.
    expect(snapshot.warnings).toEqual([
      `${IEC_URL}: table 2 (Office | Phone) is not an eligibility table; not read`,
    ]);
    expect(checkExpectations(snapshot, source.expectations, null)).toBeNull();
  });

  it("gives the same entries when only the page's chrome changed", () => {
    expect(parse(CHROME).entries).toEqual(parse(V1).entries);
    expect(diff(V1, CHROME)).toEqual([]);
  });

  it("diffs a later version into exactly the destination added and the item removed", () => {
    const records = diff(V1, V2);
    expect(records.map((r) => [r.kind, r.subject])).toEqual([
      ["modified", "4A906"],
      ["removed", "3D907"],
    ]);
    const modified = records[0]!;
    // The redline is the one destination added (the entry's heading and the others unchanged).
    expect(modified.diff?.filter(([op]) => op !== "=")).toEqual([["+", ", Netherlands (NL)"]]);
    expect(modified.after).toContain(`${QUANTUM_DESTINATIONS}, Netherlands (NL)`);
    expect(parse(V2).meta.lastModified).toBe("2025-01-15");
    // One removal in 23 is within what one step may remove.
    const v1 = parse(V1);
    expect(
      checkExpectations(parse(V2), source.expectations, {
        count: v1.entries.length,
        keys: new Set(v1.entries.map((e) => e.key)),
      }),
    ).toBeNull();
  });

  it("dates the version by the page's stated last-modified date and cites the exception", () => {
    const snapshot = parse(V2);
    expect(source.describe(snapshot, { url: IEC_URL, asOf: null })).toEqual({
      publishedAt: "2025-01-15",
      effectiveAt: "2025-01-15",
      citation: null,
      url: IEC_URL,
    });
    expect(source.versionDate!(snapshot, { url: IEC_URL, asOf: null })).toBe("2025-01-15");
    expect(source.citedAs).toEqual(["License Exception IEC", "15 CFR 740.24"]);
  });

  it("tags its ECCNs in the CCL's numbering: the 900-series entries too, whatever their words", () => {
    const entries = parse(V1).entries;
    const tags = listTagger(new Map(entries.map((e) => [e.key, e])), source.id);
    expect(tags("3B001.c.1.a")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tags("3D001(for 3B001.q)")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tags("4A906")).toEqual(["quantum"]);
    expect(tags("3E905")).toEqual(["advanced-semiconductors", "gaafet"]);
    expect(tags("2B910")).toEqual(["additive-manufacturing"]);
    // Rows whose words name no technology, tagged by their numbers as in the CCL.
    expect(tags("3A904")).toEqual(["quantum"]);
    expect(tags("3C907")).toEqual(["quantum", "advanced-semiconductors"]);
    expect(technologiesForKey("4A906", source.id)).toEqual(technologiesForKey("4A906", "us.ecfr.ccl"));
  });

  it("splits items cells strictly", () => {
    expect(itemsOf("3C907, 3C908, 3C909", "t").map((i) => i.key)).toEqual(["3C907", "3C908", "3C909"]);
    expect(itemsOf("3B001.c.1.a, c.1.c, and .q", "t").map((i) => i.key)).toEqual([
      "3B001.c.1.a",
      "3B001.c.1.c",
      "3B001.q",
    ]);
    expect(itemsOf("ECCN 3D002 (for 3B001.c.1.a and c.1.c); 3E905", "t")).toEqual([
      {
        key: "3D002(for 3B001.c.1.a and c.1.c)",
        eccn: "3D002",
        paragraph: null,
        scope: "for 3B001.c.1.a and c.1.c",
      },
      { key: "3E905", eccn: "3E905", paragraph: null, scope: null },
    ]);
    expect(() => itemsOf("c.1.a", "t")).toThrow(/"c.1.a" in the items cell "c.1.a" is no ECCN or paragraph/);
    expect(() => itemsOf("3B001, quantum items", "t")).toThrow(/"quantum items" .* is no ECCN or paragraph/);
  });

  it("names destinations as BIS writes them, and keeps a name that is no country as written, with a warning", () => {
    expect(destinationCode("Korea, South")).toBe("KR");
    expect(destinationCode("the Netherlands")).toBe("NL");
    expect(destinationCode("Türkiye")).toBe("TR");
    expect(destinationCode("Bosnia and Herzegovina")).toBe("BA");
    expect(destinationCode("Country Group A:5")).toBeNull();
    const snapshot = parseBody(
      edited(V1, [
        "<td>Canada, France, Germany, United Kingdom</td>",
        "<td>Canada; France; Country Group A:5</td>",
      ]),
    );
    const e = snapshot.entries.find((x) => x.key === "2E903")!;
    expect(e.text).toBe("Eligible destinations: Canada (CA), France (FR), Country Group A:5");
    expect(e.data).toMatchObject({ destinations: ["CA", "FR"], unrecognized: ["Country Group A:5"] });
    expect(snapshot.meta.unrecognizedDestinations).toEqual(["Country Group A:5"]);
    expect(snapshot.warnings).toContain(
      `${IEC_URL}: destination "Country Group A:5" names no country; kept as written`,
    );
  });

  it("reads a table laid out with one column per destination", () => {
    const body = Buffer.from(`<!DOCTYPE html><html><head><title>IEC</title></head><body><main><h1>IEC</h1>
      <p>Last Updated 09/17/2024</p>
      <table><tr><th>ECCN</th><th>Australia</th><th>Japan</th><th>Netherlands</th><th>United Kingdom</th></tr>
      <tr><td>4A906</td><td>X</td><td>X</td><td></td><td>X</td></tr>
      <tr><td>3B903</td><td>—</td><td>X</td><td>X</td><td>X</td></tr></table></main></body></html>`);
    const snapshot = parseBody(body);
    expect(snapshot.meta).toMatchObject({ layout: "destination-columns", lastModified: "2024-09-17" });
    expect(snapshot.entries.map((e) => [e.key, e.text])).toEqual([
      ["4A906", "Eligible destinations: Australia (AU), United Kingdom (GB), Japan (JP)"],
      ["3B903", "Eligible destinations: United Kingdom (GB), Japan (JP), Netherlands (NL)"],
    ]);
  });

  it("keeps markup written as text as text, and stores NFC", () => {
    const snapshot = parseBody(
      edited(
        V1,
        ["Cryogenic wafer probers", "Cryogenic wafer probers &lt;script&gt;alert(1)&lt;/script&gt;"],
        ["Equipment designed for dry etching", "Equipment designed for dry e\u0301tching"],
      ),
    );
    const byKey = new Map(snapshot.entries.map((e) => [e.key, e]));
    expect(byKey.get("3B904")!.heading).toBe("Cryogenic wafer probers <script>alert(1)</script>");
    expect(byKey.get("3B001.c.1.a")!.heading).toBe("Equipment designed for dry \u00e9tching");
  });

  it("refuses what is not the whole table: cut short, an error page, a PDF, a broken row, a repeated item", () => {
    const whole = fixture(V1).toString("utf8");
    expect(() => parseBody(Buffer.from(whole.slice(0, whole.indexOf("</tbody>"))))).toThrow(
      /the page ends before <\/html> \(truncated\?\)/,
    );
    expect(() =>
      parseBody(
        Buffer.from("<html><head><title>Access Denied</title></head><body>Reference #18.2f</body></html>"),
      ),
    ).toThrow(/BIS answered a refusal \("Access Denied"\)/);
    expect(() => parseBody(Buffer.from("%PDF-1.7\n%âãÏÓ\n1 0 obj"), "application/pdf")).toThrow(
      /the IEC eligibility document is a PDF; reading its table into rows is not done/,
    );
    expect(() => parseBody(Buffer.from("PK\u0003\u0004\u0014\u0000"), "application/octet-stream")).toThrow(
      /is a spreadsheet or Office document \(ZIP\); reading its table into rows is not done/,
    );
    expect(() => parseBody(fixture(LINK_ONLY))).toThrow(
      /no eligibility table .* it links https:\/\/www\.bis\.gov\/media\/documents\/license-exception-iec-eligible-items-and-destinations\.pdf/,
    );
    expect(() => parseBody(edited(V1, ["<td>3B903</td>", "<td>3B903</td><td>extra</td>"]))).toThrow(
      /row 17 has 4 cells under 3 headers/,
    );
    expect(() => parseBody(edited(V1, ["<td>3D907</td>", "<td>3D901</td>"]))).toThrow(
      /3D901 is listed twice/,
    );
    expect(() => parseBody(edited(V1, ["<td>3B903</td>", "<td>SEM</td>"]))).toThrow(
      /"SEM" in the items cell/,
    );
    expect(() =>
      parseBody(edited(V1, ['<main id="main-content" role="main">', "<div>"], ["</main>", "</div>"])),
    ).toThrow(/0 content regions/);
    // An impossible stated date is said, never guessed.
    const badDate = parseBody(edited(V1, [">September 17, 2024<", ">September 31, 2024<"]));
    expect(badDate.meta.lastModified).toBeNull();
    expect(badDate.warnings).toContain(`${IEC_URL}: "last modified" date "September 31, 2024" is not a date`);
  });

  it("reads US dates strictly", () => {
    expect(parseUsDate("September 17, 2024")).toBe("2024-09-17");
    expect(parseUsDate("09/17/2024")).toBe("2024-09-17");
    expect(parseUsDate("17/09/2024")).toBeNull();
    expect(parseUsDate("February 29, 2023")).toBeNull();
  });
});

describe("us.bis.iec: fetch", () => {
  const at = new Date("2025-01-16T16:41:00Z");
  const html = (body: Uint8Array | string, headers: Record<string, string> = {}) => ({
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8", ...headers },
    body,
  });
  const PAGE_PATH = new URL(IEC_URL).pathname;
  const PDF_PATH = "/media/documents/license-exception-iec-eligible-items-and-destinations.pdf";

  it("takes the page as the list's version, and nothing when it answers 304", async () => {
    const server = await startSourceServer({
      [PAGE_PATH]: (req) =>
        req.headers["if-none-match"] === '"v1"' ? { status: 304 } : html(fixture(V1), { etag: '"v1"' }),
    });
    try {
      const first = await source.fetch({
        http: testHttpClient({ "https://www.bis.gov": server.origin }),
        log: silentLog,
        now: at,
        state: {},
      });
      expect(first.artifacts.map((a) => a.response.url)).toEqual([IEC_URL]);
      expect(parseBody(first.artifacts[0]!.response.body).entries).toHaveLength(23);
      const again = await source.fetch({
        http: testHttpClient(
          { "https://www.bis.gov": server.origin },
          {
            validators: {
              get: async (url) => (url === IEC_URL ? { etag: '"v1"', lastModified: null } : null),
            },
          },
        ),
        log: silentLog,
        now: at,
        state: {},
      });
      expect(again.artifacts).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("follows a page that only links the document, archives that file, and says its table is not read", async () => {
    const pdf = Buffer.from("%PDF-1.7\n% hand-written stand-in for the IEC document\n%%EOF\n");
    const server = await startSourceServer({
      [PAGE_PATH]: () => html(fixture(LINK_ONLY)),
      [PDF_PATH]: () => ({ status: 200, headers: { "content-type": "application/pdf" }, body: pdf }),
    });
    try {
      expect(iecPageVerdict({ body: fixture(LINK_ONLY), url: IEC_URL })).toMatchObject({
        kind: "document",
        document: { format: "pdf", url: `https://www.bis.gov${PDF_PATH}` },
      });
      const result = await source.fetch({
        http: testHttpClient({ "https://www.bis.gov": server.origin }),
        log: silentLog,
        now: at,
        state: {},
      });
      expect(server.requests.map((r) => r.path)).toEqual([PAGE_PATH, PDF_PATH]);
      expect(result.artifacts.map((a) => a.response.url)).toEqual([`https://www.bis.gov${PDF_PATH}`]);
      const artifact = result.artifacts[0]!.response;
      expect(Buffer.from(artifact.body).equals(pdf)).toBe(true);
      expect(() =>
        source.parse({ body: artifact.body, contentType: artifact.contentType, url: artifact.url }),
      ).toThrow(/is a PDF; reading its table into rows is not done \(the file is archived as fetched\)/);
    } finally {
      await server.close();
    }
  });

  it("fails on an error page answered with 200 as unreachable, and on a page with neither table nor link as changed", async () => {
    const server = await startSourceServer({
      [PAGE_PATH]: () =>
        html("<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"),
    });
    try {
      await expect(
        source.fetch({
          http: testHttpClient({ "https://www.bis.gov": server.origin }),
          log: silentLog,
          now: at,
          state: {},
        }),
      ).rejects.toThrow(SourceUnavailableError);
    } finally {
      await server.close();
    }
    const shell = await startSourceServer({
      [PAGE_PATH]: () =>
        html(
          '<!DOCTYPE html><html><head><title>IEC</title></head><body><main><div id="root"></div></main><script src="/app.js"></script></body></html>',
        ),
    });
    try {
      const run = source.fetch({
        http: testHttpClient({ "https://www.bis.gov": shell.origin }),
        log: silentLog,
        now: at,
        state: {},
      });
      await expect(run).rejects.toThrow(SourceShapeChangedError);
      await expect(
        source.fetch({
          http: testHttpClient({ "https://www.bis.gov": shell.origin }),
          log: silentLog,
          now: at,
          state: {},
        }),
      ).rejects.toThrow(/holds 0 characters and no table \(rendered by JavaScript\?\)/);
    } finally {
      await shell.close();
    }
  });

  it("is a US list source that needs no browser", () => {
    expect(source).toMatchObject({ id: "us.bis.iec", jurisdiction: "US", kind: "list" });
    expect(source.needsBrowser).toBeUndefined();
  });
});
