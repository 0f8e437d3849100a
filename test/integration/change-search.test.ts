// Finding changes as the dashboard and the API do: filters, full-text search
// over titles and entry text, and keyset pages that neither repeat nor skip.

import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { CursorError, searchChanges } from "@regwatch/db/queries/change-search";
import { listChanges } from "@regwatch/db/queries/changes";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes } from "@regwatch/pipeline/run-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { eclItems, eclVersion } from "../support/ecl-builder.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const ca = findSource("ca.export-control-list")!;
const items = eclItems(120);
const version = (lastAmended: string, list = items) => eclVersion(list, lastAmended);

describe.each(testDatabases())("change search on $name", (testDb) => {
  let database: Database;
  let all: Awaited<ReturnType<typeof listChanges>>;

  beforeAll(async () => {
    database = await testDb.open();
    const deps: PipelineDeps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient({}),
    };
    const ingest = (body: Buffer, at: string) =>
      ingestBytes(
        deps,
        ca,
        { body, url: "https://laws-lois.justice.gc.ca/eng/XML/SOR-89-202.xml", sha256: sha256Hex(body) },
        { runAt: new Date(at) },
      );
    await ingest(version("2026-01-01"), "2026-01-02T00:00:00Z");
    // Three versions, each changing a few entries: 2026-02, 2026-03, 2026-04.
    let list = [...items];
    for (const [n, month] of [
      [1, "02"],
      [2, "03"],
      [3, "04"],
    ] as const) {
      list = [
        ...list.slice(0, 20 * n),
        { label: `59${n}0`, text: `Cryogenic wafer probers, series ${n}. (All destinations)` },
        {
          label: `59${n}1`,
          text: `Ion implanters of generation ${n}, for semiconductor wafers. (All destinations)`,
        },
        ...list.slice(20 * n + 1),
      ];
      expect((await ingest(version(`2026-${month}-01`, list), `2026-${month}-02T00:00:00Z`)).status).toBe(
        "changed",
      );
    }
    all = await listChanges(database.db, { alertOnly: true });
    expect(all.length).toBeGreaterThanOrEqual(9);
  });
  afterAll(() => database.close());

  it("pages newest first without repeating or skipping, however small the pages", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await searchChanges(database.db, { alertOnly: true, limit: 2, cursor });
      expect(page.changes.length).toBeLessThanOrEqual(2);
      seen.push(...page.changes.map((c) => c.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toHaveLength(all.length);
    expect(new Set(seen).size).toBe(all.length);
    const detected = (id: string) => all.find((c) => c.id === id)!.detectedAt;
    for (let i = 1; i < seen.length; i++) expect(detected(seen[i - 1]!) >= detected(seen[i]!)).toBe(true);
  });

  it("finds words in entry text, stemmed, and combines them with filters and dates", async () => {
    const probers = await searchChanges(database.db, { q: "prober", limit: 50 });
    expect(probers.changes.map((c) => c.subject).sort()).toEqual(["5910", "5920", "5930"]);
    const implanters = await searchChanges(database.db, { q: '"ion implanters" -generation', limit: 50 });
    expect(implanters.changes).toEqual([]);
    const march = await searchChanges(database.db, {
      q: "wafer",
      from: "2026-03-01",
      to: "2026-03-31",
      jurisdictions: ["CA"],
      kinds: ["added"],
      limit: 50,
    });
    expect(march.changes.map((c) => c.subject).sort()).toEqual(["5920", "5921"]);
    expect(await searchChanges(database.db, { q: "wafer", jurisdictions: ["US"], limit: 50 })).toEqual({
      changes: [],
      next: null,
    });
    // Markup and operators in a query are words, never syntax errors.
    await expect(searchChanges(database.db, { q: "<script> & | ! ( :*", limit: 5 })).resolves.toBeDefined();
  });

  it("filters by one technology from its tags as it does by several, page after page", async () => {
    const everything = await listChanges(database.db);
    /** Every page of a search, with pages of two. */
    const pages = async (search: Omit<Parameters<typeof searchChanges>[1], "limit">) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await searchChanges(database.db, { ...search, limit: 2, cursor });
        ids.push(...page.changes.map((c) => c.id));
        cursor = page.next;
      } while (cursor);
      return ids;
    };
    const newestFirst = (records: typeof everything) => records.map((c) => c.id).reverse();
    const sme = "semiconductor-manufacturing-equipment";
    const tagged = everything.filter((c) => c.technologies.includes(sme));
    expect(tagged.length).toBeGreaterThanOrEqual(4);
    // One technology (read from its tags' index) and the same one twice (read from the records): the same pages.
    expect(await pages({ technologies: [sme] })).toEqual(newestFirst(tagged));
    expect(await pages({ technologies: [sme, sme] })).toEqual(newestFirst(tagged));
    expect(await pages({ technologies: [sme], jurisdictions: ["CA"] })).toEqual(newestFirst(tagged));
    expect(await pages({ technologies: [sme], jurisdictions: ["US"] })).toEqual([]);
    // Dates on the tag (detected) and on the record (published), and what only the record knows.
    expect(await pages({ technologies: [sme], from: "2026-03-01", to: "2026-03-31" })).toEqual(
      newestFirst(tagged.filter((c) => c.detectedAt.startsWith("2026-03"))),
    );
    expect(
      await pages({ technologies: [sme], dateField: "published", from: "2026-04-01", to: "2026-04-30" }),
    ).toEqual(newestFirst(tagged.filter((c) => (c.publishedAt ?? "").startsWith("2026-04"))));
    expect(await pages({ technologies: [sme], q: "implanters" })).toEqual(
      newestFirst(tagged.filter((c) => /implanters/i.test(c.after ?? ""))),
    );
    expect(await pages({ technologies: [sme], kinds: ["removed"] })).toEqual(
      newestFirst(tagged.filter((c) => c.kind === "removed")),
    );
    const [first] = await searchChanges(database.db, { technologies: [sme], limit: 1 }).then(
      (p) => p.changes,
    );
    expect(first?.technologies).toContain(sme);
  });

  it("refuses a cursor it did not give", async () => {
    await expect(searchChanges(database.db, { limit: 5, cursor: "bm90LWEtY3Vyc29y" })).rejects.toThrow(
      CursorError,
    );
  });
});
