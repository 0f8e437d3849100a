import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { RegDocument } from "@regwatch/core/schemas";
import {
  diffDocuments,
  documentText,
  type RecordContext,
  type StoredDocument,
} from "@regwatch/diff/diff-snapshots";
import { documentHash } from "@regwatch/diff/entry-hash";
import { findSource } from "@regwatch/sources/registry";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import { searchUrl } from "../src/us/federal-register/source.ts";

const source = findSource("us.federal-register")!;
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../src/us/federal-register/fixtures", name));
const documents = (name: string) => {
  const snapshot = source.parse({ body: fixture(name), contentType: "application/json; charset=utf-8" });
  if (snapshot.kind !== "documents") throw new Error("expected documents");
  return snapshot;
};

const ctx = (origin: RecordContext["origin"], detectedAt: string): RecordContext =>
  recordContext(source, {
    detectedAt,
    origin,
    alertSince: new Date(new Date(detectedAt).getTime() - 14 * 86_400_000).toISOString().slice(0, 10),
  });

const stored = (docs: RegDocument[]) =>
  new Map<string, StoredDocument>(
    docs.map((d) => [d.id, { id: d.id, hash: documentHash(d), stage: d.stage, text: documentText(d) }]),
  );

describe("us.federal-register parser", () => {
  it("keeps BIS documents with citation, dates, CFR parts and official URLs (snapshot)", async () => {
    const snapshot = documents("fr-search-bis-2024.json");
    await expect(`${JSON.stringify(snapshot, null, 2)}\n`).toMatchFileSnapshot(
      "__snapshots__/fr-search-bis-2024.json",
    );
    expect(snapshot.documents.map((d) => d.id)).toEqual(["2024-19633", "2024-29463"]);
    expect(snapshot.meta).toMatchObject({ count: 3, otherAgencies: 1 });
    const rule = snapshot.documents[0]!;
    expect(rule).toMatchObject({
      stage: "published",
      type: "Rule",
      citation: "89 FR 72926",
      publishedAt: "2024-09-06",
      effectiveAt: "2024-09-06",
      url: "https://www.federalregister.gov/documents/2024/09/06/2024-19633/slug",
    });
    expect(rule.cfrReferences).toContain("15 CFR 774");
    expect(rule.urls.full_text_xml).toMatch(/2024-19633\.xml$/);
  });

  it("tags technologies from the title, abstract and the ECCNs it names", () => {
    const [rule] = documents("fr-search-bis-2024.json").documents;
    expect(rule!.technologies).toEqual([
      "quantum",
      "semiconductor-manufacturing-equipment",
      "advanced-semiconductors",
      "gaafet",
      "additive-manufacturing",
    ]);
    expect(rule!.data?.eccns).toEqual(["3A904", "3B903", "4A906", "3B001"]);
  });

  it("tags a rule by the US national ECCNs it names when its words name no technology", () => {
    const body = JSON.stringify({
      count: 1,
      results: [
        {
          document_number: "2099-00001",
          type: "Rule",
          title: "Revisions to ECCNs 3A090 and 4E091",
          abstract: "This rule revises two entries.",
          publication_date: "2099-01-02",
          agencies: [{ slug: "industry-and-security-bureau" }],
        },
      ],
    });
    const snapshot = source.parse({ body: new TextEncoder().encode(body), contentType: "application/json" });
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.documents[0]!.technologies).toEqual([
      "advanced-semiconductors",
      "advanced-computing",
      "artificial-intelligence",
    ]);
  });

  it("tags affected destinations, never the United States itself", () => {
    const [, entityList] = documents("fr-search-bis-2024.json").documents;
    expect(entityList!.countries).toEqual(["AE", "CN", "RU"]);
  });

  it("reads public-inspection documents as their own stage, with no citation yet", () => {
    const snapshot = documents("fr-public-inspection-2025-01-14.json");
    expect(snapshot.documents).toHaveLength(1);
    expect(snapshot.documents[0]).toMatchObject({
      id: "2025-00001",
      stage: "public-inspection",
      citation: null,
      publishedAt: "2025-01-15",
      title: "Framework for Artificial Intelligence Diffusion",
    });
    expect(snapshot.documents[0]!.technologies).toEqual(["artificial-intelligence"]);
  });

  it("reports an API error body as such", () => {
    expect(() => source.parse({ body: Buffer.from('{"status":404,"message":"Record Not Found"}') })).toThrow(
      "Federal Register API error 404: Record Not Found",
    );
  });

  it("refuses HTML where JSON was expected", () => {
    expect(() =>
      source.parse({ body: Buffer.from("<html><body>Service Unavailable</body></html>") }),
    ).toThrow(SourceShapeChangedError);
  });

  it("builds the agency search the API documents", () => {
    const url = new URL(searchUrl({ since: "2024-09-01", order: "newest" }));
    expect(url.pathname).toBe("/api/v1/documents.json");
    expect(url.searchParams.getAll("conditions[agencies][]")).toEqual(["industry-and-security-bureau"]);
    expect(url.searchParams.get("conditions[publication_date][gte]")).toBe("2024-09-01");
    expect(url.searchParams.getAll("fields[]")).toContain("cfr_references");
  });
});

describe("us.federal-register fetch", () => {
  it("follows result pages and carries on without the public-inspection list when it fails", async () => {
    const page1 = { count: 2, total_pages: 2, next_page_url: "/api/v1/documents.json?page=2", results: [] };
    const page2 = { count: 2, total_pages: 2, results: [] };
    const server = await startSourceServer((url) =>
      url.pathname === "/api/v1/documents.json"
        ? () => ({ body: JSON.stringify(url.searchParams.get("page") === "2" ? page2 : page1) })
        : undefined,
    );
    const warnings: string[] = [];
    try {
      const result = await source.fetch({
        http: testHttpClient({ "https://www.federalregister.gov": server.origin }),
        log: { ...silentLog, warn: (_: unknown, msg?: string) => void warnings.push(msg ?? "") },
        now: new Date("2025-01-15T12:00:00Z"),
        state: {},
      });
      expect(result.artifacts.map((a) => a.response.url)).toEqual([
        expect.stringMatching(/^https:\/\/www\.federalregister\.gov\/api\/v1\/documents\.json\?conditions/),
        "https://www.federalregister.gov/api/v1/documents.json?page=2",
      ]);
      expect(server.requests[0]!.path).toContain("conditions%5Bpublication_date%5D%5Bgte%5D=2024-12-16");
      expect(warnings).toEqual([expect.stringMatching(/^public inspection list not read: .*HTTP 404/)]);
    } finally {
      await server.close();
    }
  });
});

describe("document feed diff", () => {
  it("records every document of a first run as baseline, alerting nobody", () => {
    const records = diffDocuments(
      new Map(),
      documents("fr-search-bis-2024.json").documents,
      ctx("baseline", "2024-12-20T12:00:00Z"),
    );
    expect(records.map((r) => [r.kind, r.subject, r.alert])).toEqual([
      ["published", "2024-19633", false],
      ["published", "2024-29463", false],
    ]);
  });

  it("alerts on new documents only within the recency window", () => {
    const records = diffDocuments(
      new Map(),
      documents("fr-search-bis-2024.json").documents,
      ctx("regulatory", "2024-12-20T12:00:00Z"),
    );
    expect(records.map((r) => [r.subject, r.alert])).toEqual([
      ["2024-19633", false],
      ["2024-29463", true],
    ]);
  });

  it("reports an amended document once, and a re-read of the same feed not at all", () => {
    const first = documents("fr-search-bis-2024.json").documents;
    const later = documents("fr-search-bis-2024-later.json").documents;
    expect(diffDocuments(stored(first), first, ctx("regulatory", "2024-12-20T12:00:00Z"))).toEqual([]);
    const records = diffDocuments(stored(first), later, ctx("regulatory", "2024-12-20T12:00:00Z"));
    expect(records.map((r) => [r.kind, r.subject])).toEqual([["modified", "2024-29463"]]);
    expect(records[0]!.diff).toEqual(
      expect.arrayContaining([
        ["-", "16"],
        ["+", "17"],
      ]),
    );
  });

  it("treats public inspection then publication as one lineage: one alert, then the citation", () => {
    const inspection = documents("fr-public-inspection-2025-01-14.json").documents;
    const onInspection = diffDocuments(new Map(), inspection, ctx("regulatory", "2025-01-14T15:00:00Z"));
    expect(onInspection.map((r) => [r.kind, r.stage, r.alert])).toEqual([
      ["published", "public-inspection", true],
    ]);
    expect(onInspection[0]!.title).toBe(
      "On public inspection: Framework for Artificial Intelligence Diffusion",
    );

    const published = documents("fr-search-bis-2025-01-15.json").documents;
    const onPublication = diffDocuments(
      stored(inspection),
      published,
      ctx("regulatory", "2025-01-15T15:00:00Z"),
    );
    expect(onPublication.map((r) => [r.kind, r.stage, r.alert, r.citation])).toEqual([
      ["published", "published", false, "90 FR 4544"],
    ]);
    expect(onPublication[0]!.details).toMatchObject({
      documentType: "Rule",
      action: "Interim final rule.",
      cfrReferences: ["15 CFR 740", "15 CFR 742", "15 CFR 744", "15 CFR 772", "15 CFR 774"],
      urls: expect.objectContaining({
        pdf: "https://www.govinfo.gov/content/pkg/FR-2025-01-15/pdf/2025-00001.pdf",
      }),
    });
    expect(onPublication[0]!.details?.abstract).toMatch(/model weights/);
    // The stale public-inspection list seen again later adds nothing.
    expect(diffDocuments(stored(published), inspection, ctx("regulatory", "2025-01-15T16:00:00Z"))).toEqual(
      [],
    );
  });
});
