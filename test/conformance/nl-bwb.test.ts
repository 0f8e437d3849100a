import { basename } from "node:path";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { parseBwbToestand } from "../../packages/sources/src/nl/bwb/parse.ts";
import { nlBwbStrategicGoods as source } from "../../packages/sources/src/nl/bwb/source.ts";
import { recordContext } from "../support/record-context.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// Three consecutive KOOP BWB consolidations of BWBR0002458 (Drank- en
// Horecawet), read at run time from ../shared/samples/nl. Missing samples fail
// the suite (sampleFiles throws): nothing is skipped.
const versions = sampleFiles("nl", /^koop-bwb-toestand-xml-BWBR0002458-.*\.xml$/);
const parse = (path: string) => parseBwbToestand({ body: readSample(path) });
const ctx = recordContext(source);

// An independent reading: another XML parser, and each article's whole text
// (its paragraphs and list items included, <meta-data> left out) by its
// number, plus each division's heading. It shares no code with the parser.
type Node = Record<string, unknown>;
const xml = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  trimValues: false,
  parseTagValue: false,
});
const tagOf = (n: Node) => Object.keys(n).find((k) => k !== ":@")!;
const kids = (n: Node) => (n[tagOf(n)] as Node[]) ?? [];
const flat = (s: string) => s.replace(/\s+/g, " ").trim().normalize("NFC");
function text(nodes: Node[]): string {
  let s = "";
  for (const n of nodes) {
    const t = tagOf(n);
    if (t === "#text") s += String(n["#text"]);
    else if (!["meta-data", "kop", "lidnr", "li.nr"].includes(t)) s += ` ${text(kids(n))} `;
  }
  return s;
}
interface Reading {
  articles: Map<string, string>;
  /** Each article's paragraphs of text (<al>), whitespace taken out. */
  paragraphs: Map<string, string[]>;
  divisions: Map<string, string>;
  counts: Record<string, number>;
}
function independentReading(path: string): Reading {
  const reading: Reading = {
    articles: new Map(),
    paragraphs: new Map(),
    divisions: new Map(),
    counts: { artikel: 0, lid: 0, li: 0 },
  };
  let article: string[] = [];
  const visit = (nodes: Node[]) => {
    for (const n of nodes) {
      const t = tagOf(n);
      if (t === "#text" || t === "meta-data") continue;
      if (t in reading.counts) reading.counts[t]!++;
      if (t === "al") article.push(text(kids(n)).replace(/\s+/g, "").normalize("NFC"));
      const kop = kids(n).find((k) => tagOf(k) === "kop");
      if (t === "artikel") {
        const label = String((n[":@"] as Record<string, string>).label);
        const key = `art.${label.replace(/^Artikel\s*/, "")}`;
        reading.articles.set(key, flat(text(kids(n))));
        article = [];
        reading.paragraphs.set(key, article);
        visit(kids(n));
        article = [];
        continue;
      } else if (t === "paragraaf") {
        const nr = kids(kop!).find((k) => tagOf(k) === "nr")!;
        reading.divisions.set(`par.${flat(text(kids(nr)))}`, flat(text(kids(kop!))));
      }
      visit(kids(n));
    }
  };
  visit(xml.parse(readSample(path).toString("utf8")) as Node[]);
  return reading;
}
function changedBetween(a: Reading, b: Reading): string[] {
  const out: string[] = [];
  for (const m of ["articles", "divisions"] as const) {
    for (const [k, v] of a[m]) if (b[m].get(k) !== v) out.push(k);
    for (const k of b[m].keys()) if (!a[m].has(k)) out.push(k);
  }
  return out.sort();
}
/** The article (or division) a record's subject belongs to: `art.35.lid.5#2` → `art.35`. */
const owner = (key: string) => /^(art\.[^.#]+|par\.[^.#]+)/.exec(key)![1]!;

describe("KOOP BWB toestand, the real consolidations of BWBR0002458", () => {
  it("has the three consecutive versions", () => {
    expect(versions.map((v) => basename(v).slice(-16, -4))).toEqual([
      "2014-01-01_1",
      "2014-02-15_0",
      "2015-01-01_0",
    ]);
  });

  it.each(versions.map((v) => [basename(v).slice(-16, -4), v]))(
    "parses %s with sane counts that match an independent reading",
    (label, path) => {
      const snapshot = parse(path);
      const reading = independentReading(path);
      const count = (re: RegExp) => snapshot.entries.filter((e) => re.test(e.key)).length;
      const counts = {
        entries: snapshot.entries.length,
        artikel: count(/^art\.[^.]+$/),
        lid: count(/\.lid\.[^.]+$/),
        li: snapshot.entries.length - count(/^art\.[^.]+$/) - count(/\.lid\.[^.]+$/) - count(/^par\./),
        paragraaf: count(/^par\./),
      };
      console.log(`${label}: ${JSON.stringify(counts)} warnings=${JSON.stringify(snapshot.warnings)}`);
      expect({ artikel: counts.artikel, lid: counts.lid, li: counts.li }).toEqual(reading.counts);
      expect(counts.paragraaf).toBe(reading.divisions.size);
      expect(counts.artikel).toBe(74);
      expect(snapshot.meta).toMatchObject({
        bwbId: "BWBR0002458",
        expression: label,
        versionDate: label.slice(0, 10),
      });
      // The one oddity of the data: 2014-01-01_1 numbers two paragraphs of article 35 "5".
      expect(snapshot.warnings).toEqual(
        label === "2014-01-01_1"
          ? ["duplicate entry key art.35.lid.5; later one kept as art.35.lid.5#2"]
          : [],
      );
      // Each article's entries hold every paragraph of its text, and nothing else.
      for (const [key, paragraphs] of reading.paragraphs) {
        const mine = snapshot.entries
          .filter((e) => e.key === key || e.key.startsWith(`${key}.`))
          .map((e) => e.text.replace(/\s+/g, ""))
          .join("");
        for (const p of paragraphs) expect(mine, key).toContain(p);
        expect(mine.length, key).toBe(paragraphs.join("").length);
      }
    },
  );

  it("chains each version to the one it was made from", () => {
    expect(versions.map((v) => parse(v).meta.inputFile)).toEqual([
      "BWBR0002458_2014-01-01_0",
      "BWBR0002458_2014-01-01_0",
      "BWBR0002458_2014-02-15_0",
    ]);
  });

  it.each(
    versions
      .slice(1)
      .map((v, i) => [basename(versions[i]!).slice(-16, -4), basename(v).slice(-16, -4), versions[i]!, v]),
  )("diffs %s → %s into exactly the articles that changed", (a, b, oldPath, newPath) => {
    const before = parse(oldPath).entries.map((e) => ({ ...e, hash: entryHash(e) }));
    const records = diffLists(before, parse(newPath).entries, ctx);
    const changed = [...new Set(records.map((r) => owner(r.subject)))].sort();
    console.log(
      `${a} → ${b}: ${records
        .map((r) => `${r.kind} ${r.subject}`)
        .sort()
        .join(", ")}`,
    );
    expect(changed).toEqual(changedBetween(independentReading(oldPath), independentReading(newPath)));
    expect(changed.length).toBeGreaterThan(0);
  });

  it("gives zero records for a version diffed against itself re-serialized (ids renumbered, whitespace added)", () => {
    const path = versions[versions.length - 1]!;
    const churned = readSample(path)
      .toString("utf8")
      .replace(/\b(stam-id|versie-id)="(\d+)"/g, (_, a: string, n: string) => `${a}="${Number(n) + 17}"`)
      .replace(/&amp;z=\d{4}-\d{2}-\d{2}/g, "&amp;z=2099-01-01")
      .replace(/></g, ">\n<");
    const before = parse(path).entries.map((e) => ({ ...e, hash: entryHash(e) }));
    expect(diffLists(before, parseBwbToestand({ body: Buffer.from(churned) }).entries, ctx)).toEqual([]);
  });

  it("is refused by the strategic-goods source, which watches another regulation", () => {
    expect(() => source.parse({ body: readSample(versions[0]!) })).toThrow(
      /expected the BWB consolidation of "Regeling geavanceerde productieapparatuur voor halfgeleiders", found "Drank- en Horecawet" \(BWBR0002458\)/,
    );
  });
});
