// The OpenAPI document against the real API: it is OpenAPI 3.1, and every
// response it describes (each path, method and status) is produced by the
// app for real requests and validates against the schema it gives. A path
// or status added to the document without a request here fails the test.

import type { Database } from "@regwatch/db/open-database";
import { createApiToken } from "@regwatch/db/queries/api-tokens";
import { listChanges } from "@regwatch/db/queries/changes";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { eclItems, eclVersion } from "../support/ecl-builder.ts";
import { ingestEcl, type WebApp, webApp } from "../support/web.ts";

const DOC_ID = "https://regwatch.test/api/openapi.json";

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

describe.each(testDatabases())("the OpenAPI document against the API on $name", (testDb) => {
  let database: Database;
  let web: WebApp;
  let doc: OpenApi;
  let token: string;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // "GET /api/changes 200" for every response checked.
  const checked = new Set<string>();

  beforeAll(async () => {
    database = await testDb.open();
    const items = eclItems(120);
    await ingestEcl(database, eclVersion(items, "2026-01-01"), "2026-01-02T00:00:00Z");
    await ingestEcl(
      database,
      eclVersion(
        [
          ...items.slice(0, 5),
          ...items.slice(6, 20).map((i) => ({ ...i, text: `${i.text} (amended)` })),
          ...items.slice(20),
        ],
        "2026-02-01",
      ),
      "2026-02-02T00:00:00Z",
    );
    web = await webApp(database);
    const { user } = await web.signedIn("viewer");
    token = (await createApiToken(database.db, { userId: user.id, name: "openapi test" }, new Date())).token;
    const res = await web.anonymous().request("/api/openapi.json");
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApi;
    ajv.addSchema(doc as object, DOC_ID);
  });
  afterAll(async () => {
    await web.close();
    await database.close();
  });

  /** Requests `target`, checks the answer against the document's schema for `path`, GET and the status. */
  async function check(path: string, target: string, status: number, auth: "token" | "none" = "token") {
    const res = await web.app.request(target, {
      headers: auth === "token" ? { authorization: `Bearer ${token}` } : {},
    });
    expect(res.status, target).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    // biome-ignore lint/suspicious/noExplicitAny: validated against the document's schema just below
    const body: any = await res.json();
    const pointer = `#/paths/${path.replaceAll("~", "~0").replaceAll("/", "~1")}/get/responses/${status}/content/application~1json/schema`;
    const valid = ajv.validate({ $ref: `${DOC_ID}${pointer}` }, body);
    expect(valid, `${target} ${status}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
    checked.add(`GET ${path} ${status}`);
    return body;
  }

  it("is OpenAPI 3.1 and every schema in it compiles", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(0);
      }
    }
  });

  it("describes the changes API as it answers", async () => {
    const page = await check("/api/changes", "/api/changes?limit=5", 200);
    expect(page.changes).toHaveLength(5);
    await check("/api/changes", `/api/changes?limit=5&cursor=${encodeURIComponent(page.next)}`, 200);
    await check("/api/changes", "/api/changes?technology=warp-drive", 400);
    await check("/api/changes", "/api/changes", 401, "none");
    const [one] = await listChanges(database.db, { limit: 1 });
    await check("/api/changes/{id}", `/api/changes/${one!.id}`, 200);
    await check("/api/changes/{id}", `/api/changes/${"0".repeat(16)}`, 404);
    await check("/api/changes/{id}", `/api/changes/${one!.id}`, 401, "none");
  });

  it("describes the sources API as it answers", async () => {
    const { sources } = await check("/api/sources", "/api/sources", 200);
    expect(sources.map((s: { id: string }) => s.id)).toContain("ca.export-control-list");
    await check("/api/sources", "/api/sources", 401, "none");
  });

  it("describes snapshots, entry history and the matrix as they answer", async () => {
    const snaps = await check(
      "/api/sources/{id}/snapshots",
      "/api/sources/ca.export-control-list/snapshots?limit=1",
      200,
    );
    expect(snaps.snapshots).toHaveLength(1);
    expect(snaps.nextBefore).not.toBeNull();
    await check("/api/sources/{id}/snapshots", "/api/sources/ca.export-control-list/snapshots?limit=0", 400);
    await check("/api/sources/{id}/snapshots", "/api/sources/nowhere.list/snapshots", 404);
    await check("/api/sources/{id}/snapshots", "/api/sources/ca.export-control-list/snapshots", 401, "none");
    const [modified] = (await listChanges(database.db, { source: "ca.export-control-list" })).filter(
      (c) => c.kind === "modified",
    );
    const entry = `/api/sources/ca.export-control-list/entries/${encodeURIComponent(modified!.subject)}`;
    const history = await check("/api/sources/{id}/entries/{key}", entry, 200);
    expect(history.versions).toHaveLength(2);
    expect(history.changes.map((c: { id: string }) => c.id)).toContain(modified!.id);
    await check("/api/sources/{id}/entries/{key}", "/api/sources/ca.export-control-list/entries/9999", 404);
    await check("/api/sources/{id}/entries/{key}", entry, 401, "none");
    const matrix = await check("/api/matrix", "/api/matrix", 200);
    expect(matrix.cells.length).toBe(matrix.technologies.length * matrix.jurisdictions.length);
    await check("/api/matrix", "/api/matrix", 401, "none");
  });

  it("has had every response it describes checked against a real one", () => {
    const described = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, op]) =>
        Object.keys(op.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`),
      ),
    );
    expect(described.filter((d) => !checked.has(d))).toEqual([]);
  });
});
