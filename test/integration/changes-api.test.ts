// The changes API, its CSV and its Atom feed, against the app factory (no
// socket): the same filters give the same changes in all three; bad filters
// are refused naming the parameter; reading is closed unless the instance is
// public; source text carrying markup stays text.

import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes } from "@regwatch/pipeline/run-source";
import { createApp } from "@regwatch/server/app";
import { findSource } from "@regwatch/sources/registry";
import { XMLParser } from "fast-xml-parser";
import { SaxesParser } from "saxes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { eclItems, eclVersion } from "../support/ecl-builder.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const ca = findSource("ca.export-control-list")!;
const SOURCES = ["us.federal-register", "us.ecfr.ccl", "ca.export-control-list"];
const items = eclItems(120);
const version = (lastAmended: string, list = items) => eclVersion(list, lastAmended);

/** RFC 4180 records: quoted fields with doubled quotes and CRLF inside. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  return rows;
}

describe.each(testDatabases())("the changes API, CSV and feed on $name", (testDb) => {
  let database: Database;
  let app: ReturnType<typeof createApp>;
  let closed: ReturnType<typeof createApp>;

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
    const changed = [
      ...items.slice(0, 10),
      {
        label: "5111",
        text: 'Quantum computers <script>alert("x")</script> & parts, "as described". (All destinations)',
      },
      ...items.slice(11),
      { label: "5999", text: "Cryogenic wafer probers, =cmd|' /C calc'!A0. (All destinations)" },
    ];
    expect((await ingest(version("2026-02-01", changed), "2026-02-02T00:00:00Z")).status).toBe("changed");
    const base = {
      database,
      sourceIds: SOURCES,
      startedAt: new Date(),
      publicUrl: "https://regwatch.test",
      changes: { database, sourceIds: SOURCES },
    };
    app = createApp({ ...base, publicRead: true });
    closed = createApp({ ...base, publicRead: false });
  });
  afterAll(() => database.close());

  const api = async (query: string) => {
    const res = await app.request(`/api/changes${query}`);
    return {
      status: res.status,
      body: (await res.json()) as {
        changes: { id: string; subject: string }[];
        next: string | null;
        parameter?: string;
      },
    };
  };

  it("gives the same changes as JSON, as CSV and as Atom for one filter", async () => {
    const filter = "?technology=quantum&jurisdiction=CA";
    const { status, body } = await api(filter);
    expect(status).toBe(200);
    const ids = body.changes.map((c) => c.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(body.changes.map((c) => c.subject)).toContain("5111");
    expect(body.changes.map((c) => c.subject)).not.toContain("5999");

    const csv = await app.request(`/changes.csv${filter}`);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const rows = readCsv(await csv.text());
    expect(rows[0]![0]).toBe("id");
    expect(rows.slice(1).map((r) => r[0])).toEqual(ids);

    const feed = await app.request(`/feeds/changes.atom${filter}`);
    expect(feed.headers.get("content-type")).toMatch(/^application\/atom\+xml/);
    const xml = await feed.text();
    // Well-formed XML (strict parser), and the entries are the same changes.
    const strict = new SaxesParser({ xmlns: true });
    strict.write(xml).close();
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml);
    const entries = [parsed.feed.entry].flat();
    expect(
      entries.map((e: { link: { "@_href": string } | { "@_href": string }[] }) => {
        const links = [e.link].flat();
        return links
          .find((l) => l["@_href"].includes("/changes/"))!
          ["@_href"].split("/")
          .pop();
      }),
    ).toEqual(ids);
    // The entry text's markup is in the feed, as text.
    expect(xml).not.toContain("<script>");
    expect(xml).toMatch(/&amp;lt;script&amp;gt;alert|&lt;script&gt;alert/);
  });

  it("pages with a cursor, and refuses bad filters naming the parameter", async () => {
    const first = await api("?limit=1");
    expect(first.body.changes).toHaveLength(1);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await api(`?limit=1&cursor=${encodeURIComponent(first.body.next!)}`);
    expect(second.body.changes[0]!.id).not.toBe(first.body.changes[0]!.id);
    for (const [query, parameter] of [
      ["?technology=quantumm", "technology"],
      ["?country=XX1", "country"],
      ["?from=2026-13-01", "from"],
      ["?limit=100000", "limit"],
      ["?cursor=bm9wZQ", "cursor"],
      ["?source=../../etc", "source"],
    ]) {
      const res = await api(query!);
      expect(res.status, query).toBe(400);
      expect(res.body.parameter, query).toBe(parameter);
    }
  });

  it("answers one change, and 404 for an unknown one", async () => {
    const { body } = await api("?limit=1");
    const id = body.changes[0]!.id;
    const one = await app.request(`/api/changes/${id}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { change: { id: string } }).change.id).toBe(id);
    expect((await app.request(`/api/changes/${"0".repeat(32)}`)).status).toBe(404);
    expect((await app.request("/api/changes/<script>")).status).toBe(404);
  });

  it("keeps reading closed unless the instance is public; the feed is public", async () => {
    for (const path of ["/api/changes", "/changes.csv", `/api/changes/${"0".repeat(32)}`]) {
      expect((await closed.request(path)).status, path).toBe(401);
    }
    expect((await closed.request("/feeds/changes.atom")).status).toBe(200);
  });
});
