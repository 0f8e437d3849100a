import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { getArtifact, getValidators } from "@regwatch/db/queries/artifacts";
import { listChanges } from "@regwatch/db/queries/changes";
import { currentEntries, entryHistory, listSnapshots } from "@regwatch/db/queries/snapshots";
import { getSource } from "@regwatch/db/queries/sources";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes, runSource } from "@regwatch/pipeline/run-source";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { startSourceServer } from "../support/source-server.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const sources = join(import.meta.dirname, "../../packages/sources/src");
const read = (path: string) => readFileSync(join(sources, path));

// The small fixtures hold a few entries; the real expectations are sized for the real lists.
const small = (id: string): SourceDefinition => {
  const s = findSource(id)!;
  return { ...s, expectations: { ...s.expectations, minEntries: 5 } };
};
const ca = small("ca.export-control-list");
const ccl = small("us.ecfr.ccl");
const fr = findSource("us.federal-register")!;

/** What the fake official servers answer; tests move it along a timeline. */
const timeline = {
  cclVersions: ["2024-08-01"],
  ecl: read("ca/export-control-list/fixtures/ecl-small-2024.xml"),
  frSearch: read("us/federal-register/fixtures/fr-search-bis-2024.json"),
  frInspection: read("us/federal-register/fixtures/fr-public-inspection-2025-01-14.json"),
};
const cclXml: Record<string, Buffer> = {
  "2024-08-01": read("us/ecfr-ccl/fixtures/ccl-small-2024-08-01.xml"),
  "2024-09-06": read("us/ecfr-ccl/fixtures/ccl-small-2024-09-06.xml"),
};

let server: Awaited<ReturnType<typeof startSourceServer>>;

beforeAll(async () => {
  const etagged =
    (body: Buffer, type: string) => (req: { headers: Record<string, string | string[] | undefined> }) => {
      const etag = `"${sha256Hex(body).slice(0, 16)}"`;
      return req.headers["if-none-match"] === etag
        ? { status: 304 }
        : { body, headers: { etag, "content-type": type } };
    };
  server = await startSourceServer((url) => {
    if (url.pathname === "/eng/XML/SOR-89-202.xml")
      return (req) => etagged(timeline.ecl, "application/xml")(req);
    if (url.pathname === "/api/versioner/v1/versions/title-15.json") {
      return (req) =>
        etagged(
          Buffer.from(
            JSON.stringify({
              content_versions: timeline.cclVersions.map((date) => ({
                date,
                identifier: "Supplement No. 1 to Part 774",
                name: "Supplement No. 1 to Part 774—The Commerce Control List",
                part: "774",
                substantive: true,
              })),
            }),
          ),
          "application/json",
        )(req);
    }
    const full = /^\/api\/versioner\/v1\/full\/(\d{4}-\d{2}-\d{2})\/title-15\.xml$/.exec(url.pathname);
    if (full) {
      const body = cclXml[full[1]!];
      return () =>
        body ? { body, headers: { "content-type": "application/xml" } } : { status: 404, body: "{}" };
    }
    if (url.pathname === "/api/v1/documents.json")
      return (req) => etagged(timeline.frSearch, "application/json")(req);
    if (url.pathname === "/api/v1/public-inspection-documents/current.json") {
      return (req) => etagged(timeline.frInspection, "application/json")(req);
    }
    return undefined;
  });
});
afterAll(() => server?.close());

describe.each(testDatabases())("pipeline against local sources on $name", (testDb) => {
  let database: Database;
  let deps: PipelineDeps;
  const at = (iso: string) => ({ runAt: new Date(iso) });
  const requestsSince = (n: number) => server.requests.slice(n).map((r) => r.path.split("?")[0] ?? r.path);

  beforeAll(async () => {
    database = await testDb.open();
    const origin = server.origin;
    deps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient(
        {
          "https://www.ecfr.gov": origin,
          "https://www.federalregister.gov": origin,
          "https://laws-lois.justice.gc.ca": origin,
        },
        { validators: { get: (url) => getValidators(database.db, url) } },
      ),
    };
    timeline.cclVersions = ["2024-08-01"];
    timeline.ecl = read("ca/export-control-list/fixtures/ecl-small-2024.xml");
    timeline.frSearch = read("us/federal-register/fixtures/fr-search-bis-2024.json");
  });
  afterAll(() => database?.close());

  it("stores a first run as baseline: list entries without records, documents as unalerted records", async () => {
    const outcomes = await Promise.all([
      runSource(deps, fr, at("2024-12-20T12:00:00Z")),
      runSource(deps, ccl, at("2024-12-20T12:00:00Z")),
      runSource(deps, ca, at("2024-12-20T12:00:00Z")),
    ]);
    expect(outcomes.map((o) => [o.sourceId, o.status, o.records.length])).toEqual([
      ["us.federal-register", "baseline", 3],
      ["us.ecfr.ccl", "baseline", 0],
      ["ca.export-control-list", "baseline", 0],
    ]);
    expect((await currentEntries(database.db, "ca.export-control-list")).length).toBe(17);
    expect((await currentEntries(database.db, "us.ecfr.ccl")).length).toBe(14);
    const records = await listChanges(database.db);
    expect(records.every((r) => r.origin === "baseline" && !r.alert)).toBe(true);
    expect((await getSource(database.db, "us.ecfr.ccl"))?.state).toMatchObject({
      lastVersionDate: "2024-08-01",
    });
  });

  it("downloads nothing new on an unchanged poll: conditional requests, no full XML", async () => {
    const before = server.requests.length;
    const outcomes = await Promise.all([
      runSource(deps, fr, at("2024-12-21T12:00:00Z")),
      runSource(deps, ccl, at("2024-12-21T12:00:00Z")),
      runSource(deps, ca, at("2024-12-21T12:00:00Z")),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(requestsSince(before).filter((p) => p.includes("/full/"))).toEqual([]);
    const conditional = server.requests.slice(before).filter((r) => r.headers["if-none-match"]);
    expect(conditional.length).toBeGreaterThanOrEqual(3);
    expect(await listChanges(database.db)).toHaveLength(3);
  });

  it("turns a new eCFR version into exactly its records, linked to the Federal Register rule", async () => {
    timeline.cclVersions = ["2024-08-01", "2024-09-06"];
    const before = server.requests.length;
    const outcome = await runSource(deps, ccl, at("2024-12-22T12:00:00Z"));
    expect(outcome.status).toBe("changed");
    expect(requestsSince(before)).toEqual([
      "/api/versioner/v1/versions/title-15.json",
      "/api/versioner/v1/full/2024-09-06/title-15.xml",
    ]);
    const records = await listChanges(database.db, { source: "us.ecfr.ccl" });
    expect(records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "added 3B001.c.1.b",
      "added 3B001.c.1.c",
      "added 3B903",
      "modified 3B001",
      "modified 3B001.a.1",
      "removed 4A906.a.2",
    ]);
    for (const r of records) {
      // The run's clock, not the wall clock, for detection and fetch alike.
      expect([r.detectedAt, r.provenance.fetchedAt]).toEqual([
        "2024-12-22T12:00:00.000Z",
        "2024-12-22T12:00:00.000Z",
      ]);
      expect(r).toMatchObject({
        origin: "regulatory",
        alert: true,
        effectiveAt: "2024-09-06",
        citation: "89 FR 72926",
      });
      expect(r.url).toBe(
        "https://www.ecfr.gov/on/2024-09-06/title-15/part-774/appendix-Supplement%20No.%201%20to%20Part%20774",
      );
    }
    const quantum = await listChanges(database.db, { source: "us.ecfr.ccl", technology: "quantum" });
    expect(quantum.map((r) => r.subject)).toEqual(["4A906.a.2"]);
  });

  it("turns a new consolidation into exactly its records, each with its own instrument", async () => {
    timeline.ecl = read("ca/export-control-list/fixtures/ecl-small-2025.xml");
    const outcome = await runSource(deps, ca, at("2025-07-31T12:00:00Z"));
    expect(outcome.status).toBe("changed");
    const records = await listChanges(database.db, { source: "ca.export-control-list" });
    expect(records.map((r) => [r.kind, r.subject, r.citation, r.effectiveAt])).toEqual([
      ["modified", "5506(2)(c)(ii)", "SOR/2025-89", "2025-04-25"],
      ["added", "5506(2)(c)(iii)", "SOR/2025-89", "2025-04-25"],
      ["removed", "5101", "SOR/2025-89", "2025-04-25"],
    ]);
    expect(records.every((r) => r.detectedAt === "2025-07-31T12:00:00.000Z")).toBe(true);
    // The entry keeps its history: the 2024 wording, closed by the snapshot that brought the 2025 one.
    const history = await entryHistory(database.db, "ca.export-control-list", "5506(2)(c)(ii)");
    expect(history.map((h) => h.entry.text.match(/10\^-\d/)?.[0])).toEqual(["10^-4", "10^-3"]);
    expect(history[0]!.entry.validTo).toBe(history[1]!.entry.validFrom);
    expect(history[1]!.entry.validTo).toBeNull();
  });

  it("quarantines a truncated document: no records, the raw bytes kept, the source marked", async () => {
    const good = timeline.ecl;
    timeline.ecl = good.subarray(0, Math.floor(good.length / 2));
    const outcome = await runSource(deps, ca, at("2025-08-01T12:00:00Z"));
    expect(outcome).toMatchObject({ status: "failed", health: "broken" });
    expect(outcome.reason).toMatch(/parse failed: .*malformed XML/);
    const [latest] = await listSnapshots(database.db, "ca.export-control-list", 1);
    expect(latest).toMatchObject({
      status: "quarantined",
      itemCount: 0,
      artifactSha256: sha256Hex(timeline.ecl),
    });
    const kept = await getArtifact(database.db, sha256Hex(timeline.ecl));
    expect(Buffer.from(kept!.body).equals(timeline.ecl)).toBe(true);
    expect((await getSource(database.db, "ca.export-control-list"))?.health).toBe("broken");
    expect(await listChanges(database.db, { source: "ca.export-control-list" })).toHaveLength(3);
    timeline.ecl = good;
  });

  it("quarantines a well-formed list that lost most of its entries", async () => {
    const good = timeline.ecl;
    // Drop Group 2 and item 5506 with everything under them: 11 of 17 entries.
    const gutted = good
      .toString("utf8")
      .replace(/<Heading lims:fid="13"[\s\S]*?<Heading lims:fid="18"/, '<Heading lims:fid="18"')
      .replace(
        /<Provision lims:inforce-start-date="2024-07-19" lims:fid="23"[\s\S]*<\/Provision><HistoricalNote>/,
        "<HistoricalNote>",
      );
    timeline.ecl = Buffer.from(gutted);
    const outcome = await runSource(
      deps,
      { ...ca, expectations: { ...ca.expectations, minEntries: 1 } },
      at("2025-08-02T12:00:00Z"),
    );
    expect(outcome.status).toBe("quarantined");
    expect(outcome.reason).toMatch(/would be removed in one step/);
    expect((await getSource(database.db, "ca.export-control-list"))?.healthReason).toMatch(
      /would be removed/,
    );
    expect(await listChanges(database.db, { source: "ca.export-control-list" })).toHaveLength(3);
    expect((await currentEntries(database.db, "ca.export-control-list")).length).toBe(17);
    timeline.ecl = good;
  });

  it("creates nothing when the same document is ingested twice", async () => {
    const body = read("ca/export-control-list/fixtures/ecl-small-2025.xml");
    // ingestBytes takes the bytes it is given: one input each.
    const input = () => ({ body, url: "file:///tmp/ecl.xml", sha256: sha256Hex(body) });
    const first = await ingestBytes(deps, ca, input(), at("2025-08-03T00:00:00Z"));
    const second = await ingestBytes(deps, ca, input(), at("2025-08-04T00:00:00Z"));
    expect([first.status, second.status]).toEqual(["unchanged", "unchanged"]);
    expect(await listChanges(database.db, { source: "ca.export-control-list" })).toHaveLength(3);
  });

  it("follows a document from public inspection to publication without a second alert", async () => {
    timeline.frSearch = read("us/federal-register/fixtures/fr-search-bis-2025-01-15.json");
    const outcome = await runSource(deps, fr, at("2025-01-15T15:00:00Z"));
    expect(outcome.status).toBe("changed");
    const lineage = await listChanges(database.db, { source: "us.federal-register" });
    const ai = lineage.filter((r) => r.subject === "2025-00001");
    expect(ai.map((r) => [r.stage, r.origin, r.alert, r.citation])).toEqual([
      ["public-inspection", "baseline", false, null],
      ["published", "regulatory", false, "90 FR 4544"],
    ]);
    expect(ai[1]!.technologies).toContain("artificial-intelligence");
  });
});
