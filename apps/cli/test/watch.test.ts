// `regwatch watch` end to end on the embedded database: a page served by a
// local server is watched (the private address allowed for the test, refused
// otherwise), listed by `regwatch sources`, run (baseline), run again after an
// edit (exactly the blocks that changed, tagged as the watcher asked), and
// unwatched (no longer listed; its changes kept).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSourceServer } from "../../../test/support/source-server.ts";
import type { Io } from "../src/io.ts";
import { execute } from "../src/main.ts";

const fixtures = join(import.meta.dirname, "../../../packages/sources/src/page/fixtures");
const page = (name: string) => readFileSync(join(fixtures, name), "utf8");

let dataDir: string;
let served = "notice-v1.html";
let server: Awaited<ReturnType<typeof startSourceServer>>;

async function run(env: Record<string, string>, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    cwd: dataDir,
    env: { REGWATCH_DATA_DIR: dataDir, REGWATCH_LOG_LEVEL: "silent", REGWATCH_HOST_INTERVAL_MS: "0", ...env },
  };
  const code = await execute(argv, io);
  return { code, stdout, stderr };
}
const ALLOW = { REGWATCH_ALLOW_PRIVATE_URLS: "1" };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "regwatch-watch-"));
  server = await startSourceServer({
    "/notice": () => ({ body: page(served), headers: { "content-type": "text/html; charset=utf-8" } }),
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("regwatch watch", () => {
  it("refuses a private address unless allowed, and a bad schedule or technology, naming them", async () => {
    const refused = await run({}, "watch", `${server.origin}/notice`, "--jurisdiction", "US");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/127\.0\.0\.1/);
    const badCron = await run(
      ALLOW,
      "watch",
      `${server.origin}/notice`,
      "--jurisdiction",
      "US",
      "--schedule",
      "soon",
    );
    expect(badCron.code).toBe(2);
    expect(badCron.stderr).toMatch(/--schedule/);
    const badTech = await run(
      ALLOW,
      "watch",
      `${server.origin}/notice`,
      "--jurisdiction",
      "US",
      "--technology",
      "warp",
    );
    expect(badTech.code).toBe(2);
    expect(badTech.stderr).toMatch(/warp/);
  });

  it("watches a page, lists it, runs it, and reports exactly the blocks that changed", async () => {
    const added = await run(
      ALLOW,
      "watch",
      `${server.origin}/notice`,
      "--jurisdiction",
      "US",
      "--technology",
      "quantum",
      "--id",
      "page.local-notice",
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(
      /^watching http:\/\/127\.0\.0\.1:\d+\/notice as page\.local-notice \(US, cron /,
    );
    const twice = await run(
      ALLOW,
      "watch",
      `${server.origin}/notice`,
      "--jurisdiction",
      "US",
      "--id",
      "page.local-notice",
    );
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already watched/);

    const listed = JSON.parse((await run(ALLOW, "sources", "--json")).stdout) as {
      sources: { id: string; kind: string; jurisdiction: string; health: string }[];
    };
    expect(listed.sources.at(-1)).toMatchObject({
      id: "page.local-notice",
      kind: "list",
      jurisdiction: "US",
      health: "unknown",
    });

    const first = await run(ALLOW, "run", "page.local-notice");
    expect(first.stdout).toMatch(/^page\.local-notice: baseline stored/m);
    served = "notice-v1-chrome.html";
    expect((await run(ALLOW, "run", "page.local-notice")).stdout).toMatch(
      /^page\.local-notice: (?:nothing new|not modified)/m,
    );
    served = "notice-v2.html";
    expect((await run(ALLOW, "run", "page.local-notice")).stdout).toMatch(/^page\.local-notice: 3 changes/m);
    const changes = JSON.parse(
      (await run(ALLOW, "changes", "--source", "page.local-notice", "--json")).stdout,
    ) as {
      changes: { kind: string; technologies: string[]; jurisdiction: string }[];
    };
    expect(changes.changes.map((c) => c.kind).sort()).toEqual(["added", "modified", "removed"]);
    for (const c of changes.changes) {
      expect(c.jurisdiction).toBe("US");
      expect(c.technologies).toContain("quantum");
    }
  });

  it("parses and diffs page files as the watched page's own source, blocks aligned as a run aligns them", async () => {
    const parsed = await run(ALLOW, "parse", "page.local-notice", join(fixtures, "notice-v1.html"));
    expect(parsed.code).toBe(0);
    expect(parsed.stdout).toMatch(/^\d+ entries$/m);
    const diffed = await run(
      ALLOW,
      "diff",
      "page.local-notice",
      join(fixtures, "notice-v1.html"),
      join(fixtures, "notice-v2.html"),
      "--json",
    );
    expect(diffed.code).toBe(0);
    const { changes } = JSON.parse(diffed.stdout) as { changes: { kind: string; subject: string }[] };
    // What the run found: one block edited, one added, one removed (not the edit as a removal and an addition).
    expect(changes.map((c) => c.kind).sort()).toEqual(["added", "modified", "removed"]);
    const unknown = await run(
      ALLOW,
      "diff",
      "page.nowhere",
      join(fixtures, "notice-v1.html"),
      join(fixtures, "notice-v2.html"),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown source "page\.nowhere"/);
  });

  it("unwatches: no longer listed or run; its changes stay", async () => {
    expect((await run(ALLOW, "unwatch", "page.local-notice")).code).toBe(0);
    expect((await run(ALLOW, "unwatch", "page.local-notice")).code).toBe(1);
    const listed = JSON.parse((await run(ALLOW, "sources", "--json")).stdout) as {
      sources: { id: string }[];
    };
    expect(listed.sources.map((s) => s.id)).not.toContain("page.local-notice");
    const changes = JSON.parse(
      (await run(ALLOW, "changes", "--source", "page.local-notice", "--json")).stdout,
    );
    expect(changes.changes ?? changes).toHaveLength(3);
  });
});
