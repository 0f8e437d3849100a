import type { Entry } from "@regwatch/core/schemas";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { findSource } from "@regwatch/sources/registry";
import { describe, expect, it } from "vitest";
import { recordContext } from "../support/record-context.ts";
import { type CclEntry, type CclItem, renderCclXml } from "../support/render-ccl.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// Amendments to the real CCL content, rendered into eCFR markup: a paragraph
// inserted or removed before, after or between notes gives exactly the record
// for that paragraph, never a "modified" on a neighbour its notes used to
// follow by position.

const ccl = findSource("us.ecfr.ccl")!;
const ctx = recordContext(ccl);
const [jsonPath] = sampleFiles("us", /^ccl-derived-json-ecfr-.*\.json$/);
const json = JSON.parse(readSample(jsonPath!).toString("utf8")) as { entries: CclEntry[] };
const real = (eccn: string) => json.entries.find((e) => e.eccn === eccn)!;

const parsed = new Map<string, Entry[]>();
function parse(xml: string): Entry[] {
  const known = parsed.get(xml);
  if (known) return known;
  const snapshot = ccl.parse({ body: Buffer.from(xml) });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  expect(snapshot.warnings).toEqual([]);
  parsed.set(xml, snapshot.entries);
  return snapshot.entries;
}

function records(before: readonly CclEntry[], after: readonly CclEntry[]): string[] {
  const previous = parse(renderCclXml(before)).map((e) => ({ ...e, hash: entryHash(e) }));
  return diffLists(previous, parse(renderCclXml(after)), ctx)
    .map((r) => `${r.kind} ${r.subject}`)
    .sort();
}

/** The same document as the eCFR could serve it again: literal characters for references, blocks on lines of their own. */
function cosmetic(xml: string): string {
  return xml
    .replace(/&#x([0-9A-F]+);/g, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/></g, ">\n  <")
    .replace(/<P>/g, "<P>  ");
}

/** Index of paragraph `designator` (an item, not a note's own list) and how many items its subtree spans. */
function span(items: readonly CclItem[], designator: string): [number, number] {
  const start = items.findIndex((i) => i.kind === "item" && i.paragraph === designator);
  if (start < 0) throw new Error(`no paragraph ${designator}`);
  let end = start + 1;
  while (items[end]?.kind === "item" && items[end]!.paragraph!.startsWith(`${designator}.`)) end++;
  return [start, end - start];
}

/** ECCN `eccn` with its items rewritten; every other ECCN of the list as it is. */
function amended(eccn: string, edit: (items: CclItem[]) => CclItem[]): CclEntry[] {
  return json.entries.map((e) => (e.eccn === eccn ? { ...e, items: edit([...(e.items ?? [])]) } : e));
}

/** Without paragraph `designator`, its subparagraphs and the `prose` blocks right after them. */
const without = (eccn: string, designator: string, prose = 0) =>
  amended(eccn, (items) => {
    const [start, count] = span(items, designator);
    items.splice(start, count + prose);
    return items;
  });

/** Without everything from paragraph `from` up to paragraph `to`: a whole paragraph with its notes and subparagraphs. */
const withoutUntil = (eccn: string, from: string, to: string) =>
  amended(eccn, (items) => {
    const [start] = span(items, from);
    const [end] = span(items, to);
    items.splice(start, end - start);
    return items;
  });

const texts = (items: readonly CclItem[], from: number, count: number) =>
  items.slice(from, from + count).map((i) => i.text.slice(0, 40));

describe("notes stay with the paragraphs they name when the CCL is amended", () => {
  const cases: [string, () => [CclEntry[], CclEntry[]], string[]][] = [
    [
      "3B001 gains .r after .q and its note",
      () => [without("3B001", "r", 1), json.entries],
      ["added 3B001.r"],
    ],
    [
      "3B001 gains .r between .q and .q's note (BIS inserting before an ECCN's trailing notes)",
      () => [
        without("3B001", "r", 1),
        amended("3B001", (items) => {
          const [q] = span(items, "q");
          const [r] = span(items, "r");
          expect(texts(items, q + 1, 1)).toEqual(["For the purposes of 3B001.q, masks or re"]);
          // q, r, q's note, r's note
          const [rItem] = items.splice(r, 1);
          items.splice(q + 1, 0, rItem!);
          return items;
        }),
      ],
      ["added 3B001.r"],
    ],
    [
      "3B001.a gains .a.1 (and its note) at the start of its list",
      () => [without("3B001", "a.1", 1), json.entries],
      ["added 3B001.a.1"],
    ],
    [
      "3B001 gains .a (with its subparagraphs and notes), its first paragraph",
      () => [withoutUntil("3B001", "a", "b"), json.entries],
      ["added 3B001.a"],
    ],
    [
      "3B001.f.1.b gains .b.3 before the note 'For the purposes of 3B001.f.1.b:' and its numbered definitions",
      () => [
        json.entries,
        amended("3B001", (items) => {
          const [start, count] = span(items, "f.1.b");
          expect(texts(items, start + count, 1)).toEqual(["For the purposes of 3B001.f.1.b:"]);
          items.splice(start + count, 0, {
            ...items[start + count - 1]!,
            paragraph: "f.1.b.3",
            text: "A maximum 'dedicated chuck overlay' value of less than or equal to 1.00 nm;",
          });
          return items;
        }),
      ],
      ["added 3B001.f.1.b.3"],
    ],
    [
      "3B001 loses .d.6 and the note naming it",
      () => [json.entries, without("3B001", "d.6", 1)],
      ["removed 3B001.d.6"],
    ],
    [
      "3B001 loses .d.4.b.2 and the unnumbered prose after it",
      () => [json.entries, without("3B001", "d.4.b.2", 1)],
      ["removed 3B001.d.4.b.2"],
    ],
    [
      "3B001 loses .c.4, followed by notes naming .c, .c.1.c and .c.3",
      () => [json.entries, without("3B001", "c.4")],
      ["removed 3B001.c.4"],
    ],
    [
      "1C010 loses .a.2, followed by a note naming .a",
      () => [json.entries, without("1C010", "a.2")],
      ["removed 1C010.a.2"],
    ],
    [
      "1C010 loses .d.2 and the note naming it",
      () => [json.entries, without("1C010", "d.2", 1)],
      ["removed 1C010.d.2"],
    ],
    [
      "3A001 loses .b.12.d, followed by the definitions 'For the purposes of 3A001.b.12:'",
      () => [json.entries, without("3A001", "b.12.d")],
      ["removed 3A001.b.12.d"],
    ],
    [
      "3A001 loses .c.3, followed by a note naming .c",
      () => [json.entries, without("3A001", "c.3")],
      ["removed 3A001.c.3"],
    ],
    [
      "5A002 gains .j.2 before a note naming 5A002.a (its Note 2.j)",
      () => [without("5A002", "j.2"), json.entries],
      ["added 5A002.j.2"],
    ],
  ];

  it.each(cases)("%s", (_, build, expected) => {
    const [before, after] = build();
    expect(records(before, after)).toEqual(expected);
    expect(records(after, before)).toEqual(
      expected.map((r) =>
        r
          .replace(/^added/, "REMOVED")
          .replace(/^removed/, "added")
          .replace("REMOVED", "removed"),
      ),
    );
  });

  it.each(cases)("gives no records for a cosmetic republication: %s", (_, build) => {
    const [, after] = build();
    const xml = renderCclXml(after);
    const previous = parse(xml).map((e) => ({ ...e, hash: entryHash(e) }));
    expect(diffLists(previous, parse(cosmetic(xml)), ctx)).toEqual([]);
  });

  it("attributes the real 3B001 notes by the paragraphs they name", () => {
    const byKey = new Map(parse(renderCclXml([real("3B001")])).map((e) => [e.key, e.text]));
    expect(byKey.get("3B001.q")).toMatch(/\nFor the purposes of 3B001\.q, masks/);
    expect(byKey.get("3B001.c")).toMatch(/\n3B001\.c includes etching by 'radicals'/);
    expect(byKey.get("3B001.c.1.c")).toMatch(/\n3B001\.c\.1\.c includes etching using RF pulse/);
    expect(byKey.get("3B001.c.3")).toMatch(
      /\n3\. For the purposes of 3B001\.c\.3, 'process uniformity tuning'/,
    );
    // "For the purposes of 3B001.c Note 1 and 3B001.d.14": the deepest common parent is the ECCN.
    expect(byKey.get("3B001")).toMatch(/\n2\. For the purposes of 3B001\.c Note 1 and 3B001\.d\.14/);
    // The header names f.1.b; the numbered definitions under it follow it there.
    expect(byKey.get("3B001.f.1.b")).toMatch(
      /\nFor the purposes of 3B001\.f\.1\.b:\n1\. The 'Minimum Resolvable Feature size'.*\n2\. 'Dedicated chuck overlay'/s,
    );
    expect(byKey.get("3B001.f.1.b.2")).toBe(
      "A maximum 'dedicated chuck overlay' value of less than or equal to 1.50 nm;",
    );
    // Lettered lines that are items of their list stay where they stand.
    expect(byKey.get("3B001.c.3")).toMatch(
      /^Equipment designed for anisotropic dry etching.*\nc\.3\.a Two or more RF/s,
    );
  });
});
