// The fast normalizeText / comparableText / entryHash must give exactly what
// the first versions gave: stored hashes depend on them. The reference below
// is a frozen copy of those versions; do not "fix" it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ListSnapshot } from "@regwatch/core/schemas";
import { findSource } from "@regwatch/sources/registry";
import { describe, expect, it } from "vitest";
import { entryTexts, mismatches } from "../support/hash-reference.ts";
import { type CclEntry, renderCclXml } from "../support/render-ccl.ts";
import { readSample, SAMPLES, sampleFiles } from "./samples-dir.ts";

describe("normalizeText, comparableText and entryHash are unchanged on real lists", () => {
  it("on every entry text of the full CCL", () => {
    const json = JSON.parse(
      readFileSync(join(SAMPLES, "us/ccl-derived-json-ecfr-2026-07-23.json"), "utf8"),
    ) as {
      entries: CclEntry[];
    };
    const snapshot = findSource("us.ecfr.ccl")!.parse({
      body: Buffer.from(renderCclXml(json.entries)),
    }) as ListSnapshot;
    expect(snapshot.entries.length).toBeGreaterThan(2000);
    expect(mismatches(entryTexts(snapshot.entries))).toEqual([]);
  });

  it("on every entry text of the CA XML samples", () => {
    const files = sampleFiles("ca", /^justice-laws-xml-SOR-89-202-export-control-list-.*\.xml$/);
    expect(files.length).toBeGreaterThan(0);
    const source = findSource("ca.export-control-list")!;
    for (const file of files) {
      const snapshot = source.parse({ body: readSample(file) }) as ListSnapshot;
      expect(snapshot.entries.length, file).toBeGreaterThan(0);
      expect(mismatches(entryTexts(snapshot.entries)), file).toEqual([]);
    }
  });
});
