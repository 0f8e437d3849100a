import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpRequestOptions, HttpResponse, Logger } from "@regwatch/core/http";
import { listSnapshotSchema } from "@regwatch/core/schemas";
import { listTagger, technologiesForText } from "@regwatch/core/taxonomy";
import { sha256Hex } from "@regwatch/core/text";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { silentLog } from "../../../test/support/test-http.ts";
import type { ParseInput, SourceContext } from "../src/define-source.ts";
import { regulationFromArchive } from "../src/no/export-control-regulation/archive.ts";
import { citationsByDate, parseShortNorwegianDate } from "../src/no/export-control-regulation/parse.ts";
import {
  ARCHIVE_MAX_BYTES,
  currentRegulationsUrl,
  noLovdataExportControlRegulation as source,
} from "../src/no/export-control-regulation/source.ts";
import { isBzip2 } from "../src/no/lovdata/bzip2.ts";
import { publicDataListUrl } from "../src/no/lovdata/source.ts";

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../src/no/export-control-regulation/fixtures", name));
const BEFORE = "sf-20130619-0718-before.xml";
const AFTER = "sf-20130619-0718-after.xml";
const COSMETIC = "sf-20130619-0718-after-cosmetic.xml";
const LIST_III_PDF = "sf-20130619-0718-list-iii-pdf.xml";
const OTHER = "sf-20140815-1076-other-regulation.xml";
const ARCHIVE = "gjeldende-sentrale-forskrifter-hand-written.tar.bz2";

const parseInput = (input: ParseInput) => {
  const snapshot = source.parse(input);
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};
const parse = (name: string) => parseInput({ body: fixture(name), url: name });
const edited = (name: string, from: string | RegExp, to: string) => {
  const text = fixture(name).toString("utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`fixture ${name} has no ${from}`);
  return Buffer.from(next);
};
const byKey = (name: string) => new Map(parse(name).entries.map((e) => [e.key, e]));

const LIST_III_KEYS = [
  ["vedlegg.III", null],
  ["vedlegg.III.kategori.3", "vedlegg.III"],
  ["3A904", "vedlegg.III.kategori.3"],
  ["3A904.a", "3A904"],
  ["3A904.b", "3A904"],
  ["3B001.c.1.a", "vedlegg.III.kategori.3"],
  ["3B903", "vedlegg.III.kategori.3"],
  ["3B903.a", "3B903"],
  ["3B903.b", "3B903"],
  ["3B903.note.1", "3B903"],
  ["3B904", "vedlegg.III.kategori.3"],
  ["vedlegg.III.kategori.4", "vedlegg.III"],
  ["4A906", "vedlegg.III.kategori.4"],
  ["4A906.a", "4A906"],
  ["4A906.b", "4A906"],
  ["4A906.b.1", "4A906.b"],
  ["4A906.b.2", "4A906.b"],
  ["4A906.b.note.1", "4A906.b"],
  ["4A906.note.1", "4A906"],
];

describe("no.lovdata.export-control-regulation parser", () => {
  it("keys chapters, provisions, ledd, letters and annexes, each under its parent", () => {
    const snapshot = parse(BEFORE);
    expect(listSnapshotSchema.parse(snapshot).source).toBe("no.lovdata.export-control-regulation");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.map((e) => [e.key, e.parentKey])).toEqual([
      ["kap.1", null],
      ["§1", "kap.1"],
      ["§1(1)", "§1"],
      ["§1(2)", "§1"],
      ["§2", "kap.1"],
      ["§2(1)", "§2"],
      ["§2(2)", "§2"],
      ["§2(3)", "§2"],
      ["§2(4)", "§2"],
      ["kap.2", null],
      ["§3", "kap.2"],
      ["§3(1)", "§3"],
      ["§4", "kap.2"],
      ["§4(1)", "§4"],
      ["§8", "kap.2"],
      ["§8(1)", "§8"],
      ["§8(1).a", "§8(1)"],
      ["§8(1).b", "§8(1)"],
      ["§8(1).c", "§8(1)"],
      ["§8(1).d", "§8(1)"],
      ["§8(1).e", "§8(1)"],
      ["§8(2)", "§8"],
      ["§8(2).a", "§8(2)"],
      ["§8(2).b", "§8(2)"],
      ["§8(2).b.1", "§8(2).b"],
      ["§8(2).b.2", "§8(2).b"],
      ["kap.7", null],
      ["§28", "kap.7"],
      ["§28(1)", "§28"],
      ["vedlegg.I", null],
      ["vedlegg.II", null],
    ]);
  });

  it("reads List III's items by their own numbers, with letters, points, notes and categories", () => {
    const entries = parse(AFTER).entries;
    const start = entries.findIndex((e) => e.key === "vedlegg.III");
    expect(entries.slice(start).map((e) => [e.key, e.parentKey])).toEqual(LIST_III_KEYS);
    const at = byKey(AFTER);
    expect(at.get("vedlegg.III")).toMatchObject({
      heading: "Liste III – nasjonal liste (2026)",
      text: "Definisjonene og de generelle merknadene i liste II gjelder også for denne listen.",
      data: { label: "Vedlegg III", language: "nb", inForce: "2026-01-01" },
    });
    expect(at.get("vedlegg.III.kategori.4")).toMatchObject({ heading: "Datamaskiner", text: "" });
    // The number is the key, not part of the text.
    expect(at.get("4A906")?.text).toBe(
      "Kvantedatamaskiner og tilhørende elektroniske sammenstillinger og komponenter, som følger:",
    );
    expect(at.get("3B001.c.1.a")?.text).toMatch(
      /^Utstyr for produksjon av halvledere konstruert for isotropisk tørretsing/,
    );
    expect(at.get("4A906.b")?.text).toBe(
      "komponenter og sammenstillinger konstruert for kvantedatamaskiner i 4A906.a, som følger:",
    );
    expect(at.get("4A906.b.note.1")?.text).toBe(
      "Merknad: 4A906.b omfatter ikke komponenter til kvantedatamaskiner for undervisning.",
    );
    expect(at.get("3B903.note.1")?.text).toBe(
      "Teknisk merknad: «Halvlederkomponenter» omfatter også masker og skiver.",
    );
    expect(parse(AFTER).meta.annexes.find((a) => a.key === "vedlegg.III")).toEqual({
      key: "vedlegg.III",
      label: "Vedlegg III",
      title: "Liste III – nasjonal liste (2026)",
      pdfs: [],
      entries: LIST_III_KEYS.length - 1,
    });
  });

  it("gives provisions their titles, strips ledd numbers and footnote markers, keeps footnotes as data", () => {
    const at = byKey(BEFORE);
    expect(at.get("kap.1")).toMatchObject({ heading: "Innledende bestemmelser", text: "" });
    expect(at.get("kap.1")?.data?.label).toBe("Kap. 1");
    // "Kap 7." without its full stop: the label varies, the heading does not.
    expect(at.get("kap.7")).toMatchObject({ heading: "Sluttbestemmelser", data: { label: "Kap 7" } });
    expect(at.get("§4")).toMatchObject({ heading: "Lisensplikt etter varelister", text: "" });
    expect(at.get("§4")?.data?.label).toBe("§ 4");
    expect(at.get("§2(1)")?.text).toBe(
      "Med forsvarsrelaterte varer menes produkter oppført på liste I i vedlegg I til denne forskrift.",
    );
    expect(at.get("§2(1)")?.data?.label).toBe("(1)");
    expect(at.get("§8(1)")?.text).toBe("Lisensplikten i § 3, jf. § 4–§ 7, gjelder ikke for:");
    expect(at.get("§8(2).b")?.text).toBe(
      "universiteter og forskningsinstitutter ved eksport av teknologi som ytes her i landet til",
    );
    expect(at.get("§28(1)")?.text).toBe(
      "Forskriften trer i kraft straks. Fra samme tidspunkt oppheves forskrift 10. januar 1989 nr. 51.",
    );
    expect(at.get("§28")?.data?.footnotes).toEqual(["1 Kunngjort 25. juni 2013."]);
    // Amendment notes are data, never text.
    expect([...at.values()].some((e) => /Endret ved/.test(e.text))).toBe(false);
    expect([...at.values()].every((e) => e.data?.language === "nb")).toBe(true);
  });

  it("keeps the annexes' PDF links in text and data: a replaced list is a new file", () => {
    const before = byKey(BEFORE).get("vedlegg.II")!;
    const after = byKey(AFTER).get("vedlegg.II")!;
    expect(before.text).toBe(
      "For å lese vedlegg II se her: pdf-fil (https://lovdata.no/static/SF/sf-20130619-0718-02-12.pdf)",
    );
    expect(after.data?.pdfs).toEqual(["https://lovdata.no/static/SF/sf-20130619-0718-02-13.pdf"]);
    expect(entryHash(before)).not.toBe(entryHash(after));
    const pdfOnly = byKey(LIST_III_PDF).get("vedlegg.III")!;
    expect(pdfOnly).toMatchObject({
      heading: "Liste III – nasjonal liste (2026)",
      text: "For å lese vedlegg III se her: pdf-fil (https://lovdata.no/static/SF/sf-20130619-0718-03-01.pdf)",
    });
    expect(parse(LIST_III_PDF).meta.annexes.map((a) => [a.key, a.pdfs.length, a.entries])).toEqual([
      ["vedlegg.I", 1, 0],
      ["vedlegg.II", 1, 0],
      ["vedlegg.III", 1, 0],
    ]);
  });

  it("reads the version date, the last amendment and every amendment with its in-force date", () => {
    const { meta } = parse(AFTER);
    expect(meta).toMatchObject({
      citation: "FOR-2013-06-19-718",
      documentId: "SF/forskrift/2013-06-19-718",
      title: "Forskrift om eksport av forsvarsmateriell, flerbruksvarer, teknologi og tjenester",
      language: "nb",
      inForceFrom: "2013-06-19",
      versionDate: "2026-01-01",
      lastChangedBy: "FOR-2025-12-01-2100",
      corrections: "2021-05-18 (tegnsetting i lister tilpasset universell utforming)",
      archive: null,
    });
    expect(meta.amendments).toEqual([
      { citation: "FOR-2016-03-18-277", date: "2016-03-18", inForce: "2016-03-18", inForceStated: false },
      { citation: "FOR-2019-10-02-1301", date: "2019-10-02", inForce: "2019-11-01", inForceStated: true },
      { citation: "FOR-2025-06-02-1001", date: "2025-06-02", inForce: "2025-06-02", inForceStated: false },
      { citation: "FOR-2025-10-15-1950", date: "2025-10-15", inForce: "2025-10-15", inForceStated: false },
      { citation: "FOR-2025-12-01-2100", date: "2025-12-01", inForce: "2026-01-01", inForceStated: true },
    ]);
    expect(citationsByDate(meta.amendments)).toMatchObject({
      "2019-11-01": "FOR-2019-10-02-1301",
      "2026-01-01": "FOR-2025-12-01-2100",
    });
    expect(
      citationsByDate([
        { citation: "FOR-2019-04-09-494", date: "2019-04-09", inForce: "2019-04-09", inForceStated: false },
        { citation: "FOR-2019-04-09-622", date: "2019-04-09", inForce: "2019-04-09", inForceStated: false },
      ]),
    ).toEqual({ "2019-04-09": "FOR-2019-04-09-494; FOR-2019-04-09-622" });
  });

  it("dates each provision by the latest amendment its note names, up to the version date", () => {
    const at = byKey(AFTER);
    expect(at.get("§4")?.data?.changedBy).toEqual([
      { citation: "FOR-2019-10-02-1301", inForce: "2019-11-01" },
      { citation: "FOR-2025-12-01-2100", inForce: "2026-01-01" },
    ]);
    expect(at.get("§4(2)")?.data?.inForce).toBe("2026-01-01");
    expect(at.get("vedlegg.II")?.data?.inForce).toBe("2025-10-15");
    expect(at.get("§8(2).b.1")?.data?.inForce).toBe("2025-06-02");
    expect(at.get("§3(1)")?.data?.inForce).toBeUndefined();
    // A note naming an amendment in force after the version date: not taken, and said.
    const ahead = parseInput({
      body: edited(
        AFTER,
        '<dd class="lastChangeInForce">2026-01-01</dd>',
        '<dd class="lastChangeInForce">2025-12-31</dd>',
      ),
    });
    expect(ahead.entries.find((e) => e.key === "§4(2)")?.data?.inForce).toBe("2019-11-01");
    expect(ahead.warnings).toContain("§4: amended with effect after the version date (2026-01-01)");
  });

  it("gives the same entries, hashes and metadata for a cosmetic re-serialization", () => {
    const after = parse(AFTER);
    const cosmetic = parse(COSMETIC);
    expect(fixture(COSMETIC).equals(fixture(AFTER))).toBe(false);
    expect(cosmetic.warnings).toEqual([]);
    expect(cosmetic.entries).toEqual(after.entries);
    expect(cosmetic.entries.map(entryHash)).toEqual(after.entries.map(entryHash));
    expect(cosmetic.meta).toEqual(after.meta);
    // The decomposed "å" of the cosmetic file comes out composed.
    expect(cosmetic.entries.find((e) => e.key === "vedlegg.I")?.text.startsWith("For å lese")).toBe(true);
  });

  it("parses Lovdata's short dates strictly", () => {
    expect(parseShortNorwegianDate("1 nov 2024")).toBe("2024-11-01");
    expect(parseShortNorwegianDate("30 juni 2014")).toBe("2014-06-30");
    expect(parseShortNorwegianDate("9. april 2019")).toBe("2019-04-09");
    expect(parseShortNorwegianDate("21 des 2016")).toBe("2016-12-21");
    for (const bad of ["31 feb 2026", "29 feb 2025", "1 novv 2024", "2024-11-01", "", "0 jan 2024"])
      expect(parseShortNorwegianDate(bad), bad).toBeNull();
    const snapshot = parseInput({
      body: edited(AFTER, "(i kraft 1 jan 2026). <br", "(i kraft 31 feb 2026). <br"),
    });
    expect(snapshot.warnings).toContain(
      '"(i kraft 31 feb 2026)" after FOR-2025-12-01-2100 is not a date; the day it was made taken',
    );
    // "Sist endret ved" still dates the last amendment.
    expect(snapshot.meta.amendments.at(-1)).toMatchObject({
      citation: "FOR-2025-12-01-2100",
      inForce: "2026-01-01",
    });
  });
});

describe("no.lovdata.export-control-regulation refuses what is not the regulation", () => {
  it("refuses another consolidated regulation, even one that names FOR-2013-06-19-718", () => {
    expect(() => parse(OTHER)).toThrow(SourceShapeChangedError);
    expect(() => parse(OTHER)).toThrow(
      /holds FOR-2014-08-15-1076 \(SF\/forskrift\/2014-08-15-1076\), not the consolidated FOR-2013-06-19-718/,
    );
  });

  it("refuses an amendment of it from Norsk Lovtidend", () => {
    const lti = readFileSync(
      join(import.meta.dirname, "../src/no/lovdata/fixtures/lti-export-control-amendment.xml"),
    );
    expect(() => parseInput({ body: lti })).toThrow(SourceShapeChangedError);
    // Its Datokode is the amendment's own, not the regulation's.
    expect(() => parseInput({ body: lti })).toThrow(/holds FOR-2025-12-01-2100/);
    const relabelled = edited(
      AFTER,
      '<dd class="dokid">SF/forskrift/2013-06-19-718</dd>',
      '<dd class="dokid">LTI/forskrift/2013-06-19-718</dd>',
    );
    expect(() => parseInput({ body: relabelled })).toThrow(
      /is a Lovtidend text, not the consolidated regulation/,
    );
  });

  it("refuses malformed or cut XML, and a body that is not XML or an archive", () => {
    const body = fixture(AFTER);
    expect(() => parseInput({ body: body.subarray(0, body.length - 200) })).toThrow();
    expect(() => parseInput({ body: edited(AFTER, "</section></main>", "</main>") })).toThrow();
    expect(() => parseInput({ body: Buffer.from('{"error":"maintenance"}') })).toThrow(
      /neither bzip2, tar nor XML/,
    );
    expect(() => parseInput({ body: Buffer.from("<html><body><p>Vedlikehold</p></body></html>") })).toThrow(
      /no documentHeader or documentBody/,
    );
  });

  it("refuses a text without a version date, or with one that is not a date", () => {
    const noDates = fixture(AFTER)
      .toString("utf8")
      .replace(
        /<dt class="lastChangeInForce">[\s\S]*?<dt class="lastChangedBy">/,
        '<dt class="lastChangedBy">',
      )
      .replace(/<dt class="dateInForce">.*?<\/dd>/, "");
    expect(() => parseInput({ body: Buffer.from(noDates) })).toThrow(/no version date/);
    expect(() =>
      parseInput({
        body: edited(
          AFTER,
          '<dd class="lastChangeInForce">2026-01-01',
          '<dd class="lastChangeInForce">2026-02-30',
        ),
      }),
    ).toThrow(/Ikrafttredelse av siste endring "2026-02-30" is not a date/);
    // Without "Ikrafttredelse av siste endring", the regulation's own date, said.
    const unamended = parseInput({
      body: edited(
        AFTER,
        /<dt class="lastChangeInForce">[\s\S]*?<dt class="lastChangedBy">/,
        '<dt class="lastChangedBy">',
      ),
    });
    expect(unamended.meta.versionDate).toBe("2013-06-19");
    expect(unamended.warnings[0]).toMatch(/the regulation's own in-force date is the version date/);
  });

  it("reads a ledd's continuation after its list as the same ledd, and an annex table as rows", () => {
    const continued = parseInput({
      body: edited(
        BEFORE,
        '<article class="legalP" id="kapittel-2-paragraf-6-ledd-2">',
        '<article class="leddfortsettelse">Unntakene gjelder ikke ved eksport til land under våpenembargo.</article><article class="legalP" id="kapittel-2-paragraf-6-ledd-2">',
      ),
    });
    const at = new Map(continued.entries.map((e) => [e.key, e]));
    expect(at.get("§8(1)")?.text).toBe(
      "Lisensplikten i § 3, jf. § 4–§ 7, gjelder ikke for: Unntakene gjelder ikke ved eksport til land under våpenembargo.",
    );
    expect(at.get("§8(2)")?.text).toBe("Lisensplikten i §§ 4 til 6 gjelder ikke for");
    expect(at.has("§8(3)")).toBe(false);
    const table = parseInput({
      body: edited(
        AFTER,
        "gjelder også for denne listen.</article>",
        'gjelder også for denne listen.</article><article class="defaultP"><table><thead><tr><th>Nr.</th><th>Vare</th></tr></thead><tbody><tr><td>3B903</td><td>SEM</td></tr></tbody></table></article>',
      ),
    });
    expect(table.warnings).toEqual([]);
    expect(table.entries.find((e) => e.key === "vedlegg.III")?.text).toBe(
      "Definisjonene og de generelle merknadene i liste II gjelder også for denne listen. Nr. | Vare / 3B903 | SEM",
    );
  });

  it("warns about markup it does not know, keeping its text", () => {
    const snapshot = parseInput({
      body: edited(
        AFTER,
        "Lisensplikten gjelder også kvantedatamaskiner",
        "Lisensplikten <blink>gjelder</blink> også kvantedatamaskiner",
      ),
    });
    expect(snapshot.entries.find((e) => e.key === "§4(2)")?.text).toMatch(/^Lisensplikten gjelder også/);
    expect(snapshot.warnings).toEqual(["unexpected <blink>: its text is kept where it stands"]);
  });
});

describe("no.lovdata.export-control-regulation diff", () => {
  const ctxFor = (name: string) => {
    const snapshot = parse(name);
    const d = source.describe(snapshot, { url: null, asOf: null });
    return recordContext(source, { effectiveAt: d.effectiveAt, citationsByDate: d.citationsByDate });
  };
  const diff = (from: string, to: string) =>
    diffLists(
      parse(from).entries.map((e) => ({ ...e, hash: entryHash(e) })),
      parse(to).entries,
      ctxFor(to),
    );

  it("reports exactly § 4, List II's new PDF and List III, each with the amendment that made it", () => {
    const records = diff(BEFORE, AFTER);
    expect(records.map((r) => [r.kind, r.subject, r.effectiveAt, r.citation])).toEqual([
      ["modified", "§4(1)", "2026-01-01", "FOR-2025-12-01-2100"],
      ["added", "§4(2)", "2026-01-01", "FOR-2025-12-01-2100"],
      ["modified", "vedlegg.II", "2025-10-15", "FOR-2025-10-15-1950"],
      ["added", "vedlegg.III", "2026-01-01", "FOR-2025-12-01-2100"],
    ]);
    const [p41, p42, annex2, annex3] = records;
    expect(p41!.before).toMatch(/vedlegg I eller II til denne forskrift/);
    expect(p41!.after).toMatch(/vedlegg I, II eller III til denne forskrift/);
    expect(p42!.technologies).toEqual(["quantum", "semiconductor-manufacturing-equipment"]);
    expect(annex2!.before).toMatch(/0718-02-12\.pdf/);
    expect(annex2!.after).toMatch(/0718-02-13\.pdf/);
    // List III is one record carrying its items.
    expect(annex3!.details?.entries).toEqual(LIST_III_KEYS.map(([k]) => k));
    expect(annex3!.technologies).toEqual([
      "quantum",
      "semiconductor-manufacturing-equipment",
      "advanced-semiconductors",
    ]);
    expect(records.every((r) => r.jurisdiction === "NO" && r.wassenaarCategory === null)).toBe(true);
  });

  it("reports nothing between a version and its cosmetic re-serialization", () => {
    expect(diff(AFTER, COSMETIC)).toEqual([]);
    expect(diff(COSMETIC, AFTER)).toEqual([]);
  });

  it("reports List III written out after its PDF as the annex's text and its new items", () => {
    const records = diff(LIST_III_PDF, AFTER);
    expect(records.map((r) => [r.kind, r.subject])).toEqual([
      ["modified", "vedlegg.III"],
      ["added", "vedlegg.III.kategori.3"],
      ["added", "vedlegg.III.kategori.4"],
    ]);
  });
});

describe("no.lovdata.export-control-regulation technology tags", () => {
  const entries = parse(AFTER).entries;
  const tags = listTagger(new Map(entries.map((e) => [e.key, e])), source.id);
  const own = (key: string) => {
    const e = entries.find((x) => x.key === key)!;
    return technologiesForText(`${e.heading ?? ""} ${e.text}`);
  };

  it("tags List III's quantum computers and semiconductor production equipment from their Norwegian words and numbers", () => {
    expect(own("4A906")).toEqual(["quantum"]);
    expect(own("3B001.c.1.a")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(own("3B903")).toEqual(["semiconductor-manufacturing-equipment", "advanced-semiconductors"]);
    expect(own("3A904.b")).toEqual(["quantum"]);
    // Through the list: letters, points and notes carry their item's tags.
    for (const key of ["4A906", "4A906.a", "4A906.b.1", "4A906.b.note.1", "4A906.note.1", "3A904.b"])
      expect(tags(key), key).toEqual(expect.arrayContaining(["quantum"]));
    for (const key of ["3B001.c.1.a", "3B903", "3B903.a", "3B903.note.1"])
      expect(tags(key), key).toEqual(expect.arrayContaining(["semiconductor-manufacturing-equipment"]));
    expect(tags("§4(2)")).toEqual(
      expect.arrayContaining(["quantum", "semiconductor-manufacturing-equipment"]),
    );
    // Nothing else in the regulation is about these technologies.
    for (const key of ["§1(1)", "§3(1)", "§8(1).a", "vedlegg.I", "vedlegg.II"])
      expect(tags(key), key).toEqual([]);
  });

  it("reads 3B001 numbers by the Wassenaar entry rules, whatever the words", () => {
    const bare = { ...entries.find((e) => e.key === "3B001.c.1.a")!, text: "Utstyr som følger:" };
    expect(listTagger(new Map([[bare.key, bare]]), source.id)(bare.key)).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
  });

  // Norwegian words for the cryogenic enablers.
  it("tags cryogenic cooling systems (kryogene kjølesystemer) as quantum", () => {
    expect(own("3A904.a")).toEqual(["quantum"]);
  });
  it("tags cryogenic wafer probers (kryogene waferprobere) as semiconductor manufacturing equipment", () => {
    expect(own("3B904")).toEqual(["semiconductor-manufacturing-equipment"]);
  });
});

// --- archive ---------------------------------------------------------------

/** One regular file in a POSIX ustar archive. */
function tarFile(name: string, content: Uint8Array | string): Uint8Array {
  const body = typeof content === "string" ? Buffer.from(content) : content;
  const header = new Uint8Array(512);
  const put = (s: string, at: number) => header.set(Buffer.from(s, "utf8"), at);
  put(name, 0);
  put("0000664\0", 100);
  put("0000000\0", 108);
  put("0000000\0", 116);
  put(`${body.length.toString(8).padStart(11, "0")}\0`, 124);
  put("15134230000\0", 136);
  put("        ", 148);
  header[156] = 0x30;
  put("ustar\u000000", 257);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const out = new Uint8Array(512 + Math.ceil(body.length / 512) * 512);
  out.set(header);
  out.set(body, 512);
  return out;
}
const tarOf = (...files: Uint8Array[]) => Buffer.concat([...files, new Uint8Array(1024)]);

describe("no.lovdata.export-control-regulation archive", () => {
  it("reads the regulation out of the archive of current regulations, and only it", () => {
    const snapshot = parseInput({ body: fixture(ARCHIVE), url: currentRegulationsUrl() });
    expect(isBzip2(fixture(ARCHIVE))).toBe(true);
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries).toEqual(parse(AFTER).entries);
    expect(snapshot.meta.archive).toEqual({
      name: "gjeldende-sentrale-forskrifter.tar.bz2",
      bytes: 30720,
      files: 2,
      regulations: 2,
      member: "sf/sf-20130619-0718.xml",
    });
  });

  it("reads an unpacked tar the same way, and warns when the member moved", () => {
    const tar = tarOf(
      tarFile("sf/sf-20140815-1076.xml", fixture(OTHER)),
      tarFile("sf/sf-20130619-0718.xml", fixture(AFTER)),
    );
    expect(parseInput({ body: tar }).entries).toEqual(parse(AFTER).entries);
    const moved = parseInput({ body: tarOf(tarFile("data/sf/sf-20130619-0718.xml", fixture(AFTER))) });
    expect(moved.warnings).toEqual([
      "current-regulations archive: the regulation is at data/sf/sf-20130619-0718.xml, not sf/sf-20130619-0718.xml",
    ]);
  });

  it("refuses an archive without the regulation, with it twice, or of something else", () => {
    expect(() => parseInput({ body: tarOf(tarFile("sf/sf-20140815-1076.xml", fixture(OTHER))) })).toThrow(
      /no sf-20130619-0718\.xml among its 1 regulations/,
    );
    expect(() =>
      parseInput({
        body: tarOf(
          tarFile("sf/sf-20130619-0718.xml", fixture(AFTER)),
          tarFile("old/sf-20130619-0718.xml", fixture(BEFORE)),
        ),
      }),
    ).toThrow(/holds the regulation twice \(sf\/sf-20130619-0718\.xml, old\/sf-20130619-0718\.xml\)/);
    expect(() => parseInput({ body: tarOf(tarFile("lti/2025/nl-20250620-093.xml", "<x/>")) })).toThrow(
      /none of its 1 files is a consolidated regulation/,
    );
  });

  it("refuses a member that holds another regulation under the regulation's name", () => {
    const swapped = tarOf(tarFile("sf/sf-20130619-0718.xml", fixture(OTHER)));
    expect(() => parseInput({ body: swapped })).toThrow(SourceShapeChangedError);
    expect(() => parseInput({ body: swapped })).toThrow(
      /sf\/sf-20130619-0718\.xml: holds FOR-2014-08-15-1076/,
    );
  });

  it("refuses a cut archive, compressed or not, and stops at its caps", () => {
    const archive = fixture(ARCHIVE);
    expect(() => parseInput({ body: archive.subarray(0, archive.length - 40) })).toThrow(
      SourceShapeChangedError,
    );
    const tar = tarOf(tarFile("sf/sf-20130619-0718.xml", fixture(AFTER)));
    expect(() => parseInput({ body: tar.subarray(0, tar.length - 1024) })).toThrow(
      /no end-of-archive marker/,
    );
    expect(() => regulationFromArchive(archive, "a.tar.bz2", { maxBytes: 10_000, maxMembers: 10 })).toThrow(
      /more than 10000 bytes/,
    );
    expect(() => regulationFromArchive(tar, "a.tar", { maxBytes: 1 << 20, maxMembers: 0 })).toThrow(
      /more than 0 entries/,
    );
  });
});

// --- definition and fetch --------------------------------------------------

const LIST_URL = "https://api.lovdata.no/v1/publicData/list";
const ARCHIVE_URL = "https://api.lovdata.no/v1/publicData/get/gjeldende-sentrale-forskrifter.tar.bz2";

const listing = (regulations: { lastModified: string; sizeBytes?: string } | null) =>
  Buffer.from(
    JSON.stringify([
      {
        filename: "gjeldende-lover.tar.bz2",
        description: "Gjeldende lover, ajourført med endringer",
        sizeBytes: "5844867",
        lastModified: "2026-01-02T01:31:00Z",
      },
      ...(regulations
        ? [
            {
              filename: "gjeldende-sentrale-forskrifter.tar.bz2",
              description: "Gjeldende sentrale forskrifter, ajourført med endringer",
              sizeBytes: regulations.sizeBytes ?? String(fixture(ARCHIVE).length),
              lastModified: regulations.lastModified,
            },
          ]
        : []),
      {
        filename: "lovtidend-avd1-2026.tar.bz2",
        description: "Norsk Lovtidend avd. I - lover og sentrale forskrifter",
        sizeBytes: "528319",
        lastModified: "2026-01-02T02:31:00Z",
      },
    ]),
  );

type Reply = Partial<HttpResponse>;

function fakeHttp(routes: Record<string, Reply>) {
  const asked: { url: string; options: HttpRequestOptions | undefined }[] = [];
  const http: HttpClient = {
    async get(url, options) {
      asked.push({ url, options });
      const route = routes[url];
      if (!route) throw new Error(`unexpected request ${url}`);
      return {
        url,
        status: 200,
        notModified: false,
        contentType: "application/octet-stream",
        headers: {},
        body: new Uint8Array(0),
        sha256: "x",
        fetchedAt: "2026-01-02T03:50:00Z",
        ...route,
      };
    },
  };
  return { http, asked, urls: () => asked.map((a) => a.url) };
}

const NOT_MODIFIED: Reply = { status: 304, notModified: true };

function recordingLog() {
  const lines: string[] = [];
  const log: Logger = {
    debug() {},
    info: (_obj, msg) => lines.push(`info: ${msg}`),
    warn: (_obj, msg) => lines.push(`warn: ${msg}`),
    error: (_obj, msg) => lines.push(`error: ${msg}`),
  };
  return { log, lines };
}

const ctxAt = (http: HttpClient, state: Record<string, unknown> = {}, log = silentLog) =>
  ({ http, log, now: new Date("2026-01-02T03:50:00Z"), state }) satisfies SourceContext;

describe("no.lovdata.export-control-regulation definition and fetch", () => {
  it("is a Norwegian list cited as the Lovtidend source cites it, dated by its last change", () => {
    expect(source).toMatchObject({
      id: "no.lovdata.export-control-regulation",
      jurisdiction: "NO",
      kind: "list",
      officialUrl: "https://lovdata.no/dokument/SF/forskrift/2013-06-19-718",
      citedAs: ["FOR-2013-06-19-718"],
      parserVersion: "no.lovdata.export-control-regulation/1",
      schedule: "50 4,14 * * *",
    });
    expect(source.backfill).toBeUndefined();
    expect(publicDataListUrl()).toBe(LIST_URL);
    expect(currentRegulationsUrl()).toBe(ARCHIVE_URL);
    const snapshot = parse(AFTER);
    expect(source.versionDate!(snapshot, { url: null, asOf: null })).toBe("2026-01-01");
    expect(source.describe(snapshot, { url: ARCHIVE_URL, asOf: null })).toEqual({
      publishedAt: null,
      effectiveAt: "2026-01-01",
      citation: null,
      citationsByDate: {
        "2016-03-18": "FOR-2016-03-18-277",
        "2019-11-01": "FOR-2019-10-02-1301",
        "2025-06-02": "FOR-2025-06-02-1001",
        "2025-10-15": "FOR-2025-10-15-1950",
        "2026-01-01": "FOR-2025-12-01-2100",
      },
      url: "https://lovdata.no/dokument/SF/forskrift/2013-06-19-718",
    });
    // The hand-written texts are shortened: the real one has some 150 entries.
    expect(parse(AFTER).entries.length).toBeGreaterThanOrEqual(source.expectations.minEntries);
  });

  it("probes the list, then takes the archive with a size cap; the artifact is the regulation's member, byte for byte", async () => {
    const fake = fakeHttp({
      [LIST_URL]: { body: listing({ lastModified: "2026-01-02T02:31:59.418Z" }), headers: { etag: '"l1"' } },
      [ARCHIVE_URL]: { body: fixture(ARCHIVE) },
    });
    const first = await source.fetch(ctxAt(fake.http));
    expect(fake.urls()).toEqual([LIST_URL, ARCHIVE_URL]);
    expect(fake.asked[0]!.options).toEqual({ conditional: false, headers: { accept: "application/json" } });
    // Capped; conditional on the archive's own ETag from the cursor (none on a first run).
    expect(fake.asked[1]!.options).toEqual({ maxBytes: ARCHIVE_MAX_BYTES, conditional: false, headers: {} });
    expect(first.artifacts).toHaveLength(1);
    const { response } = first.artifacts[0]!;
    // Not the archive of every regulation (rebuilt nightly, ~20 MB): the one member, as the archive holds it.
    const member = regulationFromArchive(fixture(ARCHIVE), null).xml;
    expect(Buffer.from(response.body).equals(Buffer.from(member))).toBe(true);
    expect(response.url).toBe(`${ARCHIVE_URL}#sf/sf-20130619-0718.xml`);
    expect(response.sha256).toBe(sha256Hex(member));
    expect(response.contentType).toBe("application/xml; charset=utf-8");
    expect(parseInput({ body: response.body, url: response.url }).meta.versionDate).toBe("2026-01-01");
    expect(first.state).toEqual({
      list: { etag: '"l1"', lastModified: null },
      archive: { lastModified: "2026-01-02T02:31:59.418Z", size: fixture(ARCHIVE).length },
    });
  });

  it("sends the list's validators from its cursor, and does nothing on 304", async () => {
    const state = {
      list: { etag: '"l1"', lastModified: "Fri, 02 Jan 2026 02:32:00 GMT" },
      archive: { lastModified: "2026-01-02T02:31:59.418Z", size: 4348 },
    };
    const fake = fakeHttp({ [LIST_URL]: NOT_MODIFIED });
    const result = await source.fetch(ctxAt(fake.http, state));
    expect(fake.urls()).toEqual([LIST_URL]);
    expect(fake.asked[0]!.options?.headers).toEqual({
      accept: "application/json",
      "if-none-match": '"l1"',
      "if-modified-since": "Fri, 02 Jan 2026 02:32:00 GMT",
    });
    expect(result).toEqual({ artifacts: [], state });
  });

  it("does not download an archive the list shows unchanged, but keeps the list's new validators", async () => {
    const state = {
      list: { etag: '"l1"', lastModified: null },
      archive: { lastModified: "2026-01-02T02:31:59.418Z", size: 4348 },
    };
    const fake = fakeHttp({
      [LIST_URL]: {
        body: listing({ lastModified: "2026-01-02T02:31:59.418Z", sizeBytes: "4348" }),
        headers: { etag: '"l2"' },
      },
    });
    const result = await source.fetch(ctxAt(fake.http, state));
    expect(fake.urls()).toEqual([LIST_URL]);
    expect(result).toEqual({
      artifacts: [],
      state: { ...state, list: { etag: '"l2"', lastModified: null } },
    });
  });

  it("downloads when the archive moved; a 304 on it moves the cursor without an artifact", async () => {
    const state = {
      list: { etag: '"l1"', lastModified: null },
      archive: { lastModified: "2026-01-01T02:31:00.000Z", size: 4348 },
    };
    const moved = fakeHttp({
      [LIST_URL]: { body: listing({ lastModified: "2026-01-02T02:31:00Z" }), headers: { etag: '"l2"' } },
      [ARCHIVE_URL]: { body: fixture(ARCHIVE) },
    });
    const taken = await source.fetch(ctxAt(moved.http, state));
    expect(moved.urls()).toEqual([LIST_URL, ARCHIVE_URL]);
    expect(taken.artifacts).toHaveLength(1);
    const same = fakeHttp({
      [LIST_URL]: { body: listing({ lastModified: "2026-01-02T02:31:00Z" }) },
      [ARCHIVE_URL]: NOT_MODIFIED,
    });
    const notTaken = await source.fetch(ctxAt(same.http, state));
    expect(same.urls()).toEqual([LIST_URL, ARCHIVE_URL]);
    expect(notTaken.artifacts).toEqual([]);
    expect(notTaken.state.archive).toEqual({
      lastModified: "2026-01-02T02:31:00.000Z",
      size: fixture(ARCHIVE).length,
    });
  });

  it("logs a body whose size is not the list's", async () => {
    const { log, lines } = recordingLog();
    const fake = fakeHttp({
      [LIST_URL]: { body: listing({ lastModified: "2026-01-02T02:31:00Z", sizeBytes: "9999" }) },
      [ARCHIVE_URL]: { body: fixture(ARCHIVE) },
    });
    const result = await source.fetch(ctxAt(fake.http, {}, log));
    expect(result.artifacts).toHaveLength(1);
    expect(lines).toEqual([
      "warn: no.lovdata: archive size differs from the list's (rebuilt in between?)",
      "info: no.lovdata: regulation read out of the archive",
    ]);
  });

  it("refuses a list without the archive of current regulations, or without its time", async () => {
    const missing = fakeHttp({ [LIST_URL]: { body: listing(null) } });
    await expect(source.fetch(ctxAt(missing.http))).rejects.toThrow(
      /no gjeldende-sentrale-forskrifter\.tar\.bz2 \(files: gjeldende-lover\.tar\.bz2, lovtidend-avd1-2026\.tar\.bz2\)/,
    );
    const undated = fakeHttp({ [LIST_URL]: { body: listing({ lastModified: "02.01.2026" }) } });
    await expect(source.fetch(ctxAt(undated.http))).rejects.toThrow(/no readable modification time/);
    expect(missing.urls()).toEqual([LIST_URL]);
  });
});
