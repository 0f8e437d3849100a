import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { documentSchema } from "@regwatch/core/schemas";
import { diffDocuments, type StoredDocument } from "@regwatch/diff/diff-snapshots";
import { documentHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import { euCellarAnnexI } from "../src/eu/annex-i/source.ts";
import {
  amendingActsQuery,
  consolidationsQuery,
  isoDateOf,
  parseSparqlJson,
  SPARQL_ENDPOINT,
} from "../src/eu/cellar-acts/cellar.ts";
import { AMENDING_ACTS_URL, euCellarAmendingActs as source } from "../src/eu/cellar-acts/source.ts";

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../src/eu/cellar-acts/fixtures", name));
const JSON_TYPE = "application/sparql-results+json;charset=UTF-8";
const parse = (body: Uint8Array, contentType: string | null = JSON_TYPE) => {
  const snapshot = source.parse({ body, contentType });
  if (snapshot.kind !== "documents") throw new Error("expected documents");
  return snapshot;
};
const sparql = (vars: string[], bindings: unknown[]) =>
  Buffer.from(JSON.stringify({ head: { vars }, results: { bindings } }));

describe("eu.cellar.amending-acts parser", () => {
  it("turns the SPARQL answer into one document per amending act, newest first", () => {
    const snapshot = parse(fixture("sparql-amending-acts.json"));
    expect(snapshot.source).toBe("eu.cellar.amending-acts");
    expect(snapshot.documents.map((d) => d.id)).toEqual(["32025R2003", "32024R2547"]);
    for (const doc of snapshot.documents) documentSchema.parse(doc);
    expect(snapshot.documents[0]).toEqual({
      id: "32025R2003",
      stage: "published",
      type: "Delegated Regulation",
      title:
        "Commission Delegated Regulation (EU) 2025/2003 of 8 September 2025 amending Regulation (EU) 2021/821 of the European Parliament and of the Council as regards the list of dual-use items",
      abstract: null,
      citation: "Commission Delegated Regulation (EU) 2025/2003",
      publishedAt: "2025-11-14",
      effectiveAt: "2025-11-15",
      url: "http://data.europa.eu/eli/reg_del/2025/2003/oj",
      urls: {
        eli: "http://data.europa.eu/eli/reg_del/2025/2003/oj",
        eurLex: "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32025R2003",
        cellar: "http://publications.europa.eu/resource/celex/32025R2003",
      },
      cfrReferences: ["Regulation (EU) 2021/821"],
      technologies: [],
      countries: [],
      data: {
        language: "en",
        celex: "32025R2003",
        resourceType: "REG_DEL",
        adoptedAt: "2025-09-08",
        entryIntoForce: ["2025-11-15"],
      },
    });
  });

  it("merges an act's rows: its entry into force is the earliest of its dates, its title normalized", () => {
    const act = parse(fixture("sparql-amending-acts.json")).documents[1]!;
    expect(act).toMatchObject({
      id: "32024R2547",
      effectiveAt: "2024-11-08",
      publishedAt: "2024-11-07",
      citation: "Commission Delegated Regulation (EU) 2024/2547",
      data: { entryIntoForce: ["2024-11-08", "2024-12-01"] },
    });
    expect(act.title).toMatch(/as regards the list of dual-use items$/);
  });

  it("leaves out an act that has no English title yet, and says so", () => {
    const snapshot = parse(fixture("sparql-amending-acts.json"));
    expect(snapshot.meta).toEqual({
      amends: "Regulation (EU) 2021/821",
      rows: 4,
      skipped: [{ celex: "32023R0066", reason: "no English title yet" }],
    });
    expect(snapshot.warnings).toEqual([]);
  });

  it("cites the list as Annex I's source declares it, so the list change links to the act in force that day", () => {
    const doc = parse(fixture("sparql-amending-acts.json")).documents[1]!;
    expect(euCellarAnnexI.citedAs).toContain(doc.cfrReferences[0]);
  });

  it("tags technologies named in a title", () => {
    const body = sparql(
      ["celex", "title", "type", "eli", "dateDocument", "dateEntryIntoForce", "datePublication"],
      [
        {
          celex: { type: "literal", value: "32026R0999" },
          title: {
            type: "literal",
            value:
              "Commission Delegated Regulation (EU) 2026/999 amending Regulation (EU) 2021/821 as regards quantum computers and semiconductor manufacturing equipment",
          },
        },
      ],
    );
    const [doc] = parse(body).documents;
    expect(doc?.technologies).toEqual(["quantum", "semiconductor-manufacturing-equipment"]);
    // No type, no dates: the citation comes from the title, the dates stay unknown.
    expect(doc).toMatchObject({
      citation: "Commission Delegated Regulation (EU) 2026/999",
      effectiveAt: null,
    });
  });

  it("gives no record for an unchanged answer and a record for a new act", () => {
    const ctx = recordContext(source, { detectedAt: "2025-11-20T08:00:00.000Z" });
    const [newest, older] = parse(fixture("sparql-amending-acts.json")).documents;
    const stored = new Map<string, StoredDocument>([
      [older!.id, { id: older!.id, hash: documentHash(older!), stage: "published", text: "" }],
    ]);
    const records = diffDocuments(stored, [newest!, older!], ctx);
    expect(records.map((r) => `${r.kind} ${r.subject} ${r.effectiveAt}`)).toEqual([
      "published 32025R2003 2025-11-15",
    ]);
  });

  it("refuses an HTML challenge page served with 200, naming it", () => {
    expect(() => parse(fixture("html-challenge.html"), "text/html; charset=utf-8")).toThrow(
      /answered with an HTML page \(a JavaScript\/bot challenge\) instead of SPARQL JSON/,
    );
    // Even when the server calls it JSON.
    expect(() => parse(fixture("html-challenge.html"), JSON_TYPE)).toThrow(SourceShapeChangedError);
  });

  it("refuses malformed, truncated or misshapen JSON with a clear error", () => {
    const whole = fixture("sparql-amending-acts.json");
    expect(() => parse(whole.subarray(0, 300))).toThrow(/malformed SPARQL JSON/);
    expect(() => parse(Buffer.from(""))).toThrow(/malformed SPARQL JSON .*the body is empty/);
    expect(() => parse(Buffer.from('{"head":{"vars":[]},"boolean":true}'))).toThrow(/an ASK answer/);
    expect(() => parse(Buffer.from('{"head":{"vars":["celex"]}}'))).toThrow(/no results.bindings/);
    expect(() => parse(sparql(["celex"], [{ celex: { type: "literal", value: "32024R2547" } }]))).toThrow(
      /SPARQL answer lacks \?title/,
    );
    const vars = ["celex", "title", "type", "eli", "dateDocument", "dateEntryIntoForce", "datePublication"];
    expect(() => parse(sparql(vars, [{ other: { type: "literal", value: "x" } }]))).toThrow(
      /binds \?other, which head.vars does not declare/,
    );
    expect(() => parse(sparql(vars, [{ celex: { type: "weird", value: "x" } }]))).toThrow(
      /unknown type "weird"/,
    );
    expect(() => parse(sparql(vars, [{ celex: { type: "uri", value: "http://x" } }]))).toThrow(
      /\?celex is a uri, not a literal/,
    );
    // Invalid UTF-8 is an encoding error, never replacement characters in a title.
    expect(() => parse(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toThrow(/not valid UTF-8/);
  });

  it("reports an impossible date and leaves it out", () => {
    const vars = ["celex", "title", "type", "eli", "dateDocument", "dateEntryIntoForce", "datePublication"];
    const snapshot = parse(
      sparql(vars, [
        {
          celex: { type: "literal", value: "32025R2003" },
          title: { type: "literal", value: "Commission Delegated Regulation (EU) 2025/2003" },
          dateEntryIntoForce: { type: "literal", value: "2025-02-30" },
        },
      ]),
    );
    expect(snapshot.documents[0]?.effectiveAt).toBeNull();
    expect(snapshot.warnings).toEqual([
      '32025R2003: ?dateEntryIntoForce "2025-02-30" is not a date; left out',
    ]);
  });

  it("reads Cellar's date literals strictly", () => {
    expect(isoDateOf("2024-11-08")).toBe("2024-11-08");
    expect(isoDateOf("2024-11-08T00:00:00")).toBe("2024-11-08");
    expect(isoDateOf("2024-11-08+01:00")).toBe("2024-11-08");
    expect(isoDateOf("2023-02-29")).toBeNull();
    expect(isoDateOf("08/11/2024")).toBeNull();
  });

  it("asks Cellar's SPARQL endpoint for the acts amending 32021R0821, by the CDM properties", () => {
    const query = amendingActsQuery();
    expect(query).toContain('cdm:resource_legal_id_celex "32021R0821"^^xsd:string');
    expect(query).toContain("?act cdm:resource_legal_amends_resource_legal ?target");
    expect(query).toContain("cdm:resource_legal_date_entry-into-force ?dateEntryIntoForce");
    expect(consolidationsQuery()).toContain("cdm:act_consolidated_based_on_resource_legal ?act");
    const url = new URL(AMENDING_ACTS_URL);
    expect(`${url.origin}${url.pathname}`).toBe(SPARQL_ENDPOINT);
    expect(url.searchParams.get("query")).toBe(query);
    expect(url.searchParams.get("format")).toBe("application/sparql-results+json");
  });

  it("fetches the answer through the real client from a local server standing in for Cellar", async () => {
    const server = await startSourceServer({
      "/webapi/rdf/sparql": () => ({
        headers: { "content-type": JSON_TYPE },
        body: fixture("sparql-amending-acts.json"),
      }),
    });
    try {
      const http = testHttpClient({ "https://publications.europa.eu": server.origin });
      const result = await source.fetch({
        http,
        log: silentLog,
        now: new Date("2025-11-20T08:00:00Z"),
        state: {},
      });
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.headers.accept).toBe("application/sparql-results+json");
      expect(result.artifacts).toHaveLength(1);
      const { response } = result.artifacts[0]!;
      const snapshot = parse(response.body, response.contentType);
      expect(snapshot.documents.map((d) => d.id)).toEqual(["32025R2003", "32024R2547"]);
    } finally {
      await server.close();
    }
  });

  it("declares a source the registry can run", () => {
    expect(source).toMatchObject({
      id: "eu.cellar.amending-acts",
      jurisdiction: "EU",
      kind: "documents",
      officialUrl: "http://data.europa.eu/eli/reg/2021/821/oj",
    });
    expect(source.alertWindowDays).toBeGreaterThan(0);
    expect(parseSparqlJson(fixture("sparql-amending-acts.json"), JSON_TYPE).rows).toHaveLength(4);
  });
});
