import type { Entry } from "@regwatch/core/schemas";
import { checkExpectations } from "@regwatch/diff/check-expectations";
import { diffLists, diffPages, type RecordContext } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";

const ctx: RecordContext = {
  source: { id: "us.ecfr.ccl", jurisdiction: "US" },
  detectedAt: "2024-09-07T00:00:00.000Z",
  provenance: {
    artifactSha256: "d".repeat(64),
    fetchedAt: "2024-09-07T00:00:00.000Z",
    parserVersion: "test/1",
  },
  origin: "regulatory",
  url: "https://www.ecfr.gov/on/2024-09-06/title-15/part-774",
  citation: "89 FR 72926",
  publishedAt: null,
  effectiveAt: "2024-09-06",
};

const e = (
  key: string,
  text: string,
  parentKey: string | null = null,
  heading: string | null = null,
): Entry => ({
  key,
  parentKey,
  heading,
  text,
});
const stored = (entries: Entry[]) => entries.map((x) => ({ ...x, hash: entryHash(x) }));

const base = [
  e("3B001", "Reason for Control: NS, AT", null, "Equipment for the manufacturing of semiconductor devices"),
  e("3B001.a", "Equipment designed for epitaxial growth as follows:", "3B001"),
  e("3B001.b", "Ion implantation equipment.", "3B001"),
  e(
    "3B991",
    "Equipment not controlled by 3B001.",
    null,
    "Equipment for the manufacture of electronic components",
  ),
];

describe("diffLists", () => {
  it("reports nothing on a first run: that is the baseline", () => {
    expect(diffLists(null, base, ctx)).toEqual([]);
  });

  it("does not report entries that only moved", () => {
    expect(diffLists(stored(base), [...base].reverse(), ctx)).toEqual([]);
  });

  it("does not report whitespace, no-break spaces or line breaks", () => {
    const cosmetic = base.map((x) => ({ ...x, text: `  ${x.text.replace(/ /g, "\u00a0\n ")} ` }));
    expect(diffLists(stored(base), cosmetic, ctx)).toEqual([]);
  });

  it("reports added, removed and modified entries with before and after", () => {
    const next = [
      base[0]!,
      e("3B001.a", "Equipment designed for epitaxial growth of silicon as follows:", "3B001"),
      e("3B001.c", "Etch equipment.", "3B001"),
      base[3]!,
    ];
    const records = diffLists(stored(base), next, ctx);
    expect(records.map((r) => [r.kind, r.subject, r.before, r.after])).toEqual([
      [
        "modified",
        "3B001.a",
        "Equipment designed for epitaxial growth as follows:",
        "Equipment designed for epitaxial growth of silicon as follows:",
      ],
      ["added", "3B001.c", null, "Etch equipment."],
      ["removed", "3B001.b", "Ion implantation equipment.", null],
    ]);
    expect(records.map((r) => r.title)).toEqual([
      "3B001 changed paragraph a: Equipment designed for epitaxial growth of silicon as follows:",
      "3B001 gained paragraph c: Etch equipment.",
      "3B001 lost paragraph b: Ion implantation equipment.",
    ]);
    expect(records[0]).toMatchObject({
      source: "us.ecfr.ccl",
      jurisdiction: "US",
      effectiveAt: "2024-09-06",
      citation: "89 FR 72926",
      provenance: ctx.provenance,
      technologies: ["semiconductor-manufacturing-equipment"],
      wassenaarCategory: "3",
      alert: true,
    });
  });

  it("reports a new ECCN with its paragraphs as one record, and a removed subtree likewise", () => {
    const next = [
      ...base.slice(0, 2),
      base[3]!,
      e("3B903", "Reason for Control: NS, RS, AT", null, "Scanning electron microscope equipment"),
      e("3B903.a", "Having a stage placement accuracy less than 30 nm;", "3B903"),
      e("3B903.a.1", "Measured by laser interferometry.", "3B903.a"),
    ];
    const withChild = [
      ...base.slice(0, 3),
      e("3B001.b.1", "Beam energy of 20 keV or more;", "3B001.b"),
      base[3]!,
    ];
    const records = diffLists(stored(withChild), next, ctx);
    expect(records.map((r) => [r.kind, r.subject, r.details?.entries])).toEqual([
      ["added", "3B903", ["3B903", "3B903.a", "3B903.a.1"]],
      ["removed", "3B001.b", ["3B001.b", "3B001.b.1"]],
    ]);
    expect(records[0]!.after).toBe(
      "Scanning electron microscope equipment\nReason for Control: NS, RS, AT\n3B903.a Having a stage placement accuracy less than 30 nm;\n3B903.a.1 Measured by laser interferometry.",
    );
    expect(records[0]!.title).toBe("3B903 added: Scanning electron microscope equipment");
    expect(records[1]!.before).toBe("Ion implantation equipment.\n3B001.b.1 Beam energy of 20 keV or more;");
  });

  it("reports a paragraph added under an existing one on its own", () => {
    const next = [...base, e("3B001.b.1", "Beam energy of 20 keV or more;", "3B001.b")];
    expect(diffLists(stored(base), next, ctx).map((r) => [r.kind, r.subject, r.title])).toEqual([
      ["added", "3B001.b.1", "3B001 gained paragraph b.1: Beam energy of 20 keV or more;"],
    ]);
  });

  it("reports a changed heading as a modified entry", () => {
    const next = [
      { ...base[0]!, heading: "Equipment for the manufacturing of semiconductor devices or materials" },
      ...base.slice(1),
    ];
    const records = diffLists(stored(base), next, ctx);
    expect(records.map((r) => [r.kind, r.subject])).toEqual([["modified", "3B001"]]);
    expect(records[0]!.diff?.filter(([op]) => op !== "=")).toEqual([["+", " or materials"]]);
  });

  it("gives the same record the same id, so storing it twice is harmless", () => {
    const next = base.slice(0, 3);
    expect(diffLists(stored(base), next, ctx).map((r) => r.id)).toEqual(
      diffLists(stored(base), next, ctx).map((r) => r.id),
    );
  });

  it("never alerts on baseline, backfill or parser-change records", () => {
    for (const origin of ["baseline", "backfill", "parser"] as const) {
      const records = diffLists(stored(base), base.slice(1), { ...ctx, origin });
      expect(records.every((r) => r.alert === false && r.origin === origin)).toBe(true);
    }
  });
});

describe("checkExpectations", () => {
  const expectations = { minEntries: 3, maxEntries: 10, maxRemovedShare: 0.25, requiredFields: ["key"] };
  const snapshot = (entries: Entry[]) => ({
    source: "s",
    kind: "list" as const,
    meta: {},
    warnings: [],
    entries,
  });
  const previous = { count: base.length, keys: new Set(base.map((x) => x.key)) };

  it("accepts a normal step", () => {
    expect(checkExpectations(snapshot(base), expectations, previous)).toBeNull();
  });

  it("quarantines a list that lost too many entries at once", () => {
    expect(
      checkExpectations(snapshot([...base.slice(0, 2), e("X", "x"), e("Y", "y")]), expectations, previous),
    ).toBe("2 of 4 entries (50.0%) would be removed in one step; at most 25% expected");
  });

  it("quarantines a list below its minimum size", () => {
    expect(checkExpectations(snapshot(base.slice(0, 2)), expectations, null)).toBe(
      "2 entries, fewer than the 3 expected",
    );
  });

  it("quarantines entries without a required field", () => {
    expect(checkExpectations(snapshot(base), { ...expectations, requiredFields: ["heading"] }, null)).toBe(
      '2 item(s) without "heading" (first: 3B001.a)',
    );
  });
});

describe("diffPages", () => {
  it("reports one modification with a word diff when the watched text moves", () => {
    const [record] = diffPages("Eligible: CA, GB, JP", "Eligible: CA, GB, JP, NL", ctx, "us.iec");
    expect(record).toMatchObject({ kind: "modified", subject: "us.iec", before: "Eligible: CA, GB, JP" });
    expect(record!.diff?.filter(([op]) => op !== "=")).toEqual([["+", ", NL"]]);
    expect(diffPages("same", "same", ctx, "us.iec")).toEqual([]);
    expect(diffPages(null, "first", ctx, "us.iec")).toEqual([]);
  });
});
