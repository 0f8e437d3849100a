// Entry history and snapshot comparison, against the app factory (no socket)
// over three versions of the CA Export Control List ingested through the real
// pipeline (and one quarantined in between): the differing entries exactly,
// each version of an entry in order with its redline and its records, the
// JSON the same as the page, source text kept inert, bad parameters refused
// by name.

import type { Database } from "@regwatch/db/open-database";
import { applyEntries, currentEntries, insertSnapshot } from "@regwatch/db/queries/snapshots";
import { ensureSource } from "@regwatch/db/queries/sources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { type EclItem, eclItems, eclVersion } from "../support/ecl-builder.ts";
import { type Browser, ingestEcl, tableRows, textOf, type WebApp, webApp } from "../support/web.ts";

const CA = "ca.export-control-list";
const FEED = "us.federal-register";
const items = eclItems(120);
// 5111 is modified twice, 5120 removed and 5301 added by the second version.
const ORIGINAL = items[10]!.text;
const MODIFIED =
  "Quantum computers <script>alert(1)</script> and parts of kind 11, as described in the Guide. (All destinations)";
const MODIFIED_AGAIN =
  "Quantum computers <script>alert(1)</script> and parts of kind 11, as described in the Guide. (All destinations except the United States)";
const ADDED = "Cryogenic wafer probers for quantum devices. (All destinations)";

const withText = (list: readonly EclItem[], label: string, text: string) =>
  list.map((item) => (item.label === label ? { ...item, text } : item));
const v2Items = [
  ...withText(items, "5111", MODIFIED).filter((i) => i.label !== "5120"),
  { label: "5301", text: ADDED },
];
const v3Items = withText(v2Items, "5111", MODIFIED_AGAIN);

interface Versions {
  source: string;
  key: string;
  versions: {
    snapshotId: number;
    firstSeenAt: string;
    lastSeenSnapshotId: number;
    lastSeenAt: string;
    endSnapshotId: number | null;
    endedAt: string | null;
    ending: string | null;
    text: string;
    hash: string;
    artifactSha256: string;
    artifactUrl: string;
    parserVersion: string;
    versionDate: string | null;
  }[];
  changes: { id: string; kind: string; title: string; detectedAt: string; snapshotId: number; url: string }[];
}

describe.each(testDatabases())("entry history and snapshot comparison on $name", (testDb) => {
  let database: Database;
  let web: WebApp;
  let open: WebApp;
  let viewer: Browser;
  /** The accepted snapshots in order, and the quarantined one. */
  let v1: number;
  let v2: number;
  let v3: number;
  let quarantined: number;

  beforeAll(async () => {
    database = await testDb.open();
    await ingestEcl(database, eclVersion(items, "2026-01-01"), "2026-01-02T00:00:00Z");
    await ingestEcl(database, eclVersion(v2Items, "2026-02-01"), "2026-02-02T00:00:00Z");
    // Fewer entries than the list ever holds: quarantined, its entries never stored.
    await ingestEcl(database, eclVersion(items.slice(0, 50), "2026-02-15"), "2026-02-16T00:00:00Z");
    await ingestEcl(database, eclVersion(v3Items, "2026-03-01"), "2026-03-02T00:00:00Z");
    web = await webApp(database);
    open = await webApp(database, { publicRead: true });
    viewer = (await web.signedIn("viewer")).browser;
    const res = await viewer.request(`/api/sources/${CA}/snapshots`);
    const { snapshots } = (await res.json()) as { snapshots: { id: number; status: string }[] };
    const accepted = snapshots.filter((s) => s.status === "accepted").map((s) => s.id);
    expect(accepted).toHaveLength(3);
    [v3, v2, v1] = accepted as [number, number, number];
    const refused = snapshots.filter((s) => s.status === "quarantined");
    expect(refused).toHaveLength(1);
    quarantined = refused[0]!.id;
  });
  afterAll(async () => {
    await web?.close();
    await open?.close();
    await database?.close();
  });

  const compare = async (from: number | string, to: number | string, source = CA) => {
    const res = await viewer.request(`/sources/${source}/compare?from=${from}&to=${to}`);
    const page = await res.text();
    const count = (kind: string) => Number(new RegExp(`id="count-${kind}">(\\d+)<`).exec(page)?.[1]);
    return {
      status: res.status,
      page,
      counts: { added: count("added"), removed: count("removed"), modified: count("modified") },
      rows: tableRows(page, "comparison").map((cells) => [textOf(cells[0]!), textOf(cells[1]!), cells[2]!]),
    };
  };

  it("compares two versions: exactly the entries added, removed and modified, the modified one redlined", async () => {
    const { status, counts, rows } = await compare(v1, v2);
    expect(status).toBe(200);
    expect(counts).toEqual({ added: 1, removed: 1, modified: 1 });
    expect(rows.map(([key, kind]) => [key, kind])).toEqual([
      ["5111", "modified"],
      ["5120", "removed"],
      ["5301", "added"],
    ]);
    const [modified, removed, added] = rows.map((r) => r[2]!);
    expect(modified).toContain("<del>Goods</del>");
    expect(modified).toMatch(/<ins>[^<]*&#60;script&#62;alert\(1\)&#60;\/script&#62;[^<]*<\/ins>/);
    expect(textOf(modified!.replace(/<del>[\s\S]*?<\/del>/g, ""))).toBe(MODIFIED);
    expect(textOf(modified!.replace(/<ins>[\s\S]*?<\/ins>/g, ""))).toBe(ORIGINAL);
    expect(removed).toContain(`<del>${items[19]!.text}</del>`);
    expect(added).toContain(`<ins>${ADDED}</ins>`);
  });

  it("shows nothing between a snapshot and itself, and only what changed between later versions", async () => {
    const same = await compare(v1, v1);
    expect(same.status).toBe(200);
    expect(same.counts).toEqual({ added: 0, removed: 0, modified: 0 });
    expect(same.rows).toEqual([]);

    const later = await compare(v2, v3);
    expect(later.counts).toEqual({ added: 0, removed: 0, modified: 1 });
    expect(later.rows.map(([key, kind]) => [key, kind])).toEqual([["5111", "modified"]]);
    expect(later.rows[0]![2]).toContain("<ins> except the United States</ins>");
  });

  it("reads a comparison backwards as the reverse change, and across versions as their sum", async () => {
    const back = await compare(v2, v1);
    expect(back.rows.map(([key, kind]) => [key, kind])).toEqual([
      ["5111", "modified"],
      ["5120", "added"],
      ["5301", "removed"],
    ]);
    const across = await compare(v1, v3);
    expect(across.counts).toEqual({ added: 1, removed: 1, modified: 1 });
    expect(textOf(across.rows[0]![2]!.replace(/<del>[\s\S]*?<\/del>/g, ""))).toBe(MODIFIED_AGAIN);
  });

  it("shows every version of an entry in order, each against the one before, with its change records", async () => {
    const res = await viewer.request(`/sources/${CA}/entries/5111`);
    expect(res.status).toBe(200);
    const page = await res.text();
    const sections = [...page.matchAll(/<section class="version" id="version-(\d+)">([\s\S]*?)<\/section>/g)];
    expect(sections.map((s) => s[1])).toEqual(["1", "2", "3"]);
    const [first, second, third] = sections.map((s) => s[2]!);
    expect(textOf(/<div class="text">([\s\S]*?)<\/div>/.exec(first!)![1]!)).toBe(ORIGINAL);
    expect(first).not.toContain('class="redline"');
    expect(second).toContain("<del>Goods</del>");
    expect(second).toContain("2026-02-02");
    expect(third).toContain("<ins> except the United States</ins>");
    expect(first).toMatch(/<dt>Replaced<\/dt><dd><time datetime="2026-02-02T00:00:00.000Z">/);
    expect(third).toMatch(/<dt>Status<\/dt><dd>current<\/dd>/);

    const changes = tableRows(page, "entry-changes");
    expect(changes.map((cells) => textOf(cells[1]!))).toEqual(["modified", "modified"]);
    const api = (await (await viewer.request(`/api/sources/${CA}/entries/5111`)).json()) as Versions;
    expect(changes.map((cells) => /href="\/changes\/([^"]+)"/.exec(cells[2]!)?.[1])).toEqual(
      api.changes.map((c) => encodeURIComponent(c.id)),
    );
  });

  it("gives the same versions and records as JSON as the page shows", async () => {
    const res = await viewer.request(`/api/sources/${CA}/entries/5111`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Versions;
    expect(body.source).toBe(CA);
    expect(body.key).toBe("5111");
    expect(body.versions.map((v) => v.text)).toEqual([ORIGINAL, MODIFIED, MODIFIED_AGAIN]);
    expect(
      body.versions.map((v) => [v.snapshotId, v.firstSeenAt, v.endSnapshotId, v.endedAt, v.ending]),
    ).toEqual([
      [v1, "2026-01-02T00:00:00.000Z", v2, "2026-02-02T00:00:00.000Z", "replaced"],
      [v2, "2026-02-02T00:00:00.000Z", v3, "2026-03-02T00:00:00.000Z", "replaced"],
      [v3, "2026-03-02T00:00:00.000Z", null, null, null],
    ]);
    // The quarantined snapshot in between never held a version: the second was last seen in v2.
    expect(body.versions.map((v) => v.lastSeenSnapshotId)).toEqual([v1, v2, v3]);
    expect(body.versions.every((v) => v.artifactUrl === `/artifacts?sha256=${v.artifactSha256}`)).toBe(true);
    expect(body.changes.map((c) => [c.kind, c.snapshotId, c.detectedAt])).toEqual([
      ["modified", v2, "2026-02-02T00:00:00.000Z"],
      ["modified", v3, "2026-03-02T00:00:00.000Z"],
    ]);
    expect(body.changes.every((c) => c.url === `/changes/${encodeURIComponent(c.id)}`)).toBe(true);

    const page = await (await viewer.request(`/sources/${CA}/entries/5111`)).text();
    const pageHashes = [...page.matchAll(/<dt>Hash<\/dt><dd><code title="([0-9a-f]+)">/g)].map((m) => m[1]);
    expect(pageHashes).toEqual(body.versions.map((v) => v.hash));
    expect(new Set(pageHashes).size).toBe(3);
  });

  it("tells a removed entry from a current one", async () => {
    const removed = (await (await viewer.request(`/api/sources/${CA}/entries/5120`)).json()) as Versions;
    expect(removed.versions.map((v) => [v.snapshotId, v.endSnapshotId, v.ending])).toEqual([
      [v1, v2, "removed"],
    ]);
    expect(removed.changes.map((c) => c.kind)).toEqual(["removed"]);
    const page = await (await viewer.request(`/sources/${CA}/entries/5120`)).text();
    expect(page).toMatch(/<dt>Removed<\/dt><dd><time datetime="2026-02-02T00:00:00.000Z">/);

    const added = (await (await viewer.request(`/api/sources/${CA}/entries/5301`)).json()) as Versions;
    expect(added.versions.map((v) => [v.snapshotId, v.ending, v.text])).toEqual([[v2, null, ADDED]]);
    expect(added.changes.map((c) => c.kind)).toEqual(["added"]);
  });

  it("keeps markup in entry text inert on the history and compare pages", async () => {
    for (const path of [`/sources/${CA}/entries/5111`, `/sources/${CA}/compare?from=${v1}&to=${v3}`]) {
      const page = await (await viewer.request(path)).text();
      // The text is on the page, escaped (a redline may cut it between words).
      expect(page).toContain("&#60;script");
      expect(textOf(page)).toContain("alert(1)</script>");
      expect(page).not.toContain("<script>alert");
      // The page's only script is the local asset.
      expect([...page.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual([
        expect.stringMatching(/^<script src="\/assets\/app\.[0-9a-f]+\.js" defer>$/),
      ]);
    }
  });

  it("answers 404 for an unknown source, entry or snapshot, and for another source's snapshot", async () => {
    // A snapshot of another source, of the same bytes.
    await ensureSource(database.db, { id: "us.ecfr.ccl", jurisdiction: "US", kind: "list", title: "CCL" });
    const v1Json = (await (await viewer.request(`/api/sources/${CA}/entries/5101`)).json()) as Versions;
    const other = await insertSnapshot(database.db, {
      sourceId: "us.ecfr.ccl",
      artifactSha256: v1Json.versions[0]!.artifactSha256,
      parserVersion: "test",
      status: "accepted",
      itemCount: 0,
      origin: "baseline",
      fetchedAt: new Date("2026-01-02T00:00:00Z"),
      takenAt: new Date("2026-01-02T00:00:00Z"),
    });
    for (const path of [
      "/sources/no.such-source/entries/5111",
      "/sources/no.such-source/compare?from=1&to=1",
      `/sources/${CA}/entries/9999`,
      `/sources/${CA}/entries/${encodeURIComponent("5111/x")}`,
      `/sources/${CA}/compare?from=${v1}&to=2000000000`,
      `/sources/${CA}/compare?from=${other.id}&to=${v1}`,
    ]) {
      const res = await viewer.request(path);
      expect([path, res.status, res.headers.get("content-type")]).toEqual([
        path,
        404,
        "text/html; charset=utf-8",
      ]);
    }
    for (const path of ["/api/sources/no.such-source/entries/5111", `/api/sources/${CA}/entries/9999`]) {
      const res = await viewer.request(path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
  });

  it("answers 400 naming the parameter for a missing, malformed or unaccepted snapshot id", async () => {
    const cases: [string, string][] = [
      [`from=abc&to=${v1}`, "from"],
      [`from=${v1}&to=0`, "to"],
      [`from=${v1}&to=-3`, "to"],
      [`from=${v1}&to=99999999999`, "to"],
      [`to=${v1}`, "from"],
      [`from=${v1}&to=${quarantined}`, "to"],
    ];
    for (const [query, parameter] of cases) {
      const res = await viewer.request(`/sources/${CA}/compare?${query}`);
      const page = await res.text();
      expect([query, res.status]).toEqual([query, 400]);
      expect(textOf(/<main>([\s\S]*)<\/main>/.exec(page)![1]!)).toContain(`${parameter}: `);
    }
    const page = await (await viewer.request(`/sources/${CA}/compare?from=${v1}&to=${quarantined}`)).text();
    expect(page).toContain("quarantined");
  });

  it("finds an entry whose key needs encoding in a URL", async () => {
    // Keys are raw (`3B001.c.1.a`, document ids with slashes); a percent-encoded slash is one key, not two segments.
    const res = await viewer.request(`/sources/${CA}/entries/${encodeURIComponent("5111")}`);
    expect(res.status).toBe(200);
    const dotted = await viewer.request(`/api/sources/${CA}/entries/${encodeURIComponent("5111.a/b")}`);
    expect(dotted.status).toBe(404);
    expect(((await dotted.json()) as { error: string }).error).toContain("5111.a/b");
  });

  it("sends the signed-out to sign in, answers the API 401, and opens both on a public instance", async () => {
    const anonymous = web.anonymous();
    const history = await anonymous.request(`/sources/${CA}/entries/5111`);
    expect(history.status).toBe(303);
    expect(history.headers.get("location")).toBe(
      `/login?next=${encodeURIComponent(`/sources/${CA}/entries/5111`)}`,
    );
    expect((await anonymous.request(`/sources/${CA}/compare?from=${v1}&to=${v2}`)).status).toBe(303);
    expect((await anonymous.request(`/api/sources/${CA}/entries/5111`)).status).toBe(401);

    const reader = open.anonymous();
    expect((await reader.request(`/sources/${CA}/entries/5111`)).status).toBe(200);
    expect((await reader.request(`/sources/${CA}/compare?from=${v1}&to=${v2}`)).status).toBe(200);
    const api = await reader.request(`/api/sources/${CA}/entries/5111`);
    expect(api.status).toBe(200);
    expect(((await api.json()) as Versions).versions).toHaveLength(3);
  });
  it("compares the documents of a feed by title, finds a document whose id holds a slash, ignores a change undone", async () => {
    const db = database.db;
    await ensureSource(db, { id: FEED, jurisdiction: "US", kind: "documents", title: "Federal Register" });
    const { versions } = (await (await viewer.request(`/api/sources/${CA}/entries/5101`)).json()) as Versions;
    const snapshot = async (at: string) =>
      insertSnapshot(db, {
        sourceId: FEED,
        artifactSha256: versions[0]!.artifactSha256,
        parserVersion: "test",
        status: "accepted",
        itemCount: 2,
        origin: "regulatory",
        fetchedAt: new Date(at),
        takenAt: new Date(at),
      });
    const doc = (key: string, title: string) => ({
      key,
      parentKey: null,
      heading: title,
      text: `${title}.`,
      hash: title,
    });
    const first = await snapshot("2026-01-05T00:00:00Z");
    await applyEntries(
      db,
      FEED,
      first.id,
      [],
      [doc("2026/001", "Rule one"), doc("2026-002", "Rule two")],
      false,
    );
    const second = await snapshot("2026-01-06T00:00:00Z");
    await applyEntries(
      db,
      FEED,
      second.id,
      await currentEntries(db, FEED),
      [doc("2026/001", "Rule one, corrected <b>"), doc("2026-003", "Rule three")],
      false,
    );
    const { status, page, counts, rows } = await compare(first.id, second.id, FEED);
    expect(status).toBe(200);
    expect(page).toContain("<th>Document</th><th>Change</th><th>Title</th>");
    // A feed's page is never the whole feed: a document missing from it is kept, not removed.
    expect(counts).toEqual({ added: 1, removed: 0, modified: 1 });
    expect(rows.map(([key, kind]) => [key, kind])).toEqual([
      ["2026-003", "added"],
      ["2026/001", "modified"],
    ]);
    expect(rows[0]![2]).toBe("Rule three");
    expect(rows[1]![2]).toContain("<ins>, corrected &#60;b&#62;</ins>");
    expect(page).toContain(`href="/sources/${FEED}/entries/2026%2F001"`);

    const history = await viewer.request(`/sources/${FEED}/entries/2026%2F001`);
    expect(history.status).toBe(200);
    const api = (await (await viewer.request(`/api/sources/${FEED}/entries/2026%2F001`)).json()) as Versions;
    expect(api.key).toBe("2026/001");
    expect(api.versions.map((v) => [v.snapshotId, v.text, v.ending])).toEqual([
      [first.id, "Rule one.", "replaced"],
      [second.id, "Rule one, corrected <b>.", null],
    ]);

    // The correction withdrawn: changed and changed back between two snapshots is no difference.
    const third = await snapshot("2026-01-07T00:00:00Z");
    await applyEntries(
      db,
      FEED,
      third.id,
      await currentEntries(db, FEED),
      [doc("2026/001", "Rule one")],
      false,
    );
    const across = await compare(first.id, third.id, FEED);
    expect(across.counts).toEqual({ added: 1, removed: 0, modified: 0 });
    expect(across.rows.map(([key, kind]) => [key, kind])).toEqual([["2026-003", "added"]]);
    const back = await compare(second.id, third.id, FEED);
    expect(back.rows.map(([key, kind]) => [key, kind])).toEqual([["2026/001", "modified"]]);
  });

  // Last: it ingests a fourth version.
  it("pages a large comparison by key, every differing entry on exactly one page", async () => {
    const many = Array.from({ length: 300 }, (_, i) => ({
      label: String(6001 + i),
      text: `New goods ${i}.`,
    }));
    await ingestEcl(database, eclVersion([...v3Items, ...many], "2026-04-01"), "2026-04-02T00:00:00Z");
    const { snapshots } = (await (await viewer.request(`/api/sources/${CA}/snapshots?limit=1`)).json()) as {
      snapshots: { id: number }[];
    };
    const v4 = snapshots[0]!.id;
    const first = await compare(v1, v4);
    expect(first.counts).toEqual({ added: 301, removed: 1, modified: 1 });
    expect(first.rows).toHaveLength(250);
    expect(first.page).toContain("Showing 250 of 303 differing entries, by key.");
    const next = /<a rel="next" href="([^"]+)">/.exec(first.page)![1]!.replace(/&#38;/g, "&");
    expect(next).toBe(`/sources/${CA}/compare?from=${v1}&to=${v4}&after=${first.rows[249]![0]}`);
    const res = await viewer.request(next);
    const page = await res.text();
    const rest = tableRows(page, "comparison").map((cells) => textOf(cells[0]!));
    expect(rest).toHaveLength(53);
    expect(page).not.toContain('rel="next"');
    const keys = [...first.rows.map((r) => r[0]), ...rest];
    expect(new Set(keys).size).toBe(303);
    expect(keys).toEqual([...keys].sort());
  });
});
