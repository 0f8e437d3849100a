import { basename } from "node:path";
import { documentsSnapshotSchema, type RegDocument } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { documentHash } from "../../packages/diff/src/entry-hash.ts";
import { londonDay, parseInstant } from "../../packages/sources/src/gb/notices-to-exporters/parse.ts";
import { gbNoticesToExporters as source } from "../../packages/sources/src/gb/notices-to-exporters/source.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// The real GOV.UK Content Store JSON (GDS's schema examples, taken from real
// content items), read at run time; a missing directory throws.
const samples = sampleFiles("uk", /^govuk-content-api-.*\.json$/);
const input = (path: string) => ({ body: readSample(path), url: basename(path) });
const path = (name: string) => samples.find((f) => basename(f) === name)!;

/** The content item's fields the checks compare with. */
interface RawItem {
  base_path: string;
  content_id: string;
  schema_name: string;
  description: string;
  first_published_at: string;
  public_updated_at: string;
}

function parsed(name: string): { doc: RegDocument; raw: RawItem; warnings: string[] } {
  const snapshot = source.parse(input(path(name)));
  expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
  if (snapshot.kind !== "documents") throw new Error("expected documents");
  expect(snapshot.documents).toHaveLength(1);
  return {
    doc: snapshot.documents[0]!,
    raw: JSON.parse(readSample(path(name)).toString("utf8")),
    warnings: snapshot.warnings,
  };
}

const EXPECTED = [
  {
    file: "govuk-content-api-detailed-guide-example-publishing-api-2026-03-24.json",
    type: "detailed_guide",
    title: "Apply for a Tier 4 sponsor licence",
    publishedAt: "2014-01-22",
    changeNote: "Updated sponsor licence information",
    organisation: "UK Visas and Immigration",
  },
  {
    file: "govuk-content-api-document-collection-example-publishing-api-2026-03-24.json",
    type: "document_collection",
    title: "National standards for driving and riding",
    publishedAt: "2013-08-23",
    changeNote: "First published.",
    organisation: "Driver and Vehicle Standards Agency",
  },
  {
    file: "govuk-content-api-publication-notice-example-publishing-api-2022-11-22.json",
    type: "notice",
    title: "Walton Farms Limited: application made to abstract (take) water",
    publishedAt: "2015-04-21",
    changeNote: "First published.",
    organisation: "Environment Agency",
  },
  {
    file: "govuk-content-api-publication-notice-example-publishing-api-2026-04-20.json",
    type: "notice",
    title: "Walton Farms Limited: application made to abstract (take) water",
    publishedAt: "2015-04-21",
    changeNote: "First published.",
    organisation: "Environment Agency",
  },
];

describe("United Kingdom: GOV.UK content items, the real samples", () => {
  it("has the four content items of the manifest", () => {
    expect(samples.map((f) => basename(f))).toEqual(EXPECTED.map((e) => e.file).sort());
  });

  it.each(EXPECTED.map((e) => [e.file, e] as const))("%s: one document, sane fields", (file, e) => {
    const { doc, raw, warnings } = parsed(file);
    expect(warnings).toEqual([]);
    expect(doc).toMatchObject({
      id: raw.base_path,
      stage: "published",
      type: e.type,
      title: e.title,
      abstract: raw.description,
      // Not Notices to Exporters: no NTE number, no instrument, no in-force date.
      citation: null,
      effectiveAt: null,
      cfrReferences: [],
      technologies: [],
      publishedAt: e.publishedAt,
      url: `https://www.gov.uk${raw.base_path}`,
    });
    expect(doc.publishedAt).toBe(londonDay(parseInstant(raw.first_published_at)!));
    expect(doc.urls.json).toBe(`https://www.gov.uk/api/content${raw.base_path}`);
    expect(doc.data).toMatchObject({
      language: "en",
      contentId: raw.content_id,
      schemaName: raw.schema_name,
      updatedAt: raw.public_updated_at,
      changeNote: e.changeNote,
      organisations: [e.organisation],
      withdrawnAt: null,
    });
    // The body came out as text: words, no markup.
    const text = String(doc.data?.text);
    expect(text).not.toMatch(/<\/?[a-z]+[ >]/);
    // "the UK" in a guide is the publisher's own country, never a destination.
    expect(doc.countries).not.toContain("GB");
    console.log(`${file}: ${doc.type} ${doc.id}, ${text.split("\n").length} lines of text`);
  });

  it("reads the guide's body and its newest change note from three", () => {
    const { doc } = parsed(EXPECTED[0]!.file);
    const text = String(doc.data?.text).split("\n");
    expect(text[0]).toBe(
      "Apply for a Tier 4 sponsor licence if you want to enrol students from outside the European Economic Area (EEA).",
    );
    expect(text).toContain("How to apply for a Tier 4 licence");
    // Entities decoded: "&amp;"-free text, the pound sign kept.
    expect(text.join("\n")).toContain("The licence application fee is £536.");
    expect(doc.data?.changedAt).toBe("2015-04-06T00:00:12.000+01:00");
  });

  it("reads the collection's groups as its text", () => {
    const { doc } = parsed(EXPECTED[1]!.file);
    const text = String(doc.data?.text).split("\n");
    expect(text[0]).toBe("Car and light van");
    expect(text.filter((l) => /^[A-Z][a-z ]+$/.test(l)).length).toBeGreaterThanOrEqual(5);
  });

  it("reads the notice's attachment from the older documents form", () => {
    const { doc } = parsed(EXPECTED[2]!.file);
    expect(doc.data?.attachments).toEqual([
      {
        title: "Walton Farms limited: application made to abstract (take) water",
        url: "https://www.gov.uk/government/publications/walton-farms-limited-application-made-to-abstract-take-water/walton-farms-limited-application-made-to-abstract-take-water",
        contentType: "text/html",
      },
    ]);
  });

  it("gives the same document for the notice before and after the 2026 schema change", () => {
    const before = parsed(EXPECTED[2]!.file).doc;
    const after = parsed(EXPECTED[3]!.file).doc;
    // The schema drift (rendering app, policy-area type, topic links, the
    // legacy attachments list) moves nothing the diff compares: no record.
    expect(documentHash(after)).toBe(documentHash(before));
    const compared = ({ urls: _u, data: _d, ...rest }: RegDocument) => rest;
    expect(compared(after)).toEqual(compared(before));
    expect(after.data?.text).toBe(before.data?.text);
  });
});
