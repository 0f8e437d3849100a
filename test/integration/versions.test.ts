// Versions that arrive out of order: a lagging mirror serving an older list,
// a genuine return to an earlier text, an older file ingested by hand, and two
// runs of one source at once. The model: a body older than the accepted
// version (by its own version date) is stale and never diffed; "already
// processed" means identical to the accepted version, not "seen once".
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { getValidators } from "@regwatch/db/queries/artifacts";
import { listChanges } from "@regwatch/db/queries/changes";
import { currentEntries, listSnapshots } from "@regwatch/db/queries/snapshots";
import { getSource } from "@regwatch/db/queries/sources";
import { entriesTable } from "@regwatch/db/schema";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes, runSource } from "@regwatch/pipeline/run-source";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { and, count, eq, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { buildEcl, type EclItem, eclItems } from "../support/ecl-builder.ts";
import { startSourceServer } from "../support/source-server.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const fixtures = join(import.meta.dirname, "../../packages/sources/src");
const read = (path: string) => readFileSync(join(fixtures, path));

const caList = findSource("ca.export-control-list")!;
const frFeed = findSource("us.federal-register")!;
const cclList: SourceDefinition = (() => {
  const s = findSource("us.ecfr.ccl")!;
  // The small fixtures hold 14 entries (the real expectations are sized for the
  // real list), and undoing September removes 3 of them.
  return { ...s, expectations: { ...s.expectations, minEntries: 5, maxRemovedShare: 0.5 } };
})();

// Three consolidations of the Export Control List at a realistic size (130 items).
const items = eclItems(130);
const amended = (from: number, to: number, text: string): EclItem[] =>
  items.map((item, i) => (i >= from && i < to ? { ...item, text } : item));
const ecl = {
  // 2024-07-19: the older text, 18 items worded differently.
  v2024: Buffer.from(
    buildEcl(amended(0, 18, "Goods as worded before the 2025 amendment. (All destinations)"), {
      lastAmended: "2024-07-19",
      amendments: [["SOR/2024-150", "2024-07-19"]],
    }),
  ),
  v2025: Buffer.from(
    buildEcl(items, {
      lastAmended: "2025-04-25",
      amendments: [
        ["SOR/2024-150", "2024-07-19"],
        ["SOR/2025-89", "2025-04-25"],
      ],
    }),
  ),
  // A correction republished with the same point in time: item 5161 reworded.
  v2025b: Buffer.from(
    buildEcl(amended(60, 61, "Goods of kind 61, corrected. (All destinations)"), {
      lastAmended: "2025-04-25",
      amendments: [
        ["SOR/2024-150", "2024-07-19"],
        ["SOR/2025-89", "2025-04-25"],
      ],
    }),
  ),
  v2026: Buffer.from(
    buildEcl(amended(40, 42, "Quantum computers, as amended in 2026. (All destinations)"), {
      lastAmended: "2026-02-01",
      amendments: [["SOR/2026-12", "2026-02-01"]],
    }),
  ),
};

const timeline = {
  ecl: ecl.v2025,
  cclVersions: ["2024-08-01"],
  /** Which fixture each eCFR version date serves. */
  cclXml: {} as Record<string, Buffer>,
  frSearch: read("us/federal-register/fixtures/fr-search-bis-2024.json"),
};

let server: Awaited<ReturnType<typeof startSourceServer>>;

beforeAll(async () => {
  server = await startSourceServer((url) => {
    if (url.pathname === "/eng/XML/SOR-89-202.xml")
      return () => ({ body: timeline.ecl, headers: { "content-type": "application/xml" } });
    if (url.pathname === "/api/versioner/v1/versions/title-15.json")
      return () => ({
        body: JSON.stringify({
          content_versions: timeline.cclVersions.map((date) => ({
            date,
            identifier: "Supplement No. 1 to Part 774",
          })),
        }),
        headers: { "content-type": "application/json" },
      });
    const full = /^\/api\/versioner\/v1\/full\/(\d{4}-\d{2}-\d{2})\/title-15\.xml$/.exec(url.pathname);
    if (full)
      return () => ({ body: timeline.cclXml[full[1]!]!, headers: { "content-type": "application/xml" } });
    if (url.pathname === "/api/v1/documents.json")
      return () => ({ body: timeline.frSearch, headers: { "content-type": "application/json" } });
    if (url.pathname === "/api/v1/public-inspection-documents/current.json")
      return () => ({
        body: JSON.stringify({ count: 0, results: [] }),
        headers: { "content-type": "application/json" },
      });
    return undefined;
  });
});
afterAll(() => server?.close());

describe.each(testDatabases())("versions out of order on $name", (testDb) => {
  let database: Database;
  let deps: PipelineDeps;
  const at = (iso: string) => ({ runAt: new Date(iso) });
  const keysOf = async (sourceId: string) =>
    (await currentEntries(database.db, sourceId)).map((e) => `${e.key}=${e.hash}`).sort();
  /** Keys with more than one current version: must never exist. */
  const doubleCurrent = async (sourceId: string) =>
    database.db
      .select({ key: entriesTable.key, n: count() })
      .from(entriesTable)
      .where(and(eq(entriesTable.sourceId, sourceId), isNull(entriesTable.validTo)))
      .groupBy(entriesTable.key)
      .having(sql`count(*) > 1`);

  const newDeps = (): PipelineDeps => ({
    db: database.db,
    log: silentLog,
    exclusive: createExclusive(),
    http: testHttpClient(
      {
        "https://www.ecfr.gov": server.origin,
        "https://www.federalregister.gov": server.origin,
        "https://laws-lois.justice.gc.ca": server.origin,
      },
      { validators: { get: (url) => getValidators(database.db, url) } },
    ),
  });

  beforeAll(async () => {
    database = await testDb.open();
  });
  // Each test watches its own copy of a source (an id of its own): one database, no shared state.
  let n = 0;
  const own = <T extends SourceDefinition>(source: T): T => ({ ...source, id: `${source.id}.t${n}` });
  beforeEach(() => {
    n++;
    deps = newDeps();
  });
  afterAll(() => database?.close());

  it("keeps the accepted list when a mirror serves an older version, and takes the current one back as nothing new", async () => {
    const ca = own(caList);
    timeline.ecl = ecl.v2025;
    expect((await runSource(deps, ca, at("2025-08-01T06:00:00Z"))).status).toBe("baseline");
    const accepted = await keysOf(ca.id);

    // A → B (older point in time): stale, archived, not diffed, health says so.
    timeline.ecl = ecl.v2024;
    const stale = await runSource(deps, ca, at("2025-08-01T18:00:00Z"));
    expect(stale).toMatchObject({
      status: "stale",
      health: "stale",
      records: [],
      versionDate: "2024-07-19",
      acceptedVersionDate: "2025-04-25",
    });
    expect(await keysOf(ca.id)).toEqual(accepted);
    expect(await listChanges(database.db, { source: ca.id })).toEqual([]);
    const source = await getSource(database.db, ca.id);
    expect(source).toMatchObject({ health: "stale" });
    expect(source?.healthReason).toMatch(/2024-07-19.*older than the accepted 2025-04-25/);
    const [staleRow] = await listSnapshots(database.db, ca.id, 1);
    expect(staleRow).toMatchObject({
      status: "stale",
      versionDate: "2024-07-19",
      artifactSha256: sha256Hex(ecl.v2024),
    });

    // Still stale on the next poll: no second row for the same bytes.
    await runSource(deps, ca, at("2025-08-02T06:00:00Z"));
    expect(await listSnapshots(database.db, ca.id)).toHaveLength(2);

    // B → A: identical to the accepted version: nothing new, healthy again, the list unmoved.
    timeline.ecl = ecl.v2025;
    expect((await runSource(deps, ca, at("2025-08-02T18:00:00Z"))).status).toBe("unchanged");
    expect(await keysOf(ca.id)).toEqual(accepted);
    expect((await getSource(database.db, ca.id))?.health).toBe("healthy");

    // A newer version after all that is diffed against A, not B.
    timeline.ecl = ecl.v2026;
    const newer = await runSource(deps, ca, at("2026-02-10T06:00:00Z"));
    expect(newer.status).toBe("changed");
    expect(newer.records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "modified 5141",
      "modified 5142",
    ]);
  });

  it("diffs bytes seen long ago that come back as a newer version: a genuine revert", async () => {
    const ccl = own(cclList);
    const august = read("us/ecfr-ccl/fixtures/ccl-small-2024-08-01.xml");
    const september = read("us/ecfr-ccl/fixtures/ccl-small-2024-09-06.xml");
    timeline.cclXml = { "2024-08-01": august, "2024-09-06": september, "2024-10-01": august };
    timeline.cclVersions = ["2024-08-01"];
    await runSource(deps, ccl, at("2024-08-02T00:00:00Z"));
    const augustKeys = await keysOf(ccl.id);
    timeline.cclVersions = ["2024-08-01", "2024-09-06"];
    const forward = await runSource(deps, ccl, at("2024-09-07T00:00:00Z"));
    expect(forward.records).toHaveLength(6);

    // 2024-10-01 publishes the August text again: every September change is undone, and alerted.
    timeline.cclVersions = ["2024-08-01", "2024-09-06", "2024-10-01"];
    const revert = await runSource(deps, ccl, at("2024-10-02T00:00:00Z"));
    expect(revert.status).toBe("changed");
    expect(revert.records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "added 4A906.a.2",
      "modified 3B001",
      "modified 3B001.a.1",
      "removed 3B001.c.1.b",
      "removed 3B001.c.1.c",
      "removed 3B903",
    ]);
    expect(revert.records.every((r) => r.alert && r.effectiveAt === "2024-10-01")).toBe(true);
    expect(await keysOf(ccl.id)).toEqual(augustKeys);
  });

  it("refuses to ingest a file older than the accepted version unless forced, and never moves lastRunAt back", async () => {
    const ca = own(caList);
    const file = (body: Buffer) => ({ body, url: "file:///tmp/ecl.xml", sha256: sha256Hex(body) });
    await ingestBytes(deps, ca, file(ecl.v2025), at("2025-08-01T00:00:00Z"));
    const accepted = await keysOf(ca.id);
    const snapshots = (await listSnapshots(database.db, ca.id)).length;

    const refused = await ingestBytes(deps, ca, file(ecl.v2024), at("2025-07-01T00:00:00Z"));
    expect(refused.status).toBe("stale");
    expect(refused.reason).toMatch(/2024-07-19 is older than the accepted 2025-04-25: nothing changed/);
    expect(await keysOf(ca.id)).toEqual(accepted);
    expect(await listSnapshots(database.db, ca.id)).toHaveLength(snapshots);
    expect(await getSource(database.db, ca.id)).toMatchObject({ health: "healthy" });

    // Forced: the operator says the older text is the law again; it is diffed against the accepted list.
    const forced = await ingestBytes(deps, ca, file(ecl.v2024), {
      ...at("2025-07-01T00:00:00Z"),
      force: true,
    });
    expect(forced.status).toBe("changed");
    expect(forced.records).toHaveLength(18);
    expect(forced.records.every((r) => r.kind === "modified" && r.origin === "regulatory")).toBe(true);
    // The run's clock said July, after a run in August: the source's last run stays in August.
    const source = await getSource(database.db, ca.id);
    expect(source?.lastRunAt?.toISOString()).toBe("2025-08-01T00:00:00.000Z");
    expect(source?.lastSuccessAt?.toISOString()).toBe("2025-08-01T00:00:00.000Z");
  });

  it("ignores a stale copy of a feed document instead of reporting it amended twice", async () => {
    const fr = own(frFeed);
    timeline.frSearch = read("us/federal-register/fixtures/fr-search-bis-2024.json");
    await runSource(deps, fr, at("2024-12-20T12:00:00Z"));
    timeline.frSearch = read("us/federal-register/fixtures/fr-search-bis-2024-later.json");
    const amendedRun = await runSource(deps, fr, at("2024-12-21T12:00:00Z"));
    expect(amendedRun.records.map((r) => `${r.kind} ${r.subject}`)).toEqual(["modified 2024-29463"]);
    const current = await keysOf(fr.id);

    timeline.frSearch = read("us/federal-register/fixtures/fr-search-bis-2024.json");
    const staleRun = await runSource(deps, fr, at("2024-12-22T12:00:00Z"));
    expect(staleRun.records).toEqual([]);
    expect(await keysOf(fr.id)).toEqual(current);
    const [doc] = (await currentEntries(database.db, fr.id)).filter((e) => e.key === "2024-29463");
    expect(doc?.data?.effectiveAt).toBe("2024-12-17");
  });

  it("lets two concurrent runs of one source take turns: the second finds the work done", async () => {
    const ca = own(caList);
    const file = (body: Buffer) => ({ body, url: "file:///tmp/ecl.xml", sha256: sha256Hex(body) });
    await ingestBytes(deps, ca, file(ecl.v2025), at("2025-08-01T00:00:00Z"));
    // Two processes' worth of pipeline (no shared in-process lock), the same newer file at once.
    const [one, two] = await Promise.all([
      ingestBytes(newDeps(), ca, file(ecl.v2026), at("2026-02-10T00:00:00Z")),
      ingestBytes(newDeps(), ca, file(ecl.v2026), at("2026-02-10T00:00:01Z")),
    ]);
    expect([one.status, two.status].sort()).toEqual(["changed", "unchanged"]);
    const records = await listChanges(database.db, { source: ca.id });
    expect(records.map((r) => `${r.kind} ${r.subject} ${r.origin}`).sort()).toEqual([
      "modified 5141 regulatory",
      "modified 5142 regulatory",
    ]);
    expect(await doubleCurrent(ca.id)).toEqual([]);
    expect(await listSnapshots(database.db, ca.id)).toHaveLength(2);
  });

  it("diffs each of two different concurrent versions against the state the other left", async () => {
    const ca = own(caList);
    const file = (body: Buffer) => ({ body, url: "file:///tmp/ecl.xml", sha256: sha256Hex(body) });
    // Both runs start on an empty source: only one may be the baseline.
    const [a, b] = await Promise.all([
      ingestBytes(newDeps(), ca, file(ecl.v2025), at("2026-02-10T00:00:00Z")),
      ingestBytes(newDeps(), ca, file(ecl.v2025b), at("2026-02-10T00:00:01Z")),
    ]);
    expect([a.status, b.status].sort()).toEqual(["baseline", "changed"]);
    expect(await doubleCurrent(ca.id)).toEqual([]);
    const records = await listChanges(database.db, { source: ca.id });
    // Whichever came second was diffed against the first and alerted: never stored as a second baseline.
    expect(records.map((r) => `${r.kind} ${r.subject} ${r.origin} ${r.alert}`)).toEqual([
      "modified 5161 regulatory true",
    ]);
  });
});
