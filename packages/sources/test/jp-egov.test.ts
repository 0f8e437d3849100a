import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse } from "@regwatch/core/http";
import { TECHNOLOGY_IDS, type TechnologyId } from "@regwatch/core/taxonomy";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { silentLog } from "../../../test/support/test-http.ts";
import type { BackfillStep } from "../src/define-source.ts";
import { lawDataUrl, lawRevisionsUrl, readLawRevisions, revisionInForce } from "../src/jp/egov/api.ts";
import { headingNumber, kanjiNumber, keyLabel, lineLabel, numAttribute } from "../src/jp/egov/numbers.ts";
import { japaneseText, parseEgovLaw } from "../src/jp/egov/parse.ts";
import { jpEgovExportTradeControlOrder as order } from "../src/jp/export-trade-control-order/source.ts";
import { jpEgovGoodsOrdinance as ordinance } from "../src/jp/goods-ordinance/source.ts";
import { runSteps } from "../src/steps.ts";

const dir = join(import.meta.dirname, "../src/jp");
const orderFixture = (name: string) => readFileSync(join(dir, "export-trade-control-order/fixtures", name));
const ordinanceFixture = (name: string) => readFileSync(join(dir, "goods-ordinance/fixtures", name));

type Source = typeof order;
function list(source: Source, body: Uint8Array) {
  const snapshot = source.parse({ body });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
}
const orderV1 = () => list(order, orderFixture("law-data-20240417.xml"));
const orderV2 = () => list(order, orderFixture("law-data-20240908.xml"));
const ordinanceV1 = () => list(ordinance, ordinanceFixture("law-data-20230723.xml"));
const ordinanceV2 = () => list(ordinance, ordinanceFixture("law-data-20240908.xml"));

function diff(source: Source, before: ReturnType<typeof orderV1>, after: ReturnType<typeof orderV1>) {
  const stored = before.entries.map((e) => ({ ...e, hash: entryHash(e) }));
  return diffLists(stored, after.entries, recordContext(source, { detectedAt: "2024-09-08T01:00:00.000Z" }));
}
const summary = (records: { kind: string; subject: string }[]) =>
  records.map((r) => `${r.kind} ${r.subject}`).sort();

/** Keys carry Arabic digits and ASCII brackets only: no kanji numeral, no full-width form. */
const NORMALIZED_KEY = /^[^〇一二三四五六七八九十百千０-９（）]+$/;

describe("Japanese statute numbers", () => {
  it("reads kanji numerals, counting and positional", () => {
    expect(kanjiNumber("十九")).toBe(19);
    expect(kanjiNumber("二十")).toBe(20);
    expect(kanjiNumber("百二十三")).toBe(123);
    expect(kanjiNumber("三千四十")).toBe(3040);
    expect(kanjiNumber("一六")).toBe(16);
    expect(kanjiNumber("四〇")).toBe(40);
    expect(kanjiNumber("一〇〇")).toBe(100);
    expect(kanjiNumber("一万二千")).toBe(12000);
    for (const bad of ["十十", "十百", "二三十", "", "x"]) expect(kanjiNumber(bad), bad).toBeNull();
  });

  it("writes labels as keys: Arabic digits, ASCII brackets, の and iroha kept", () => {
    expect(keyLabel("（十三の二）")).toBe("(13の2)");
    expect(keyLabel("５の２")).toBe("5の2");
    expect(keyLabel("五の二")).toBe("5の2");
    expect(keyLabel("一六")).toBe("16");
    expect(keyLabel("十九")).toBe("19");
    expect(keyLabel("別表第二の二")).toBe("別表第2の2");
    expect(keyLabel("イ")).toBe("イ");
    expect(keyLabel("ｲ")).toBe("イ");
    expect(keyLabel("（ⅲ）")).toBe("(iii)");
    expect(keyLabel("三及び四")).toBe("3及び4");
    expect(keyLabel("備　考")).toBe("備考");
  });

  it("finds the label a table line opens with, and only a label followed by its space", () => {
    expect(lineLabel("（一）　銃砲又はその部分品")).toEqual({
      raw: "（一）",
      kind: "paren-kanji",
      key: "(1)",
      rest: "銃砲又はその部分品",
    });
    expect(lineLabel("５の２　噴霧乾燥器")).toMatchObject({ raw: "５の２", kind: "arabic", key: "5の2" });
    expect(lineLabel("１０　焼却装置")).toMatchObject({ kind: "arabic", key: "10" });
    expect(lineLabel("（１）　反応器")).toMatchObject({ kind: "paren-arabic", key: "(1)" });
    expect(lineLabel("（ⅱ）　弁")).toMatchObject({
      raw: "（ⅱ）",
      kind: "paren-roman",
      key: "(ii)",
      rest: "弁",
    });
    expect(lineLabel("イ　ウラン")).toMatchObject({ kind: "kana", key: "イ", rest: "ウラン" });
    expect(lineLabel("二　測定装置")).toMatchObject({ kind: "kanji", key: "2" });
    // A numeral that starts the text, or a katakana word, is not a label.
    expect(lineLabel("一キログラム以上の人造黒鉛")).toBeNull();
    expect(lineLabel("イオン源")).toBeNull();
    expect(lineLabel("（略）　何か")).toBeNull();
    expect(lineLabel("次に掲げる貨物")).toBeNull();
  });

  it("reads article and chapter numbers from their headings", () => {
    expect(headingNumber("第七条", "条", true)).toBe("7");
    expect(headingNumber("第三十六条の二", "条", true)).toBe("36の2");
    expect(headingNumber("第二十九条から第三十一条まで", "条", true)).toBe("29:31");
    expect(headingNumber("第四章の二　処分等の求め", "章", false)).toBe("4の2");
    expect(headingNumber("第十二条及び第十三条", "条", true)).toBeNull();
    expect(numAttribute("36_2")).toBe("36の2");
    expect(numAttribute("29:31")).toBe("29:31");
    expect(numAttribute("x")).toBeNull();
  });

  it("keeps Japanese text as written, without a serialiser's line breaks", () => {
    expect(japaneseText("重力\n      勾配計")).toBe("重力勾配計");
    expect(japaneseText("（一）　銃砲")).toBe("（一）　銃砲");
    expect(japaneseText("　か\u3099  ")).toBe("が");
  });
});

describe("jp.egov.export-trade-control-order parser", () => {
  it("keys Appended Table 1 by 項, its numbered goods and its destinations, in order", () => {
    const snapshot = orderV1();
    expect(snapshot.source).toBe("jp.egov.export-trade-control-order");
    expect(snapshot.warnings).toEqual([]);
    const rows = snapshot.entries.filter((e) => e.parentKey === "別表第1").map((e) => e.key);
    expect(rows).toEqual([
      "別表第1.1",
      "別表第1.2",
      "別表第1.3",
      "別表第1.3の2",
      "別表第1.4",
      "別表第1.5",
      "別表第1.5の2",
      "別表第1.6",
      "別表第1.7",
      "別表第1.8",
      "別表第1.9",
      "別表第1.10",
      "別表第1.11",
      "別表第1.12",
      "別表第1.13",
      "別表第1.14",
      "別表第1.15",
      "別表第1.16",
    ]);
    expect(
      snapshot.entries.filter((e) => e.key.startsWith("別表第1.2")).map((e) => [e.key, e.parentKey]),
    ).toEqual([
      ["別表第1.2", "別表第1"],
      ["別表第1.2.(1)", "別表第1.2"],
      ["別表第1.2.(2)", "別表第1.2"],
      ["別表第1.2.(2).1", "別表第1.2.(2)"],
      ["別表第1.2.(2).2", "別表第1.2.(2)"],
      ["別表第1.2.(3)", "別表第1.2"],
      ["別表第1.2.地域", "別表第1.2"],
    ]);
    for (const e of snapshot.entries) expect(e.key, e.key).toMatch(NORMALIZED_KEY);
    // Only this table: the order's articles and its other tables are not this list.
    expect(snapshot.entries.every((e) => e.key === "別表第1" || e.key.startsWith("別表第1."))).toBe(true);
  });

  it("keeps the labels and the text as written, and the destinations as their own entries", () => {
    const byKey = new Map(orderV1().entries.map((e) => [e.key, e]));
    expect(byKey.get("別表第1")).toMatchObject({
      heading: "別表第一（第一条、第四条関係）",
      text: "",
      data: { language: "ja", label: "別表第一", relatedArticles: "（第一条、第四条関係）" },
    });
    expect(byKey.get("別表第1.2")).toMatchObject({
      text: "次に掲げる貨物であつて、経済産業省令で定める仕様のもの",
      data: { label: "二" },
    });
    expect(byKey.get("別表第1.16")?.data).toMatchObject({ label: "一六" });
    expect(byKey.get("別表第1.1.(2の2)")).toMatchObject({
      text: "軍用の火薬類",
      data: { label: "（二の二）" },
    });
    expect(byKey.get("別表第1.3の2.(2).5の2")).toMatchObject({
      parentKey: "別表第1.3の2.(2)",
      text: "噴霧乾燥器",
      data: { label: "５の２" },
    });
    expect(byKey.get("別表第1.16.地域")).toMatchObject({
      heading: "地域",
      text: "全地域（別表第三に掲げる地域を除く。）",
    });
    // A deleted 項 keeps its row and its "削除"; it has no destinations.
    expect(byKey.get("別表第1.5の2")?.text).toBe("削除");
    expect(byKey.has("別表第1.5の2.地域")).toBe(false);
  });

  it("records the revision and describes its records by it", () => {
    const snapshot = orderV2();
    expect(snapshot.meta).toMatchObject({
      lawId: "324CO0000000378",
      lawNum: "昭和二十四年政令第三百七十八号",
      lawTitle: "輸出貿易管理令",
      titleEn: "Export Trade Control Order",
      lawType: "CabinetOrder",
      language: "ja",
      promulgationDate: "1949-12-01",
      versionDate: "2024-09-08",
      serialisation: "law_data_response",
      amendments: ["令和六年四月一〇日政令第九〇一号", "令和六年八月三〇日政令第九〇二号"],
      revision: {
        revisionId: "324CO0000000378_20240908_506CO0000000902",
        enforcementDate: "2024-09-08",
        promulgateDate: "2024-08-30",
        amendmentLawNum: "令和六年政令第九百二号",
        status: "CurrentEnforced",
      },
    });
    expect(order.versionDate?.(snapshot, { url: null, asOf: null })).toBe("2024-09-08");
    expect(order.describe(snapshot, { url: null, asOf: null })).toEqual({
      publishedAt: "2024-08-30",
      effectiveAt: "2024-09-08",
      citation: "令和六年政令第九百二号",
      url: "https://laws.e-gov.go.jp/law/324CO0000000378",
    });
    expect(order.citedAs).toContain("輸出貿易管理令");
  });

  it("gives zero records for a re-serialized version (compacted, attributes, entities, ruby, line breaks in sentences)", () => {
    const cosmetic = list(order, orderFixture("law-data-20240417-cosmetic.xml"));
    expect(cosmetic.entries).toEqual(orderV1().entries);
    expect(diff(order, orderV1(), cosmetic)).toEqual([]);
  });

  it("diffs the 2024-09-08 revision into exactly the goods that changed", () => {
    const records = diff(order, orderV1(), orderV2());
    expect(summary(records)).toEqual([
      "added 別表第1.2.(2).3",
      "added 別表第1.8.(1)",
      "added 別表第1.8.(2)",
      "modified 別表第1.7.(2)",
      "modified 別表第1.8",
    ]);
    const quantum = records.find((r) => r.subject === "別表第1.8.(2)")!;
    expect(quantum.after).toContain("量子計算機");
    expect(quantum.title).toBe(
      "別表第1 gained paragraph 8.(2): 量子計算機若しくはその電子組立品又はこれらの部分品",
    );
    expect(records.find((r) => r.subject === "別表第1.7.(2)")).toMatchObject({
      before: "半導体製造装置又はその部分品",
      after: "半導体製造装置（極端紫外線を用いる露光装置を含む。）又はその部分品",
    });
  });

  it("refuses another law, and a table-less text, with a clear error", () => {
    const other = orderFixture("law-data-20240417.xml")
      .toString("utf8")
      .replaceAll("324CO0000000378", "355CO0000000260")
      .replace("<law_title>輸出貿易管理令</law_title>", "<law_title>外国為替令</law_title>");
    expect(() => order.parse({ body: Buffer.from(other) })).toThrow(
      /expected e-Gov XML of 輸出貿易管理令 \(324CO0000000378\), found 輸出貿易管理令 \(355CO0000000260\)/,
    );
    const noTable = orderFixture("law-data-20240417.xml")
      .toString("utf8")
      .replace(">別表第一</AppdxTableTitle>", ">別表第九</AppdxTableTitle>");
    expect(() => order.parse({ body: Buffer.from(noTable) })).toThrow(/no 別表第一 in the e-Gov text/);
  });
});

describe("jp.egov.goods-ordinance parser", () => {
  it("keys articles by 条/項/号/イロハ and deeper levels, with the paragraph always in the key", () => {
    const snapshot = ordinanceV1();
    expect(snapshot.warnings).toEqual([]);
    expect(
      snapshot.entries.filter((e) => e.key.startsWith("art6.1.1")).map((e) => [e.key, e.data?.label]),
    ).toEqual([
      ["art6.1.1", "一"],
      ["art6.1.1.イ", "イ"],
      ["art6.1.1.イ.(1)", "（一）"],
      ["art6.1.1.イ.(2)", "（二）"],
      ["art6.1.1.イ.(2).1", "１"],
      ["art6.1.1.イ.(2).2", "２"],
      ["art6.1.1.イ.(2).2.1", "一"],
      ["art6.1.1.イ.(2).2.2", "二"],
      ["art6.1.1.ロ", "ロ"],
    ]);
    const byKey = new Map(snapshot.entries.map((e) => [e.key, e]));
    expect(byKey.get("art1")).toMatchObject({
      heading: "第一条（輸出貿易管理令別表第一関係）",
      parentKey: null,
    });
    expect(byKey.get("art7.2")).toMatchObject({ parentKey: "art7", data: { label: "２" } });
    expect(byKey.get("art1.1.3及び4")?.text).toBe("削除");
    expect(byKey.get("art6.1.2.イ")?.text).toBe("極端紫外線を用いる露光装置");
    for (const e of snapshot.entries) expect(e.key, e.key).toMatch(NORMALIZED_KEY);
  });

  it("describes the 2024-09-08 revision by 令和六年経済産業省令第四十四号", () => {
    const snapshot = ordinanceV2();
    expect(ordinance.describe(snapshot, { url: null, asOf: null })).toEqual({
      publishedAt: "2024-07-10",
      effectiveAt: "2024-09-08",
      citation: "令和六年経済産業省令第四十四号",
      url: "https://laws.e-gov.go.jp/law/403M50000400049",
    });
    expect(snapshot.meta.titleEn).toMatch(/^Ministerial Ordinance Specifying Goods and Technologies/);
    expect(ordinance.citedAs).toEqual([
      "輸出貿易管理令別表第一及び外国為替令別表の規定に基づき貨物又は技術を定める省令",
      "平成三年通商産業省令第四十九号",
      "貨物等省令",
    ]);
  });

  it("diffs the quantum amendment into the new item (its sub-items with it) and the new cryo-CMOS line", () => {
    const records = diff(ordinance, ordinanceV1(), ordinanceV2());
    expect(summary(records)).toEqual(["added art6.1.1.ハ", "added art7.1.6"]);
    const quantum = records.find((r) => r.subject === "art7.1.6")!;
    expect(quantum.details?.entries).toEqual([
      "art7.1.6",
      "art7.1.6.イ",
      "art7.1.6.イ.(1)",
      "art7.1.6.イ.(2)",
      "art7.1.6.ロ",
      "art7.1.6.ハ",
    ]);
    expect(quantum.after).toContain("物理量子ビット");
  });

  it("reads the older elaws serialisation, bare and in Shift_JIS, into the same entries", () => {
    const old = list(ordinance, ordinanceFixture("law-20230723-elaws-shift_jis.xml"));
    expect(old.meta).toMatchObject({ serialisation: "Law", lawId: null, revision: null, versionDate: null });
    expect(old.entries).toEqual(ordinanceV1().entries);
    // Without a revision the version is the one the fetch (or `ingest --at`) names.
    expect(ordinance.versionDate?.(old, { url: null, asOf: "2023-07-23" })).toBe("2023-07-23");
    expect(ordinance.describe(old, { url: null, asOf: "2023-07-23" })).toMatchObject({
      effectiveAt: "2023-07-23",
      citation: null,
    });
  });

  it("carries the words later Japanese keyword rules need, on the entries that hold them", () => {
    const byKey = new Map(ordinanceV2().entries.map((e) => [e.key, e]));
    const tagged = (key: string) =>
      proposedJapaneseTags(`${byKey.get(key)?.heading ?? ""} ${byKey.get(key)?.text}`);
    expect(tagged("art7.1.6")).toEqual(["quantum"]);
    expect(tagged("art7.1.6.ロ")).toEqual(["quantum"]);
    expect(tagged("art7.1.6.ハ")).toEqual(["quantum"]);
    expect(tagged("art6.1.1.ハ")).toEqual(["quantum", "advanced-semiconductors"]);
    expect(tagged("art6.1.2")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tagged("art6.1.2.イ")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tagged("art6.1.2.ロ")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tagged("art6.1.1.ロ")).toEqual(["advanced-semiconductors"]);
    expect(tagged("art7.1.3")).toEqual([]);
    const table = new Map(orderV2().entries.map((e) => [e.key, e]));
    expect(proposedJapaneseTags(table.get("別表第1.8.(2)")!.text)).toEqual(["quantum"]);
    expect(proposedJapaneseTags(table.get("別表第1.5.(2)")!.text)).toEqual(["additive-manufacturing"]);
    expect(proposedJapaneseTags(table.get("別表第1.9.(2)")!.text)).toEqual(["cryptography"]);
    // False friends: post-quantum cryptography is cryptography; quantum efficiency is not quantum computing.
    expect(proposedJapaneseTags("耐量子計算機暗号を用いたもの")).toEqual(["cryptography"]);
    expect(proposedJapaneseTags("量子効率が八〇パーセントを超える光検出器")).toEqual([]);
  });
});

/**
 * The Japanese keyword rules this source proposes for the taxonomy (not in
 * it yet): run here on the text the entries carry, on its NFKC form, so that
 * full-width Latin (ＣＭＯＳ, ＥＵＶ) reads as ASCII. Japanese has no word
 * boundaries; each rule is a phrase that means the technology on its own.
 */
const PROPOSED_JAPANESE_RULES: readonly (readonly [RegExp, TechnologyId])[] = [
  [
    /(?<!耐)量子(?:計算機|コンピュータ|ビット)|希釈冷凍機|極低温(?:用の)?(?:CMOS|冷却)|パラメトリック信号増幅器|CMOS[^。]{0,40}ケルビン以下/,
    "quantum",
  ],
  [
    /半導体製造装置|半導体(?:の)?製造(?:用の)?装置|露光装置|リソグラフィ|ドライエッチング|エッチング装置|エピタキシャル成長|イオン注入|原子層(?:堆積|成膜)|走査(?:型)?電子顕微鏡|極端紫外線|EUV/,
    "semiconductor-manufacturing-equipment",
  ],
  [/集積回路|マイクロプロセッサ/, "advanced-semiconductors"],
  [/ゲートオールアラウンド|GAAFET/, "gaafet"],
  [/積層造形|付加製造|3Dプリン|粉末床溶融結合/, "additive-manufacturing"],
  [/スーパーコンピュータ|高性能計算|データセンター/, "advanced-computing"],
  [/人工知能|機械学習|ニューラルネットワーク/, "artificial-intelligence"],
  [/暗号/, "cryptography"],
  [/病原体|毒素|遺伝子|バイオテクノロジー/, "biotechnology"],
];
function proposedJapaneseTags(text: string): TechnologyId[] {
  const folded = text.normalize("NFKC");
  const found = new Set(PROPOSED_JAPANESE_RULES.filter(([re]) => re.test(folded)).map(([, id]) => id));
  return TECHNOLOGY_IDS.filter((id) => found.has(id));
}

describe("the e-Gov reader on the rest of the schema", () => {
  const law = (body: string) =>
    parseEgovLaw({
      body: Buffer.from(
        `<Law Era="Reiwa" Lang="ja" LawType="Act" Num="1" Year="1"><LawNum>令和元年法律第一号</LawNum><LawBody><LawTitle>試験法</LawTitle>${body}</LawBody></Law>`,
      ),
    });

  it("keys divisions by their chain, deleted article ranges as e-Gov numbers them, and appendices by title", () => {
    const snapshot = law(
      `<MainProvision><Chapter Num="1"><ChapterTitle>第一章　総則</ChapterTitle><Section Num="2"><SectionTitle>第二節　通則</SectionTitle>
        <Article Num="29:31"><ArticleTitle>第二十九条から第三十一条まで</ArticleTitle><Paragraph Num="1"><ParagraphNum/><ParagraphSentence><Sentence>削除</Sentence></ParagraphSentence></Paragraph></Article>
        </Section></Chapter></MainProvision>
       <SupplProvision AmendLawNum="令和二年一月一日法律第二号"><SupplProvisionLabel>附　則</SupplProvisionLabel><Paragraph Num="1"><ParagraphNum/><ParagraphSentence><Sentence>この法律は、公布の日から施行する。</Sentence></ParagraphSentence></Paragraph></SupplProvision>
       <AppdxTable Num="2"><AppdxTableTitle>別表第二の二</AppdxTableTitle><RelatedArticleNum>（第二条関係）</RelatedArticleNum>
         <Item Num="1"><ItemTitle>一</ItemTitle><ItemSentence><Sentence>牛の肉</Sentence></ItemSentence></Item>
         <Item Num="14"><ItemTitle>十三の二</ItemTitle><ItemSentence><Sentence>つづれ織物</Sentence></ItemSentence></Item>
       </AppdxTable>
       <AppdxTable><AppdxTableTitle>別表第三</AppdxTableTitle><TableStruct><Table>
         <TableHeaderRow><TableHeaderColumn>区分</TableHeaderColumn><TableHeaderColumn>金額</TableHeaderColumn></TableHeaderRow>
         <TableRow><TableColumn><Sentence>手数料</Sentence></TableColumn><TableColumn><Sentence>千円</Sentence></TableColumn></TableRow>
       </Table><Remarks><RemarksLabel>備考</RemarksLabel><Sentence>消費税を含む。</Sentence></Remarks></TableStruct></AppdxTable>`,
    );
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.map((e) => [e.key, e.parentKey, e.text])).toEqual([
      ["ch1", null, ""],
      ["ch1.sec2", "ch1", ""],
      ["art29:31", "ch1.sec2", ""],
      ["art29:31.1", "art29:31", "削除"],
      ["別表第2の2", null, ""],
      ["別表第2の2.1", "別表第2の2", "牛の肉"],
      ["別表第2の2.13の2", "別表第2の2", "つづれ織物"],
      ["別表第3", null, ""],
      ["別表第3.row1", "別表第3", "手数料"],
      ["別表第3.row1.金額", "別表第3.row1", "千円"],
      ["別表第3.備考", "別表第3", "消費税を含む。"],
    ]);
    // Supplementary provisions are how amendments came into force: named, not entries.
    expect(snapshot.meta.amendments).toEqual(["令和二年一月一日法律第二号"]);
    expect(snapshot.entries[0]?.heading).toBe("第一章　総則");
  });
});

describe("the e-Gov reader, strictly", () => {
  const v1 = () => orderFixture("law-data-20240417.xml").toString("utf8");

  it("refuses malformed, truncated and entity-declaring XML", () => {
    const truncated = orderFixture("law-data-20240417.xml").subarray(0, 4000);
    expect(() => order.parse({ body: truncated })).toThrow(SourceShapeChangedError);
    expect(() => order.parse({ body: truncated })).toThrow(/malformed XML/);
    const entity = v1().replace(
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE law_data_response [<!ENTITY x "銃砲銃砲">]>',
    );
    expect(() => order.parse({ body: Buffer.from(entity) })).toThrow(/declares XML entities/);
    expect(() => runSteps(order.parseSteps!({ body: truncated }))).toThrow(SourceShapeChangedError);
  });

  it("refuses a body that is not e-Gov law XML, or a law_data answer without its one Law", () => {
    expect(() => parseEgovLaw({ body: Buffer.from("<html><body>メンテナンス中</body></html>") })).toThrow(
      /expected e-Gov law XML \(<Law> or a law_data answer <law_data_response>\), found <html>/,
    );
    expect(() =>
      parseEgovLaw({
        body: Buffer.from("<law_data_response><law_info/><revision_info/></law_data_response>"),
      }),
    ).toThrow(/no <law_full_text>/);
    const twoLaws = v1().replace("</Law>", "</Law><Law/>");
    expect(() => parseEgovLaw({ body: Buffer.from(twoLaws) })).toThrow(
      /holds <Law>, <Law>, expected one <Law>/,
    );
    const badDate = v1().replace(
      ">2024-04-17</amendment_enforcement_date>",
      ">2024-02-30</amendment_enforcement_date>",
    );
    expect(() => parseEgovLaw({ body: Buffer.from(badDate) })).toThrow(
      /amendment_enforcement_date "2024-02-30"/,
    );
    const otherRevision = v1().replace(
      "<law_revision_id>324CO0000000378_",
      "<law_revision_id>355CO0000000260_",
    );
    expect(() => parseEgovLaw({ body: Buffer.from(otherRevision) })).toThrow(
      /is not a revision of 324CO0000000378/,
    );
  });

  it("reads a Law sent base64-encoded in law_full_text as the same text", () => {
    const xml = v1();
    const law = xml.slice(xml.indexOf("<Law "), xml.indexOf("</Law>") + "</Law>".length);
    const encoded = xml.replace(
      law,
      Buffer.from(law, "utf8")
        .toString("base64")
        .replace(/(.{76})/g, "$1\n"),
    );
    expect(list(order, Buffer.from(encoded)).entries).toEqual(orderV1().entries);
  });

  it("warns about elements it does not know instead of dropping them silently", () => {
    const odd = v1().replace(
      '<Sentence Num="3" WritingMode="vertical">（二の二）　軍用の火薬類</Sentence>',
      '<Sentence Num="3" WritingMode="vertical">（二の二）　軍用の火薬類</Sentence><Mystery>?</Mystery>',
    );
    expect(list(order, Buffer.from(odd)).warnings).toEqual([
      "別表第1.1: unexpected <Mystery> in <TableColumn> kept out of the entries",
    ]);
  });

  it("keeps markup in the text as text", () => {
    const script = v1().replace("軍用の火薬類", "軍用の火薬類&lt;script&gt;alert(1)&lt;/script&gt;");
    const entry = list(order, Buffer.from(script)).entries.find((e) => e.key === "別表第1.1.(2の2)");
    expect(entry?.text).toBe("軍用の火薬類<script>alert(1)</script>");
  });
});

// ---- fetch and backfill, against e-Gov as a fake ----

function response(url: string, body: Uint8Array | string, status = 200, etag?: string): HttpResponse {
  return {
    url,
    status,
    notModified: status === 304,
    contentType: status === 304 ? null : url.includes("law_data") ? "application/xml" : "application/json",
    headers: etag ? { etag } : {},
    body: typeof body === "string" ? Buffer.from(body) : body,
    sha256: "",
    fetchedAt: "2024-09-10T00:00:00Z",
  };
}

/** e-Gov as a fake: the revisions list (ETag "r1", 304 when asked with it) and any revision's law_data. */
function fakeEgov(options: { revisions?: Buffer } = {}) {
  const asked: { url: string; ifNoneMatch?: string }[] = [];
  const http: HttpClient = {
    async get(url, req) {
      asked.push({ url, ifNoneMatch: req?.headers?.["if-none-match"] });
      if (url.includes("/law_revisions/")) {
        if (req?.headers?.["if-none-match"] === '"r1"') return response(url, "", 304);
        return response(url, options.revisions ?? orderFixture("law-revisions.json"), 200, '"r1"');
      }
      const name = url.includes("_20240417_") ? "law-data-20240417.xml" : "law-data-20240908.xml";
      return response(url, orderFixture(name));
    },
  };
  return { http, asked };
}

function recordingLog() {
  const warnings: string[] = [];
  return {
    log: { ...silentLog, warn: (_: object | string, msg?: string) => void warnings.push(msg ?? "") },
    warnings,
  };
}

describe("e-Gov law API v2 fetch", () => {
  it("asks the revisions list, then the law_data of the revision in force, as XML", async () => {
    const { http, asked } = fakeEgov();
    const { log, warnings } = recordingLog();
    const result = await order.fetch({ http, log, now: new Date("2024-09-10T00:30:00Z"), state: {} });
    expect(asked.map((a) => a.url)).toEqual([
      "https://laws.e-gov.go.jp/api/2/law_revisions/324CO0000000378",
      "https://laws.e-gov.go.jp/api/2/law_data/324CO0000000378_20240908_506CO0000000902?response_format=xml&law_full_text_format=xml",
    ]);
    expect(result.artifacts.map((a) => a.asOf)).toEqual(["2024-09-08"]);
    expect(result.state).toEqual({
      revisionsEtag: '"r1"',
      lastRevision: "324CO0000000378_20240908_506CO0000000902",
      lastEnforcementDate: "2024-09-08",
      // Listed ahead of its day: kept, to be taken on the day though the list answers 304.
      upcoming: [expect.objectContaining({ id: "324CO0000000378_20241212_506CO0000000903" })],
    });
    // A revision without a date yet ("政令で定める日") is left out, and said so.
    expect(warnings).toEqual([
      "jp.egov: revision 324CO0000000378_partial_507CO0000000999 left out: no readable id of 324CO0000000378 or enforcement date",
    ]);
    const snapshot = order.parse({ body: result.artifacts[0]!.response.body });
    expect(order.versionDate?.(snapshot, { url: null, asOf: "2024-09-08" })).toBe("2024-09-08");
  });

  it("sends the kept ETag and stops at the probe while nothing new is in force", async () => {
    const { http, asked } = fakeEgov();
    const now = new Date("2024-09-10T00:30:00Z");
    const first = await order.fetch({ http, log: silentLog, now, state: {} });
    asked.length = 0;
    const again = await order.fetch({ http, log: silentLog, now, state: first.state });
    expect(asked).toEqual([
      { url: "https://laws.e-gov.go.jp/api/2/law_revisions/324CO0000000378", ifNoneMatch: '"r1"' },
    ]);
    expect(again).toEqual({ artifacts: [], state: first.state });
  });

  it("takes a revision listed ahead on the day it comes into force, though the list answers 304", async () => {
    const { http, asked } = fakeEgov();
    const first = await order.fetch({
      http,
      log: silentLog,
      now: new Date("2024-09-10T00:30:00Z"),
      state: {},
    });
    asked.length = 0;
    const before = await order.fetch({
      http,
      log: silentLog,
      now: new Date("2024-12-11T14:59:00Z"),
      state: first.state,
    });
    expect(before.artifacts).toEqual([]);
    expect(asked).toHaveLength(1);
    asked.length = 0;
    const on = await order.fetch({
      http,
      log: silentLog,
      now: new Date("2024-12-12T00:30:00Z"),
      state: first.state,
    });
    expect(asked.map((a) => a.url)).toEqual([
      "https://laws.e-gov.go.jp/api/2/law_revisions/324CO0000000378",
      lawDataUrl("324CO0000000378_20241212_506CO0000000903"),
    ]);
    expect(on.artifacts.map((a) => a.asOf)).toEqual(["2024-12-12"]);
    expect(on.state).toMatchObject({
      lastRevision: "324CO0000000378_20241212_506CO0000000903",
      lastEnforcementDate: "2024-12-12",
      upcoming: [],
    });
  });

  it("never steps back to an older revision a lagging list shows", async () => {
    const lagging = JSON.parse(orderFixture("law-revisions.json").toString("utf8"));
    lagging.revisions = lagging.revisions.filter(
      (r: { law_revision_id: string }) => !r.law_revision_id.includes("_20240908_"),
    );
    const { http, asked } = fakeEgov({ revisions: Buffer.from(JSON.stringify(lagging)) });
    const state = {
      lastRevision: "324CO0000000378_20240908_506CO0000000902",
      lastEnforcementDate: "2024-09-08",
    };
    const result = await order.fetch({ http, log: silentLog, now: new Date("2024-09-10T00:30:00Z"), state });
    expect(result.artifacts).toEqual([]);
    expect(asked).toHaveLength(1);
    expect(result.state).toMatchObject(state);
  });

  it("backfills every revision in force since a date, oldest first", async () => {
    const { http, asked } = fakeEgov();
    const steps: BackfillStep[] = [];
    const ctx = { http, log: silentLog, now: new Date("2024-09-10T00:30:00Z"), state: {} };
    for await (const step of order.backfill!(ctx, "2024-01-01")) steps.push(step);
    expect(steps.map((s) => [s.index, s.total, s.artifact.asOf])).toEqual([
      [1, 2, "2024-04-17"],
      [2, 2, "2024-09-08"],
    ]);
    expect(asked.map((a) => a.url)).toEqual([
      lawRevisionsUrl("324CO0000000378"),
      lawDataUrl("324CO0000000378_20240417_506CO0000000901"),
      lawDataUrl("324CO0000000378_20240908_506CO0000000902"),
    ]);
    expect(steps[1]!.state).toMatchObject({ lastRevision: "324CO0000000378_20240908_506CO0000000902" });
    const [first, second] = steps.map((s) => list(order, s.artifact.response.body));
    expect(summary(diff(order, first!, second!))).toContain("added 別表第1.8.(2)");
  });

  it("reads the goods ordinance's revisions and fetches the 2024-09-08 one", async () => {
    const asked: string[] = [];
    const http: HttpClient = {
      async get(url) {
        asked.push(url);
        return url.includes("/law_revisions/")
          ? response(url, ordinanceFixture("law-revisions.json"), 200, '"g1"')
          : response(url, ordinanceFixture("law-data-20240908.xml"));
      },
    };
    const result = await ordinance.fetch({
      http,
      log: silentLog,
      now: new Date("2025-01-01T00:00:00Z"),
      state: {},
    });
    expect(asked).toEqual([
      "https://laws.e-gov.go.jp/api/2/law_revisions/403M50000400049",
      lawDataUrl("403M50000400049_20240908_506M60000400044"),
    ]);
    expect(result.artifacts.map((a) => a.asOf)).toEqual(["2024-09-08"]);
    expect(result.state.upcoming).toEqual([
      expect.objectContaining({
        id: "403M50000400049_20250528_507M60000400901",
        enforcementDate: "2025-05-28",
      }),
    ]);
  });
});

describe("the law_revisions answer", () => {
  const fixture = () => orderFixture("law-revisions.json");

  it("reads revisions with their dates and amending laws, and picks the one in force", () => {
    const { revisions } = readLawRevisions(fixture(), "324CO0000000378");
    expect(revisions.map((r) => r.enforcementDate)).toEqual([
      "2024-12-12",
      "2024-09-08",
      "2024-04-17",
      "2023-12-27",
      "1949-12-01",
    ]);
    expect(revisions[1]).toMatchObject({
      promulgateDate: "2024-08-30",
      amendmentLawNum: "令和六年政令第九百二号",
      status: "CurrentEnforced",
    });
    expect(revisionInForce(revisions, "2024-09-07")?.id).toBe("324CO0000000378_20240417_506CO0000000901");
    expect(revisionInForce(revisions, "2024-09-08")?.id).toBe("324CO0000000378_20240908_506CO0000000902");
    expect(revisionInForce(revisions, "1900-01-01")).toBeNull();
    // Two revisions in force the same day: e-Gov lists the later first.
    const sameDay = [
      { ...revisions[1]!, id: "324CO0000000378_20240908_B", order: 0 },
      { ...revisions[1]!, id: "324CO0000000378_20240908_A", order: 1 },
    ];
    expect(revisionInForce(sameDay, "2024-09-10")?.id).toBe("324CO0000000378_20240908_B");
  });

  it("refuses an answer about another law, without revisions, or not JSON", () => {
    expect(() => readLawRevisions(fixture(), "403M50000400049")).toThrow(
      /law_revisions answer is about 324CO0000000378, expected 403M50000400049/,
    );
    expect(() => readLawRevisions(Buffer.from('{"law_info":{}}'), "324CO0000000378")).toThrow(
      /no revisions\[\]/,
    );
    expect(() =>
      readLawRevisions(Buffer.from("<html>Service Unavailable</html>"), "324CO0000000378"),
    ).toThrow(/not JSON/);
  });
});
