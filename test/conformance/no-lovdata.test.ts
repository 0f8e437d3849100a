import { basename } from "node:path";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { bunzip2Steps } from "../../packages/sources/src/no/lovdata/bzip2.ts";
import {
  exportControlMembers,
  parseLovtidend,
  parseLovtidendArchive,
  parseLtiDocument,
} from "../../packages/sources/src/no/lovdata/parse.ts";
import { noLovdataExportControl as source } from "../../packages/sources/src/no/lovdata/source.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// Every single LTI XML file in the samples, read at run time; a missing directory throws (nothing is skipped).
const files = sampleFiles("no", /^lovdata-lti-xml-.*\.xml$/);
// The yearly archive those files came from, as Lovdata's public data serves it.
const archives = sampleFiles("no", /^lovdata-public-data-lovtidend-avd1-2025-.*\.tar\.bz2$/);
const inputs = files.map((path) => ({ body: readSample(path), url: basename(path) }));

const EXPECTED = [
  {
    id: "LTI/forskrift/2025-08-20-1674",
    citation: "FOR-2025-08-20-1674",
    publishedAt: "2025-08-21",
    publishedAtLocal: "2025-08-21T13:45",
    effectiveAt: "2025-08-20",
    adoptedAt: "2025-08-20",
    journalNumber: "2025-1089",
    amendedSections: ["§ 2", "§ 8"],
    replacesAnnexes: [{ annex: "I", title: "Liste I – forsvarsrelaterte varer (2025)" }],
  },
  {
    id: "LTI/forskrift/2025-08-29-1757",
    citation: "FOR-2025-08-29-1757",
    publishedAt: "2025-09-01",
    publishedAtLocal: "2025-09-01T15:20",
    effectiveAt: "2025-08-29",
    adoptedAt: "2025-08-29",
    journalNumber: "2025-1130",
    amendedSections: ["§ 1", "§ 3", "§ 4", "§ 5", "§ 8", "§ 22"],
    replacesAnnexes: [],
  },
  {
    id: "LTI/forskrift/2025-09-19-1883",
    citation: "FOR-2025-09-19-1883",
    publishedAt: "2025-09-22",
    publishedAtLocal: "2025-09-22T14:45",
    effectiveAt: "2025-09-19",
    adoptedAt: "2025-09-19",
    journalNumber: "2025-1203",
    amendedSections: [],
    replacesAnnexes: [{ annex: "I", title: "Liste I – forsvarsrelaterte varer (2025)" }],
  },
];

describe("Norway: Lovtidend amendments of FOR-2013-06-19-718, the real LTI files", () => {
  it("has the five single LTI files of the manifest", () => {
    expect(files.map((f) => basename(f))).toEqual([
      "lovdata-lti-xml-FOR-2025-03-07-0439-endring-sanksjoner-ukraina.xml",
      "lovdata-lti-xml-FOR-2025-07-02-1419-endring-sanksjoner-syria.xml",
      "lovdata-lti-xml-FOR-2025-08-20-1674-endring-eksportkontrollforskriften.xml",
      "lovdata-lti-xml-FOR-2025-08-29-1757-endring-eksportkontrollforskriften.xml",
      "lovdata-lti-xml-FOR-2025-09-19-1883-endring-eksportkontrollforskriften-vedlegg-I.xml",
    ]);
  });

  const snapshot = parseLovtidend(inputs);
  const stamped = { source: source.id, ...snapshot };

  it("keeps exactly the three export-control amendments, valid against the schema, without warnings", () => {
    expect(documentsSnapshotSchema.parse(stamped)).toEqual(stamped);
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents.map((d) => d.id)).toEqual(EXPECTED.map((e) => e.id));
    expect(snapshot.documents.length).toBeLessThanOrEqual(source.expectations.maxEntries);
    for (const doc of snapshot.documents) {
      for (const field of source.expectations.requiredFields)
        expect(doc[field as keyof typeof doc], `${doc.id} ${field}`).toBeTruthy();
    }
  });

  it.each(EXPECTED.map((e) => [e.id, e] as const))("reads %s: citation, dates, target, changes", (id, e) => {
    const doc = snapshot.documents.find((d) => d.id === id)!;
    expect(doc).toMatchObject({
      stage: "published",
      type: "forskrift",
      title:
        "Forskrift om endring i forskrift om eksport av forsvarsmateriell, flerbruksvarer, teknologi og tjenester",
      citation: e.citation,
      publishedAt: e.publishedAt,
      effectiveAt: e.effectiveAt,
      url: `https://lovdata.no/dokument/${id}`,
      cfrReferences: ["FOR-2013-06-19-718"],
    });
    expect(doc.data).toMatchObject({
      titleEn: "Amendment to the export control regulation (FOR-2013-06-19-718)",
      department: ["Utenriksdepartementet"],
      subunit: ["Sikkerhetspolitisk avdeling"],
      changesToDocuments: [
        { ref: "forskrift/2013-06-19-718", citation: "FOR-2013-06-19-718", provision: null },
      ],
      publishedAtLocal: e.publishedAtLocal,
      adoptedAt: e.adoptedAt,
      journalNumber: e.journalNumber,
      amendedSections: e.amendedSections,
      replacesAnnexes: e.replacesAnnexes,
      annexAsPdf: e.replacesAnnexes.length > 0,
    });
    const text = doc.abstract!;
    expect(text).toBe(text.normalize("NFC"));
    expect(text).toMatch(/^I\nI forskrift 19\. juni 2013 nr\. 718 om eksport av forsvarsmateriell/);
    expect(text).toMatch(/trer i kraft straks\.$/);
  });

  it("keeps the text of what changed (the 1757 amendment's new § 8 letters)", () => {
    const text = snapshot.documents.find((d) => d.id === "LTI/forskrift/2025-08-29-1757")!.abstract!;
    expect(text).toContain("\nj. offentlig tilgjengelig informasjon,\nk. det minimum av informasjon");
  });

  it("leaves out the two sanctions amendments by what they change, not by file name", () => {
    expect(snapshot.meta).toEqual({
      read: 5,
      excluded: ["LTI/forskrift/2025-03-07-439", "LTI/forskrift/2025-07-02-1419"],
    });
    const targets = inputs
      .map((input) => parseLtiDocument(input))
      .filter((lti) => !lti.amendsExportControl)
      .map((lti) => [lti.document.id, lti.document.cfrReferences]);
    expect(targets).toEqual([
      ["LTI/forskrift/2025-03-07-439", ["FOR-2014-08-15-1076"]],
      ["LTI/forskrift/2025-07-02-1419", ["FOR-2011-09-02-902"]],
    ]);
  });

  it("gives the same documents one file at a time through the source's own parse", () => {
    const one = inputs.flatMap((input) => {
      const s = source.parse(input);
      if (s.kind !== "documents") throw new Error("expected documents");
      return s.documents;
    });
    expect(one).toEqual(snapshot.documents);
  });
});

describe("Norway: the real Lovtidend 2025 archive (tar.bz2, 1,272 members)", () => {
  it("is the one archive of the manifest", () => {
    expect(archives.map((f) => basename(f))).toEqual([
      "lovdata-public-data-lovtidend-avd1-2025-snapshot-2025-10-28.tar.bz2",
    ]);
  });

  // As the fetch hands it over: the bytes and the address they came from.
  const url = "https://api.lovdata.no/v1/publicData/get/lovtidend-avd1-2025.tar.bz2";
  const body = readSample(archives[0]!);
  const snapshot = source.parse({ body, url, contentType: "application/octet-stream" });
  if (snapshot.kind !== "documents") throw new Error("expected documents");

  it("yields exactly the three 2025 export-control amendments, valid, without warnings", () => {
    expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    expect(snapshot.warnings).toEqual([]);
    expect(
      snapshot.documents.map((d) => [
        d.id,
        d.citation,
        d.publishedAt,
        d.effectiveAt,
        d.title,
        d.cfrReferences,
      ]),
    ).toEqual(
      EXPECTED.map((e) => [
        e.id,
        e.citation,
        e.publishedAt,
        e.effectiveAt,
        "Forskrift om endring i forskrift om eksport av forsvarsmateriell, flerbruksvarer, teknologi og tjenester",
        ["FOR-2013-06-19-718"],
      ]),
    );
    expect(snapshot.documents.length).toBeLessThanOrEqual(source.expectations.maxEntries);
    for (const doc of snapshot.documents)
      for (const field of source.expectations.requiredFields)
        expect(doc[field as keyof typeof doc], `${doc.id} ${field}`).toBeTruthy();
  });

  it("gives the same documents as the single files cut from it", () => {
    expect(snapshot.documents).toEqual(parseLovtidend(inputs).documents);
  });

  it("hands the fetch exactly the three amendments' members, byte for byte the files cut from it", () => {
    // What the fetch archives instead of the year's archive (rebuilt nightly).
    const { members, files } = exportControlMembers(body, "lovtidend-avd1-2025.tar.bz2");
    expect(files).toBe(1272);
    expect(members.map((m) => m.name)).toEqual([
      "lti/2025/sf-20250820-1674.xml",
      "lti/2025/sf-20250829-1757.xml",
      "lti/2025/sf-20250919-1883.xml",
    ]);
    const single = sampleFiles(
      "no",
      /^lovdata-lti-xml-FOR-2025-0[89]-.*eksportkontrollforskriften.*\.xml$/,
    ).map((f) => readSample(f));
    expect(members.map((m) => Buffer.from(m.content))).toEqual(single);
  });

  it("reads every regulation, counts the laws, and leaves out the sanctions amendments", () => {
    expect(snapshot.meta.archive).toEqual({
      name: "lovtidend-avd1-2025.tar.bz2",
      bytes: 28_538_880,
      files: 1272,
      laws: 111,
      unexpected: 0,
    });
    expect(snapshot.meta.read).toBe(1161);
    expect(snapshot.meta.excluded).toHaveLength(1158);
    // Russia/Ukraine, the 1.5 MB goods-annex amendment, Syria: read, and left out by what they change.
    expect(snapshot.meta.excluded).toEqual(
      expect.arrayContaining([
        "LTI/forskrift/2025-03-07-439",
        "LTI/forskrift/2025-06-17-1412",
        "LTI/forskrift/2025-07-02-1419",
      ]),
    );
    expect(snapshot.documents.some((d) => d.cfrReferences.some((r) => r !== "FOR-2013-06-19-718"))).toBe(
      false,
    );
  });

  it("decompresses the archive a bzip2 block at a time, so the service answers in between", () => {
    let pauses = 0;
    let bytes = 0;
    const steps = bunzip2Steps(
      body,
      (slice) => {
        bytes += slice.length;
      },
      {
        maxBytes: 64 << 20,
        name: "lovtidend-avd1-2025.tar.bz2",
      },
    );
    let next = steps.next();
    for (; !next.done; next = steps.next()) pauses++;
    // 28.5 MB out of its 31 blocks (bzip2 -9: 900 kB before the first run-length step): a pause after each.
    expect(pauses).toBe(31);
    expect(next.value).toBe(28_538_880);
    expect(bytes).toBe(28_538_880);
  });

  it("refuses the archive cut short, whatever the cut", () => {
    for (const cut of [body.length - 1, Math.floor(body.length / 2)])
      expect(() => parseLovtidendArchive({ body: body.subarray(0, cut), url })).toThrow(/truncated/);
  });
});
