import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { listChanges } from "@regwatch/db/queries/changes";
import { currentEntries, listSnapshots } from "@regwatch/db/queries/snapshots";
import { getSource } from "@regwatch/db/queries/sources";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes, runSource } from "@regwatch/pipeline/run-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changesCsv } from "../../apps/cli/src/format.ts";
import { testDatabases } from "../support/databases.ts";
import { buildEcl, eclItems } from "../support/ecl-builder.ts";
import { startSourceServer } from "../support/source-server.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const ca = findSource("ca.export-control-list")!;
const items = eclItems(150);
const v1 = buildEcl(items, { lastAmended: "2024-07-19", amendments: [["SOR/2024-112", "2024-07-19"]] });

describe.each(testDatabases())("bad input on $name", (testDb) => {
  let database: Database;
  let server: Awaited<ReturnType<typeof startSourceServer>>;
  let body: Buffer = Buffer.from(v1);
  let contentType = "application/xml";
  let deps: PipelineDeps;

  beforeAll(async () => {
    database = await testDb.open();
    server = await startSourceServer({
      "/eng/XML/SOR-89-202.xml": () => ({ body, headers: { "content-type": contentType } }),
    });
    deps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient({ "https://laws-lois.justice.gc.ca": server.origin }, { maxBytes: 64 * 1024 }),
    };
    expect((await runSource(deps, ca, { runAt: new Date("2025-01-01T00:00:00Z") })).status).toBe("baseline");
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it("refuses a body over the size cap: nothing stored, the source marked broken", async () => {
    body = Buffer.from(v1.replace("</Regulation>", `<!-- ${"x".repeat(70 * 1024)} --></Regulation>`));
    const outcome = await runSource(deps, ca, { runAt: new Date("2025-01-02T00:00:00Z") });
    expect(outcome).toMatchObject({ status: "failed", health: "broken" });
    expect(outcome.reason).toMatch(/65536-byte cap/);
    expect(await listSnapshots(database.db, ca.id)).toHaveLength(1);
    expect((await getSource(database.db, ca.id))?.health).toBe("broken");
  });

  it("reads a windows-1252 body as the same list", async () => {
    const withQuotes = v1
      .replace("Goods of kind 7,", "Goods of \u201ckind\u201d 7 \u2013")
      .replace('encoding="utf-8"', 'encoding="windows-1252"');
    body = Buffer.from(withQuotes, "latin1");
    // latin1 cannot hold the curly quotes; write them as windows-1252 bytes.
    body = Buffer.from(
      [...withQuotes].map((c) => ({ "\u201c": 0x93, "\u201d": 0x94, "\u2013": 0x96 })[c] ?? c.charCodeAt(0)),
    );
    contentType = "application/xml";
    const outcome = await runSource(deps, ca, { runAt: new Date("2025-01-03T00:00:00Z") });
    expect(outcome.status).toBe("changed");
    expect(outcome.records.map((r) => [r.subject, r.after])).toEqual([
      ["5107", "Goods of \u201ckind\u201d 7 \u2013 as described in the Guide. (All destinations)"],
    ]);
  });

  it("refuses an undeclared Shift_JIS body with a clear error and stores no entries from it", async () => {
    const before = await currentEntries(database.db, ca.id);
    body = Buffer.concat([
      Buffer.from(v1.slice(0, 400)),
      Buffer.from([0x93, 0xfa, 0x96, 0x7b]),
      Buffer.from(v1.slice(400)),
    ]);
    contentType = "application/xml";
    const outcome = await runSource(deps, ca, { runAt: new Date("2025-01-04T00:00:00Z") });
    expect(outcome.status).toBe("failed");
    expect(outcome.reason).toMatch(/parse failed: body is not valid utf-8 \(charset from xml-declaration\)/);
    expect(await currentEntries(database.db, ca.id)).toEqual(before);
  });

  it("stores script in source text as text, and keeps spreadsheet formulas out of CSV", async () => {
    const hostile = buildEcl(
      [
        ...items.slice(0, 149),
        { label: "5250", text: '=HYPERLINK("http://evil.example","x") <script>alert(1)</script>' },
      ],
      { lastAmended: "2025-02-01", amendments: [] },
    );
    const bytes = Buffer.from(
      hostile.replace("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    );
    const outcome = await ingestBytes(
      deps,
      ca,
      { body: bytes, url: "file:///hostile.xml", sha256: sha256Hex(bytes) },
      { runAt: new Date("2025-02-02T00:00:00Z") },
    );
    const added = outcome.records.find((r) => r.subject === "5250")!;
    expect(added.after).toBe('=HYPERLINK("http://evil.example","x") <script>alert(1)</script>');
    const csv = changesCsv([added]);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"") <script>alert(1)</script>"`);
    expect(csv).not.toMatch(/,=HYPERLINK/);
    expect((await listChanges(database.db, { source: ca.id })).some((r) => r.subject === "5250")).toBe(true);
  });
});

describe("the process stays up", () => {
  it("parses a truncated real-format document into an error, not a crash", () => {
    const fixture = readFileSync(
      join(import.meta.dirname, "../../packages/sources/src/us/ecfr-ccl/fixtures/ccl-small-2024-08-01.xml"),
    );
    const ccl = findSource("us.ecfr.ccl")!;
    for (const cut of [10, 500, 2000, fixture.length - 10]) {
      expect(() => ccl.parse({ body: fixture.subarray(0, cut) })).toThrow(/malformed XML|no root element/);
    }
  });
});
