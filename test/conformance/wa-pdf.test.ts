import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { type ReadList, readList } from "../../packages/sources/src/wa/parse.ts";
import { readPdfText } from "../../packages/sources/src/wa/pdf-text.ts";
import { waWassenaarLists } from "../../packages/sources/src/wa/source.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// The WA list reader on real PDFs in Wassenaar numbering: the EU dual-use list
// (Annex I of Regulation (EU) 2021/821) and the EU Common Military List, as
// Norway publishes them as Lists II and I of its export control regulation.

const [listI] = sampleFiles("no", /^no-export-control-list-I-eu-common-military-list-.*\.pdf$/);
const [listII] = sampleFiles("no", /^no-export-control-list-II-dual-use-.*\.pdf$/);

const read = (path: string) => readList(readPdfText(readSample(path)));
const byKey = (entries: Entry[]) => new Map(entries.map((e) => [e.key, e]));

describe("wa reader: the EU dual-use list as a PDF (Norway's List II)", () => {
  const list: ReadList = read(listII!);
  const entries = byKey(list.entries);

  it("reads every category, 0 to 9, into its entries by number", () => {
    for (const digit of "0123456789") {
      expect(entries.get(`cat.${digit}`)?.heading).toMatch(new RegExp(`^CATEGORY ${digit}\\b`));
      // Category 4 is the smallest (some 60 keys); the others hold hundreds.
      expect(list.counts.byCategory[digit]).toBeGreaterThan(digit === "4" ? 40 : 100);
    }
    expect(list.counts).toMatchObject({ categories: 10 });
    expect(list.counts.entries).toBeGreaterThan(350);
    expect(list.counts.paragraphs).toBeGreaterThan(2500);
    expect(list.counts.notes).toBeGreaterThan(700);
    expect(list.counts.definitions).toBeGreaterThan(200);
  });

  it("keys each entry once", () => {
    const keys = list.entries.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => k.includes("#"))).toEqual([]);
  });

  it("reads 3B001 with its paragraphs a. to j., their sub-paragraphs and notes", () => {
    const paragraphs = list.entries.filter((e) => /^3B001\.[a-z]$/.test(e.key)).map((e) => e.key);
    expect(paragraphs).toEqual("abcdefghij".split("").map((l) => `3B001.${l}`));
    expect(entries.get("3B001")).toMatchObject({ parentKey: "cat.3.B", data: { category: "3" } });
    expect(entries.get("3B001.a.1")).toEqual({
      key: "3B001.a.1",
      parentKey: "3B001.a",
      heading: null,
      text: "Equipment designed or modified to produce a layer of any material other than silicon with a thickness uniform to less than ± 2,5% across a distance of 75 mm or more;",
    });
    expect(entries.get("3B001.a.1.note")?.text).toBe(
      "3B001.a.1. includes Atomic Layer Epitaxy (ALE) equipment.",
    );
    expect(entries.get("3B001.f.3.b.3")?.text).toBe(
      "A second-layer overlay error of less than 23 nm (mean + 3 sigma) on the mask;",
    );
    expect(entries.get("3B001.e.technical-note")?.text).toMatch(
      /^1\. For the purpose of 3B001\.e\., 'semiconductor process tools'/,
    );
  });

  it("reads 5A002 in Category 5 Part 2, and Category 5's parts and groups", () => {
    expect(entries.get("cat.5.part.2")?.parentKey).toBe("cat.5");
    expect(entries.get("5A002")).toMatchObject({
      parentKey: "cat.5.A2",
      heading: '"Information security" systems, equipment and components, as follows:',
    });
    expect(entries.get("5A002.a.1")?.text).toBe('Items having "information security" as a primary function;');
    expect(entries.get("5A001")?.parentKey).toBe("cat.5.A1");
  });

  it("reads the definitions, told apart by their qualifiers", () => {
    expect(entries.get("def:Accuracy")?.text).toMatch(
      /^"Accuracy" \(2 3 6 7 8\), usually measured in terms of inaccuracy/,
    );
    expect(entries.has("def:Bias (accelerometer)")).toBe(true);
    expect(entries.has("def:Bias (gyro)")).toBe(true);
  });

  it("leaves running headers, page numbers, the table of contents and 'continued' lines out of the text", () => {
    expect(list.dropped).toMatchObject({ running: 506, toc: 15, footnotes: 5 });
    expect(list.dropped.continued).toBeGreaterThan(100);
    const words = list.entries.map((e) => `${e.heading ?? ""}\n${e.text}`).join("\n");
    expect(words).not.toMatch(/\bcontinued\n|\.{6,}/);
    expect(entries.get("cat.3")?.text).toBe("");
  });

  it("reads a table and its notes as parts of the entry they follow, not as its paragraphs", () => {
    // "TABLE - DEPOSITION TECHNIQUES" (the grid 2E003.f points to) and its notes stand after 2E301.
    expect(list.entries.filter((e) => e.parentKey === "2E301").map((e) => e.key)).toEqual([
      "2E301.sec.table-deposition-techniques",
      "2E301.sec.table-deposition-techniques-notes",
      "2E301.sec.table-deposition-techniques-technical-note",
    ]);
    expect(entries.get("2E301.sec.table-deposition-techniques-notes")?.text).toMatch(
      /^1\. The term 'coating process' includes coating repair/,
    );
    expect(entries.get("4E001.sec.technical-note-on-adjusted-peak-performance-app")?.parentKey).toBe("4E001");
    // A level the list skips: 1C350 numbers its chemicals directly.
    expect(entries.get("1C350.89")?.text).toBe("N,N-Dipropylisobutanamidine (CAS 1342700-45-1).");
  });

  it("reads the 2B group heading printed on the line of the sentence before it", () => {
    // "… refers to the smallest diameter.2B Test, Inspection and Production Equipment" is one line of this
    // PDF: the heading is cut from it, and 2B001 to 2B352 hang from it, with nothing left to warn about.
    expect(list.warnings).toEqual([]);
    expect(entries.get("cat.2.B")).toMatchObject({
      parentKey: "cat.2",
      heading: "2B Test, Inspection and Production Equipment",
    });
    const group2B = list.entries.filter((e) => /^2B\d{3}$/.test(e.key));
    expect(group2B.length).toBe(35);
    for (const e of group2B) expect(e.parentKey).toBe("cat.2.B");
    expect(entries.get("2A226.technical-note")?.text).toBe(
      "For valves with different inlet and outlet diameters, the 'nominal size' in 2A226 refers to the smallest diameter.",
    );
    // The group's own technical notes follow its heading.
    expect(entries.get("cat.2.B.technical-note")?.text).toMatch(/^1\. Secondary parallel contouring axes/);
    // Every group heading of every category, each once.
    const groups = list.entries.filter((e) => /^cat\.\d\.[A-E]\d?$/.test(e.key)).map((e) => e.key);
    expect(groups.length).toBe(55);
    expect(groups.filter((k) => k.startsWith("cat.2."))).toEqual([
      "cat.2.A",
      "cat.2.B",
      "cat.2.C",
      "cat.2.D",
      "cat.2.E",
    ]);
  });

  it("reads the deposition table after 2E301 row by row, each row's cells together, in one entry", () => {
    const rows = entries.get("2E301.sec.table-deposition-techniques")!.text.split("\n");
    expect(rows.slice(0, 4)).toEqual([
      "1. Coating Process (1) (*1) | 2. Substrate | 3. Resultant Coating",
      "A. Chemical Vapour Deposition (CVD) | ‘Superalloys’ | Aluminides for internal passages",
      "| Ceramics (19) and Low expansion glasses (14) | Silicides; Carbides; Dielectric layers (15); Diamond; Diamond-like carbon (17)",
      "| Carbon-carbon, Ceramic and Metal ‘matrix’‘composites’ | Silicides; Carbides; Refractory metals; Mixtures thereof (4); Dielectric layers (15); Aluminides; Alloyed aluminides (2); Boron nitride",
    ]);
    expect(rows).toContain(
      "B.2. Ion assisted resistive heating Physical Vapour Deposition (PVD) (Ion Plating) | Ceramics (19) and Low-expansion glasses | Dielectric layers (15); Diamond-like carbon (17)",
    );
    expect(rows).toContain(
      "D. Plasma spraying | ‘Superalloys’ | MCrAlX (5); Modified zirconia (12); Mixtures thereof (4); Abradable Nickel-Graphite; Abradable materials containing Ni-Cr-Al; Abradable Al-Si-Polyester; Alloyed aluminides (2)",
    );
    expect(rows.slice(-2)).toEqual([
      "| Cemented tungsten carbide (16) | Carbides; Nitrides",
      "(*1) The numbers in parenthesis refer to the Notes following this Table.",
    ]);
    // Each coating process starts a row, in the order printed; no row has more than three cells.
    expect(rows.map((r) => /^([A-G](?:\.\d)?)\. /.exec(r)?.[1]).filter(Boolean)).toEqual(
      "A B B.1 B.2 B.3 B.4 C D E F G".split(" "),
    );
    expect(rows.length).toBe(56);
    for (const r of rows) expect(r.split(" | ").length).toBeLessThanOrEqual(3);
    // None of its cells leaks into the entry, its notes or the entries around it.
    expect(entries.get("2E301")?.text).toBe("");
    for (const key of [
      "2E301.sec.table-deposition-techniques-notes",
      "2E301.sec.table-deposition-techniques-technical-note",
      "2E201",
      "2E003",
    ])
      expect(entries.get(key)?.text ?? "").not.toMatch(/ \| |Abradable Nickel-Graphite|Mixtures thereof/);
    // The summary of changes at the end of the list is a table too.
    expect(entries.get("sec.2020-update-of-the-eu-control-list-of-dual-use-items.note")?.text).toContain(
      "\n1C350.66, .67, .68, .69, .70, .71, .72, .73, .74, .75, .76, .77, .78, .79, .80, .81, .82, .83, .84, .85, .86, .87, .88 & .89 | AG | 24 new chemicals added\n",
    );
  });

  it("writes superscripts in Unicode superscripts, the same in every entry: no caret", () => {
    for (const e of list.entries) expect(`${e.heading ?? ""}\n${e.text}`).not.toContain("^");
    expect(entries.get("def:Specific modulus")?.text).toBe(
      '"Specific modulus" (0 1 9) is Young\'s modulus in pascals, equivalent to N/m² divided by specific weight in N/m³, measured at a temperature of (296 ± 2) K ((23 ± 2)°C) and a relative humidity of (50 ± 5)%.',
    );
    expect(entries.get("1C232")?.heading).toMatch(/^Helium-3 \(³He\)/);
    const words = list.entries.map((e) => e.text).join("\n");
    expect(words).toContain("1x10⁻⁶ g");
    expect(words).toContain("U⁺³ to U⁺⁴");
    expect(words).toContain("M²-factor");
    expect(words).toContain("(5th Edition February 2008)");
    // A footnote keeps its key: its raised mark is written plain there.
    expect(entries.get("footnote.1-https-www-australiagroup-net")?.text).toBe(
      "¹ https://www.australiagroup.net/",
    );
  });

  it("joins words broken at a line end and keeps compounds' hyphens", () => {
    const words = list.entries.map((e) => `${e.heading ?? ""}\n${e.text}`).join("\n");
    // A hyphen and a space before a small letter only where the hyphen is suspended ("cobalt- or nickel-").
    expect([...words.matchAll(/\p{L}+- (\p{Ll}+)/gu)].map((m) => m[1])).toEqual(["or", "and"]);
    for (const compound of [
      "non-lasing",
      "Low-expansion",
      "perfluoroaliphatic-ethers",
      "fluid-filled",
      "non-composite",
      "explosively-driven",
    ])
      expect(words).toContain(compound);
  });

  it("is not the Wassenaar Arrangement's own list: the WA source refuses it", () => {
    expect(() => waWassenaarLists.parse({ body: readSample(listII!) })).toThrow(SourceShapeChangedError);
  });
});

describe("wa reader: the EU Common Military List as a PDF (Norway's List I)", () => {
  const list = read(listI!);
  const entries = byKey(list.entries);

  it("reads ML1 to ML22, in order, each once", () => {
    const ml = list.entries.filter((e) => /^ML\d+$/.test(e.key)).map((e) => e.key);
    expect(ml).toEqual(Array.from({ length: 22 }, (_, i) => `ML${i + 1}`));
    expect(list.warnings).toEqual([]);
    const keys = list.entries.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("reads their paragraphs and notes by number", () => {
    expect(entries.get("ML1")?.heading).toMatch(/^Smooth-bore weapons with a calibre of less than 20 mm/);
    expect(entries.get("ML1.b.2.a")?.text).toBe("Fully automatic type weapons;");
    expect(entries.get("ML2.a.note.2")?.text).toMatch(
      /^ML2\.a\. does not apply to weapons as follows:\na\. Rifles/,
    );
    expect(entries.get("ML4.nb.2")?.text).toBe("For Aircraft Missile Protection Systems (AMPS), see ML4.c.");
    expect(list.entries.filter((e) => e.key.startsWith("ML8.")).length).toBeGreaterThan(100);
    expect(list.counts.definitions).toBeGreaterThan(40);
    expect(entries.get("def:Aircraft")?.text).toMatch(/^ML8, 10, 14 "Aircraft"\nA fixed wing/);
  });

  it("joins words broken at a line end, and writes superscripts in Unicode superscripts", () => {
    const words = list.entries.map((e) => `${e.heading ?? ""}\n${e.text}`).join("\n");
    for (const joined of [
      "circumstances",
      "calculations",
      "intervention",
      "detonating",
      "tris(dioctyl)phosphate",
    ])
      expect(words).toContain(joined);
    expect(words).not.toMatch(/calcu-|circum-|deton-|inter-vention|\^/);
    expect(words).toContain('"space-qualified" by virtue of testing');
    expect(words).toContain("(C³I)");
  });
});
