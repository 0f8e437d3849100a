import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse } from "@regwatch/core/http";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { parseBwbManifest } from "../src/nl/bwb/parse.ts";
import { currentExpression, nlBwbStrategicGoods as source } from "../src/nl/bwb/source.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src/nl/bwb/fixtures", name));
const parseBody = (body: Buffer) => {
  const snapshot = source.parse({ body });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};
const parse = (name: string) => parseBody(fixture(name));
const ctx = recordContext(source, { detectedAt: "2024-09-07T08:00:00.000Z" });

const MANIFEST = Buffer.from(`<?xml version="1.0" encoding="utf-8"?>
<work label="BWBR0048464" _latestItem="2025-04-01_0/xml/BWBR0048464_2025-04-01_0.xml">
  <metadata><datum_inwerkingtreding>2023-09-01</datum_inwerkingtreding></metadata>
  <expression label="2023-09-01_0"><metadata><datum_inwerkingtreding>2023-09-01</datum_inwerkingtreding><einddatum>2024-09-06</einddatum></metadata>
    <manifestation label="xml"><metadata><hashcode> ab12 </hashcode><size>100</size></metadata><item label="BWBR0048464_2023-09-01_0.xml" _deleted="false"/></manifestation></expression>
  <expression label="2025-04-01_0"><metadata><datum_inwerkingtreding>2025-04-01</datum_inwerkingtreding><einddatum>9999-12-31</einddatum></metadata>
    <manifestation label="xml"><metadata><hashcode>cd34</hashcode><size>200</size></metadata><item label="BWBR0048464_2025-04-01_0.xml" _deleted="false"/></manifestation></expression>
  <expression label="2024-09-07_0"><metadata><datum_inwerkingtreding>2024-09-07</datum_inwerkingtreding><einddatum>2025-03-31</einddatum></metadata>
    <manifestation label="xml"><metadata><hashcode>ef56</hashcode><size>150</size></metadata><item label="BWBR0048464_2024-09-07_0.xml" _deleted="false"/></manifestation></expression>
</work>`);

function diff(oldName: string, newName: string) {
  const before = parse(oldName).entries.map((e) => ({ ...e, hash: entryHash(e) }));
  return diffLists(before, parse(newName).entries, ctx);
}

describe("nl.bwb.strategic-goods parser", () => {
  it("keys articles, paragraphs, list items, chapters and the annex", () => {
    const snapshot = parse("regeling-2023-09-01_0.xml");
    expect(snapshot.source).toBe("nl.bwb.strategic-goods");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.map((e) => [e.key, e.parentKey])).toEqual([
      ["hfdst.1", null],
      ["art.1", "hfdst.1"],
      ["art.1.p1", "art.1"],
      ["art.1.p2", "art.1"],
      ["art.2", "hfdst.1"],
      ["art.2.lid.1", "art.2"],
      ["art.2.lid.2", "art.2"],
      ["art.2.lid.2.a", "art.2.lid.2"],
      ["art.2.lid.2.b", "art.2.lid.2"],
      ["art.2.lid.3", "art.2"],
      ["hfdst.2", null],
      ["art.3", "hfdst.2"],
      ["art.4", "hfdst.2"],
      ["bijlage", null],
      ["bijlage.a", "bijlage"],
      ["bijlage.b", "bijlage"],
      ["bijlage.b.1°", "bijlage.b"],
      ["bijlage.c", "bijlage"],
    ]);
  });

  it("gives divisions and articles their heading, and keeps the Dutch text as is", () => {
    const byKey = new Map(parse("regeling-2023-09-01_0.xml").entries.map((e) => [e.key, e]));
    expect(byKey.get("hfdst.1")).toMatchObject({ heading: "Hoofdstuk 1 Algemene bepalingen", text: "" });
    expect(byKey.get("art.2")?.heading).toBe("Artikel 2");
    expect(byKey.get("art.2")?.data).toMatchObject({ inForce: "2023-09-01", source: "Stcrt.2023-18212" });
    expect(byKey.get("bijlage")?.heading).toBe("Bijlage behorende bij artikel 2, eerste lid");
    expect(byKey.get("bijlage")?.text).toBe(
      "Goederen als bedoeld in artikel 2, eerste lid: Code | Omschrijving / 3B001.l | EUV",
    );
    expect(byKey.get("art.2.lid.2.a")?.text).toBe("goederen die vóór 1 september 2023 zijn uitgevoerd;");
    expect(byKey.get("bijlage.b")?.text).toBe(
      "3B001.f.1.b: apparatuur voor stap-en-herhaal of stap-en-scan lithografie met een lichtbrongolflengte van 193 nm of meer en een ‘matched machine overlay’ van 1,5 nm of minder;",
    );
    // The JCI references in <meta-data> are bookkeeping, never text.
    expect([...byKey.values()].some((e) => e.text.includes("jci"))).toBe(false);
  });

  it("normalizes whitespace and Unicode composition", () => {
    const decomposed = fixture("regeling-2023-09-01_0.xml")
      .toString("utf8")
      .replace("vóór", "vo\u0301o\u0301r")
      .replace("Het eerste lid", "Het\n\t  eerste\u00a0lid");
    const byKey = new Map(parseBody(Buffer.from(decomposed)).entries.map((e) => [e.key, e]));
    expect(byKey.get("art.2.lid.2.a")?.text).toBe("goederen die vóór 1 september 2023 zijn uitgevoerd;");
    expect(byKey.get("art.2.lid.2")?.text).toBe("Het eerste lid is niet van toepassing op:");
  });

  it("records the version metadata", () => {
    const snapshot = parse("regeling-2024-09-07_0.xml");
    expect(snapshot.meta).toMatchObject({
      bwbId: "BWBR0048464",
      expression: "2024-09-07_0",
      versionDate: "2024-09-07",
      inputFile: "BWBR0048464_2023-09-01_0",
      citationTitle: "Regeling geavanceerde productieapparatuur voor halfgeleiders",
      kind: "ministeriele-regeling",
    });
    expect(source.versionDate?.(snapshot, { url: null, asOf: null })).toBe("2024-09-07");
    const described = source.describe(snapshot, { url: null, asOf: null });
    expect(described).toMatchObject({ effectiveAt: "2024-09-07", citation: "Stcrt.2024-99999" });
    expect(described.url).toBe("https://wetten.overheid.nl/BWBR0048464/2024-09-07");
  });

  it("gives zero records for a re-serialized version (ids renumbered, JCI dates, whitespace, entities)", () => {
    expect(diff("regeling-2023-09-01_0.xml", "regeling-2023-09-01_0-cosmetic.xml")).toEqual([]);
  });

  it("diffs an amendment into exactly the provisions that changed", () => {
    const records = diff("regeling-2023-09-01_0.xml", "regeling-2024-09-07_0.xml");
    expect(records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "added bijlage.d",
      "modified art.2.lid.3",
      "modified art.3",
      "modified bijlage.c",
    ]);
    expect(parse("regeling-2024-09-07_0.xml").entries.find((e) => e.key === "art.3")).toMatchObject({
      text: "Vervallen",
      data: { status: "vervallen" },
    });
  });

  it("warns about unknown elements instead of dropping them silently", () => {
    const odd = fixture("regeling-2023-09-01_0.xml")
      .toString("utf8")
      .replace(
        '<lid><lidnr status="officieel">3</lidnr>',
        '<vreemd>x</vreemd><lid><lidnr status="officieel">3</lidnr>',
      );
    expect(parseBody(Buffer.from(odd)).warnings).toEqual([
      "art.2: unexpected <vreemd> kept out of the entries",
    ]);
  });

  it("refuses a document that is not a BWB toestand, or another BWB work", () => {
    expect(() => source.parse({ body: Buffer.from("<work label='BWBR0048464'/>") })).toThrow(
      /expected a BWB consolidation \(<toestand>, toestand_2015-1.xsd\), found <work>/,
    );
    const other = fixture("regeling-2023-09-01_0.xml")
      .toString("utf8")
      .replace('bwb-id="BWBR0048464"', 'bwb-id="BWBR0002458"');
    expect(() => source.parse({ body: Buffer.from(other) })).toThrow(
      /expected BWB work BWBR0048464, found BWBR0002458/,
    );
  });

  it("refuses malformed XML with a clear error", () => {
    const truncated = fixture("regeling-2023-09-01_0.xml").subarray(0, 1500);
    expect(() => source.parse({ body: truncated })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: truncated })).toThrow(/malformed XML/);
  });

  it("polls the manifest and fetches the expression in force only when it moved", async () => {
    const asked: string[] = [];
    const http: HttpClient = {
      async get(url) {
        asked.push(url);
        const body = url.endsWith("manifest.xml") ? MANIFEST : fixture("regeling-2024-09-07_0.xml");
        return {
          url,
          status: 200,
          notModified: false,
          contentType: "application/xml",
          headers: { etag: '"m1"' },
          body,
          sha256: "",
          fetchedAt: "",
        } satisfies HttpResponse;
      },
    };
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const now = new Date("2025-01-15T07:00:00Z");
    const first = await source.fetch({ http, log, now, state: {} });
    expect(asked).toEqual([
      "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0048464/manifest.xml",
      "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0048464/2024-09-07_0/xml/BWBR0048464_2024-09-07_0.xml",
    ]);
    expect(first.artifacts.map((a) => a.asOf)).toEqual(["2024-09-07"]);
    expect(first.state).toMatchObject({
      lastExpression: "2024-09-07_0",
      lastHash: "ef56",
      manifestEtag: '"m1"',
    });
    asked.length = 0;
    const again = await source.fetch({ http, log, now, state: first.state });
    expect(asked).toHaveLength(1);
    expect(again.artifacts).toEqual([]);
  });

  it("reads a repository manifest and picks the expression in force", () => {
    const manifest = MANIFEST;
    const parsed = parseBwbManifest(manifest);
    expect(parsed.bwbId).toBe("BWBR0048464");
    expect(parsed.expressions.map((e) => e.label)).toEqual(["2023-09-01_0", "2024-09-07_0", "2025-04-01_0"]);
    expect(parsed.expressions[0]).toMatchObject({ hash: "ab12", size: 100, endDate: "2024-09-06" });
    expect(parsed.expressions[2]?.endDate).toBeNull();
    expect(currentExpression(parsed.expressions, "2025-01-15")?.xmlPath).toBe(
      "2024-09-07_0/xml/BWBR0048464_2024-09-07_0.xml",
    );
  });
});
