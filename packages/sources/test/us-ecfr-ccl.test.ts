import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { findSource } from "@regwatch/sources/registry";
import { describe, expect, it } from "vitest";
import { changedRecord } from "../../../test/support/changed-record.ts";
import { recordContext } from "../../../test/support/record-context.ts";
import { continuesNoteList, continuesParagraphs, namedDesignators } from "../src/us/ecfr-ccl/parse.ts";
import { cclVersionDates } from "../src/us/ecfr-ccl/source.ts";

const source = findSource("us.ecfr.ccl")!;
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../src/us/ecfr-ccl/fixtures", name));
const parse = (name: string) => {
  const snapshot = source.parse({
    body: fixture(name),
    url: `https://www.ecfr.gov/api/versioner/v1/full/${name.match(/\d{4}-\d{2}-\d{2}/)![0]}/title-15.xml?part=774`,
  });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};

const ctx = recordContext(source, {
  detectedAt: "2024-09-07T12:00:00.000Z",
  citation: "89 FR 72926",
  effectiveAt: "2024-09-06",
});

const diff = (a: string, b: string) =>
  diffLists(
    parse(a).entries.map((e) => ({ ...e, hash: entryHash(e) })),
    parse(b).entries,
    ctx,
  );

describe("us.ecfr.ccl parser", () => {
  it("parses ECCNs and paragraphs (snapshot)", async () => {
    const snapshot = parse("ccl-small-2024-08-01.xml");
    await expect(`${JSON.stringify(snapshot, null, 2)}\n`).toMatchFileSnapshot(
      "__snapshots__/ccl-small-2024-08-01.json",
    );
    expect(snapshot.meta).toMatchObject({ versionDate: "2024-08-01", eccns: 2 });
    expect(snapshot.entries.map((e) => e.key)).toEqual([
      "3B001",
      "3B001.a",
      "3B001.a.1",
      "3B001.a.2",
      "3B001.b",
      "3B001.b.1",
      "3B001.b.2",
      "3B001.c",
      "3B001.c.1",
      "3B001.c.1.a",
      "4A906",
      "4A906.a",
      "4A906.a.1",
      "4A906.a.2",
    ]);
  });

  it("keeps reasons for control, licence exceptions and the country chart with the ECCN", () => {
    const eccn = parse("ccl-small-2024-08-01.xml").entries.find((e) => e.key === "3B001")!;
    expect(eccn.heading).toMatch(/^Equipment for the manufacturing of semiconductor devices/);
    expect(eccn.data).toMatchObject({ reasons: "NS, AT", LVS: "$500", category: "3" });
    expect(eccn.text).toContain("NS applies to 3B001.a.1 to a.3, b, c | NS Column 2.");
    expect(eccn.text).toContain("Related Controls: See also 3B903 and 3B991.");
  });

  it("reads lettered lines of licence requirement notes and of notes as note text, not paragraphs", () => {
    const entries = parse("ccl-small-2024-08-01.xml").entries;
    const b = entries.find((e) => e.key === "3B001.b")!;
    expect(b.text).toContain("3B001.b does not control equipment for the following:");
    expect(b.text).toContain("a. Ion implanters for medical applications;");
    expect(entries.find((e) => e.key === "3B001")!.text).toContain(
      "a. Microprocessors for use in items controlled by 3B001;",
    );
    expect(entries.find((e) => e.key === "3B001.a")!.text).toBe(
      "Equipment designed for epitaxial growth as follows:",
    );
  });

  it("tells licence requirement notes from items without the section headings", () => {
    const xml = `<?xml version="1.0"?><DIV5 N="774" TYPE="PART"><DIV9 N="Supplement No. 1 to Part 774" TYPE="APPENDIX">
<FP-2><B>3B001 Equipment for the manufacturing of semiconductor devices.</B></FP-2>
<FP-1><I>Reason for Control:</I> NS, AT</FP-1>
<FP-1><I>License Requirement Notes:</I> The following are not controlled:</FP-1>
<P>a. Microprocessors;</P><P>b. Other things.</P>
<FP-1><I>LVS:</I> $500</FP-1>
<P>a. Equipment designed for epitaxial growth as follows:</P><FP>a.1. Equipment designed to produce a layer.</FP>
</DIV9></DIV5>`;
    const snapshot = source.parse({ body: Buffer.from(xml) });
    expect(snapshot.kind === "list" && snapshot.entries.map((e) => [e.key, e.text])).toEqual([
      [
        "3B001",
        expect.stringContaining(
          "License Requirement Notes: The following are not controlled:\na. Microprocessors;\nb. Other things.",
        ),
      ],
      ["3B001.a", "Equipment designed for epitaxial growth as follows:"],
      ["3B001.a.1", "Equipment designed to produce a layer."],
    ]);
  });

  it("keeps numbered notes and NOTE blocks with the paragraph they follow", () => {
    const entries = parse("ccl-small-2024-08-01.xml").entries;
    expect(entries.find((e) => e.key === "3B001.a.1")!.text).toContain(
      "3B001.a.1 includes atomic layer epitaxy (ALE) equipment.",
    );
    expect(entries.find((e) => e.key === "3B001.c.1.a")!.text).toContain(
      "1. The ‘Minimum Resolvable Feature size’",
    );
    expect(entries.some((e) => e.key === "3B001.1")).toBe(false);
  });

  it("tags records on 3B001.c and on the quantum ECCNs", () => {
    // Tags are computed for the entries that make records: a change to each, alone.
    const changed = (key: string) => changedRecord(parse("ccl-small-2024-08-01.xml").entries, key, ctx);
    expect(changed("3B001.c.1.a").technologies).toContain("semiconductor-manufacturing-equipment");
    expect(changed("4A906.a.1").technologies).toEqual(["quantum"]);
  });

  it("gives zero records for a version that differs only in character references, whitespace and attribute order", () => {
    expect(diff("ccl-small-2024-08-01.xml", "ccl-small-2024-08-01-cosmetic.xml")).toEqual([]);
  });

  it("diffs an amendment into exactly the added, removed and modified ECCNs and paragraphs", () => {
    const records = diff("ccl-small-2024-08-01.xml", "ccl-small-2024-09-06.xml");
    expect(records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "added 3B001.c.1.b",
      "added 3B001.c.1.c",
      "added 3B903",
      "modified 3B001",
      "modified 3B001.a.1",
      "removed 4A906.a.2",
    ]);
    const byKey = new Map(records.map((r) => [r.subject, r]));
    expect(byKey.get("3B001.c.1.c")!.title).toBe(
      "3B001 gained paragraph c.1.c: Equipment designed or modified for anisotropic dry etching, having all of the following:",
    );
    expect(byKey.get("3B001.c.1.c")!.technologies).toContain("semiconductor-manufacturing-equipment");
    expect(byKey.get("3B903")!.technologies).toEqual([
      "semiconductor-manufacturing-equipment",
      "advanced-semiconductors",
    ]);
    expect(byKey.get("4A906.a.2")!.technologies).toEqual(["quantum"]);
    expect(byKey.get("3B001.a.1")!.diff).toEqual(
      expect.arrayContaining([
        ["-", "75"],
        ["+", "200"],
      ]),
    );
    expect(byKey.get("3B001")!.diff?.filter(([op]) => op !== "=")).toEqual([["+", "RS, "]]);
    for (const r of records) {
      expect(r).toMatchObject({
        effectiveAt: "2024-09-06",
        citation: "89 FR 72926",
        wassenaarCategory: r.subject[0],
      });
    }
  });

  it("names what it expected when the supplement is missing", () => {
    const part738 = Buffer.from(
      '<?xml version="1.0"?><DIV5 N="738" TYPE="PART"><HEAD>PART 738</HEAD></DIV5>',
    );
    expect(() => source.parse({ body: part738 })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: part738 })).toThrow(
      /no <DIV9 N="Supplement No. 1 to Part 774">.*N="738"/,
    );
  });
});

describe("notes and the paragraphs they name", () => {
  const text = (name: string, key: string) => parse(name).entries.find((e) => e.key === key)?.text;

  it("keeps a note with the paragraph it names, wherever it stands", () => {
    // "3B001.a.1 includes …" stands after a.2; "Note: 3B001.b does not control …" after b.2.
    expect(text("ccl-notes-2025-01-15.xml", "3B001.a.1")).toMatch(
      /\n3B001\.a\.1 includes atomic layer epitaxy/,
    );
    expect(text("ccl-notes-2025-01-15.xml", "3B001.a.2")).toBe(
      "Metal Organic Chemical Vapor Deposition (MOCVD) reactors designed for compound semiconductor epitaxial growth;",
    );
    expect(text("ccl-notes-2025-01-15.xml", "3B001.b")).toMatch(
      /\nNote: 3B001\.b does not control equipment for the following:\na\. Ion implanters for medical applications;\nb\. Ion implanters for the finishing of metal parts\.$/,
    );
    expect(text("ccl-notes-2025-01-15.xml", "3B001.q")).toMatch(
      /\nFor the purposes of paragraph q of this ECCN, masks or reticles/,
    );
    expect(text("ccl-notes-2025-01-15.xml", "1C010.a")).toMatch(
      /\nN\.B\. to 1C010\.a: for polyethylene fibers/,
    );
  });

  it("gives a note naming the ECCN as a whole to the ECCN, and one naming nothing to the paragraph it follows", () => {
    expect(text("ccl-notes-2025-01-15.xml", "3B001")).toMatch(
      /\n3B001 does not control equipment “specially designed” for the repair/,
    );
    expect(text("ccl-notes-2025-01-15.xml", "1C010.b.2")).toMatch(
      /\nFor the purposes of calculating “specific tensile strength”, the fiber density/,
    );
  });

  it("diffs paragraphs inserted before notes and removed before a note naming another into exactly those paragraphs", () => {
    const records = diff("ccl-notes-2025-01-15.xml", "ccl-notes-2025-02-20.xml");
    expect(records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "added 3B001.a.3",
      "added 3B001.r",
      "removed 3B001.b.2",
    ]);
    expect(records.find((r) => r.subject === "3B001.r")!.after).toMatch(
      /^Equipment designed for EUV ‘pattern shaping\.’\nFor the purposes of 3B001\.r, ‘pattern shaping’/,
    );
    expect(
      diff("ccl-notes-2025-02-20.xml", "ccl-notes-2025-01-15.xml")
        .map((r) => `${r.kind} ${r.subject}`)
        .sort(),
    ).toEqual(["added 3B001.b.2", "removed 3B001.a.3", "removed 3B001.r"]);
  });

  it("recognises the ways a note names paragraphs of its own ECCN", () => {
    const has = (d: string) => ["a", "a.1", "a.2", "a.3", "b", "c", "c.1", "c.3", "d.14", "r"].includes(d);
    const named = (t: string) => namedDesignators("3B001", t, has);
    expect(named("For the purposes of 3B001.r, 'pattern shaping' is …")).toEqual({
      designators: ["r"],
      wholeEntry: false,
    });
    expect(named("Note: 3B001.c.1 does not control …").designators).toEqual(["c.1"]);
    expect(named("Technical Note to 3B001.c.3: …").designators).toEqual(["c.3"]);
    expect(named("For the purposes of 3B001.c Note 1 and 3B001.d.14, 'radical' is …").designators).toEqual([
      "c",
      "d.14",
    ]);
    expect(named("NS applies to 3B001.a.1 to a.3, b, c").designators).toEqual(["a.1", "a.3", "b", "c"]);
    expect(named("For the purposes of paragraph c.1 of this ECCN, …").designators).toEqual(["c.1"]);
    expect(named("as described in paragraphs a and b").designators).toEqual(["a", "b"]);
    expect(named("3B001 does not control …")).toEqual({ designators: [], wholeEntry: true });
    // Another ECCN's paragraphs, a pointer, a note's own list, a paragraph the ECCN lacks, the article "a".
    expect(named("For the purposes of 3B991.a, see also 3B001.c; paragraph .a of ECCN 3A001")).toEqual({
      designators: [],
      wholeEntry: false,
    });
    expect(named("'money transactions' in 3B001 Note 2 paragraph b. includes …").designators).toEqual([]);
    expect(named("For the purposes of 3B001.q, …").designators).toEqual([]);
    expect(named("For the purposes of 3B001.c, and a Ge concentration …").designators).toEqual(["c"]);
  });
});

describe("paragraph sequence", () => {
  it("accepts children and later siblings, and refuses going back", () => {
    expect(continuesParagraphs("a.1", "a.2")).toBe(true);
    expect(continuesParagraphs("a.1", "b")).toBe(true);
    expect(continuesParagraphs("b.2", "b.2.a")).toBe(true);
    expect(continuesParagraphs("b.2", "a")).toBe(false);
    expect(continuesParagraphs("b.2", "b.1")).toBe(false);
  });

  it("continues a note's list only with its very next item", () => {
    expect(continuesNoteList("a", "b")).toBe(true);
    expect(continuesNoteList("a", "c")).toBe(false);
    expect(continuesNoteList("d.4.b.2", "d.4.c")).toBe(false);
  });
});

describe("eCFR versions", () => {
  it("lists the dates on which the CCL itself changed, oldest first", () => {
    const body = Buffer.from(
      JSON.stringify({
        content_versions: [
          {
            date: "2024-09-06",
            identifier: "Supplement No. 1 to Part 774",
            name: "Supplement No. 1 to Part 774—The Commerce Control List",
            part: "774",
          },
          { date: "2024-03-29", identifier: "774.1", name: "§ 774.1 Introduction.", part: "774" },
          { date: "2024-04-11", identifier: "Supplement No. 1 to Part 774", part: "774" },
          { date: "2024-09-06", identifier: "Supplement No. 1 to Part 774", part: "774" },
        ],
      }),
    );
    expect(cclVersionDates(body)).toEqual(["2024-04-11", "2024-09-06"]);
  });

  it("falls back to the part's dates when no version names the supplement", () => {
    const body = Buffer.from(
      JSON.stringify({
        content_versions: [
          { date: "2024-09-06", identifier: "774", part: "774" },
          { date: "2024-03-29", identifier: "774", part: "774" },
        ],
      }),
    );
    expect(cclVersionDates(body)).toEqual(["2024-03-29", "2024-09-06"]);
  });

  it("refuses a response without content_versions", () => {
    expect(() => cclVersionDates(Buffer.from('{"error":"nope"}'))).toThrow(/no content_versions/);
  });
});
