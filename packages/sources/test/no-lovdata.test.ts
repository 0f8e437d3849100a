import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { silentLog } from "../../../test/support/test-http.ts";
import {
  lovdataRef,
  parseLovdataDate,
  parseLovtidend,
  parseLtiDocument,
  parseNorwegianDate,
} from "../src/no/lovdata/parse.ts";
import { noLovdataExportControl as source } from "../src/no/lovdata/source.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src/no/lovdata/fixtures", name));
const AMENDMENT = "lti-export-control-amendment.xml";
const OTHER = "lti-other-regulation-mentions-718.xml";
const MALFORMED = "lti-malformed-unclosed-section.xml";
const edited = (name: string, from: string, to: string) => {
  const text = fixture(name).toString("utf8");
  if (!text.includes(from)) throw new Error(`fixture ${name} has no ${from}`);
  return Buffer.from(text.replace(from, to));
};

describe("no.lovdata.export-control parser", () => {
  it("reads an amendment of FOR-2013-06-19-718 with id, citation, dates, targets and department", () => {
    const snapshot = source.parse({ body: fixture(AMENDMENT) });
    expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.source).toBe("no.lovdata.export-control");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents).toHaveLength(1);
    const doc = snapshot.documents[0]!;
    expect(doc).toMatchObject({
      id: "LTI/forskrift/2025-12-01-2100",
      stage: "published",
      type: "forskrift",
      title:
        "Forskrift om endring i forskrift om eksport av forsvarsmateriell, flerbruksvarer, teknologi og tjenester",
      citation: "FOR-2025-12-01-2100",
      publishedAt: "2025-12-03",
      effectiveAt: "2026-01-01",
      url: "https://lovdata.no/dokument/LTI/forskrift/2025-12-01-2100",
      cfrReferences: ["FOR-2013-06-19-718"],
      countries: [],
    });
    expect(doc.urls).toEqual({
      lovdata: "https://lovdata.no/dokument/LTI/forskrift/2025-12-01-2100",
      "amends:FOR-2013-06-19-718": "https://lovdata.no/dokument/SF/forskrift/2013-06-19-718",
    });
    expect(doc.data).toMatchObject({
      language: "nb",
      titleEn: "Amendment to the export control regulation (FOR-2013-06-19-718)",
      department: ["Utenriksdepartementet"],
      subunit: ["Sikkerhetspolitisk avdeling"],
      changesToDocuments: [
        { ref: "forskrift/2013-06-19-718", citation: "FOR-2013-06-19-718", provision: null },
      ],
      basedOn: [
        { ref: "lov/1987-12-18-93/§1", citation: "LOV-1987-12-18-93", provision: "§1" },
        { ref: "forskrift/1987-12-18-967", citation: "FOR-1987-12-18-967", provision: null },
      ],
      publishedAtLocal: "2025-12-03T14:05",
      adoptedAt: "2025-12-01",
      journalNumber: "2025-1650",
      amendedSections: ["§ 4"],
      replacesAnnexes: [
        { annex: "II", title: null },
        { annex: "III", title: "Liste III – nye og fremvoksende teknologier (2025)" },
      ],
      annexAsPdf: true,
    });
  });

  it("keeps the amendment's text, one line per block, in NFC", () => {
    const doc = source.parse({ body: fixture(AMENDMENT) });
    if (doc.kind !== "documents") throw new Error("expected documents");
    const text = doc.documents[0]!.abstract!;
    // The fixture writes one "å" decomposed (a + U+030A).
    expect(fixture(AMENDMENT).toString("utf8")).toContain("a\u030a");
    expect(text).toBe(text.normalize("NFC"));
    expect(text).not.toContain("\u030a");
    expect(text.split("\n")).toEqual([
      "I",
      "I forskrift 19. juni 2013 nr. 718 om eksport av forsvarsmateriell, flerbruksvarer, teknologi og tjenester gjøres følgende endringer:",
      "§ 4 Lisensplikt etter varelister annet ledd skal lyde:",
      "Lisensplikten gjelder også kvantedatamaskiner og utstyr for produksjon av halvledere som oppført i vedlegg III.",
      "Vedlegg II og III skal erstattes med følgende:",
      // The <br /> in the future title is a line break in the text too.
      "Vedlegg III",
      "Liste III – nye og fremvoksende teknologier (2025)",
      "For å lese vedlegg II og III se her: pdf-fil",
      "II",
      "Endringene trer i kraft 1. januar 2026.",
    ]);
  });

  it("tags technologies named in Norwegian", () => {
    const doc = parseLtiDocument({ body: fixture(AMENDMENT) }).document;
    expect(doc.abstract).toMatch(/kvantedatamaskiner.*halvledere/);
    expect(doc.technologies).toEqual(["quantum", "semiconductor-manufacturing-equipment"]);
  });

  it("leaves out an amendment of another regulation even when its text cites FOR-2013-06-19-718", () => {
    const lti = parseLtiDocument({ body: fixture(OTHER) });
    expect(lti.amendsExportControl).toBe(false);
    expect(lti.document.abstract).toContain("forskrift 19. juni 2013 nr. 718");
    const snapshot = parseLovtidend([{ body: fixture(OTHER) }, { body: fixture(AMENDMENT) }]);
    expect(snapshot.documents.map((d) => d.id)).toEqual(["LTI/forskrift/2025-12-01-2100"]);
    expect(snapshot.meta).toEqual({ read: 2, excluded: ["LTI/forskrift/2025-12-02-2101"] });
    const alone = source.parse({ body: fixture(OTHER) });
    if (alone.kind !== "documents") throw new Error("expected documents");
    expect(alone.documents).toEqual([]);
  });

  it("keeps one copy of a document read twice, with a warning", () => {
    const snapshot = parseLovtidend([{ body: fixture(AMENDMENT) }, { body: fixture(AMENDMENT) }]);
    expect(snapshot.documents).toHaveLength(1);
    expect(snapshot.warnings).toEqual(["LTI/forskrift/2025-12-01-2100: read twice; the first copy is kept"]);
  });

  it("refuses malformed XML with a clear error", () => {
    expect(() => source.parse({ body: fixture(MALFORMED), url: MALFORMED })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: fixture(MALFORMED), url: MALFORMED })).toThrow(
      /lti-malformed-unclosed-section\.xml: malformed XML: end tag <\/main> does not match <section>/,
    );
  });

  it("refuses a document that is not LTI, or whose id and dated code disagree", () => {
    expect(() => source.parse({ body: Buffer.from("<html><body><p>Hei</p></body></html>") })).toThrow(
      /no documentHeader or documentBody/,
    );
    expect(() =>
      source.parse({
        body: edited(
          AMENDMENT,
          '<dd class="dokid">LTI/forskrift/2025-12-01-2100',
          '<dd class="dokid">SF/forskrift/2025-12-01-2100',
        ),
      }),
    ).toThrow(/DokumentID "SF\/forskrift\/2025-12-01-2100" is not an LTI/);
    expect(() =>
      source.parse({ body: edited(AMENDMENT, "FOR-2025-12-01-2100", "FOR-2025-12-01-2101") }),
    ).toThrow(/Datokode "FOR-2025-12-01-2101" does not match DokumentID/);
  });

  it("takes no impossible or loosely written date: a warning and no date instead", () => {
    const bad = parseLtiDocument({ body: edited(AMENDMENT, "2025-12-03 14:05", "2025-02-30 14:05") });
    expect(bad.document.publishedAt).toBeNull();
    expect(bad.warnings).toEqual([
      'LTI/forskrift/2025-12-01-2100: Kunngjort "2025-02-30 14:05" is not a date',
    ]);
    const loose = parseLtiDocument({ body: edited(AMENDMENT, ">2026-01-01<", ">1. januar 2026<") });
    expect(loose.document.effectiveAt).toBeNull();
    expect(loose.warnings).toEqual([
      'LTI/forskrift/2025-12-01-2100: I kraft fra "1. januar 2026" is not a date',
    ]);
    const made = parseLtiDocument({ body: edited(AMENDMENT, "1. desember 2025", "2. desember 2025") });
    expect(made.warnings).toEqual([
      "LTI/forskrift/2025-12-01-2100: fastsatt 2025-12-02 differs from the date in the id (2025-12-01)",
    ]);
  });

  it("parses Lovdata and Norwegian dates strictly", () => {
    expect(parseLovdataDate("2025-08-21 13:45")).toEqual({ date: "2025-08-21", time: "13:45" });
    expect(parseLovdataDate("2025-08-20")).toEqual({ date: "2025-08-20", time: null });
    for (const bad of ["2025-8-21", "2025-02-29", "2025-08-21 24:00", "21.08.2025", "2025-08-21T13:45", ""])
      expect(parseLovdataDate(bad), bad).toBeNull();
    expect(parseLovdataDate("2024-02-29")).toEqual({ date: "2024-02-29", time: null });
    expect(parseNorwegianDate("20. august 2025")).toBe("2025-08-20");
    expect(parseNorwegianDate("1. januar 2026")).toBe("2026-01-01");
    for (const bad of [
      "31. juni 2025",
      "20 august 2025",
      "20. August 2025",
      "20. aug. 2025",
      "20. augustus 2025",
    ])
      expect(parseNorwegianDate(bad), bad).toBeNull();
  });

  it("turns header references into dated citations", () => {
    expect(lovdataRef("forskrift/2013-06-19-718")).toEqual({
      ref: "forskrift/2013-06-19-718",
      citation: "FOR-2013-06-19-718",
      provision: null,
    });
    expect(lovdataRef("lov/1987-12-18-93/§1")).toMatchObject({
      citation: "LOV-1987-12-18-93",
      provision: "§1",
    });
    expect(lovdataRef("eu/32021R0821")).toBeNull();
  });
});

describe("no.lovdata.export-control definition", () => {
  it("is a Norwegian documents source", () => {
    expect(source).toMatchObject({
      id: "no.lovdata.export-control",
      jurisdiction: "NO",
      kind: "documents",
      officialUrl: "https://lovdata.no/dokument/SF/forskrift/2013-06-19-718",
    });
    expect(source.expectations.minEntries).toBe(0);
  });

  it("says plainly that fetching is not built yet", async () => {
    const http = { get: () => Promise.reject(new Error("no request expected")) };
    await expect(
      source.fetch({ http, log: silentLog, now: new Date("2025-10-28T12:00:00Z"), state: {} }),
    ).rejects.toThrow(/fetch is not implemented yet: .*lovtidend-avd1-2025\.tar\.bz2.*bzip2/);
  });
});
