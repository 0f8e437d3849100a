import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { type Entry, listSnapshotSchema } from "@regwatch/core/schemas";
import { listTagger } from "@regwatch/core/taxonomy";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import { runSteps } from "../src/steps.ts";
import { blocksOf, splitGluedHeading, startOf } from "../src/wa/blocks.ts";
import { listLinks } from "../src/wa/control-lists-page.ts";
import { parseWaListSteps, readList, readTitlePage } from "../src/wa/parse.ts";
import { PDF_LIMITS, pdfDate, readPdfText } from "../src/wa/pdf-text.ts";
import { CONTROL_LISTS_URL, waWassenaarLists as source } from "../src/wa/source.ts";
import { findTables } from "../src/wa/tables.ts";
import { documentWords, joinLines, raisedText } from "../src/wa/words.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src/wa/fixtures", name));
const V24 = "wa-list-24-1.pdf";
const V25 = "wa-list-25-1.pdf";
const PAGE = "wassenaar-control-lists.html";

const parse = (body: Uint8Array) => {
  const snapshot = source.parse({ body, contentType: "application/pdf" });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};
const v24 = parse(fixture(V24));
const v25 = parse(fixture(V25));
const byKey = (entries: Entry[]) => new Map(entries.map((e) => [e.key, e]));

/** A piece of text at (x, y) in a font size, or a raw text object ("BT … ET") where pieces must abut. */
type Item = [number, number, number, string] | string;

/**
 * A minimal PDF: Helvetica text at given places, a correct cross-reference
 * table, and whatever the trailer is given besides.
 */
function tinyPdf(pages: Item[][], trailer = ""): Buffer {
  const objects: string[] = ["", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"];
  const kids: number[] = [];
  for (const items of pages) {
    const ops = items
      .map((item) =>
        typeof item === "string"
          ? item
          : `BT /F1 ${item[2]} Tf ${item[0]} ${item[1]} Td (${item[3].replace(/[()\\]/g, "\\$&")}) Tj ET`,
      )
      .join("\n");
    objects.push(`<< /Length ${Buffer.byteLength(ops, "latin1")} >>\nstream\n${ops}\nendstream`);
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${objects.length} 0 R >>`,
    );
    kids.push(objects.length);
  }
  objects[0] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailer}>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

const lines = (...texts: string[]): [number, number, number, string][] =>
  texts.map((t, i) => [72, 770 - i * 14, 10, t]);

describe("wa: reading a PDF into lines (pdf.js, in a worker thread)", () => {
  const text = readPdfText(fixture(V24));
  const page = (n: number) => text.pages[n - 1]!;

  it("groups pieces into lines by baseline, left to right, and keeps the document's information", () => {
    expect(text.stats).toMatchObject({ pages: 7, running: 24, footnotes: 1, rotated: 0 });
    expect(text.info).toEqual({
      title: "List of Dual-Use Goods and Technologies and Munitions List",
      author: null,
      creator: null,
      producer: "hand-written for regwatch tests",
      created: "2024-12-05",
      modified: null,
      pdfVersion: "1.4",
      encrypted: false,
    });
    const first = page(3).lines[2]!;
    expect(first).toMatchObject({
      page: 3,
      x: 72,
      y: 730,
      size: 10,
      text: "3. A. 1. Electronic items as follows:",
    });
  });

  it("takes out the running header, the footer and the rule on every page, and keeps them apart", () => {
    expect(page(3).running.map((l) => l.text)).toEqual([
      "WA-LIST (24) 1",
      "DUAL-USE LIST - CATEGORY 3 - ELECTRONICS",
      "_".repeat(80),
      "05-12-2024 - 3 -",
    ]);
    expect(page(4).running.map((l) => l.text)).toContain("- 4 - 05-12-2024");
    const body = text.pages.flatMap((p) => p.lines.map((l) => l.text)).join("\n");
    expect(body).not.toMatch(/DUAL-USE LIST -|05-12-2024 -|- \d+ - 05-12|_{5}/);
    // The cover is body here: the list reader decides what it is.
    expect(page(1).lines.map((l) => l.text)).toContain("WA-LIST (24) 1");
  });

  it("writes a superscript in Unicode superscripts, joined to its line", () => {
    expect(page(3).lines.map((l) => l.text)).toContain("a. A total dose of 5 x 10³ Gy (Si) or higher;");
  });

  it("reads raised text as it reads: powers, a degree sign, an ordinal, a footnote's mark", () => {
    // One text object each line, pieces abutting as typeset: raised by a text rise in a smaller size.
    const raised = (text: string) => `/F1 6.5 Tf 3.5 Ts (${text}) Tj /F1 10 Tf 0 Ts`;
    const body = readPdfText(
      tinyPdf([
        [
          `BT /F1 10 Tf 72 770 Td (an area of 1 m) Tj ${raised("2")} (, 1 x 10) Tj ${raised("-")} ${raised("6")} ( g at 296 K \\(23) Tj ${raised("o")} (C\\)) Tj ET`,
          `BT /F1 10 Tf 72 756 Td (an M ) Tj ${raised("2")} (-factor, the 5) Tj ${raised("th")} ( edition, a draft\\)) Tj ${raised("2/3")} ( and \\() Tj ${raised("*1")} (\\)) Tj ET`,
          [72, 742, 10, "The Australia Group and its lists, as the footnote says."],
          `BT /F1 6.5 Tf 72 60 Td (1) Tj /F1 9 Tf 28 -3 Td (https://www.australiagroup.net/) Tj ET`,
        ],
      ]),
    );
    const [page1] = body.pages;
    expect(page1!.lines.map((l) => l.text)).toEqual([
      "an area of 1 m², 1 x 10⁻⁶ g at 296 K (23°C)",
      "an M²-factor, the 5th edition, a draft)²/³ and (*1)",
      "The Australia Group and its lists, as the footnote says.",
    ]);
    expect(page1!.footnotes).toEqual(["¹ https://www.australiagroup.net/"]);
    expect(raisedText("+4")).toBe("⁺⁴");
    expect(raisedText("n")).toBe("ⁿ");
    // Each line's segments are its pieces where they stand, and read together its text.
    for (const line of page1!.lines) expect(line.segments.map((g) => g.text).join("")).toBe(line.text);
    expect(page1!.lines[0]!.segments[0]).toMatchObject({ x: 72, text: "an area of 1 m" });
  });

  it("takes a footnote at the foot of the page out of the flow", () => {
    expect(page(6).footnotes).toEqual([
      "* The numbering of the Munitions List follows the categories ML1 to ML22.",
    ]);
    expect(page(6).lines.map((l) => l.text)).not.toContain(page(6).footnotes[0]);
  });

  it("joins a word broken at a line end by what the document prints, and keeps a compound's hyphen", () => {
    const words = documentWords([
      "compound semiconductor materials, simulating and non-volatile memory;",
      "serial number based licence keys, ion implantation and fluid filled bladders,",
      "the display of the situation and the circum-",
      "stances affecting operational and tactical calcu-",
      "lations for the allocation of resources",
    ]);
    // The pieces of a broken word are no words of the document.
    for (const piece of ["circum", "stances", "calcu", "lations"]) expect(words.has(piece)).toBe(false);
    expect(words.has("non-volatile") && words.has("non") && words.has("volatile")).toBe(true);
    // The word printed whole: a break.
    expect(joinLines(["compound semi-", "conductor materials"], words)).toBe(
      "compound semiconductor materials",
    );
    expect(joinLines(["simu-", "lating"], words)).toBe("simulating");
    // The compound printed whole, or a word after the hyphen: the hyphen is the compound's.
    expect(joinLines(["Flash and non-", "volatile memory"], words)).toBe("Flash and non-volatile memory");
    expect(joinLines(["serial number-", "based licence keys"], words)).toBe(
      "serial number-based licence keys",
    );
    expect(joinLines(["by ion-", "implantation"], words)).toBe("by ion-implantation");
    expect(joinLines(["a fluid-", "filled bladder"], words)).toBe("a fluid-filled bladder");
    // Neither printed, and no word after the hyphen: a word the typesetter broke.
    expect(joinLines(["tactical calcu-", "lations and manu-", "facturing"], words)).toBe(
      "tactical calculations and manufacturing",
    );
    // A capital after the hyphen: a compound ("Anti-" / "Submarine"); without the document's words, kept.
    expect(joinLines(["Anti-", "Submarine Warfare"], words)).toBe("Anti-Submarine Warfare");
    expect(joinLines(["simu-", "lating"], null)).toBe("simu-lating");
    // A hyphen and a space inside a line (a reflow's leftover) read the same; a suspended hyphen stays.
    expect(joinLines(["the lasing of a non- volatile and a calcu- lation"], words)).toBe(
      "the lasing of a non-volatile and a calculation",
    );
    expect(joinLines(["cobalt- or nickel-based, standard- and"], words)).toBe(
      "cobalt- or nickel-based, standard- and",
    );
    expect(joinLines(["temperatures of 153 K (-", "120 °C)"], words)).toBe("temperatures of 153 K (-120 °C)");
    expect(joinLines(["Category 5 -", "Part 2"], words)).toBe("Category 5 - Part 2");
    expect(joinLines(["a specific modulus of 3,18 x 10", "⁶ m"], words)).toBe(
      "a specific modulus of 3,18 x 10⁶ m",
    );
  });

  it("reads the dates a PDF's information dictionary carries, refusing days the calendar lacks", () => {
    expect(pdfDate("D:20241205103000+01'00'")).toBe("2024-12-05");
    expect(pdfDate("D:20240230")).toBeNull();
    expect(pdfDate("yesterday")).toBeNull();
  });
});

describe("wa: what the PDF reader refuses", () => {
  const refused = (body: Uint8Array, message: RegExp, limits = PDF_LIMITS) => {
    let error: unknown;
    try {
      readPdfText(body, "test PDF", limits);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SourceShapeChangedError);
    expect((error as Error).message).toMatch(message);
  };

  it("a body that is not a PDF: an HTML error page", () => {
    refused(
      Buffer.from("<!doctype html><html><body>Page not found</body></html>"),
      /not a PDF \(an HTML or XML page\)/,
    );
    refused(Buffer.from("PK\u0003\u0004 zip"), /test PDF: not a PDF; it starts "PK/);
  });

  it("a PDF cut short", () => {
    const whole = fixture(V24);
    refused(whole.subarray(0, whole.length / 2), /truncated PDF \(no %%EOF at its end\)/);
  });

  it("a damaged PDF pdf.js cannot rebuild", () => {
    refused(
      Buffer.from("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"),
      /damaged or unreadable PDF/,
    );
  });

  it("an encrypted PDF that needs a password", () => {
    const hex32 = "a".repeat(64);
    const encrypted = tinyPdf(
      [lines("secret")],
      `/Encrypt << /Filter /Standard /V 1 /R 2 /O <${hex32}> /U <${hex32}> /P -4 >> /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] `,
    );
    refused(encrypted, /encrypted and needs a password/);
  });

  it("a PDF without any text (a scan)", () => {
    refused(tinyPdf([[], []]), /holds no text \(2 pages of images\?\)/);
  });

  it("a PDF beyond the size and page caps, and one the reader does not finish in time", () => {
    const body = tinyPdf([lines("one"), lines("two"), lines("three")]);
    refused(body, /\d+ bytes, more than the PDF reader takes \(100\)/, { ...PDF_LIMITS, maxBytes: 100 });
    refused(body, /3 pages, more than the PDF reader takes \(2\)/, { ...PDF_LIMITS, maxPages: 2 });
    refused(body, /gave no answer within 0.001 s/, { ...PDF_LIMITS, timeoutMs: 1 });
  });
});

describe("wa: a group heading glued to a sentence, and a table read row by row", () => {
  // Modelled on the EU dual-use list as Norway prints it: "… smallest diameter.2B Test, Inspection and
  // Production Equipment" is one line of its text, and the deposition table after 2E301 wraps its cells.
  const at = (x: number, y: number, text: string): Item => [x, y, 10, text];
  const row = (y: number, ...cells: [number, string][]) => cells.map(([x, text]) => at(x, y, text));
  const page: Item[] = [
    at(72, 790, "CATEGORY 2 - MATERIALS PROCESSING"),
    at(72, 770, "2A Systems, Equipment and Components"),
    ...row(752, [72, "2A226"], [113, "Valves having all of the following characteristics:"]),
    ...row(738, [113, "a."], [141, 'A "nominal size" of 5 mm or greater;']),
    ...row(724, [113, "b."], [141, "Having a bellows seal."]),
    at(113, 706, "Technical Note:"),
    at(113, 694, 'For valves with different inlet and outlet diameters, the "nominal size" in 2A226'),
    // The sentence's end and the heading in one text object, as the PDF prints them.
    "BT /F1 10 Tf 113 682 Td (refers to the smallest diameter.) Tj (2B Test, Inspection and Production Equipment) Tj ET",
    at(113, 664, "Technical Notes:"),
    ...row(
      652,
      [113, "1."],
      [141, "Secondary parallel contouring axes are not counted in the total number."],
    ),
    ...row(634, [72, "2B001"], [113, "Machine tools for the manu-"]),
    at(113, 622, "facturing of parts, as follows:"),
    ...row(608, [113, "a."], [141, "Machine tools for turning;"]),
    at(72, 590, "2E Technology"),
    ...row(572, [72, "2E301"], [113, '"Technology" for the "use" of goods specified in 2B001.']),
    [250, 552, 11, "TABLE - DEPOSITION TECHNIQUES"],
    ...row(534, [72, "1. Coating Process"], [230, "2. Substrate"], [390, "3. Resultant Coating"]),
    ...row(516, [72, "A. Chemical Vapour"], [230, "Superalloys"], [390, "Aluminides for internal"]),
    ...row(504.5, [72, "Deposition (CVD)"], [390, "passages"]),
    ...row(486, [230, "Ceramics and Low"], [390, "Silicides"]),
    at(230, 474.5, "expansion glasses"),
    at(390, 471.5, "Carbides"),
    ...row(453, [72, "B. Pack cementation"], [230, "Titanium alloys"], [390, "Silicides"]),
    at(390, 438.5, "Aluminides"),
    ...row(420, [230, "Refractory metals"], [390, "Oxides"]),
    ...row(402, [72, "C. Plasma spraying"], [230, "Superalloys"], [390, "MCrAlX"]),
    at(240, 376, "TABLE - DEPOSITION TECHNIQUES - NOTES"),
    at(72, 356, '1. The term "coating process" includes coating repair and refurbishing.'),
    ...row(338, [72, "2E302"], [113, '"Technology" for the "development" of gas turbine engines.']),
  ];
  const text = readPdfText(tinyPdf([page]));
  const list = readList(text);
  const entries = byKey(list.entries);

  it("cuts the heading from the sentence it is printed with, and hangs the group's entries from it", () => {
    expect(list.warnings).toEqual([]);
    expect(list.entries.map((e) => [e.key, e.parentKey])).toEqual([
      ["cat.2", null],
      ["cat.2.A", "cat.2"],
      ["2A226", "cat.2.A"],
      ["2A226.a", "2A226"],
      ["2A226.b", "2A226"],
      ["2A226.technical-note", "2A226"],
      ["cat.2.B", "cat.2"],
      ["cat.2.B.technical-note", "cat.2.B"],
      ["2B001", "cat.2.B"],
      ["2B001.a", "2B001"],
      ["cat.2.E", "cat.2"],
      ["2E301", "cat.2.E"],
      ["2E301.sec.table-deposition-techniques", "2E301"],
      ["2E301.sec.table-deposition-techniques-notes", "2E301"],
      ["2E302", "cat.2.E"],
    ]);
    expect(entries.get("cat.2.B")?.heading).toBe("2B Test, Inspection and Production Equipment");
    expect(entries.get("2A226.technical-note")?.text).toBe(
      'For valves with different inlet and outlet diameters, the "nominal size" in 2A226 refers to the smallest diameter.',
    );
    expect(entries.get("cat.2.B.technical-note")?.text).toBe(
      "1. Secondary parallel contouring axes are not counted in the total number.",
    );
    // A word broken at the line end, its halves no words of the document: joined.
    expect(entries.get("2B001")?.heading).toBe("Machine tools for the manufacturing of parts, as follows:");
  });

  it("cuts only a whole group or category heading, where a sentence ends, at the piece it starts", () => {
    const line = (...segments: [number, number, string][]) => ({
      page: 1,
      x: segments[0]![0],
      xEnd: segments[segments.length - 1]![1],
      y: 500,
      size: 10,
      text: segments.map((g) => g[2]).join(""),
      segments: segments.map(([x, xEnd, text]) => ({ x, xEnd, text })),
    });
    const glued = line(
      [113.3, 151.3, "diameter."],
      [151.3, 163, "2B "],
      [177, 363.8, "Test, Inspection and Production Equipment"],
    );
    expect(splitGluedHeading(glued).map((l) => [l.x, l.xEnd, l.text, l.segments.length])).toEqual([
      [113.3, 151.3, "diameter.", 1],
      [151.3, 363.8, "2B Test, Inspection and Production Equipment", 2],
    ]);
    for (const text of [
      "specified in 2B350 to 2B352.",
      "the smallest diameter.2B001 Machine tools",
      "as in 3.2B Materials and other things",
      "Category 2. 2C Materials which are listed",
    ])
      expect(splitGluedHeading(line([72, 400, text]))).toHaveLength(1);
  });

  it("reads the table's rows across its columns, each row's cells together, in one entry", () => {
    expect(entries.get("2E301.sec.table-deposition-techniques")?.text).toBe(
      [
        "1. Coating Process | 2. Substrate | 3. Resultant Coating",
        "A. Chemical Vapour Deposition (CVD) | Superalloys | Aluminides for internal passages",
        "| Ceramics and Low expansion glasses | Silicides; Carbides",
        "B. Pack cementation | Titanium alloys | Silicides; Aluminides",
        "| Refractory metals | Oxides",
        "C. Plasma spraying | Superalloys | MCrAlX",
      ].join("\n"),
    );
    // Nothing of it leaks into the entry, the notes after it or the next entry.
    expect(entries.get("2E301")?.text).toBe("");
    expect(entries.get("2E301.sec.table-deposition-techniques-notes")?.text).toBe(
      '1. The term "coating process" includes coating repair and refurbishing.',
    );
    expect(entries.get("2E302")?.heading).toBe('"Technology" for the "development" of gas turbine engines.');
    // The labelled paragraphs (a label, a gap, the text) are no table: one table on the page.
    const { stats } = runSteps(blocksOf(text));
    expect(stats).toMatchObject({ tables: 1, gluedHeadings: 1 });
  });

  it("takes a list of terms and meanings, or labelled paragraphs, for no table", () => {
    // Two columns, a term and its meaning: read right line by line, and no different from labelled paragraphs.
    const acronyms = tinyPdf([
      [
        ...row(770, [76, "ACRONYM OR"], [180, "MEANING"]),
        at(76, 758, "ABBREVIATION"),
        ...["ABEC", "CW (for lasers)", "CW (chemical)", "DS (steel)", "EB (bridge)", "GNSS"].flatMap(
          (term, i) => row(740 - 14 * i, [76, term], [180, `Meaning number ${i + 1} of the list`]),
        ),
      ],
    ]);
    // Labels of two levels set apart on one line ("a.", "1.", the text) look like three columns: labels,
    // numbers and note words are no cells.
    const paragraphs = tinyPdf([
      [
        ...row(770, [72, "2B001"], [113, "Machine tools and any combination thereof, as follows:"]),
        ..."abcd"
          .split("")
          .flatMap((label, i) => [
            ...row(756 - 28 * i, [113, `${label}.`], [141, "1."], [170, "Turning;"]),
            ...row(742 - 28 * i, [113, "Note"], [141, "2."], [170, "Milling;"]),
          ]),
      ],
    ]);
    for (const pdf of [acronyms, paragraphs])
      expect(findTables(readPdfText(pdf).pages[0]!.lines)).toEqual([]);
  });
});

describe("wa: what a line starts with", () => {
  it("reads WA numbers, EU numbers, ML numbers, labels, notes and headings", () => {
    expect(startOf("3. A. 1. Electronic items as follows:")).toMatchObject({
      kind: "entry",
      code: "3A001",
      path: [],
      printed: "3. A. 1.",
    });
    expect(startOf('1. A. 4. a. 1. "Biological agents";')).toMatchObject({
      kind: "entry",
      code: "1A004",
      path: ["a", "1"],
    });
    expect(startOf("3B001 Equipment for the manufacturing")).toMatchObject({ kind: "entry", code: "3B001" });
    expect(startOf('9E101 a. "Technology" according to')).toMatchObject({ kind: "entry", code: "9E101" });
    expect(startOf('ML22. "Technology" as follows:')).toMatchObject({ kind: "ml", number: "22" });
    expect(startOf("3. A. SYSTEMS, EQUIPMENT AND COMPONENTS")).toMatchObject({
      kind: "group",
      digit: "3",
      letter: "A",
    });
    expect(startOf("5A2 Systems, Equipment and Components")).toMatchObject({ kind: "group", part: "2" });
    expect(startOf('CATEGORY 5 - PART 2 - "INFORMATION SECURITY"')).toMatchObject({
      kind: "category",
      part: "2",
    });
    expect(startOf("2. In the form of uncomminuted flakes, ribbons or thin rods; and")).toMatchObject({
      kind: "label",
      label: "2",
    });
    expect(startOf("Note 1 ML2.a. includes injectors")).toMatchObject({
      kind: "note",
      slug: "note",
      number: "1",
    });
    expect(startOf("N.B.2: For Aircraft Missile Protection Systems")).toMatchObject({
      kind: "note",
      slug: "nb",
      number: "2",
    });
    expect(startOf("Technical Notes:")).toMatchObject({ kind: "note", slug: "technical-note" });
  });

  it("does not take a wrapped reference or a sentence for the start of an entry", () => {
    expect(startOf("3.A.1.a.10. and 3.A.1.a.12., based upon any compound semiconductor")).toBeNull();
    expect(startOf("3A001.b.3. or 3A001.b.4.;")).toBeNull();
    expect(startOf("3A001 and 3A002 do not control")).toBeNull();
    expect(startOf("ML4, ML6, ML9, ML10, ML12 or ML19.")).toBeNull();
  });

  it("knows table of contents lines and continuation lines", () => {
    expect(startOf("CATEGORY 3 - ELECTRONICS ........................ 108")?.kind).toBe("toc");
    expect(startOf("ML3 Ammunition and fuze setting devices therefor:.. 6")?.kind).toBe("toc");
    for (const t of [
      "3B001 continued",
      "9E003.i. continued",
      "7A103.c.continued",
      "5A002.a. Note 2.a. continued",
      "3. B. 1. continued",
    ])
      expect(startOf(t)?.kind).toBe("continued");
    expect(startOf("the operation is continued")).toBeNull();
  });
});

describe("wa.wassenaar.lists: the list", () => {
  it("reads both lists and the annexes, keyed Wassenaar-style, with the edition in meta", () => {
    expect(listSnapshotSchema.parse(v24)).toEqual(v24);
    expect(v24.source).toBe("wa.wassenaar.lists");
    expect(v24.warnings).toEqual([]);
    expect(v24.meta).toMatchObject({
      designation: "WA-LIST (24) 1",
      corrigendum: false,
      listDate: "2024-12-05",
      title: "List of Dual-Use Goods and Technologies and Munitions List",
      pages: 7,
      counts: { categories: 2, entries: 5, definitions: 5, munitions: 2, sensitive: 4 },
      dropped: { running: 24, footnotes: 1, toc: 0, continued: 1, cover: 7 },
    });
    expect(v24.entries.map((e) => e.key)).toEqual([
      "sec.definitions-of-terms-used-in-these-lists",
      "def:Accuracy",
      "def:Bias (accelerometer)",
      "def:Bias (accelerometer).nb",
      "def:Bias (gyro)",
      "def:Digital computer",
      "cat.3",
      "cat.3.A",
      "3A001",
      "3A001.a",
      "3A001.a.note.1",
      "3A001.a.1",
      "3A001.a.1.a",
      "3A001.a.1.b",
      "3A001.a.2",
      "3A001.a.2.note",
      "3A001.b",
      "3A001.b.1",
      "3A001.b.2",
      "cat.3.B",
      "3B001",
      "3B001.a",
      "3B001.a.1",
      "3B001.a.1.note",
      "3B001.a.2",
      "3B001.b",
      "3B001.b.1",
      "3B001.b.2",
      "3B001.c",
      "3B001.c.technical-note",
      "3B001.c.1",
      "3B001.c.2",
      "3B002",
      "3B002.a",
      "3B002.b",
      "cat.5",
      "cat.5.part.2",
      "cat.5.A2",
      "5A002",
      "5A002.a",
      "5A002.a.1",
      "5A002.a.2",
      "5A002.a.technical-note",
      "5A002.b",
      "sec.munitions-list",
      "ML1",
      "ML1.note",
      "ML1.a",
      "ML1.b",
      "ML1.b.1",
      "ML1.b.2",
      "ML22",
      "ML22.a",
      "ML22.b",
      "sensitive:sec.sensitive-list",
      "sensitive:cat.3",
      "sensitive:3A001.a.1",
      "sensitive:3B001",
      "sensitive:3B001.a",
      "very-sensitive:sec.very-sensitive-list",
      "very-sensitive:cat.5",
      "very-sensitive:5A002.a",
      "footnote.the-numbering-of-the-munitions-list-follows-the-categories-m",
    ]);
  });

  it("keeps each entry's words, its WA number and its place", () => {
    const entries = byKey(v24.entries);
    expect(entries.get("3B001")).toEqual({
      key: "3B001",
      parentKey: "cat.3.B",
      heading:
        "Equipment for the manufacturing of semiconductor devices or materials, as follows, and specially designed components and accessories therefor:",
      text: "",
      data: { category: "3", designator: "3. B. 1." },
    });
    expect(entries.get("3B001.a.1")).toEqual({
      key: "3B001.a.1",
      parentKey: "3B001.a",
      heading: null,
      text: "Equipment designed or modified to produce a layer of any material other than silicon with a thickness uniform to less than ± 2.5% across a distance of 75 mm or more;",
    });
    expect(entries.get("3A001.b.2")?.text).toBe(
      "Microwave solid state amplifiers made of compound semiconductor materials, rated for operation at frequencies exceeding 2.7 GHz.",
    );
    expect(entries.get("3A001.a.1.a")?.text).toBe("A total dose of 5 x 10³ Gy (Si) or higher;");
    expect(entries.get("def:Digital computer")?.text).toBe(
      '"Digital computer" (4 5) means equipment which can, in the form of one or more discrete variables, perform all of the following:\na. Accept data;\nb. Store data or instructions in fixed or alterable (writable) storage devices;\nc. Provide output of data.',
    );
    expect(entries.get("ML1")).toMatchObject({
      parentKey: "sec.munitions-list",
      data: { list: "munitions", designator: "ML1." },
    });
    expect(entries.get("sensitive:3A001.a.1")).toMatchObject({
      parentKey: "sensitive:cat.3",
      heading: "Integrated circuits designed or rated as radiation hardened.",
      data: { designator: "3. A. 1. a. 1." },
    });
    // No header, footer, cover or "continued" line is any entry's words.
    const words = v24.entries.map((e) => `${e.heading ?? ""} ${e.text}`).join("\n");
    expect(words).not.toMatch(/WA-LIST|05-12-2024|continued|PUBLIC DOCUMENTS|DUAL-USE LIST -/);
  });

  it("puts a note under what it names, and a note's own list inside the note", () => {
    const entries = byKey(v24.entries);
    expect(entries.get("3A001.a.2.note")).toEqual({
      key: "3A001.a.2.note",
      parentKey: "3A001.a.2",
      heading: null,
      text: "3.A.1.a.2. does not control microcircuits for automotive applications.",
      data: { note: "Note" },
    });
    expect(entries.get("ML1.note")?.text).toBe(
      "ML1. does not control:\na. Smooth-bore weapons used for hunting or sporting purposes;\nb. Firearms specially designed for dummy ammunition.",
    );
    // The technical note names 3.B.1.c.; the paragraphs after it are still the entry's.
    expect(entries.get("3B001.c.technical-note")?.parentKey).toBe("3B001.c");
    expect(entries.get("3B001.c.1")?.text).toBe("Using a pulsed plasma source;");
    expect(entries.get("5A002.a.technical-note")?.text).toMatch(
      /^1\. For the purposes of 5\.A\.2\.a\., 'cryptography/,
    );
    expect(entries.get("5A002.a.technical-note")?.text).toMatch(
      /\n2\. For the purposes of 5\.A\.2\.a\., 'described security/,
    );
  });

  it("takes two editions to exactly the entries that changed", () => {
    expect(v25.meta).toMatchObject({ designation: "WA-LIST (25) 1", listDate: "2025-12-04" });
    const ctx = recordContext(source, { detectedAt: "2025-12-10T06:41:00.000Z" });
    const records = diffLists(
      v24.entries.map((e) => ({ ...e, hash: entryHash(e) })),
      v25.entries,
      ctx,
    );
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      kind: "modified",
      subject: "3B001.a.1",
      before: expect.stringContaining("± 2.5%"),
      after: expect.stringContaining("± 2.0%"),
    });
  });

  it("dates each edition by its cover, and cites it by its designation", () => {
    const artifact = { url: "https://www.wassenaar.org/app/uploads/2025/12/x.pdf", asOf: null };
    expect(source.versionDate?.(v25, artifact)).toBe("2025-12-04");
    expect(source.describe(v25, artifact)).toEqual({
      publishedAt: "2025-12-04",
      effectiveAt: "2025-12-04",
      citation: "WA-LIST (25) 1",
      url: artifact.url,
    });
    expect(source.citedAs).toEqual([
      "Wassenaar Arrangement List of Dual-Use Goods and Technologies and Munitions List",
    ]);
  });

  it("reads the same list a slice at a time (parseSteps), yielding while pdf.js works", () => {
    const steps = parseWaListSteps({ body: fixture(V24) });
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    expect(yields).toBeGreaterThan(0);
    expect(step.value.entries).toEqual(v24.entries);
  });

  it("tags the entries by their Wassenaar numbers and words (the WA list has no 2024 plurilateral entries)", () => {
    const tag = listTagger(byKey(v24.entries), source.id);
    expect(tag("3B001.a.1")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tag("3B001.c")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tag("5A002.a.1")).toEqual(["cryptography"]);
    expect(tag("3A001.a")).toEqual(["advanced-semiconductors"]);
    expect(tag("ML1.a")).toEqual([]);
  });

  it("refuses a PDF that is not the WA list, and a WA list without its Munitions List", () => {
    const notWa = tinyPdf([
      lines(
        "CATEGORY 3 - ELECTRONICS",
        "3A001 Electronic items as follows:",
        "a. General purpose integrated circuits;",
      ),
    ]);
    expect(() => parse(notWa)).toThrow(
      /no "WA-LIST \(YY\) N" on its first pages; not the Wassenaar Arrangement's list/,
    );
    const noMl = tinyPdf([
      lines("WA-LIST (24) 1", "05-12-2024"),
      lines(
        "CATEGORY 3 - ELECTRONICS",
        "3. A. 1. Electronic items as follows:",
        "a. General purpose integrated circuits;",
      ),
    ]);
    expect(() => parse(noMl)).toThrow(/WA-LIST \(24\) 1 holds no Munitions List entries/);
  });

  it("reads the cover strictly: a day the calendar lacks is no date, a footer's date stands in for a missing one", () => {
    const impossible = readTitlePage(readPdfText(tinyPdf([lines("WA-LIST (24) 1", "31-02-2024")])));
    expect(impossible).toMatchObject({ designation: "WA-LIST (24) 1", date: null });
    expect(impossible.warnings).toEqual([
      '"31-02-2024" is not a day of the calendar; not taken as the list\'s date',
    ]);
    const page = (n: number): [number, number, number, string][] => [
      [470, 815, 9, "WA-LIST (25) 1 Corr."],
      [72, 770, 10, `Page ${n} text, the body of the list.`],
      [72, 40, 9, `- ${n} - 15-01-2026`],
    ];
    const fromFooter = readTitlePage(readPdfText(tinyPdf([page(1), page(2), page(3)])));
    expect(fromFooter).toMatchObject({
      designation: "WA-LIST (25) 1 Corr.",
      corrigendum: true,
      date: "2026-01-15",
    });
    expect(fromFooter.warnings).toEqual([]);
  });
});

describe("wa.wassenaar.lists: the control-lists page", () => {
  const url = CONTROL_LISTS_URL;
  it("finds the list's PDFs by their words or file names, newest first, and nothing else", () => {
    const links = listLinks({ body: fixture(PAGE), contentType: "text/html; charset=UTF-8", url });
    expect(links.map((l) => [l.url, l.designation, l.year, l.corrigendum, l.uploaded])).toEqual([
      [
        "https://www.wassenaar.org/app/uploads/2025/12/List-of-Dual-Use-Goods-and-Technologies-and-ML-2025.pdf",
        "WA-LIST (25) 1",
        2025,
        false,
        "2025-12",
      ],
      [
        "https://www.wassenaar.org/app/uploads/2024/12/List-of-Dual-Use-Goods-and-Technologies-Munitions-List-2024.pdf",
        "WA-LIST (24) 1",
        2024,
        false,
        "2024-12",
      ],
      [
        "https://www.wassenaar.org/app/uploads/2023/12/List-of-Dual-Use-Goods-and-Technologies-Munitions-List-2023-1.pdf",
        null,
        2023,
        false,
        "2023-12",
      ],
    ]);
  });

  it("puts a corrected edition before the edition it corrects", () => {
    const page = Buffer.from(
      fixture(PAGE)
        .toString("utf8")
        .replace(
          '<li><a href="https://www.wassenaar.org/app/uploads/2025/12/',
          '<li><a href="https://www.wassenaar.org/app/uploads/2026/01/List-of-Dual-Use-Goods-and-Technologies-and-ML-2025-Corr.pdf">WA-LIST (25) 1 Corr.</a></li><li><a href="https://www.wassenaar.org/app/uploads/2025/12/',
        ),
    );
    const [newest] = listLinks({ body: page, contentType: "text/html", url });
    expect(newest).toMatchObject({
      designation: "WA-LIST (25) 1 Corr.",
      corrigendum: true,
      uploaded: "2026-01",
    });
  });

  it("refuses a page that is not HTML or links no list", () => {
    expect(() => listLinks({ body: Buffer.from("%PDF-1.4"), contentType: "application/pdf", url })).toThrow(
      /the control-lists page is not HTML/,
    );
    const bare = Buffer.from(
      "<!doctype html><html><body><a href='/app/uploads/2019/12/Best-Practices.pdf'>Best practices</a></body></html>",
    );
    expect(() => listLinks({ body: bare, contentType: "text/html", url })).toThrow(
      /no link to a "List of Dual-Use Goods and Technologies and Munitions List" PDF/,
    );
  });
});

describe("wa.wassenaar.lists: fetch", () => {
  const LIST_2025 = "/app/uploads/2025/12/List-of-Dual-Use-Goods-and-Technologies-and-ML-2025.pdf";
  const LIST_2026 = "/app/uploads/2026/12/List-of-Dual-Use-Goods-and-Technologies-and-ML-2026.pdf";
  const html = (body: Uint8Array, etag: string) => ({
    headers: { "content-type": "text/html; charset=UTF-8", etag },
    body,
  });

  it("probes the page conditionally, fetches the PDF its newest link names, and asks again only with validators", async () => {
    let page = fixture(PAGE);
    let pageEtag = '"p1"';
    const server = await startSourceServer({
      "/control-lists/": (req) =>
        req.headers["if-none-match"] === pageEtag ? { status: 304 } : html(page, pageEtag),
      [LIST_2025]: (req) =>
        req.headers["if-none-match"] === '"l25"'
          ? { status: 304 }
          : { headers: { "content-type": "application/pdf", etag: '"l25"' }, body: fixture(V25) },
      [LIST_2026]: () => ({
        headers: { "content-type": "application/pdf", etag: '"l26"' },
        body: fixture(V25),
      }),
    });
    try {
      const http = testHttpClient({ "https://www.wassenaar.org": server.origin });
      const now = new Date("2025-12-10T06:41:00Z");
      const first = await source.fetch({ http, log: silentLog, now, state: {} });
      expect(first.artifacts).toHaveLength(1);
      expect(first.artifacts[0]!.response.url).toBe(`https://www.wassenaar.org${LIST_2025}`);
      expect(first.state).toEqual({
        page: { etag: '"p1"', lastModified: null },
        pdfUrl: `https://www.wassenaar.org${LIST_2025}`,
        pdf: { etag: '"l25"', lastModified: null },
        designation: "WA-LIST (25) 1",
      });
      expect(parse(first.artifacts[0]!.response.body).meta.designation).toBe("WA-LIST (25) 1");

      // Nothing changed: one request, answered 304.
      const quiet = await source.fetch({ http, log: silentLog, now, state: first.state });
      expect(quiet).toEqual({ artifacts: [], state: first.state });

      // The page changed, the link did not: the PDF is asked for with its validators.
      pageEtag = '"p2"';
      page = Buffer.from(page.toString("utf8").replace("Control Lists</h1>", "Control Lists (updated)</h1>"));
      const same = await source.fetch({ http, log: silentLog, now, state: first.state });
      expect(same.artifacts).toEqual([]);
      expect(same.state).toMatchObject({ page: { etag: '"p2"' }, pdf: { etag: '"l25"' } });

      // A new list is linked: fetched plainly.
      pageEtag = '"p3"';
      page = Buffer.from(
        page
          .toString("utf8")
          .replace("2025/12/List-of-Dual-Use-Goods-and-Technologies-and-ML-2025.pdf", LIST_2026.slice(13))
          .replace("WA-LIST (25) 1", "WA-LIST (26) 1"),
      );
      const moved = await source.fetch({ http, log: silentLog, now, state: same.state });
      expect(moved.artifacts.map((a) => a.response.url)).toEqual([`https://www.wassenaar.org${LIST_2026}`]);
      expect(moved.state).toMatchObject({
        pdfUrl: `https://www.wassenaar.org${LIST_2026}`,
        pdf: { etag: '"l26"' },
      });

      expect(server.requests.map((r) => [r.path, r.headers["if-none-match"] ?? null])).toEqual([
        ["/control-lists/", null],
        [LIST_2025, null],
        ["/control-lists/", '"p1"'],
        ["/control-lists/", '"p1"'],
        [LIST_2025, '"l25"'],
        ["/control-lists/", '"p2"'],
        [LIST_2026, null],
      ]);
    } finally {
      await server.close();
    }
  });

  it("backfills the editions the page still links, oldest first, from the year asked for", async () => {
    const server = await startSourceServer({
      "/control-lists/": () => html(fixture(PAGE), '"p1"'),
      "/app/uploads/2024/12/List-of-Dual-Use-Goods-and-Technologies-Munitions-List-2024.pdf": () => ({
        headers: { "content-type": "application/pdf", etag: '"l24"' },
        body: fixture(V24),
      }),
      [LIST_2025]: () => ({
        headers: { "content-type": "application/pdf", etag: '"l25"' },
        body: fixture(V25),
      }),
    });
    try {
      const http = testHttpClient({ "https://www.wassenaar.org": server.origin });
      const steps = [];
      for await (const step of source.backfill!(
        { http, log: silentLog, now: new Date(), state: {} },
        "2024-01-01",
      ))
        steps.push(step);
      expect(steps.map((s) => [s.index, s.total, parse(s.artifact.response.body).meta.designation])).toEqual([
        [1, 2, "WA-LIST (24) 1"],
        [2, 2, "WA-LIST (25) 1"],
      ]);
      expect(steps[0]!.state).not.toHaveProperty("page");
      expect(steps[1]!.state).toMatchObject({ page: { etag: '"p1"' }, pdf: { etag: '"l25"' } });
      expect(server.requests.map((r) => r.path)).not.toContain(
        "/app/uploads/2023/12/List-of-Dual-Use-Goods-and-Technologies-Munitions-List-2023-1.pdf",
      );
    } finally {
      await server.close();
    }
  });

  it("fails loudly when the page links no list", async () => {
    const server = await startSourceServer({
      "/control-lists/": () =>
        html(Buffer.from("<!doctype html><html><body><p>Maintenance</p></body></html>"), '"m"'),
    });
    try {
      const http = testHttpClient({ "https://www.wassenaar.org": server.origin });
      await expect(source.fetch({ http, log: silentLog, now: new Date(), state: {} })).rejects.toThrow(
        SourceShapeChangedError,
      );
    } finally {
      await server.close();
    }
  });
});
