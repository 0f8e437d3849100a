// The page watcher through real Chromium: a page served by a local server,
// changed only in its navigation and rendering date, gives nothing; changed in
// its content, exactly the blocks that changed (aligned as the pipeline aligns them).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { diffLists, type StoredEntry } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { createBrowserClient } from "@regwatch/fetch/browser";
import { pageSource } from "@regwatch/sources/page";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordContext } from "../support/record-context.ts";
import { startSourceServer } from "../support/source-server.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const present = existsSync(chromiumPath);
if (!present && process.env.REGWATCH_REQUIRE_SERVICES === "1") {
  throw new Error(`REGWATCH_REQUIRE_SERVICES=1 but Chromium is not at ${chromiumPath}`);
}

const fixtures = join(import.meta.dirname, "../../packages/sources/src/page/fixtures");
const html = (name: string) => readFileSync(join(fixtures, name), "utf8");

describe.skipIf(!present)("a watched page rendered by Chromium", () => {
  let served = "notice-v1.html";
  let server: Awaited<ReturnType<typeof startSourceServer>>;
  const browser = createBrowserClient({ executablePath: chromiumPath, userAgent: "regwatch-test" });
  beforeAll(async () => {
    server = await startSourceServer({
      "/notice": () => ({ body: html(served), headers: { "content-type": "text/html; charset=utf-8" } }),
    });
  });
  afterAll(async () => {
    await browser.close();
    await server.close();
  });

  const source = () =>
    pageSource(
      {
        id: "page.local-notice",
        url: `${server.origin}/notice`,
        browser: true,
        jurisdiction: "US",
        schedule: "0 7 * * *",
      },
      { allowPrivateUrls: true },
    );
  const read = async (state: Record<string, unknown>) => {
    const s = source();
    const result = await s.fetch({
      http: testHttpClient({}),
      browser,
      log: silentLog,
      now: new Date("2026-12-02T07:00:00Z"),
      state,
    });
    const entries = result.artifacts.map((a) => {
      const snapshot = s.parse({
        body: a.response.body,
        contentType: a.response.contentType,
        url: a.response.url,
      });
      if (snapshot.kind !== "list") throw new Error("expected a list");
      return snapshot.entries;
    });
    return { entries: entries[0] ?? null, state: result.state };
  };

  it("gives nothing for a chrome-only change, and exactly the changed blocks for an edit", async () => {
    const first = await read({});
    expect(first.entries?.length).toBeGreaterThan(5);
    const stored: StoredEntry[] = first.entries!.map((e) => ({ ...e, hash: entryHash(e) }));

    served = "notice-v1-chrome.html";
    const chrome = await read(first.state);
    // Nothing handed on: the extracted content is the same.
    expect(chrome.entries).toBeNull();

    served = "notice-v2.html";
    const edited = await read(chrome.state);
    expect(edited.entries).not.toBeNull();
    const aligned = source().alignEntries(stored, edited.entries!);
    const records = diffLists(stored, aligned, recordContext(source()));
    expect(records.map((r) => r.kind).sort()).toEqual(["added", "modified", "removed"]);
    const modified = records.find((r) => r.kind === "modified")!;
    expect(modified.before).toMatch(/30 working days/);
    expect(modified.after).toMatch(/20 working days/);
  }, 60_000);
});
