import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { findSource } from "@regwatch/sources/registry";
import { describe, expect, it } from "vitest";
import { recordContext } from "../support/record-context.ts";
import { expectedChanges, readList } from "./ca-independent-reading.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// Amendments to the real 2025 consolidation of SOR/89-202: Justice Laws nests
// a NOTE inside the last provision it follows, so a clause inserted after it
// (or the last one removed) carries the note along. The note's key follows
// what it names, and the diff gives exactly the clause that changed.

const source = findSource("ca.export-control-list")!;
const ctx = recordContext(source);
const [latest] = sampleFiles("ca", /^justice-laws-xml-SOR-89-202-export-control-list-2025-.*\.xml$/);
const real = readSample(latest!).toString("utf8");

function parse(xml: string) {
  const snapshot = source.parse({ body: Buffer.from(xml) });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  expect(snapshot.warnings).toEqual([]);
  return snapshot.entries;
}

function records(before: string, after: string): string[] {
  const previous = parse(before).map((e) => ({ ...e, hash: entryHash(e) }));
  return diffLists(previous, parse(after), ctx)
    .map((r) => `${r.kind} ${r.subject}`)
    .sort();
}

/** End (after `</Provision>`) of the <Provision> starting at `start`. */
function endOf(xml: string, start: number): number {
  const tags = /<Provision\b[^>]*>|<\/Provision>/g;
  tags.lastIndex = start;
  let depth = 0;
  for (let m = tags.exec(xml); m; m = tags.exec(xml)) {
    depth += m[0].startsWith("</") ? -1 : 1;
    if (depth === 0) return m.index + m[0].length;
  }
  throw new Error("unclosed <Provision>");
}

/** [start, end) of the innermost <Provision> around `index` whose first child is `first` ("<Label>(B)</Label>", "<Text>NOTE"). */
function provisionAround(xml: string, index: number, first: string): [number, number] {
  for (let at = xml.lastIndexOf("<Provision", index); at >= 0; at = xml.lastIndexOf("<Provision", at - 1)) {
    const open = xml.indexOf(">", at) + 1;
    const end = endOf(xml, at);
    if (end > index && xml.startsWith(first, open)) return [at, end];
  }
  throw new Error(`no <Provision> starting with ${first}`);
}

/**
 * Clause `label` of the provision holding the note that begins with `noteText`
 * (the note nested in its last clause), the note itself, and the clause before it.
 */
function locate(xml: string, noteText: string, label: string) {
  const at = xml.indexOf(noteText);
  if (at < 0) throw new Error(`"${noteText}" not in the document`);
  const clause = provisionAround(xml, at, `<Label>${label}</Label>`);
  const note = provisionAround(xml, at, "<Text>NOTE");
  return { clause, note };
}

/** A clause `newLabel` inserted after clause `label`; the note nested in `label` moves into it, as Justice Laws would print it. */
function insertAfter(xml: string, noteText: string, label: string, newLabel: string, text: string): string {
  const { clause, note } = locate(xml, noteText, label);
  const noteXml = xml.slice(...note);
  const without = xml.slice(clause[0], note[0]) + xml.slice(note[1], clause[1]);
  const added = `<Provision format-ref="indent-3-3" language-align="no" list-item="no"><Label>${newLabel}</Label><Text>${text}</Text>${noteXml}</Provision>`;
  return xml.slice(0, clause[0]) + without + added + xml.slice(clause[1]);
}

/** Clause `label` removed; the note nested in it moves into the clause before it. */
function removeLast(xml: string, noteText: string, label: string): string {
  const { clause, note } = locate(xml, noteText, label);
  const noteXml = xml.slice(...note);
  const previousEnd = xml.lastIndexOf("</Provision>", clause[0]);
  return xml.slice(0, previousEnd) + noteXml + xml.slice(previousEnd, clause[0]) + xml.slice(clause[1]);
}

/** The same consolidation re-serialized: lims ids renumbered, a line per element. */
const cosmetic = (xml: string) =>
  xml
    .replace(/lims:(f?id)="(\d+)"/g, (_, a: string, n: string) => `lims:${a}="${Number(n) + 17}"`)
    .replace(/></g, ">\n<");

describe("Canada's notes stay with the provisions they name when the list is amended", () => {
  const cases: [string, () => [string, string], string[]][] = [
    [
      "5506(2)(e)(iii) gains clause (C) after (B), the note naming subparagraph (iii) moving into (C)",
      () => [
        real,
        insertAfter(
          real,
          "Subparagraph (iii) includes substrates",
          "(B)",
          "(C)",
          "carbon having an isotopic impurity of less than 0.08% of carbon isotopes other than carbon-12.",
        ),
      ],
      ["added 5506(2)(e)(iii)(C)"],
    ],
    [
      "5506(2)(e)(iii) loses clause (B), the note naming subparagraph (iii) moving into (A)",
      () => [real, removeLast(real, "Subparagraph (iii) includes substrates", "(B)")],
      ["removed 5506(2)(e)(iii)(B)"],
    ],
    [
      "5506(2)(d)(v) gains clause (E) after (D), the note naming clauses (C) and (D) moving into (E)",
      () => [
        real,
        insertAfter(
          real,
          "In clauses (C) and (D),",
          "(D)",
          "(E)",
          "equipment designed for in-process monitoring of a powder bed by acoustic emission sensors.",
        ),
      ],
      ["added 5506(2)(d)(v)(E)"],
    ],
    [
      "5506(2)(d)(iii) gains clause (C) after (B), before the note naming clause (B) and subparagraph (iii)",
      () => [
        real,
        insertAfter(
          real,
          "Clause (B) includes etching",
          "(B)",
          "(C)",
          "equipment designed or modified for atomic layer etching of silicon nitride.",
        ),
      ],
      ["added 5506(2)(d)(iii)(C)"],
    ],
  ];

  it.each(cases)("%s", (_, build, expected) => {
    const [before, after] = build();
    expect(records(before, after)).toEqual(expected);
    expect(expectedChanges(readList(Buffer.from(before)), readList(Buffer.from(after)))).toEqual(expected);
    const reversed = expected.map((r) =>
      r.startsWith("added") ? r.replace("added", "removed") : r.replace("removed", "added"),
    );
    expect(records(after, before)).toEqual(reversed);
  });

  it.each(cases)("gives no records for a cosmetic republication: %s", (_, build) => {
    const [, after] = build();
    expect(records(after, cosmetic(after))).toEqual([]);
  });

  it("keys the real notes by what they name", () => {
    const keys = new Set(parse(real).map((e) => e.key));
    // "Clause (B) includes …", "Subparagraph (iii) includes …": under (d)(iii), not inside its clause (B).
    expect(keys).toContain("5506(2)(d)(iii).note");
    expect(keys).toContain("5506(2)(d)(iii).note.2");
    // "In clauses (C) and (D), …": under (d)(v).
    expect(keys).toContain("5506(2)(d)(v).note");
    // "In subparagraphs (vi) and (vii), …": under (d).
    expect(keys).toContain("5506(2)(d).note");
    // "For the purposes of clause (A), …" stands in (A) and names it.
    expect(keys).toContain("5506(2)(d)(iii)(A).note");
    expect([...keys].filter((k) => /\((B|D|vii)\)\.note/.test(k))).toEqual([]);
  });
});
