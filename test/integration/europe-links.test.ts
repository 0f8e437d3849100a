// The European pairs through the real pipeline: an amending instrument from a
// documents source, then the list version it brings, each from the sources'
// own hand-written fixtures. The list change must name the instrument's
// citation and point at the same event as the instrument's own record (the
// link accept-snapshot makes by citation, or by effective date and `citedAs`);
// a re-served list that only looks different gives no records.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { HttpResponse } from "@regwatch/core/http";
import type { ChangeRecord } from "@regwatch/core/schemas";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { changeContext } from "@regwatch/db/queries/change-context";
import { listChanges } from "@regwatch/db/queries/changes";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes } from "@regwatch/pipeline/run-source";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleResponse } from "../../packages/sources/src/bundle.ts";
import { dayQuery, searchUrl } from "../../packages/sources/src/nl/staatscourant/source.ts";
import { testDatabases } from "../support/databases.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const sources = join(import.meta.dirname, "../../packages/sources/src");
const read = (path: string) => readFileSync(join(sources, path));

/** A registered source, its minimum lowered: the fixtures hold a few entries, the real lists hundreds. */
const small = (id: string): SourceDefinition => {
  const s = findSource(id)!;
  return { ...s, expectations: { ...s.expectations, minEntries: 5 } };
};
const registered = (id: string) => findSource(id)!;

/** A Staatscourant search page bundled with the texts of the publications it keeps, as the fetch builds it. */
function staatscourantBundle(page: string, ids: string[]): HttpResponse {
  const response = (url: string, body: Buffer): HttpResponse => ({
    url,
    status: 200,
    notModified: false,
    contentType: "application/xml; charset=utf-8",
    headers: {},
    body,
    sha256: sha256Hex(body),
    fetchedAt: "2024-09-06T06:40:00.000Z",
  });
  const xmlUrl = (id: string) =>
    `https://repository.overheid.nl/frbr/officielepublicaties/stcrt/${id.split("-")[1]}/${id}/1/xml/${id}.xml`;
  return bundleResponse(
    response(searchUrl(dayQuery("2024-09-06")), read(`nl/staatscourant/fixtures/${page}`)),
    ids.map((id) => response(xmlUrl(id), read(`nl/staatscourant/fixtures/${id}.xml`))),
  );
}

const line = (r: ChangeRecord) => `${r.kind} ${r.subject}`;

describe.each(testDatabases())("European instruments linked to their list changes on $name", (testDb) => {
  let database: Database;
  let deps: PipelineDeps;

  const ingest = (
    source: SourceDefinition,
    body: Uint8Array,
    url: string,
    at: string,
    contentType: string | null = null,
  ) =>
    ingestBytes(deps, source, { body, url, contentType, sha256: sha256Hex(body) }, { runAt: new Date(at) });

  /** The event a record is linked to (a list change), or made from (a document's record). */
  const instrumentOf = async (record: ChangeRecord) =>
    (await changeContext(database.db, record.id))?.instrument;

  beforeAll(async () => {
    database = await testDb.open();
    deps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient({}),
    };
  });
  afterAll(() => database?.close());

  describe("Netherlands: Staatscourant amendment → BWB consolidation", () => {
    const list = small("nl.bwb.strategic-goods");
    const bwbUrl = (date: string) =>
      `https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0099999/${date}_0/xml/BWBR0099999_${date}_0.xml`;
    const outcomes: Record<string, Awaited<ReturnType<typeof ingestBytes>>> = {};

    beforeAll(async () => {
      const stcrt = staatscourantBundle("sru-stcrt-2024-09-06-p1.xml", ["stcrt-2024-99999"]);
      outcomes.document = await ingest(
        registered("nl.staatscourant.export-control"),
        stcrt.body,
        stcrt.url,
        "2024-09-06T06:40:00Z",
        stcrt.contentType,
      );
      outcomes.base = await ingest(
        list,
        read("nl/bwb/fixtures/regeling-2023-09-01_0.xml"),
        bwbUrl("2023-09-01"),
        "2024-09-06T07:23:00Z",
      );
      // The base version re-served: renumbered ids, whitespace, entities.
      outcomes.cosmetic = await ingest(
        list,
        read("nl/bwb/fixtures/regeling-2023-09-01_0-cosmetic.xml"),
        bwbUrl("2023-09-01"),
        "2024-09-06T19:23:00Z",
      );
      outcomes.amended = await ingest(
        list,
        read("nl/bwb/fixtures/regeling-2024-09-07_0.xml"),
        bwbUrl("2024-09-07"),
        "2024-09-09T07:23:00Z",
      );
    });

    it("stores the amendment as a document and the base version as the list's baseline", async () => {
      expect(outcomes.document).toMatchObject({ status: "baseline", health: "healthy" });
      const docs = await listChanges(database.db, { source: "nl.staatscourant.export-control" });
      expect(docs.map((d) => [d.subject, d.stage, d.citation, d.publishedAt, d.effectiveAt])).toEqual([
        ["stcrt-2024-99999", "published", "Stcrt. 2024, 99999", "2024-09-06", "2024-09-07"],
      ]);
      expect(outcomes.base).toMatchObject({ status: "baseline", records: [] });
    });

    it("gives no record for the base version re-served (ids renumbered, whitespace, entities)", async () => {
      expect(outcomes.cosmetic).toMatchObject({ status: "unchanged", records: [] });
    });

    it("links every 2024-09-07 list change to the Staatscourant amendment's event", async () => {
      expect(outcomes.amended!.status).toBe("changed");
      const records = await listChanges(database.db, { source: "nl.bwb.strategic-goods" });
      expect(records.map(line).sort()).toEqual([
        "added bijlage.d",
        "modified art.2.lid.3",
        "modified art.3",
        "modified bijlage.c",
      ]);
      const [doc] = await listChanges(database.db, { source: "nl.staatscourant.export-control" });
      const event = await instrumentOf(doc!);
      expect(event).toMatchObject({
        jurisdiction: "NL",
        citation: "Stcrt. 2024, 99999",
        documentId: "stcrt-2024-99999",
        effectiveAt: "2024-09-07",
        // The list names the same citation: it fills nothing in, and never overwrites the
        // publication's own date and address with the consolidation's.
        publishedAt: doc!.publishedAt,
        url: doc!.url,
      });
      expect(doc!.publishedAt).toBe("2024-09-06");
      for (const r of records) {
        expect(r, line(r)).toMatchObject({
          origin: "regulatory",
          citation: doc!.citation,
          effectiveAt: doc!.effectiveAt,
        });
        expect((await instrumentOf(r))?.id, line(r)).toBe(event!.id);
      }
    });
  });

  describe("United Kingdom: S.I. 2024/346 → Schedules 2 and 3 of the Export Control Order", () => {
    const list = small("gb.legislation.eco-schedules");
    const feed = (name: string) => read(`gb/legislation-effects/fixtures/${name}`);
    const feedUrl =
      "https://www.legislation.gov.uk/changes/affected/uksi/2008/3231/affecting/uksi/2024/346/data.feed?results-count=200";
    const schedules = (name: string) => read(`gb/eco-schedules/fixtures/${name}`);
    const schedulesUrl = "https://www.legislation.gov.uk/uksi/2008/3231/schedules/data.xml";
    const outcomes: Record<string, Awaited<ReturnType<typeof ingestBytes>>> = {};

    beforeAll(async () => {
      const amendments = registered("gb.legislation.eco-amendments");
      outcomes.document = await ingest(
        amendments,
        feed("changes-affected-eco-affecting-uksi-2024-346.feed"),
        feedUrl,
        "2024-04-22T06:47:00Z",
        "application/atom+xml",
      );
      // The same effects once applied to the revised text: newer times, another order.
      outcomes.applied = await ingest(
        amendments,
        feed("changes-affected-eco-affecting-uksi-2024-346-applied.feed"),
        feedUrl,
        "2024-04-23T06:47:00Z",
        "application/atom+xml",
      );
      outcomes.base = await ingest(
        list,
        schedules("eco-schedules-2022-12-14.xml"),
        schedulesUrl,
        "2024-04-22T06:17:00Z",
        "application/xml",
      );
      outcomes.amended = await ingest(
        list,
        schedules("eco-schedules-2024-04-01.xml"),
        schedulesUrl,
        "2024-04-23T06:17:00Z",
        "application/xml",
      );
      // The 2024 body re-served: commentaries renumbered, indentation, character references.
      outcomes.cosmetic = await ingest(
        list,
        schedules("eco-schedules-2024-04-01-cosmetic.xml"),
        schedulesUrl,
        "2024-04-23T18:17:00Z",
        "application/xml",
      );
    });

    it("stores S.I. 2024/346 as one document, and the applied feed as no new record", async () => {
      expect(outcomes.document).toMatchObject({ status: "baseline", health: "healthy" });
      expect(outcomes.applied).toMatchObject({ status: "unchanged", records: [] });
      const docs = await listChanges(database.db, { source: "gb.legislation.eco-amendments" });
      expect(docs.map((d) => [d.subject, d.stage, d.citation, d.effectiveAt])).toEqual([
        ["uksi/2024/346", "published", "S.I. 2024/346", "2024-04-01"],
      ]);
      expect(outcomes.base).toMatchObject({ status: "baseline", records: [] });
    });

    it("turns the 2024-04-01 schedules into exactly their records, linked to S.I. 2024/346", async () => {
      expect(outcomes.amended!.status).toBe("changed");
      const records = await listChanges(database.db, { source: "gb.legislation.eco-schedules" });
      expect(records.map(line).sort()).toEqual([
        "added PL9013",
        "added PL9014",
        "added PL9015",
        "modified ML4.b.technical-note",
        "modified PL9009.b",
      ]);
      const [doc] = await listChanges(database.db, { source: "gb.legislation.eco-amendments" });
      const event = await instrumentOf(doc!);
      expect(event).toMatchObject({
        jurisdiction: "GB",
        citation: "S.I. 2024/346",
        documentId: "uksi/2024/346",
        effectiveAt: "2024-04-01",
        cfrReferences: ["S.I. 2008/3231"],
      });
      for (const r of records) {
        expect(r, line(r)).toMatchObject({
          origin: "regulatory",
          citation: doc!.citation,
          effectiveAt: doc!.effectiveAt,
        });
        expect((await instrumentOf(r))?.id, line(r)).toBe(event!.id);
      }
    });

    it("tags the new PL entries through the taxonomy", async () => {
      const records = await listChanges(database.db, { source: "gb.legislation.eco-schedules" });
      const tags = Object.fromEntries(records.map((r) => [r.subject, [...r.technologies].sort()]));
      expect(tags).toEqual({
        PL9013: ["advanced-semiconductors", "quantum", "semiconductor-manufacturing-equipment"],
        PL9014: ["quantum"],
        PL9015: ["additive-manufacturing"],
        "PL9009.b": [],
        "ML4.b.technical-note": [],
      });
    });

    it("gives no record for the 2024 schedules re-served", async () => {
      expect(outcomes.cosmetic).toMatchObject({ status: "unchanged", records: [] });
      expect(await listChanges(database.db, { source: "gb.legislation.eco-schedules" })).toHaveLength(5);
    });
  });

  describe("EU: Delegated Regulation (EU) 2025/2003 → Annex I of Regulation (EU) 2021/821", () => {
    const list = small("eu.cellar.annex-i");
    const annex = (name: string) => read(`eu/annex-i/fixtures/${name}`);
    const formexUrl = (date: string) =>
      `https://publications.europa.eu/resource/celex/02021R0821-${date.replaceAll("-", "")}.ENG.fmx4`;
    const outcomes: Record<string, Awaited<ReturnType<typeof ingestBytes>>> = {};

    beforeAll(async () => {
      outcomes.document = await ingest(
        registered("eu.cellar.amending-acts"),
        read("eu/cellar-acts/fixtures/sparql-amending-acts.json"),
        "https://publications.europa.eu/webapi/rdf/sparql",
        "2025-11-17T07:40:00Z",
        "application/sparql-results+json;charset=UTF-8",
      );
      outcomes.base = await ingest(
        list,
        annex("cons-2021R0821-20241108.xml"),
        formexUrl("2024-11-08"),
        "2025-11-17T06:20:00Z",
        "application/xml",
      );
      // The 2024 version re-serialized: tabs, attribute order, character references.
      outcomes.cosmetic = await ingest(
        list,
        annex("cons-2021R0821-20241108-cosmetic.xml"),
        formexUrl("2024-11-08"),
        "2025-11-18T06:20:00Z",
        "application/xml",
      );
      outcomes.amended = await ingest(
        list,
        annex("cons-2021R0821-20251115.xml"),
        formexUrl("2025-11-15"),
        "2025-11-19T06:20:00Z",
        "application/xml",
      );
    });

    it("stores the amending acts as documents and the 2024 consolidation as the list's baseline", async () => {
      expect(outcomes.document).toMatchObject({ status: "baseline", health: "healthy" });
      const docs = await listChanges(database.db, { source: "eu.cellar.amending-acts" });
      expect(docs.map((d) => [d.subject, d.citation, d.effectiveAt]).sort()).toEqual([
        ["32024R2547", "Commission Delegated Regulation (EU) 2024/2547", "2024-11-08"],
        ["32025R2003", "Commission Delegated Regulation (EU) 2025/2003", "2025-11-15"],
      ]);
      expect(outcomes.base).toMatchObject({ status: "baseline", records: [] });
    });

    it("gives no record for the 2024 consolidation re-serialized", async () => {
      expect(outcomes.cosmetic).toMatchObject({ status: "unchanged", records: [] });
    });

    it("links the 2025-11-15 Annex I changes to Delegated Regulation (EU) 2025/2003", async () => {
      expect(outcomes.amended!.status).toBe("changed");
      const records = await listChanges(database.db, { source: "eu.cellar.annex-i" });
      expect(records.map(line).sort()).toEqual([
        "added 1A907",
        "added 4A906",
        "modified 3A001.a.2",
        "removed 3A001.b.3",
      ]);
      const doc = (await listChanges(database.db, { source: "eu.cellar.amending-acts" })).find(
        (d) => d.subject === "32025R2003",
      );
      const event = await instrumentOf(doc!);
      expect(event).toMatchObject({
        jurisdiction: "EU",
        citation: "Commission Delegated Regulation (EU) 2025/2003",
        documentId: "32025R2003",
        effectiveAt: "2025-11-15",
        cfrReferences: ["Regulation (EU) 2021/821"],
      });
      for (const r of records) {
        expect(r, line(r)).toMatchObject({
          origin: "regulatory",
          citation: doc!.citation,
          effectiveAt: doc!.effectiveAt,
        });
        expect((await instrumentOf(r))?.id, line(r)).toBe(event!.id);
      }
      expect(records.find((r) => r.subject === "4A906")?.technologies).toEqual(["quantum"]);
    });
  });

  describe("Norway: an amendment of FOR-2013-06-19-718 in Norsk Lovtidend", () => {
    it("stores the LTI document with its citation, dates and the regulation it amends", async () => {
      const outcome = await ingest(
        registered("no.lovdata.export-control"),
        read("no/lovdata/fixtures/lti-export-control-amendment.xml"),
        "https://lovdata.no/dokument/LTI/forskrift/2025-12-01-2100",
        "2025-12-04T04:20:00Z",
        "application/xml",
      );
      expect(outcome).toMatchObject({ status: "baseline", health: "healthy" });
      const docs = await listChanges(database.db, { source: "no.lovdata.export-control" });
      expect(docs.map((d) => [d.subject, d.stage, d.citation, d.publishedAt, d.effectiveAt])).toEqual([
        ["LTI/forskrift/2025-12-01-2100", "published", "FOR-2025-12-01-2100", "2025-12-03", "2026-01-01"],
      ]);
      expect(docs[0]!.details?.cfrReferences).toEqual(["FOR-2013-06-19-718"]);
      // The instrument a later list change of 2026-01-01 citing FOR-2013-06-19-718 would be linked to.
      expect(await instrumentOf(docs[0]!)).toMatchObject({
        jurisdiction: "NO",
        citation: "FOR-2025-12-01-2100",
        documentId: "LTI/forskrift/2025-12-01-2100",
        publishedAt: "2025-12-03",
        effectiveAt: "2026-01-01",
        cfrReferences: ["FOR-2013-06-19-718"],
      });
    });
  });
});
