// The sources pages and the snapshots API, against the app factory (no
// socket), over three versions of the CA Export Control List ingested through
// the real pipeline and one quarantined in between: every registered source
// with its health (including those that never ran), a source's snapshots with
// their documents and records, its quarantined documents, the JSON the same
// as the page, reading closed unless signed in or public.

import { createHash } from "node:crypto";
import { classifyError, SourceUnavailableError } from "@regwatch/core/errors";
import type { Database } from "@regwatch/db/open-database";
import { ensureSource, recordFailure } from "@regwatch/db/queries/sources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { type EclItem, eclItems, eclVersion } from "../support/ecl-builder.ts";
import {
  type Browser,
  ingestEcl,
  tableRows,
  textOf,
  WEB_SOURCES,
  type WebApp,
  webApp,
} from "../support/web.ts";

const CA = "ca.export-control-list";
const items = eclItems(120);
const withText = (list: readonly EclItem[], label: string, text: string) =>
  list.map((item) => (item.label === label ? { ...item, text } : item));
const v2Items = [
  ...withText(items, "5111", "Quantum computers and parts of kind 11. (All destinations)").filter(
    (i) => i.label !== "5120",
  ),
  { label: "5301", text: "Cryogenic wafer probers. (All destinations)" },
];
const v3Items = withText(
  v2Items,
  "5111",
  "Quantum computers and parts of kind 11. (All destinations but one)",
);
const bodies = [
  eclVersion(items, "2026-01-01"),
  eclVersion(v2Items, "2026-02-01"),
  // Fewer entries than the list ever holds: quarantined.
  eclVersion(items.slice(0, 50), "2026-02-15"),
  eclVersion(v3Items, "2026-03-01"),
];
const sha256 = (body: Buffer) => createHash("sha256").update(body).digest("hex");
// A failure message that carries markup and runs past the overview's preview.
const FAILURE = `HTTP 503 from the mirror <img src=x onerror=alert(1)> ${"and then some more words ".repeat(10)}END`;

const hrefs = (markup: string) =>
  [...markup.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&#38;/g, "&"));

interface SnapshotJson {
  id: number;
  takenAt: string;
  status: string;
  reason: string | null;
  itemCount: number;
  artifactSha256: string;
  artifactUrl: string;
  changeCount: number;
  previousSnapshotId: number | null;
  compareUrl: string | null;
}

describe.each(testDatabases())("the sources pages on $name", (testDb) => {
  let database: Database;
  let web: WebApp;
  let open: WebApp;
  let viewer: Browser;

  beforeAll(async () => {
    database = await testDb.open();
    const times = ["2026-01-02", "2026-02-02", "2026-02-16", "2026-03-02"];
    for (const [i, body] of bodies.entries()) await ingestEcl(database, body, `${times[i]}T00:00:00Z`);
    // One source failing with a message that carries markup; the third never ran.
    await ensureSource(database.db, {
      id: "us.federal-register",
      jurisdiction: "US",
      kind: "documents",
      title: "Federal Register",
    });
    await recordFailure(database.db, "us.federal-register", {
      at: new Date("2026-03-02T06:00:00Z"),
      failure: classifyError(new SourceUnavailableError(FAILURE)),
    });
    web = await webApp(database);
    open = await webApp(database, { publicRead: true });
    viewer = (await web.signedIn("viewer")).browser;
  });
  afterAll(async () => {
    await web?.close();
    await open?.close();
    await database?.close();
  });

  it("sends the signed-out to sign in, and opens the pages on a public instance", async () => {
    for (const path of ["/sources", `/sources/${CA}`]) {
      const res = await web.anonymous().request(path);
      expect([path, res.status, res.headers.get("location")]).toEqual([
        path,
        303,
        `/login?next=${encodeURIComponent(path)}`,
      ]);
      expect((await open.anonymous().request(path)).status).toBe(200);
    }
    expect((await web.anonymous().request(`/api/sources/${CA}/snapshots`)).status).toBe(401);
    expect((await open.anonymous().request(`/api/sources/${CA}/snapshots`)).status).toBe(200);
  });

  it("lists every registered source in order with its status, those that never ran as such", async () => {
    const res = await viewer.request("/sources");
    expect(res.status).toBe(200);
    const page = await res.text();
    const rows = tableRows(page, "sources");
    expect(rows.map((cells) => textOf(cells[0]!).split(" ")[0])).toEqual(WEB_SOURCES);
    const byId = new Map(rows.map((cells) => [textOf(cells[0]!).split(" ")[0]!, cells]));

    const ca = byId.get(CA)!;
    expect(hrefs(ca[0]!)).toEqual([`/sources/${CA}`]);
    expect(textOf(ca[0]!)).toBe(`${CA} Export Control List (SOR/89-202)`);
    expect(textOf(ca[1]!)).toBe("CA");
    expect(textOf(ca[2]!)).toBe("healthy");
    expect(textOf(ca[3]!)).toBe("2026-03-02 00:00 UTC");
    expect(textOf(ca[4]!)).toBe("2026-03-02 00:00 UTC");
    expect(textOf(ca[5]!)).toBe("every 6 h");
    expect(textOf(ca[6]!)).toBe("0");
    // The quarantine was an error too: it stays the last one, with its kind.
    expect(textOf(ca[7]!)).toBe(
      "expectation-failed 51 entries, fewer than the 120 expected 2026-02-16 00:00 UTC · recovered since",
    );

    const failing = byId.get("us.federal-register")!;
    expect(failing[2]).toContain('class="status-failing"');
    // Its reason is its error, shown once, in the error column.
    expect(textOf(failing[2]!)).toBe("unreachable");
    expect(textOf(failing[6]!)).toBe("1");
    expect(textOf(failing[3]!)).toBe("—");
    // The message escaped, cut short, whole in the title.
    expect(failing[7]).toContain('<span class="tag">unreachable</span>');
    expect(failing[7]).toContain(`title="${FAILURE.replace(/</g, "&#60;").replace(/>/g, "&#62;")}"`);
    expect(textOf(failing[7]!)).not.toContain("END");
    expect(textOf(failing[7]!)).not.toContain("recovered");
    expect(page).not.toContain("<img");

    const never = byId.get("us.ecfr.ccl")!;
    expect(textOf(never[2]!)).toBe("not run yet");
    expect(textOf(never[3]!)).toBe("not run yet");
    expect(textOf(never[6]!)).toBe("0");
  });

  it("shows a source's snapshots newest first with their documents, records and comparisons", async () => {
    const res = await viewer.request(`/sources/${CA}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    const rows = tableRows(page, "snapshots");
    expect(rows).toHaveLength(4);
    const ids = rows.map((cells) => Number(textOf(cells[0]!)));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(rows.map((cells) => textOf(cells[1]!).slice(0, 10))).toEqual([
      "2026-03-02",
      "2026-02-16",
      "2026-02-02",
      "2026-01-02",
    ]);
    expect(rows.map((cells) => textOf(cells[2]!).split(" ").slice(0, 2).join(" "))).toEqual([
      "accepted regulatory",
      "quarantined regulatory",
      "accepted regulatory",
      "accepted baseline",
    ]);
    expect(rows.map((cells) => textOf(cells[3]!))).toEqual([
      "2026-03-01",
      "2026-02-15",
      "2026-02-01",
      "2026-01-01",
    ]);
    expect(rows.map((cells) => textOf(cells[4]!))).toEqual(["121", "51", "121", "121"]);
    // Records: the baseline none, the second version three (modified, removed, added), the third one.
    expect(rows.map((cells) => textOf(cells[5]!))).toEqual(["1", "0", "3", "0"]);
    // Each row's document is the bytes that were ingested, downloadable.
    const expected = [bodies[3]!, bodies[2]!, bodies[1]!, bodies[0]!].map(sha256);
    expect(rows.map((cells) => hrefs(cells[7]!))).toEqual(expected.map((h) => [`/artifacts?sha256=${h}`]));
    const download = await viewer.request(hrefs(rows[0]![7]!)[0]!);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bodies[3]!)).toBe(true);
    // Compare with the previous accepted snapshot, past the quarantined one.
    const [v3, q, v2, v1] = ids as [number, number, number, number];
    expect(rows.map((cells) => hrefs(cells[8]!))).toEqual([
      [`/sources/${CA}/compare?from=${v2}&to=${v3}`],
      [],
      [`/sources/${CA}/compare?from=${v1}&to=${v2}`],
      [],
    ]);
    expect(textOf(rows[1]![2]!)).toBe("quarantined regulatory 51 entries, fewer than the 120 expected");
    expect(q).toBeGreaterThan(v2);

    // The compare form offers the accepted snapshots, the newest two chosen.
    const form = /<form class="filters" method="get" action="([^"]+)">([\s\S]*?)<\/form>/.exec(page)!;
    expect(form[1]).toBe(`/sources/${CA}/compare`);
    const options = (name: string) =>
      [
        ...new RegExp(`<select name="${name}">([\\s\\S]*?)</select>`)
          .exec(form[2]!)![1]!
          .matchAll(/<option value="(\d+)"( selected)?>/g),
      ].map((m) => [Number(m[1]), !!m[2]]);
    expect(options("from")).toEqual([
      [v3, false],
      [v2, true],
      [v1, false],
    ]);
    expect(options("to")).toEqual([
      [v3, true],
      [v2, false],
      [v1, false],
    ]);
  });

  it("lists the quarantined documents with why and a download link, and the health transitions", async () => {
    const page = await (await viewer.request(`/sources/${CA}`)).text();
    const quarantined = tableRows(page, "quarantine");
    expect(quarantined).toHaveLength(1);
    const [cells] = quarantined as [string[]];
    expect(textOf(cells[1]!)).toBe("2026-02-16 00:00 UTC");
    expect(textOf(cells[2]!)).toBe("51 entries, fewer than the 120 expected");
    expect(textOf(cells[3]!)).toBe("51");
    expect(hrefs(cells[4]!)).toEqual([`/artifacts?sha256=${sha256(bodies[2]!)}`]);

    const moves = tableRows(page, "transitions").map((row) => row.slice(1, 3).map(textOf));
    expect(moves).toEqual([
      ["quarantined", "healthy"],
      ["healthy", "quarantined"],
      ["unknown", "healthy"],
    ]);
  });

  it("gives the same snapshots as JSON, in keyset pages", async () => {
    const res = await viewer.request(`/api/sources/${CA}/snapshots`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      source: string;
      snapshots: SnapshotJson[];
      nextBefore: number | null;
    };
    expect(body.source).toBe(CA);
    expect(body.nextBefore).toBeNull();
    const page = await (await viewer.request(`/sources/${CA}`)).text();
    const rows = tableRows(page, "snapshots");
    expect(body.snapshots.map((s) => [s.id, s.status, s.itemCount, s.changeCount, s.artifactSha256])).toEqual(
      rows.map((cells) => [
        Number(textOf(cells[0]!)),
        textOf(cells[2]!).split(" ")[0],
        Number(textOf(cells[4]!)),
        Number(textOf(cells[5]!)),
        /title="([0-9a-f]{64})"/.exec(cells[7]!)![1],
      ]),
    );
    expect(body.snapshots.map((s) => s.compareUrl)).toEqual(rows.map((cells) => hrefs(cells[8]!)[0] ?? null));
    expect(body.snapshots.every((s) => s.artifactUrl === `/artifacts?sha256=${s.artifactSha256}`)).toBe(true);
    expect(body.snapshots[1]!.reason).toBe("51 entries, fewer than the 120 expected");
    expect(body.snapshots[0]!.takenAt).toBe("2026-03-02T00:00:00.000Z");

    const first = (await (
      await viewer.request(`/api/sources/${CA}/snapshots?limit=3`)
    ).json()) as typeof body;
    expect(first.snapshots.map((s) => s.id)).toEqual(body.snapshots.slice(0, 3).map((s) => s.id));
    expect(first.nextBefore).toBe(body.snapshots[2]!.id);
    const rest = (await (
      await viewer.request(`/api/sources/${CA}/snapshots?limit=3&before=${first.nextBefore}`)
    ).json()) as typeof body;
    expect(rest.snapshots.map((s) => s.id)).toEqual([body.snapshots[3]!.id]);
    expect(rest.nextBefore).toBeNull();

    const refused = (await (
      await viewer.request(`/api/sources/${CA}/snapshots?status=quarantined`)
    ).json()) as typeof body;
    expect(refused.snapshots.map((s) => s.id)).toEqual([body.snapshots[1]!.id]);
  });

  it("pages the snapshots back on the page too", async () => {
    const { snapshots } = (await (await viewer.request(`/api/sources/${CA}/snapshots`)).json()) as {
      snapshots: SnapshotJson[];
    };
    const res = await viewer.request(`/sources/${CA}?before=${snapshots[1]!.id}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(tableRows(page, "snapshots").map((cells) => Number(textOf(cells[0]!)))).toEqual(
      snapshots.slice(2).map((s) => s.id),
    );
    expect(page).toContain(`<a href="/sources/${CA}">Newest snapshots</a>`);
  });

  it("answers 404 for an unknown source and 400 naming a malformed parameter", async () => {
    const page = await viewer.request("/sources/no.such-source");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect((await viewer.request("/api/sources/no.such-source/snapshots")).status).toBe(404);
    // Registered but never run: a page, with nothing in it yet.
    const never = await viewer.request("/sources/us.ecfr.ccl");
    expect(never.status).toBe(200);
    expect(await never.text()).toContain("No snapshots yet.");

    const bad = await viewer.request(`/sources/${CA}?before=x1`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("before: expected a snapshot id");
    for (const [query, parameter] of [
      ["before=0", "before"],
      ["limit=0", "limit"],
      ["limit=201", "limit"],
      ["limit=ten", "limit"],
      ["status=pending", "status"],
    ]) {
      const res = await viewer.request(`/api/sources/${CA}/snapshots?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      expect(((await res.json()) as { parameter: string }).parameter).toBe(parameter);
    }
  });
});
