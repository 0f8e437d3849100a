import { basename } from "node:path";
import { comparableText } from "@regwatch/core/text";
import { diffDocuments, diffLists, documentText } from "@regwatch/diff/diff-snapshots";
import { documentHash, entryHash } from "@regwatch/diff/entry-hash";
import { findSource } from "@regwatch/sources/registry";
import { childElements, parseXml, textOf, type XmlElement } from "@regwatch/sources/xml";
import { describe, expect, it } from "vitest";
import { recordContext } from "../support/record-context.ts";
import { type CclEntry, renderCclXml } from "../support/render-ccl.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

const ccl = findSource("us.ecfr.ccl")!;
const fr = findSource("us.federal-register")!;

describe("the Commerce Control List at full size (real content rendered into eCFR markup)", () => {
  const [jsonPath] = sampleFiles("us", /^ccl-derived-json-ecfr-.*\.json$/);
  const json = JSON.parse(readSample(jsonPath!).toString("utf8")) as { entries: CclEntry[] };
  const snapshot = ccl.parse({
    body: Buffer.from(renderCclXml(json.entries)),
    url: "https://www.ecfr.gov/api/versioner/v1/full/2026-07-23/title-15.xml?part=774",
  });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  const byKey = new Map(snapshot.entries.map((e) => [e.key, e]));

  it("finds all 633 ECCNs with their headings and reasons for control", () => {
    const eccns = snapshot.entries.filter((e) => e.parentKey === null);
    expect(eccns).toHaveLength(633);
    expect(snapshot.meta).toMatchObject({ versionDate: "2026-07-23", eccns: 633 });
    for (const e of json.entries) {
      const entry = byKey.get(e.eccn)!;
      expect(comparableText(entry.heading ?? "")).toBe(comparableText(e.heading));
      if (e.reasonForControl) expect(entry.data?.reasons).toBe(e.reasonForControl);
    }
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.length).toBeGreaterThan(ccl.expectations.minEntries);
  });

  it("finds the known paragraph anchors", () => {
    for (const key of [
      "3B001.a",
      "3B001.b",
      "3B001.c",
      "3B001.c.1.a",
      "3B001.c.1.c",
      "3B001.d",
      "3B001.e",
      "3B001.f",
      "3B001.q",
      "1C010.a",
      "4A906.a.1",
    ]) {
      expect(byKey.has(key), key).toBe(true);
    }
    expect(byKey.get("3B001.a")!.text).toMatch(/^Equipment designed for epitaxial growth/);
    expect(byKey.get("1C010")!.heading).toMatch(/fibrous or filamentary materials/i);
  });

  it("tags the 2024 plurilateral ECCNs with their technologies", () => {
    const expected: Record<string, string> = {
      "2B910": "additive-manufacturing",
      "2E910": "additive-manufacturing",
      "3A901": "quantum",
      "3A904": "quantum",
      "3B903": "semiconductor-manufacturing-equipment",
      "3B904": "quantum",
      "3C907": "quantum",
      "3E905": "gaafet",
      "4A906": "quantum",
      "4D906": "quantum",
      "4E906": "quantum",
      "3B001.c.1.a": "semiconductor-manufacturing-equipment",
    };
    // Tags are computed for the entries that make records: every one of these changed at once.
    const before = snapshot.entries.map((e) => {
      const old = e.key in expected ? { ...e, text: `${e.text} (earlier wording)` } : e;
      return { ...old, hash: entryHash(old) };
    });
    const records = new Map(
      diffLists(before, snapshot.entries, recordContext(ccl)).map((r) => [r.subject, r]),
    );
    for (const [key, technology] of Object.entries(expected)) {
      if (!byKey.has(key)) continue; // not every one is in this edition; those present must be tagged
      expect(records.get(key)?.technologies, key).toContain(technology);
    }
    expect(Object.keys(expected).filter((k) => byKey.has(k)).length).toBeGreaterThanOrEqual(8);
  });
});

describe("other eCFR parts", () => {
  it.each(sampleFiles("us", /^ecfr-versioner-full-.*\.xml$/).map((f) => [basename(f), f]))(
    "refuses %s as the CCL with a clear error",
    (_, path) => {
      expect(() => ccl.parse({ body: readSample(path) })).toThrow(
        /no <DIV9 N="Supplement No. 1 to Part 774">/,
      );
    },
  );
});

describe("Federal Register API responses", () => {
  const files = sampleFiles("us", /^fr-api-.*\.json$/);

  it.each(files.map((f) => [basename(f), f]))("reads %s or says why not", (name, path) => {
    const body = readSample(path);
    if (/error-404/.test(name)) {
      expect(() => fr.parse({ body })).toThrow("Federal Register API error 404: Record Not Found");
      return;
    }
    if (/facets|search-details/.test(name)) {
      expect(() => fr.parse({ body })).toThrow(/neither results\[\] nor a document_number/);
      return;
    }
    const snapshot = fr.parse({ body });
    expect(snapshot.kind).toBe("documents");
    if (snapshot.kind !== "documents") return;
    expect(snapshot.warnings).toEqual([]);
    for (const d of snapshot.documents) {
      expect(d.id).toMatch(/^\d{4}-\d{5}$/);
      expect(d.title.length).toBeGreaterThan(0);
    }
  });

  it("finds the four BIS documents of 29 February 2016 and their citations", () => {
    const [path] = files.filter((f) => /pubdate-2016-02-29-fetched-2016-09-16/.test(f));
    const snapshot = fr.parse({ body: readSample(path!) });
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.documents.map((d) => [d.id, d.citation])).toEqual([
      ["2016-04324", "81 FR 10083"],
      ["2016-04258", "81 FR 10214"],
      ["2016-04257", "81 FR 10214"],
      ["2016-04259", "81 FR 10215"],
    ]);
    expect(snapshot.meta).toMatchObject({ count: 129, otherAgencies: 125 });
  });

  it("keeps the BIS drone rule fetched with a field subset (no agencies in the response)", () => {
    const [path] = files.filter((f) => /2026-16628/.test(f));
    const snapshot = fr.parse({ body: readSample(path!) });
    expect(snapshot.kind === "documents" && snapshot.documents[0]).toMatchObject({
      id: "2026-16628",
      citation: "91 FR 52501",
      publishedAt: "2026-08-14",
      effectiveAt: "2026-08-13",
    });
  });

  it("reports nothing between two captures of the same query from different hosts", () => {
    const [a, b] = files.filter((f) => /pubdate-2016-02-29/.test(f));
    const parse = (p: string) => {
      const s = fr.parse({ body: readSample(p) });
      if (s.kind !== "documents") throw new Error("expected documents");
      return s.documents;
    };
    const previous = new Map(
      parse(a!).map((d) => [
        d.id,
        { id: d.id, hash: documentHash(d), stage: d.stage, text: documentText(d) },
      ]),
    );
    expect(diffDocuments(previous, parse(b!), recordContext(fr))).toEqual([]);
  });
});

describe("encoding-only republications (GPO's March 2024 en-dash change)", () => {
  /** Every leaf block's comparable text, in order: what a diff would see. */
  function blocks(xml: Buffer): string[] {
    const out: string[] = [];
    const walk = (el: XmlElement) => {
      const children = childElements(el);
      if (!children.length || ["P", "FP", "HD", "FRDOCBP", "PGS", "SUBJECT", "HEAD"].includes(el.name)) {
        const t = comparableText(textOf(el));
        if (t) out.push(t);
        return;
      }
      for (const c of children) walk(c);
    };
    walk(parseXml(xml.toString("utf8")));
    return out;
  }

  it.each([
    [
      "Federal Register daily issue 2024-02-12",
      /^fr-daily-issue-2024-02-12-govinfo-bulk(-ndash-updated)?\.xml$/,
    ],
    ["eCFR Title 1 bulk", /^govinfo-bulk-ecfr-title1-march2024(-ndash-updated)?\.xml$/],
  ])("%s reads the same before and after", (_, pattern) => {
    const [current, updated] = sampleFiles("us", pattern).sort((x, y) => x.length - y.length);
    expect(readSample(current!).equals(readSample(updated!))).toBe(false);
    const a = blocks(readSample(current!));
    const b = blocks(readSample(updated!));
    expect(a.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
  });
});
