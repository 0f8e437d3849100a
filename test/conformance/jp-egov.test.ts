import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { type EgovLawSnapshot, parseEgovLaw } from "../../packages/sources/src/jp/egov/parse.ts";
import { jpEgovGoodsOrdinance as source } from "../../packages/sources/src/jp/goods-ordinance/source.ts";
import { recordContext } from "../support/record-context.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// The two real e-Gov XML versions of 行政手続法 (405AC0000000088) in
// ../shared/samples/jp: in force 2018-04-01 (the older elaws serialisation)
// and 2024-04-01 (laws.e-gov.go.jp v2), and the official schema
// (XMLSchemaForJapaneseLaw v3). Read at run time; missing samples fail the
// suite (sampleFiles throws): nothing is skipped.
const versions = sampleFiles("jp", /^egov-law-xml-405AC0000000088-.*\.xml$/);
const [schema] = sampleFiles("jp", /^egov-XMLSchemaForJapaneseLaw-v3-.*\.xsd$/);
const parse = (path: string) => parseEgovLaw({ body: readSample(path), url: basename(path) });
const ctx = recordContext({ id: "jp.egov.sample", jurisdiction: "JP", parserVersion: "test" });
const dateOf = (path: string) => /-(\d{8})-[0-9A-Z]+\.xml$/.exec(path)![1]!;

// An independent reading of the same files: another XML parser, and each
// article of the main provision as one run of text (every Sentence beneath
// it, ruby readings left out, all whitespace removed) and its heading (title
// and caption). It shares no code with the reader.
type Node = Record<string, unknown>;
const xml = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  trimValues: false,
  parseTagValue: false,
  processEntities: true,
});
const tagOf = (n: Node) => Object.keys(n).find((k) => k !== ":@")!;
const kids = (n: Node) => (n[tagOf(n)] as Node[]) ?? [];
const attrs = (n: Node) => (n[":@"] as Record<string, string>) ?? {};
const squeeze = (s: string) => s.replace(/[\s\u3000]+/g, "").normalize("NFC");
function text(nodes: Node[]): string {
  let s = "";
  for (const n of nodes) {
    const t = tagOf(n);
    if (t === "#text") s += String(n["#text"]);
    else if (t !== "Rt") s += text(kids(n));
  }
  return s;
}
/** The text of every Sentence below: what provisions say, without their numbers and titles. */
function sentences(nodes: Node[]): string {
  let s = "";
  for (const n of nodes) {
    const t = tagOf(n);
    if (t === "Sentence") s += text(kids(n));
    else if (t !== "#text") s += sentences(kids(n));
  }
  return s;
}
const KANJI: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
/** "第三十六条の二" → "36の2", written here again on purpose (kanji numbers below 100 are all these files use). */
function articleNumber(title: string): string {
  const toInt = (k: string) => {
    const [tens, ones] = k.includes("十") ? k.split("十") : ["", k];
    return (k.includes("十") ? (tens ? KANJI[tens]! : 1) * 10 : 0) + (ones ? KANJI[ones]! : 0);
  };
  const m = /^第(.+?)条((?:の.+)*)$/.exec(title)!;
  return [m[1]!, ...m[2]!.split("の").slice(1)].map(toInt).join("の");
}
interface Reading {
  articles: Map<string, string>;
  headings: Map<string, string>;
  counts: {
    Article: number;
    Paragraph: number;
    Item: number;
    Subitem1: number;
    Chapter: number;
    Section: number;
  };
  amendments: number;
}
function independentReading(path: string): Reading {
  const reading: Reading = {
    articles: new Map(),
    headings: new Map(),
    counts: { Article: 0, Paragraph: 0, Item: 0, Subitem1: 0, Chapter: 0, Section: 0 },
    amendments: 0,
  };
  const visit = (nodes: Node[], inMain: boolean) => {
    for (const n of nodes) {
      const t = tagOf(n);
      if (t === "#text" || t === "TOC") continue;
      if (t === "SupplProvision" && attrs(n).AmendLawNum) reading.amendments++;
      const main = inMain || t === "MainProvision";
      if (main && t in reading.counts) reading.counts[t as keyof Reading["counts"]]++;
      if (main && t === "Article") {
        const part = (name: string) => squeeze(text(kids(kids(n).find((k) => tagOf(k) === name) ?? {})));
        const key = `art${articleNumber(part("ArticleTitle"))}`;
        reading.articles.set(key, squeeze(sentences(kids(n))));
        reading.headings.set(key, part("ArticleTitle") + part("ArticleCaption"));
      }
      if (t !== "SupplProvision") visit(kids(n), main);
    }
  };
  visit(xml.parse(readSample(path).toString("utf8")) as Node[], false);
  return reading;
}
/** What the reader gives an article: the text of every entry under it. */
function readerArticles(snapshot: EgovLawSnapshot): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of snapshot.entries) {
    const article = /^(art[^.#]+)/.exec(e.key)?.[1];
    if (article) out.set(article, squeeze((out.get(article) ?? "") + e.text));
  }
  return out;
}

/** Keys as the reader promises them: divisions, articles and their parts, digits Arabic. */
const KEY =
  /^(?:(?:part|ch|sec|subsec|div)[0-9]+(?:の[0-9]+)*(?:\.(?:sec|subsec|div)[0-9]+(?:の[0-9]+)*)*|art[0-9]+(?:の[0-9]+)*(?:\.[0-9]+)(?:\.(?:[0-9]+(?:の[0-9]+)*|[イロハニホヘトチリヌルヲワカヨタレソツネナラム]|\([0-9]+(?:の[0-9]+)*\)))*|art[0-9]+(?:の[0-9]+)*)$/;

describe("e-Gov law XML, the real versions of 行政手続法", () => {
  it("has the two versions, 2018 and 2024", () => {
    expect(versions.map(dateOf)).toEqual(["20180401", "20240401"]);
  });

  it.each(versions.map((v) => [dateOf(v), v]))(
    "reads the %s version with sane counts and keys that match an independent reading",
    (date, path) => {
      const snapshot = parse(path);
      const reading = independentReading(path);
      const count = (re: RegExp) => snapshot.entries.filter((e) => re.test(e.key)).length;
      const counts = {
        Article: count(/^art[^.]+$/),
        Paragraph: count(/^art[^.]+\.[0-9]+$/),
        Item: count(/^art[^.]+\.[0-9]+\.[^.]+$/),
        Subitem1: count(/^art[^.]+\.[0-9]+\.[^.]+\.[^.]+$/),
        Chapter: count(/^ch[^.]+$/),
        Section: count(/^ch[^.]+\.sec[^.]+$/),
      };
      console.log(`${date}: entries=${snapshot.entries.length} ${JSON.stringify(counts)}`);
      expect(counts).toEqual(reading.counts);
      expect(snapshot.warnings).toEqual([]);
      expect(snapshot.meta).toMatchObject({
        lawNum: "平成五年法律第八十八号",
        lawTitle: "行政手続法",
        lawType: "Act",
      });
      expect(snapshot.meta.amendments).toHaveLength(reading.amendments);
      for (const e of snapshot.entries) expect(e.key, e.key).toMatch(KEY);
      expect(new Set(snapshot.entries.map((e) => e.key)).size).toBe(snapshot.entries.length);
      // Each article's entries hold exactly its text, nothing lost and nothing added.
      expect(readerArticles(snapshot)).toEqual(reading.articles);
      const headings = snapshot.entries.filter((e) => /^art[^.]+$/.test(e.key));
      expect(new Map(headings.map((e) => [e.key, squeeze(e.heading ?? "")]))).toEqual(reading.headings);
      // Chapter 4-2 and article 36-2 (Num "4_2", "36_2") are keyed with their branch number.
      expect(snapshot.entries.find((e) => e.key === "ch4の2")?.heading).toBe("第四章の二　処分等の求め");
      expect(snapshot.entries.find((e) => e.key === "art36の2")?.parentKey).toBe("ch4");
    },
  );

  it("diffs 2018 → 2024 into exactly the provisions that changed", () => {
    const [older, newer] = versions.map(parse) as [EgovLawSnapshot, EgovLawSnapshot];
    const before = older.entries.map((e) => ({ ...e, hash: entryHash(e) }));
    const records = diffLists(before, newer.entries, ctx);
    console.log(`2018 → 2024: ${records.map((r) => `${r.kind} ${r.subject}`).join(", ")}`);
    const [a, b] = versions.map(independentReading) as [Reading, Reading];
    const changedArticles = [...new Set([...a.articles.keys(), ...b.articles.keys()])]
      .filter((k) => a.articles.get(k) !== b.articles.get(k))
      .sort();
    const owners = [...new Set(records.map((r) => /^(art[^.#]+)/.exec(r.subject)?.[1] ?? r.subject))].sort();
    expect(owners).toEqual(changedArticles);
    expect(records.map((r) => `${r.kind} ${r.subject}`)).toEqual(["modified art3.1.8", "modified art3.1.10"]);
    expect(records[0]!.before).toContain("婦人補導院");
    expect(records[0]!.after).not.toContain("婦人補導院");
  });

  it("gives zero records for a version against itself pretty-printed, with the older generation's attributes", () => {
    const path = versions[1]!;
    const churned = readSample(path)
      .toString("utf8")
      .replace(/<(Article|Chapter|Section) /g, '<$1 Delete="false" Hide="false" ')
      .replace(/ WritingMode="vertical"/g, "")
      .replace(/></g, ">\n      <");
    const before = parse(path).entries.map((e) => ({ ...e, hash: entryHash(e) }));
    const after = parseEgovLaw({ body: Buffer.from(churned) });
    expect(after.entries).toEqual(parse(path).entries);
    expect(diffLists(before, after.entries, ctx)).toEqual([]);
  });

  it("is refused by the export-control sources, which watch other laws", () => {
    expect(() => source.parse({ body: readSample(versions[0]!) })).toThrow(
      /expected e-Gov XML of 輸出貿易管理令別表第一及び外国為替令別表の規定に基づき貨物又は技術を定める省令 \(403M50000400049\), found 行政手続法 \(平成五年法律第八十八号\)/,
    );
  });
});

// The hand-written fixtures of the two export-control laws must be written
// in the same schema: every element the real samples and the fixtures use
// inside <Law> is one the official XSD declares, with attributes it
// declares for that element.
const xsd = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: () => true });
function declared(): Map<string, Set<string>> {
  const tree = xsd.parse(readFileSync(schema!, "utf8")) as Record<string, Node[]>;
  const elements = (tree["xs:schema"]![0]! as Record<string, Node[]>)["xs:element"] ?? [];
  const out = new Map<string, Set<string>>();
  const attributesUnder = (n: unknown, into: Set<string>) => {
    if (Array.isArray(n)) for (const c of n) attributesUnder(c, into);
    else if (n && typeof n === "object") {
      for (const [k, v] of Object.entries(n)) {
        if (k === "xs:attribute") for (const a of v as Node[]) into.add(String(a.name ?? a.ref));
        else if (k !== "xs:element") attributesUnder(v, into);
      }
    }
  };
  for (const el of elements) {
    const names = new Set<string>();
    attributesUnder(el, names);
    out.set(String(el.name), names);
  }
  return out;
}
function used(path: string): Map<string, Set<string>> {
  const body = readFileSync(path);
  const textOf = /encoding="Shift_JIS"/.test(body.subarray(0, 100).toString("latin1"))
    ? new TextDecoder("shift_jis").decode(body)
    : body.toString("utf8");
  const law = textOf.slice(textOf.indexOf("<Law"), textOf.lastIndexOf("</Law>") + 6);
  const out = new Map<string, Set<string>>();
  const visit = (nodes: Node[]) => {
    for (const n of nodes) {
      const t = tagOf(n);
      if (t === "#text") continue;
      const set = out.get(t) ?? new Set<string>();
      for (const a of Object.keys(attrs(n))) set.add(a);
      out.set(t, set);
      visit(kids(n));
    }
  };
  visit(xml.parse(law) as Node[]);
  return out;
}
const fixtureDir = join(import.meta.dirname, "../../packages/sources/src/jp");
const fixtures = ["export-trade-control-order", "goods-ordinance"].flatMap((d) =>
  readdirSync(join(fixtureDir, d, "fixtures"))
    .filter((f) => f.endsWith(".xml"))
    .map((f) => join(fixtureDir, d, "fixtures", f)),
);

describe("XMLSchemaForJapaneseLaw v3", () => {
  it.each([...versions, ...fixtures].map((p) => [basename(p), p]))(
    "declares every element and attribute %s uses in <Law>",
    (_name, path) => {
      const schemaElements = declared();
      expect(schemaElements.size).toBeGreaterThan(130);
      const unknown: string[] = [];
      const elements = used(path);
      expect(elements.has("LawBody") && elements.has("Sentence")).toBe(true);
      for (const [element, attributes] of elements) {
        const allowed = schemaElements.get(element);
        if (!allowed) unknown.push(`<${element}>`);
        else for (const a of attributes) if (!allowed.has(a)) unknown.push(`<${element} ${a}>`);
      }
      expect(unknown).toEqual([]);
    },
  );
});
