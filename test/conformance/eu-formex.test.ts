import { basename } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { formexUrls } from "../../packages/sources/src/eu/annex-i/consolidations.ts";
import {
  type FormexDocument,
  formexStructure,
  readFormexSteps,
} from "../../packages/sources/src/eu/annex-i/formex.ts";
import { readAnnexEntries } from "../../packages/sources/src/eu/annex-i/parse.ts";
import { euCellarAnnexI } from "../../packages/sources/src/eu/annex-i/source.ts";
import { readCellarNotice } from "../../packages/sources/src/eu/cellar-acts/notice.ts";
import { euCellarAmendingActs } from "../../packages/sources/src/eu/cellar-acts/source.ts";
import { runSteps } from "../../packages/sources/src/steps.ts";
import { childElements, firstChild } from "../../packages/sources/src/xml/parse-xml.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// Real Publications Office documents, read at run time from ../shared/samples/eu
// (missing samples fail the suite: nothing is skipped). None is of Regulation
// 2021/821: they prove the generic Formex and Cellar readers on real markup,
// and that the Annex I source refuses what is not its document.
const [CONS_ACT] = sampleFiles("eu", /^formex-consolidated-act-2009R0810-.*\.xml$/);
const [ACT] = sampleFiles("eu", /^formex-act-L_2016119EN-.*\.xml$/);
const [BRANCH] = sampleFiles("eu", /^cellar-branch-notice-.*\.xml$/);
const [TREE] = sampleFiles("eu", /^cellar-tree-notice-.*\.xml$/);
const HTML = sampleFiles("eu", /^eurlex-.*\.html$/);

/** The samples were wrapped by a third party in <LEXP.COMBINED>: the wrapper is theirs, not Formex, and goes. */
function unwrapped(path: string): Buffer {
  const text = readSample(path).toString("utf8");
  const stripped = text.replace(/^\s*<LEXP\.COMBINED>/, "").replace(/<\/LEXP\.COMBINED>\s*$/, "");
  expect(stripped).not.toContain("LEXP.");
  return Buffer.from(stripped);
}
const read = (body: Buffer): FormexDocument => runSteps(readFormexSteps({ body }));

// An independent reading: another XML parser, counting elements by walking its tree.
type Node = Record<string, unknown>;
const xml = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  trimValues: false,
  parseTagValue: false,
});
const tagOf = (n: Node) => Object.keys(n).find((k) => k !== ":@")!;
const kids = (n: Node) => (n[tagOf(n)] as Node[]) ?? [];
function count(nodes: Node[], name: string, skip: Set<string>): number {
  let n = 0;
  for (const node of nodes) {
    const t = tagOf(node);
    if (t === name) n++;
    if (!skip.has(t) && t !== "#text") n += count(kids(node), name, skip);
  }
  return n;
}
/** The first element named `name`, depth first. */
function find(nodes: Node[], name: string): Node | undefined {
  for (const node of nodes) {
    const t = tagOf(node);
    if (t === name) return node;
    const found = t === "#text" ? undefined : find(kids(node), name);
    if (found) return found;
  }
  return undefined;
}
/** Words of an element's text, footnotes left out, in any order. */
function words(nodes: Node[]): string[] {
  const out: string[] = [];
  const walk = (list: Node[]) => {
    for (const node of list) {
      const t = tagOf(node);
      if (t === "#text")
        out.push(
          ...String(node["#text"])
            .split(/[^\p{L}\p{N}]+/u)
            .filter(Boolean),
        );
      else if (t !== "NOTE" && t !== "GR.NOTES" && !t.startsWith("?")) walk(kids(node));
    }
  };
  walk(nodes);
  return out.sort();
}
const tokens = (text: string) => text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);

describe("Formex CONS.ACT, the real consolidated Visa Code (02009R0810, German)", () => {
  it("reads its outline: consolidation, articles, annexes and amending acts, as an independent reading counts them", () => {
    const body = unwrapped(CONS_ACT!);
    const structure = formexStructure(read(body));
    const tree = xml.parse(body.toString("utf8")) as Node[];
    // Articles of the enacting terms: an annex may hold articles of its own (Annex X does).
    const articles = count(kids(find(tree, "ENACTING.TERMS")!), "ARTICLE", new Set(["QUOT.S"]));
    const annexes = count(tree, "CONS.ANNEX", new Set());
    console.log(
      `${basename(CONS_ACT!)}: ${structure.articles} articles, ${structure.divisions} divisions, annexes ${JSON.stringify(structure.annexes)}, ${structure.amendments.length} amending acts`,
    );
    expect(structure).toMatchObject({
      root: "CONS.ACT",
      celex: "32009R0810",
      language: "DE",
      consolidation: { ref: "2009R0810", startDate: "2020-02-02", endDate: null, producedOn: "2019-12-06" },
    });
    expect(structure.articles).toBe(articles);
    expect(structure.articles).toBeGreaterThan(50);
    expect(structure.annexes).toHaveLength(annexes);
    expect(structure.annexes.slice(0, 3)).toEqual(["ANHANG I", "ANHANG II", "ANHANG III"]);
    expect(structure.amendments.map((a) => a.celex)).toEqual(
      [...body.toString("utf8").matchAll(/<MOD\.ACT[\s\S]*?<NO\.CELEX>([^<]+)<\/NO\.CELEX>/g)].map(
        (m) => m[1],
      ),
    );
    expect(structure.amendments.at(-1)).toMatchObject({ celex: "32019R1155", date: "2019-06-20" });
  });

  it("keeps every word of every annex in some entry (tables, lists, sequences, footnotes aside)", () => {
    const body = unwrapped(CONS_ACT!);
    const doc = read(body);
    const annexes = childElements(firstChild(doc.root, "CONS.DOC")!).filter((c) => c.name === "CONS.ANNEX");
    const independent = (xml.parse(body.toString("utf8")) as Node[])
      .flatMap((n) => kids(n))
      .flatMap((n) => (tagOf(n) === "CONS.DOC" ? kids(n) : []))
      .filter((n) => tagOf(n) === "CONS.ANNEX");
    expect(annexes).toHaveLength(independent.length);
    annexes.forEach((annex, i) => {
      const { entries } = readAnnexEntries(firstChild(annex, "CONTENTS")!);
      const mine = entries.flatMap((e) => [...tokens(e.heading ?? ""), ...tokens(e.text)]).sort();
      const contents = kids(independent[i]!).find((n) => tagOf(n) === "CONTENTS")!;
      expect(mine, `annex ${i + 1}`).toEqual(words(kids(contents)));
    });
  });

  it("is refused by the Annex I source, which reads only Regulation (EU) 2021/821, and wrapped it is not Formex", () => {
    expect(() => euCellarAnnexI.parse({ body: unwrapped(CONS_ACT!) })).toThrow(
      /the consolidation is of 2009R0810, expected 2021R0821/,
    );
    expect(() => euCellarAnnexI.parse({ body: readSample(CONS_ACT!) })).toThrow(
      /root <LEXP.COMBINED> is not a Formex act/,
    );
  });
});

describe("Formex ACT, the real excerpt of OJ L 119/2016 (GDPR, English)", () => {
  it("reads its outline as an independent reading counts it", () => {
    const body = unwrapped(ACT!);
    const structure = formexStructure(read(body));
    const tree = xml.parse(body.toString("utf8")) as Node[];
    expect(structure).toMatchObject({
      root: "ACT",
      celex: null,
      consolidation: null,
      language: "EN",
      annexes: [],
      amendments: [],
      articles: count(kids(find(tree, "ENACTING.TERMS")!), "ARTICLE", new Set(["QUOT.S"])),
      divisions: count(kids(find(tree, "ENACTING.TERMS")!), "DIVISION", new Set(["QUOT.S"])),
    });
    expect(structure.articles).toBe(6);
    expect(structure.title).toBe(
      "Regulation (EU) 2016/679 of the European Parliament and of the Council of 27 April 2016 on the protection of natural persons with regard to the processing of personal data and on the free movement of such data, and repealing Directive 95/46/EC (General Data Protection Regulation) (Text with EEA relevance)",
    );
  });

  it("is refused by the Annex I source: an act as published is not a consolidated version", () => {
    expect(() => euCellarAnnexI.parse({ body: unwrapped(ACT!) })).toThrow(
      /found an act as published \(<ACT>\), expected a consolidated version/,
    );
  });
});

describe("Cellar notices, the Publications Office's own samples", () => {
  it("reads the branch notice of a consolidated version as the probe assumes: CELEX, act consolidated, dates, addresses", () => {
    const notice = readCellarNotice({ body: readSample(BRANCH!) });
    expect(notice.type).toBe("branch");
    expect(notice.works).toHaveLength(1);
    const work = notice.works[0]!;
    expect(work).toMatchObject({
      celex: "02009R1223-20191218",
      eli: "http://data.europa.eu/eli/reg/2009/1223/2019-12-18",
      dateDocument: "2019-12-18",
      entryIntoForce: ["2019-12-18"],
      consolidates: "32009R1223",
      sameAs: { celex: ["02009R1223-20191218"], consolidation: ["2009R1223/20191218"] },
    });
    expect(work.classes).toContain("cdm:act_consolidated");
    const manifestations = work.expressions.flatMap((e) =>
      e.manifestations.map((m) => `${e.language} ${m.type} ${m.uris.join(" ")}`),
    );
    expect(manifestations).toEqual([
      "ENG xhtml http://publications.europa.eu/resource/cellar/f59cb92a-64d2-11ea-b735-01aa75ed71a1.0001.01 http://publications.europa.eu/resource/celex/02009R1223-20191218.ENG.xhtml http://publications.europa.eu/resource/consolidation/2009R1223%2F20191218.ENG.xhtml",
      "GLE fmx4 http://publications.europa.eu/resource/celex/02009R1223-20191218.GLE.fmx4",
    ]);
    // The addresses the Annex I source asks for a version's Formex have the notice's shapes.
    const [consolidation, celex] = formexUrls({ celex: "02009R1223-20191218", date: "2019-12-18" });
    expect(consolidation!.replace("https:", "http:")).toBe(
      "http://publications.europa.eu/resource/consolidation/2009R1223%2F20191218.ENG.fmx4",
    );
    expect(celex!.replace("https:", "http:")).toBe(
      "http://publications.europa.eu/resource/celex/02009R1223-20191218.ENG.fmx4",
    );
  });

  it("reads the tree notice of a procedure: its embedded works, titles and Formex manifestations", () => {
    const notice = readCellarNotice({ body: readSample(TREE!) });
    expect(notice.type).toBe("tree");
    expect(notice.works.map((w) => w.celex)).toEqual([
      "52013PC0937",
      "52013PC0937",
      "52014IE0238",
      "52014AP0049",
      "52014AB0003",
      "32014R0248",
    ]);
    const regulation = notice.works.at(-1)!;
    const english = regulation.expressions.find((e) => e.language === "ENG");
    expect(english?.title).toMatch(
      /^Regulation \(EU\) No 248\/2014 of the European Parliament and of the Council/,
    );
    expect(regulation.classes).toContain("cdm:resource_legal");
  });
});

describe("EUR-Lex HTML renderings: what a plain client may be served instead of data", () => {
  it.each(HTML.map((p) => [basename(p), p]))(
    "%s is refused by both EU sources, naming the HTML",
    (_, path) => {
      const body = readSample(path);
      expect(() => euCellarAnnexI.parse({ body, contentType: "text/html" })).toThrow(
        /answered with an HTML page/,
      );
      expect(() => euCellarAnnexI.parse({ body })).toThrow(/HTML page|malformed XML|not a Formex act/);
      expect(() => euCellarAmendingActs.parse({ body, contentType: "text/html;charset=UTF-8" })).toThrow(
        /answered with an HTML page/,
      );
    },
  );
});
