import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { listChanges } from "@regwatch/db/queries/changes";
import { getSource } from "@regwatch/db/queries/sources";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { type BackfillProgress, backfillSource, ingestBytes, runSource } from "@regwatch/pipeline/run-source";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { startSourceServer } from "../support/source-server.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const fixtures = join(import.meta.dirname, "../../packages/sources/src");
const read = (path: string) => readFileSync(join(fixtures, path));
const small = (s: SourceDefinition): SourceDefinition => ({
  ...s,
  expectations: { ...s.expectations, minEntries: 5 },
});

describe.each(testDatabases())("history and parser versions on $name", (testDb) => {
  let database: Database;
  let server: Awaited<ReturnType<typeof startSourceServer>>;
  let deps: PipelineDeps;

  beforeAll(async () => {
    database = await testDb.open();
    server = await startSourceServer((url) => {
      if (url.pathname === "/api/versioner/v1/versions/title-15.json") {
        return () => ({
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            content_versions: ["2023-11-01", "2024-08-01", "2024-09-06"].map((date) => ({
              date,
              identifier: "Supplement No. 1 to Part 774",
            })),
          }),
        });
      }
      const full = /\/full\/(\d{4}-\d{2}-\d{2})\//.exec(url.pathname);
      if (full?.[1] === "2024-08-01" || full?.[1] === "2024-09-06") {
        return () => ({ body: read(`us/ecfr-ccl/fixtures/ccl-small-${full[1]}.xml`) });
      }
      return undefined;
    });
    deps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient({ "https://www.ecfr.gov": server.origin }, { maxBytes: 1 << 22 }),
    };
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it("backfills the eCFR history oldest first, with the version dates, alerting nobody", async () => {
    const ccl = small(findSource("us.ecfr.ccl")!);
    const progress: BackfillProgress[] = [];
    const outcome = await backfillSource(deps, ccl, {
      since: "2024-01-01",
      runAt: new Date("2024-12-01T00:00:00Z"),
      onProgress: (p) => progress.push(p),
    });
    expect(progress.map((p) => [p.index, p.total, p.outcome.status, p.outcome.origin])).toEqual([
      [1, 2, "accepted", "baseline"],
      [2, 2, "accepted", "backfill"],
    ]);
    expect(outcome.status).toBe("changed");
    const records = await listChanges(database.db, { source: "us.ecfr.ccl" });
    expect(records).toHaveLength(6);
    expect(records.every((r) => r.origin === "backfill" && !r.alert && r.effectiveAt === "2024-09-06")).toBe(
      true,
    );
    expect((await getSource(database.db, "us.ecfr.ccl"))?.state).toMatchObject({
      lastVersionDate: "2024-09-06",
    });
    // The next poll carries on from the backfill: nothing new, no full document downloaded.
    const before = server.requests.length;
    expect((await runSource(deps, ccl, { runAt: new Date("2024-12-02T00:00:00Z") })).status).toBe(
      "unchanged",
    );
    expect(server.requests.slice(before).map((r) => r.path.split("?")[0])).toEqual([
      "/api/versioner/v1/versions/title-15.json",
    ]);
  });

  it("labels what a new parser version changes as a parser change, never as regulation", async () => {
    const v1 = small(findSource("ca.export-control-list")!);
    const v2: SourceDefinition = {
      ...v1,
      parserVersion: "ca.export-control-list/test-2",
      // The pipeline reads through parseSteps when a source has it: this parser has only parse.
      parseSteps: undefined,
      parse(input) {
        const snapshot = v1.parse(input);
        if (snapshot.kind !== "list") return snapshot;
        // Parser 2 reads Group 1's provision differently (say, keeping a footnote it used to drop).
        return {
          ...snapshot,
          entries: snapshot.entries.map((e) =>
            e.key === "group-1" ? { ...e, text: `${e.text} [footnote kept]` } : e,
          ),
        };
      },
    };
    const doc = (name: string) => {
      const body = read(`ca/export-control-list/fixtures/${name}`);
      return { body, url: `file:///${name}`, sha256: sha256Hex(body) };
    };
    expect(
      (await ingestBytes(deps, v1, doc("ecl-small-2024.xml"), { runAt: new Date("2024-07-25T00:00:00Z") }))
        .status,
    ).toBe("baseline");
    const outcome = await ingestBytes(deps, v2, doc("ecl-small-2025.xml"), {
      runAt: new Date("2025-07-25T00:00:00Z"),
    });
    expect(outcome.status).toBe("changed");
    const records = await listChanges(database.db, { source: "ca.export-control-list" });
    expect(records.map((r) => [r.origin, r.kind, r.subject, r.alert, r.provenance.parserVersion])).toEqual([
      ["parser", "modified", "group-1", false, "ca.export-control-list/test-2"],
      ["regulatory", "modified", "5506(2)(c)(ii)", true, "ca.export-control-list/test-2"],
      ["regulatory", "added", "5506(2)(c)(iii)", true, "ca.export-control-list/test-2"],
      ["regulatory", "removed", "5101", true, "ca.export-control-list/test-2"],
    ]);
    expect(records[0]!.provenance.artifactSha256).toBe(doc("ecl-small-2024.xml").sha256);
    expect(
      await listChanges(database.db, { source: "ca.export-control-list", alertOnly: true }),
    ).toHaveLength(3);
  });
});
