// Pages users watch, kept in the database: added, listed, refused twice,
// unwatched (the row kept), watched again with new settings.
import type { Database } from "@regwatch/db/open-database";
import {
  AlreadyWatchedError,
  addWatchedPage,
  listWatchedPages,
  removeWatchedPage,
} from "@regwatch/db/queries/watched-pages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";

const page = {
  id: "page.bis-iec-example",
  url: "https://www.bis.gov/licensing/iec",
  selector: "main table",
  browser: false,
  jurisdiction: "US",
  technologies: ["quantum"],
  schedule: "0 7 * * 1-5",
  title: null,
  createdBy: "ops@example.org",
};

describe.each(testDatabases())("watched pages on $name", (testDb) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDb.open();
  });
  afterAll(async () => {
    await database.close();
  });

  it("adds a page, lists it, and refuses the same id twice", async () => {
    const row = await addWatchedPage(database.db, page, new Date("2026-12-01T10:00:00Z"));
    expect(row).toMatchObject({ ...page, removedAt: null });
    expect((await listWatchedPages(database.db)).map((r) => r.id)).toEqual([page.id]);
    await expect(addWatchedPage(database.db, page, new Date("2026-12-01T11:00:00Z"))).rejects.toThrow(
      new AlreadyWatchedError("page.bis-iec-example is already watched (https://www.bis.gov/licensing/iec)"),
    );
  });

  it("unwatches (the row kept), says so once, and watches again with new settings", async () => {
    expect(await removeWatchedPage(database.db, page.id, new Date("2026-12-02T10:00:00Z"))).toBe(true);
    expect(await removeWatchedPage(database.db, page.id, new Date("2026-12-02T10:00:01Z"))).toBe(false);
    expect(await removeWatchedPage(database.db, "page.never", new Date("2026-12-02T10:00:01Z"))).toBe(false);
    expect(await listWatchedPages(database.db)).toEqual([]);
    const all = await listWatchedPages(database.db, { includeRemoved: true });
    expect(all.map((r) => [r.id, r.removedAt?.toISOString()])).toEqual([
      [page.id, "2026-12-02T10:00:00.000Z"],
    ]);
    const again = await addWatchedPage(
      database.db,
      { ...page, browser: true, selector: null },
      new Date("2026-12-03T10:00:00Z"),
    );
    expect(again).toMatchObject({ browser: true, selector: null, removedAt: null });
    expect((await listWatchedPages(database.db)).map((r) => r.id)).toEqual([page.id]);
  });
});
