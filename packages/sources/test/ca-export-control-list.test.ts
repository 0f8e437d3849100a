import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { findSource } from "@regwatch/sources/registry";
import { describe, expect, it } from "vitest";
import { changedRecord } from "../../../test/support/changed-record.ts";
import { recordContext } from "../../../test/support/record-context.ts";
import { namedProvisions } from "../src/ca/export-control-list/parse.ts";

const source = findSource("ca.export-control-list")!;
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../src/ca/export-control-list/fixtures", name));
const parse = (name: string) => {
  const snapshot = source.parse({ body: fixture(name) });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};

const ctx = recordContext(source, {
  detectedAt: "2025-07-31T00:00:00.000Z",
  citation: "SOR/2025-89",
  effectiveAt: "2025-04-25",
  citationsByDate: { "2025-04-25": "SOR/2025-89", "2024-07-19": "SOR/2024-112" },
});

function diff(oldName: string, newName: string) {
  const before = parse(oldName).entries.map((e) => ({ ...e, hash: entryHash(e) }));
  return diffLists(before, parse(newName).entries, ctx);
}

describe("ca.export-control-list parser", () => {
  it("parses items, sub-items, group-level provisions, notes and body sections (snapshot)", async () => {
    const snapshot = parse("ecl-small-2024.xml");
    await expect(`${JSON.stringify(snapshot, null, 2)}\n`).toMatchFileSnapshot(
      "__snapshots__/ca-ecl-small-2024.json",
    );
    expect(snapshot.entries.map((e) => e.key)).toEqual([
      "s.1",
      "s.1:Guide",
      "s.2",
      "s.2(a)",
      "group-1",
      "group-2",
      "group-2(a)",
      "group-2(b)",
      "group-2(b)(i)",
      "5101",
      "5105",
      "5506",
      "5506(2)",
      "5506(2)(c)",
      "5506(2)(c)(ii)",
      "5506(2)(c)(ii).note",
      "5506(2)(c)(ii).note.1",
    ]);
  });

  it("keeps footnote markers out of the text and superscripts apart from their base", () => {
    const entry = parse("ecl-small-2024.xml").entries.find((e) => e.key === "5506(2)(c)(ii)")!;
    expect(entry.text).toBe(
      "quantum computers supporting 34 or more fully controlled physical qubits, and having a C-NOT error of less than or equal to 10^-4;",
    );
    expect(changedRecord(parse("ecl-small-2024.xml").entries, "5506(2)(c)(ii)", ctx).technologies).toEqual([
      "quantum",
    ]);
  });

  it("tags a record on a note with the technologies of the item it belongs to", () => {
    const note = parse("ecl-small-2024.xml").entries.find((e) => e.key === "5506(2)(c)(ii).note.1")!;
    expect(note.parentKey).toBe("5506(2)(c)(ii).note");
    expect(
      changedRecord(parse("ecl-small-2024.xml").entries, "5506(2)(c)(ii).note.1", ctx).technologies,
    ).toEqual(["quantum"]);
  });

  it("reports amendments not yet in force without treating them as the list", () => {
    const snapshot = parse("ecl-small-2024.xml");
    expect(snapshot.meta.pendingAmendments).toEqual(["SOR/2025-89, s. 1"]);
    expect(snapshot.entries.some((e) => e.text.includes("is replaced by"))).toBe(false);
  });

  it("gives zero records for a consolidation that differs only in ids, whitespace, attribute order and entities", () => {
    expect(diff("ecl-small-2024.xml", "ecl-small-2024-cosmetic.xml")).toEqual([]);
  });

  it("diffs a real amendment into exactly the entries that changed", () => {
    const records = diff("ecl-small-2024.xml", "ecl-small-2025.xml");
    expect(records.map((r) => [r.kind, r.subject]).sort()).toEqual([
      ["added", "5506(2)(c)(iii)"],
      ["modified", "5506(2)(c)(ii)"],
      ["removed", "5101"],
    ]);
    const modified = records.find((r) => r.kind === "modified")!;
    expect(modified.title).toBe(
      "5506 changed paragraph (2)(c)(ii): quantum computers supporting 34 or more fully controlled physical qubits, and having a C-NOT error of less than or equal to 10^-3;",
    );
    expect(modified.diff).toContainEqual(["-", "4"]);
    expect(modified.diff).toContainEqual(["+", "3"]);
    expect(modified.effectiveAt).toBe("2025-04-25");
    expect(modified.citation).toBe("SOR/2025-89");
    const added = records.find((r) => r.kind === "added")!;
    expect(added.technologies).toEqual(["quantum"]);
    expect(added.title).toMatch(/^5506 gained paragraph \(2\)\(c\)\(iii\): parametric signal amplifiers/);
  });

  it("keys a note by the provisions it names, not by the clause it is nested in", () => {
    const entries = parse("ecl-notes-2025.xml").entries;
    const byKey = new Map(entries.map((e) => [e.key, e]));
    // Nested in clause (B), naming clause (B) and subparagraph (iii): the deepest provision holding both.
    expect(byKey.get("5506(2)(d)(iii).note")).toMatchObject({ parentKey: "5506(2)(d)(iii)", text: "NOTE" });
    expect(byKey.get("5506(2)(d)(iii).note.2")).toMatchObject({
      parentKey: "5506(2)(d)(iii).note",
      text: "Subparagraph (iii) includes etching by radicals, ions, sequential reactions, or non-sequential reaction.",
    });
    expect(byKey.has("5506(2)(d)(iii)(B).note")).toBe(false);
    // Naming the clause it stands in, it stays there.
    expect(byKey.get("5506(2)(d)(iii)(A).note")?.parentKey).toBe("5506(2)(d)(iii)(A)");
    expect(byKey.get("5504(1)(a).note")?.parentKey).toBe("5504(1)(a)");
  });

  it("diffs a clause inserted before a note, and an item removed with its note, into exactly those", () => {
    expect(
      diff("ecl-notes-2025.xml", "ecl-notes-2026.xml")
        .map((r) => `${r.kind} ${r.subject}`)
        .sort(),
    ).toEqual(["added 5506(2)(d)(iii)(C)", "removed 5504"]);
  });

  it("reads the ways a note names provisions of its item", () => {
    const keys = [
      "5506",
      "5506(2)",
      "5506(2)(d)",
      "5506(2)(e)",
      "5506(2)(g)",
      "5506(2)(d)(vi)",
      "5506(2)(d)(vii)",
    ];
    const parents = new Map(
      keys.map((k) => [k, k === "5506" ? null : keys.filter((p) => k.startsWith(p) && p !== k).pop()!]),
    );
    const named = (text: string) =>
      namedProvisions(
        text,
        "5506(2)(d)(vii)",
        (k) => parents.get(k) ?? null,
        (k) => parents.has(k),
      );
    expect(named("In subparagraphs (vi) and (vii), pellicle means …")).toEqual([
      "5506(2)(d)(vi)",
      "5506(2)(d)(vii)",
    ]);
    expect(named("For the purposes of paragraphs (2)(d) to (g), …")).toEqual(["5506(2)(d)", "5506(2)(g)"]);
    expect(named("Paragraph (e) does not apply …")).toEqual(["5506(2)(e)"]);
    expect(named("Au sous-alinéa (vi), …")).toEqual(["5506(2)(d)(vi)"]);
    expect(named("as defined in subsection (1) of the Criminal Code; in note 2, …")).toEqual([]);
  });

  it("refuses a document that is not the Export Control List", () => {
    const other = Buffer.from(
      '<Regulation xmlns:lims="http://justice.gc.ca/lims"><Identification><InstrumentNumber>SOR/81-543</InstrumentNumber></Identification><Body/></Regulation>',
    );
    expect(() => source.parse({ body: other })).toThrow(/expected SOR\/89-202, found "SOR\/81-543"/);
  });

  it("refuses a truncated document with a clear error", () => {
    const truncated = fixture("ecl-small-2024.xml").subarray(0, 1500);
    expect(() => source.parse({ body: truncated })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: truncated })).toThrow(/malformed XML/);
  });
});
