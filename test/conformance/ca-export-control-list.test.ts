import { basename } from "node:path";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { findSource } from "@regwatch/sources/registry";
import { describe, expect, it } from "vitest";
import { recordContext } from "../support/record-context.ts";
import { expectedChanges, readList } from "./ca-independent-reading.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

const source = findSource("ca.export-control-list")!;
const versions = sampleFiles("ca", /^justice-laws-xml-SOR-89-202-export-control-list-.*\.xml$/);
const parse = (path: string) => {
  const s = source.parse({ body: readSample(path) });
  if (s.kind !== "list") throw new Error("expected a list");
  return s;
};
const ctx = recordContext(source);

describe("Canada's Export Control List, the real consolidations", () => {
  it("has the four English versions", () => {
    expect(versions.map((v) => basename(v).slice(-26))).toEqual([
      "2021-02-26-v2020-07-15.xml",
      "2021-06-30-v2021-06-16.xml",
      "2024-09-25-v2024-07-23.xml",
      "2025-07-31-v2025-07-24.xml",
    ]);
  });

  it.each(versions.map((v) => [basename(v), v]))(
    "parses %s cleanly, entry for entry as an independent reading",
    (_, path) => {
      const snapshot = parse(path);
      expect(snapshot.warnings).toEqual([]);
      expect(snapshot.entries.length).toBeGreaterThan(180);
      expect(snapshot.entries.length).toBeLessThan(400);
      expect(source.expectations.minEntries).toBeLessThan(snapshot.entries.length);
      const independent = readList(readSample(path));
      expect(snapshot.entries.map((e) => e.key).sort()).toEqual([...independent.keys()].sort());
    },
  );

  it("shows item 5506 arriving between 2021 and 2024, then growing in 2025", () => {
    const [, v2021, v2024, v2025] = versions.map(parse);
    const has5506 = (s: ReturnType<typeof parse>) => s.entries.filter((e) => e.key.startsWith("5506")).length;
    expect(has5506(v2021!)).toBe(0);
    expect(has5506(v2024!)).toBeGreaterThan(50);
    expect(has5506(v2025!)).toBeGreaterThan(has5506(v2024!));
  });

  it.each(
    versions
      .slice(1)
      .map((v, i) => [basename(versions[i]!).slice(-15, -4), basename(v).slice(-15, -4), versions[i]!, v]),
  )("diffs the version of %s → %s into exactly the items that changed", (_a, _b, oldPath, newPath) => {
    const before = parse(oldPath).entries.map((e) => ({ ...e, hash: entryHash(e) }));
    const records = diffLists(before, parse(newPath).entries, ctx);
    const got = records.map((r) => `${r.kind} ${r.subject}`).sort();
    expect(got).toEqual(expectedChanges(readList(readSample(oldPath)), readList(readSample(newPath))));
    expect(got.length).toBeGreaterThan(0);
  });

  it("gives zero records for a version diffed against itself re-serialized (ids renumbered, whitespace added)", () => {
    const path = versions[versions.length - 1]!;
    const original = readSample(path).toString("utf8");
    const churned = original
      .replace(/lims:(f?id)="(\d+)"/g, (_, a: string, n: string) => `lims:${a}="${Number(n) + 17}"`)
      .replace(/></g, ">\n<");
    const before = parse(path).entries.map((e) => ({ ...e, hash: entryHash(e) }));
    const after = source.parse({ body: Buffer.from(churned) });
    expect(after.kind === "list" && diffLists(before, after.entries, ctx)).toEqual([]);
  });

  it("parses the French consolidation of the same date with the same items", () => {
    const french = sampleFiles("ca", /DORS-89-202.*\.xml$/)[0]!;
    const fr = parse(french);
    const en = parse(versions[versions.length - 1]!);
    expect(fr.warnings).toEqual([]);
    const items = (s: ReturnType<typeof parse>) =>
      s.entries.filter((e) => /^\d/.test(e.key) && e.parentKey === null).map((e) => e.key);
    expect(items(fr)).toEqual(items(en));
    expect([...readList(readSample(french)).keys()].sort()).toEqual(fr.entries.map((e) => e.key).sort());
  });

  it.each(sampleFiles("ca", /SOR-(2014-58|2019-221|81-543)/).map((f) => [basename(f), f]))(
    "refuses %s, which is another regulation, with a clear error",
    (_, path) => {
      expect(() => source.parse({ body: readSample(path) })).toThrow(/expected SOR\/89-202, found "SOR\//);
    },
  );
});
