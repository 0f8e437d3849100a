import { decodeChunks } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import { checkedIsoDate } from "../../dates.ts";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { uniqueKey } from "../../entry-keys.ts";
import { runSteps } from "../../steps.ts";
import {
  childElements,
  firstChild,
  parseXmlSteps,
  type XmlElement,
  type XmlNode,
} from "../../xml/parse-xml.ts";
import { headingNumber, keyLabel, type LabelKind, lineLabel, numAttribute } from "./numbers.ts";

// 1: first reader of e-Gov law XML (XMLSchemaForJapaneseLaw v3) as a list.
export const EGOV_PARSER_VERSION = "jp.egov/1";

/**
 * Japanese legal text as written, without the whitespace a serialiser adds.
 * e-Gov writes a Sentence on one line; a pretty-printed copy breaks lines
 * and indents inside mixed content ("重力\n      勾配計"), and Japanese has no
 * spaces between words, so any run of whitespace holding a line break is
 * formatting and goes entirely (collapsing it to a space, as for European
 * text, would make a cosmetic copy a change). The ideographic space
 * (U+3000) that separates a label from its text is kept: it is the text.
 */
export function japaneseText(raw: string): string {
  return raw
    .replace(/[\t\n\r ]*[\r\n][\t\n\r ]*/g, "")
    .replace(/[\t ]{2,}/g, " ")
    .replace(/^[\s\u3000]+|[\s\u3000]+$/g, "")
    .normalize("NFC");
}

/** All text beneath an element, its ruby readings (`Rt`) left out: they gloss the text, they are not in it. */
function plain(node: XmlNode): string {
  if (typeof node === "string") return node;
  if (node.name === "Rt") return "";
  let out = "";
  for (const c of node.children) out += plain(c);
  return out;
}

const clean = (node: XmlNode | undefined) => (node ? japaneseText(plain(node)) : "");

interface Walk {
  entries: Entry[];
  seen: Set<string>;
  warnings: string[];
  language: string;
}

function push(walk: Walk, entry: Entry): string {
  const key = uniqueKey(entry.key, walk.seen, walk.warnings);
  walk.seen.add(key);
  walk.entries.push({ ...entry, key, data: { language: walk.language, ...entry.data } });
  return key;
}

/** A table as text: cells " | ", rows " / ", the way tables inside provisions are kept in their entry. */
function tableText(table: XmlElement): string {
  const rows: string[] = [];
  for (const row of childElements(table)) {
    if (row.name !== "TableRow" && row.name !== "TableHeaderRow") continue;
    rows.push(
      childElements(row)
        .map((cell) => clean(cell))
        .join(" | "),
    );
  }
  return rows.join(" / ");
}

/** Blocks a provision may hold besides its sentence: kept in its text, so a change to them is a change to it. */
const BLOCKS = new Set([
  "TableStruct",
  "FigStruct",
  "StyleStruct",
  "NoteStruct",
  "FormatStruct",
  "List",
  "Class",
]);

function blockText(el: XmlElement): string {
  if (el.name === "TableStruct") {
    return childElements(el)
      .map((c) => (c.name === "Table" ? tableText(c) : clean(c)))
      .filter(Boolean)
      .join(" ");
  }
  return clean(el);
}

/** A `…Sentence` group: Sentences run on; Columns (a term and its definition) are spaced apart, as e-Gov shows them. */
function sentenceText(el: XmlElement, walk: Walk, where: string): string {
  const parts: string[] = [];
  let columns = false;
  for (const c of childElements(el)) {
    if (c.name === "Sentence") parts.push(clean(c));
    else if (c.name === "Column") {
      columns = true;
      parts.push(clean(c));
    } else if (c.name === "Table") parts.push(tableText(c));
    else walk.warnings.push(`${where}: unexpected <${c.name}> in <${el.name}> kept out of the text`);
  }
  return parts.filter(Boolean).join(columns ? "\u3000" : "");
}

/** Numbered provisions below a paragraph: 号 (Item) and its イ, (1), 1 … levels (Subitem1–10). */
const NUMBERED: Record<string, { title: string; sentence: string; child: string | null }> = {
  Item: { title: "ItemTitle", sentence: "ItemSentence", child: "Subitem1" },
};
for (let n = 1; n <= 10; n++) {
  NUMBERED[`Subitem${n}`] = {
    title: `Subitem${n}Title`,
    sentence: `Subitem${n}Sentence`,
    child: n < 10 ? `Subitem${n + 1}` : null,
  };
}

function walkNumbered(el: XmlElement, parentKey: string, position: number, walk: Walk): void {
  const spec = NUMBERED[el.name]!;
  const label = clean(firstChild(el, spec.title));
  const segment = (label && keyLabel(label)) || numAttribute(el.attrs.Num) || `p${position}`;
  const key = `${parentKey}.${segment}`;
  const text: string[] = [];
  const below: XmlElement[] = [];
  for (const c of childElements(el)) {
    if (c.name === spec.title) continue;
    if (c.name === spec.sentence) text.push(sentenceText(c, walk, key));
    else if (c.name === spec.child) below.push(c);
    else if (BLOCKS.has(c.name)) text.push(blockText(c));
    else walk.warnings.push(`${key}: unexpected <${c.name}> in <${el.name}> kept out of the entries`);
  }
  const own = push(walk, {
    key,
    parentKey,
    heading: null,
    text: text.filter(Boolean).join(" "),
    data: { label },
  });
  for (const [i, c] of below.entries()) walkNumbered(c, own, i + 1, walk);
}

function walkParagraph(el: XmlElement, parentKey: string | null, position: number, walk: Walk): void {
  const label = clean(firstChild(el, "ParagraphNum"));
  const segment = (label && keyLabel(label)) || numAttribute(el.attrs.Num) || String(position);
  const key = parentKey ? `${parentKey}.${segment}` : `para${segment}`;
  const caption = clean(firstChild(el, "ParagraphCaption"));
  const text: string[] = [];
  const items: XmlElement[] = [];
  for (const c of childElements(el)) {
    if (c.name === "ParagraphNum" || c.name === "ParagraphCaption") continue;
    if (c.name === "ParagraphSentence") text.push(sentenceText(c, walk, key));
    else if (c.name === "Item") items.push(c);
    else if (BLOCKS.has(c.name) || c.name === "AmendProvision") text.push(blockText(c));
    else walk.warnings.push(`${key}: unexpected <${c.name}> in <Paragraph> kept out of the entries`);
  }
  const own = push(walk, {
    key,
    parentKey,
    heading: caption || null,
    text: text.filter(Boolean).join(" "),
    data: { label },
  });
  for (const [i, c] of items.entries()) walkNumbered(c, own, i + 1, walk);
}

function walkArticle(el: XmlElement, parentKey: string | null, walk: Walk): void {
  const title = clean(firstChild(el, "ArticleTitle"));
  const caption = clean(firstChild(el, "ArticleCaption"));
  const number = headingNumber(title, "条", true) ?? numAttribute(el.attrs.Num);
  if (!number) {
    walk.warnings.push(`${parentKey ?? "MainProvision"}: article "${title}" without a number kept out`);
    return;
  }
  const key = `art${number}`;
  const paragraphs: XmlElement[] = [];
  const notes: string[] = [];
  for (const c of childElements(el)) {
    if (c.name === "ArticleTitle" || c.name === "ArticleCaption") continue;
    if (c.name === "Paragraph") paragraphs.push(c);
    else if (c.name === "SupplNote") notes.push(clean(c));
    else walk.warnings.push(`${key}: unexpected <${c.name}> in <Article> kept out of the entries`);
  }
  const own = push(walk, {
    key,
    parentKey,
    heading: `${title}${caption}` || null,
    text: notes.filter(Boolean).join(" "),
    data: { label: title },
  });
  for (const [i, c] of paragraphs.entries()) walkParagraph(c, own, i + 1, walk);
}

/** Divisions of the main provision and their key segment: 編 part, 章 chapter, 節 section, 款 subsection, 目 division. */
const DIVISIONS: Record<string, { title: string; unit: string; segment: string }> = {
  Part: { title: "PartTitle", unit: "編", segment: "part" },
  Chapter: { title: "ChapterTitle", unit: "章", segment: "ch" },
  Section: { title: "SectionTitle", unit: "節", segment: "sec" },
  Subsection: { title: "SubsectionTitle", unit: "款", segment: "subsec" },
  Division: { title: "DivisionTitle", unit: "目", segment: "div" },
};

/**
 * Articles are numbered through the whole act, so their keys stand alone
 * (`art36の2`) whatever chapter holds them; divisions are keyed by their chain
 * (`ch3.sec2`), their numbers restarting in each.
 */
function walkProvisions(el: XmlElement, division: string | null, walk: Walk): void {
  let paragraphs = 0;
  for (const c of childElements(el)) {
    const spec = DIVISIONS[c.name];
    if (spec) {
      const title = clean(firstChild(c, spec.title));
      const number = headingNumber(title, spec.unit, false) ?? numAttribute(c.attrs.Num) ?? "p";
      const key = `${division ? `${division}.` : ""}${spec.segment}${number}`;
      const own = push(walk, {
        key,
        parentKey: division,
        heading: title || null,
        text: "",
        data: { label: title },
      });
      walkProvisions(c, own, walk);
    } else if (c.name === "Article") walkArticle(c, division, walk);
    else if (c.name === "Paragraph") walkParagraph(c, division, ++paragraphs, walk);
    else if (!Object.values(DIVISIONS).some((d) => d.title === c.name))
      walk.warnings.push(`${division ?? "MainProvision"}: unexpected <${c.name}> kept out of the entries`);
  }
}

/** Remarks (備考) of a table or appendix: an entry of their own below it, their items below them. */
function walkRemarks(el: XmlElement, parentKey: string, walk: Walk): void {
  const label = clean(firstChild(el, "RemarksLabel"));
  const text: string[] = [];
  const items: XmlElement[] = [];
  for (const c of childElements(el)) {
    if (c.name === "RemarksLabel") continue;
    if (c.name === "Sentence") text.push(clean(c));
    else if (c.name === "Item") items.push(c);
    else walk.warnings.push(`${parentKey}: unexpected <${c.name}> in <Remarks> kept out of the entries`);
  }
  const own = push(walk, {
    key: `${parentKey}.${keyLabel(label) || "備考"}`,
    parentKey,
    heading: label || null,
    text: text.filter(Boolean).join(""),
    data: { label },
  });
  for (const [i, c] of items.entries()) walkNumbered(c, own, i + 1, walk);
}

/** A row label that is a number and nothing else: "一", "五の二", "一六", "（一）", "１". */
const ROW_NUMBER = /^(?:[0-9]+(?:の[0-9]+)*|\([0-9]+(?:の[0-9]+)*\))$/;

interface CellLine {
  kind: LabelKind;
  /** The label as keys write it. */
  segment: string;
  /** The label as written. */
  label: string;
  text: string;
}

/**
 * One cell of a table, line by line. e-Gov writes the numbered goods of an
 * export-control table as Sentences that open with their label ("（一）　銃砲…",
 * "１　反応器", "５の２　噴霧乾燥器"), not as Items: each is a line of its own.
 * Lines before the first label are the cell's own text; a line without a
 * label after one continues it. Items and remarks the cell holds as
 * elements are returned to be walked as such.
 */
function readCell(cell: XmlElement, where: string, walk: Walk) {
  const lead: string[] = [];
  const lines: CellLine[] = [];
  const structured: XmlElement[] = [];
  for (const c of childElements(cell)) {
    if (c.name !== "Sentence" && c.name !== "Column") {
      if (NUMBERED[c.name] || c.name === "Remarks") structured.push(c);
      else if (BLOCKS.has(c.name)) lead.push(blockText(c));
      else walk.warnings.push(`${where}: unexpected <${c.name}> in <TableColumn> kept out of the entries`);
      continue;
    }
    const line = clean(c);
    if (!line) continue;
    const label = lineLabel(line);
    const last = lines[lines.length - 1];
    if (label) lines.push({ kind: label.kind, segment: label.key, label: label.raw, text: label.rest });
    else if (last) last.text += line;
    else lead.push(line);
  }
  return { lead: lead.join(""), lines, structured };
}

/**
 * The numbered lines of a cell as entries below its row, nested the way a
 * reader nests them: a kind of label seen before closes the lines opened
 * since ("（二）" after "１" goes back up), a new kind opens a level below.
 */
function pushLines(lines: readonly CellLine[], rowKey: string, walk: Walk): void {
  const stack: { kind: LabelKind; key: string }[] = [];
  for (const line of lines) {
    const level = stack.findIndex((s) => s.kind === line.kind);
    if (level >= 0) stack.length = level;
    const parentKey = stack[stack.length - 1]?.key ?? rowKey;
    const key = push(walk, {
      key: `${parentKey}.${line.segment}`,
      parentKey,
      heading: null,
      text: line.text,
      data: { label: line.label },
    });
    stack.push({ kind: line.kind, key });
  }
}

/**
 * The rows of a table in an appendix. A row whose first cell is a number
 * ("一", "五の二", "一六") is keyed by it (`別表第1.5の2`); its next cell holds
 * the row's own text and its numbered lines; each further cell is an entry
 * below the row, named by its column's header (`別表第1.16.地域`), so that a
 * change of destinations is a change of its own. e-Gov writes the header of
 * such tables as a plain first row with a blank first cell ("　 | 貨物 | 地域").
 * Rows without a number are keyed by position.
 */
function walkTable(table: XmlElement, tableKey: string, walk: Walk): void {
  let header: string[] | null = null;
  const rows: XmlElement[] = [];
  for (const r of childElements(table)) {
    if (r.name === "TableHeaderRow") header = childElements(r).map((c) => clean(c));
    else if (r.name === "TableRow") rows.push(r);
    else walk.warnings.push(`${tableKey}: unexpected <${r.name}> in <Table> kept out of the entries`);
  }
  const cellsOf = (r: XmlElement) => childElements(r).filter((c) => c.name === "TableColumn");
  const first = rows[0] && cellsOf(rows[0]).map((c) => clean(c));
  if (!header && first && first.length > 1 && first[0] === "" && first.slice(1).every(Boolean)) {
    header = first;
    rows.shift();
  }
  for (const [i, row] of rows.entries()) {
    const cells = cellsOf(row);
    if (!cells.length) continue;
    const label = clean(cells[0]);
    const numbered = ROW_NUMBER.test(keyLabel(label));
    const rowKey = numbered ? `${tableKey}.${keyLabel(label)}` : `${tableKey}.row${i + 1}`;
    // The first cell of a numbered row is its number; the next is what the row says.
    const offset = numbered ? 1 : 0;
    const own = cells[offset]
      ? readCell(cells[offset], rowKey, walk)
      : { lead: "", lines: [], structured: [] };
    const key = push(walk, {
      key: rowKey,
      parentKey: tableKey,
      heading: null,
      text: own.lead,
      data: { label },
    });
    pushLines(own.lines, key, walk);
    for (const [j, c] of own.structured.entries()) {
      if (c.name === "Remarks") walkRemarks(c, key, walk);
      else walkNumbered(c, key, j + 1, walk);
    }
    for (let col = offset + 1; col < cells.length; col++) {
      const column = header?.[col] ?? "";
      const text = clean(cells[col]);
      if (!text) continue;
      push(walk, {
        key: `${key}.${keyLabel(column) || `col${col + 1}`}`,
        parentKey: key,
        heading: column || null,
        text,
        data: { column: column || null },
      });
    }
  }
}

/** Appendices of the law body and the name their title defaults to. */
const APPENDICES: Record<string, string> = {
  AppdxTable: "別表",
  AppdxNote: "別記",
  AppdxStyle: "様式",
  AppdxFormat: "書式",
  AppdxFig: "別図",
  Appdx: "付録",
};

/**
 * An appendix, keyed by its title with its numbers as digits ("別表第一" →
 * `別表第1`, "別表第二の二" → `別表第2の2`). Its tables' rows, its items and
 * its remarks are entries below it; anything else it holds (figures, forms,
 * formulas) is its own text.
 */
function walkAppendix(el: XmlElement, walk: Walk): void {
  const titleEl = childElements(el).find((c) => c.name === `${el.name}Title` || c.name === "ArithFormulaNum");
  const title = clean(titleEl);
  const related = clean(firstChild(el, "RelatedArticleNum"));
  const named = keyLabel(title.split(/[（(]/)[0] ?? "");
  const key = named || `${APPENDICES[el.name]}${el.attrs.Num ? `第${el.attrs.Num}` : ""}`;
  const text: string[] = [];
  const below: XmlElement[] = [];
  for (const c of childElements(el)) {
    if (c === titleEl || c.name === "RelatedArticleNum") continue;
    if (c.name === "TableStruct" || c.name === "Item" || c.name === "Remarks") below.push(c);
    else text.push(clean(c));
  }
  const own = push(walk, {
    key,
    parentKey: null,
    heading: `${title}${related}` || null,
    text: text.filter(Boolean).join(" "),
    data: { label: title, ...(related ? { relatedArticles: related } : {}) },
  });
  let tables = 0;
  let items = 0;
  for (const c of below) {
    if (c.name === "Item") walkNumbered(c, own, ++items, walk);
    else if (c.name === "Remarks") walkRemarks(c, own, walk);
    else {
      // A second table in the same appendix restarts its numbering: its rows are kept apart.
      const tableKey = ++tables > 1 ? `${own}.table${tables}` : own;
      for (const part of childElements(c)) {
        if (part.name === "Table") walkTable(part, tableKey, walk);
        else if (part.name === "Remarks") walkRemarks(part, tableKey, walk);
        else if (part.name !== "TableStructTitle")
          walk.warnings.push(`${own}: unexpected <${part.name}> in <TableStruct> kept out of the entries`);
      }
    }
  }
}

/** What e-Gov's law_data answer says about the revision, beside its text (the law_revisions fields) [I]. */
export interface EgovRevisionInfo {
  /** `{law_id}_{enforcement YYYYMMDD}_{amending law id}` [C]. */
  revisionId: string;
  lawTitle: string | null;
  /** `amendment_enforcement_date` [C]: the day this text is the law from. */
  enforcementDate: string | null;
  /** `amendment_promulgate_date` [C]. */
  promulgateDate: string | null;
  amendmentLawId: string | null;
  /** The amending instrument as cited: 令和六年経済産業省令第四十四号. */
  amendmentLawNum: string | null;
  amendmentLawTitle: string | null;
  /** `current_revision_status`: CurrentEnforced, PreviousEnforced, UnEnforced … */
  status: string | null;
}

/** What an e-Gov law snapshot records about the law and the revision it is. */
export interface EgovLawMeta extends Record<string, unknown> {
  lawId: string | null;
  /** 昭和二十四年政令第三百七十八号, as the law writes it. */
  lawNum: string;
  lawTitle: string | null;
  /** `Law/@LawType`: Act, CabinetOrder, MinisterialOrdinance … */
  lawType: string | null;
  /** `Law/@Lang`. */
  language: string;
  /** When the law itself was promulgated (`law_info.promulgation_date`), if the answer says. */
  promulgationDate: string | null;
  revision: EgovRevisionInfo | null;
  /** The revision's enforcement date: the version of the law this text is. */
  versionDate: string | null;
  /** The amending laws whose supplementary provisions the text carries (`SupplProvision/@AmendLawNum`), in order. */
  amendments: string[];
  /** A law_data answer (`law_data_response`) or the bare `<Law>` of a law file. */
  serialisation: "law_data_response" | "Law";
}

export type EgovLawSnapshot = ParsedSnapshot<ListSnapshot, EgovLawMeta>;

/** Simple fields of a law_data answer: `<law_info><law_id>…</law_id>…</law_info>`, as strings or null. */
function fields(el: XmlElement | undefined): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const c of el ? childElements(el) : []) out[c.name] = japaneseText(plain(c)) || null;
  return out;
}

function isoDate(value: string | null | undefined, what: string): string | null {
  if (!value) return null;
  const day = checkedIsoDate(value.slice(0, 10));
  if (!day) throw new SourceShapeChangedError(`e-Gov law_data: ${what} "${value}" is not a date`);
  return day;
}

const REVISION_ID = /^([0-9A-Za-z]+)_([0-9]{8})_([0-9A-Za-z]+)$/;

/**
 * The `<Law>` inside a law_data answer. With `law_full_text_format=xml` the
 * XML answer holds it as elements; a JSON answer carries it base64-encoded
 * [I: both from public clients of the API], so text is read as that.
 */
function* lawOfAnswer(root: XmlElement, fileName: string | undefined): Generator<void, XmlElement> {
  const full = firstChild(root, "law_full_text");
  if (!full) throw new SourceShapeChangedError("e-Gov law_data answer has no <law_full_text>");
  const laws = childElements(full);
  if (laws.length === 1 && laws[0]!.name === "Law") return laws[0]!;
  if (laws.length)
    throw new SourceShapeChangedError(
      `e-Gov law_data: <law_full_text> holds ${laws.map((l) => `<${l.name}>`).join(", ")}, expected one <Law>`,
    );
  const encoded = plain(full).replace(/\s+/g, "");
  if (!encoded || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded))
    throw new SourceShapeChangedError("e-Gov law_data: <law_full_text> is neither a <Law> nor base64 XML");
  const inner = yield* parseXmlSteps(decodeChunks(Buffer.from(encoded, "base64")).chunks, { fileName });
  if (inner.name !== "Law")
    throw new SourceShapeChangedError(`e-Gov law_data: the encoded text is <${inner.name}>, not <Law>`);
  return inner;
}

export function parseEgovLaw(input: ParseInput): EgovLawSnapshot {
  return runSteps(parseEgovLawSteps(input));
}

/**
 * e-Gov law XML (XMLSchemaForJapaneseLaw v3, the older elaws generation and
 * the laws.e-gov.go.jp v2 one alike) as a list: one entry per division
 * (`ch3.sec2`), article (`art7`, `art36の2`), paragraph (`art7.1`), item
 * (`art7.1.19`), sub-item (`art7.1.19.イ`, `art7.1.19.イ.(1)`, `….(1).1`),
 * appendix (`別表第1`), table row (`別表第1.5の2`), numbered line of a cell
 * (`別表第1.2.(12).1`) and further column (`別表第1.16.地域`). Keys use Arabic
 * digits whatever the text writes ("十九", "一九", "１９"); the label as written
 * is `data.label`, the text is kept as written. The paragraph is always in
 * the key, even where an article has only one, so an article gaining a
 * second paragraph does not rename its items. Supplementary provisions (附則)
 * are how each amendment came into force, not the list: their amending laws
 * are in `meta.amendments`, their text is not an entry. Accepts a law_data
 * answer (`<law_data_response>`) or a bare `<Law>`.
 */
export function* parseEgovLawSteps(input: ParseInput): Generator<void, EgovLawSnapshot> {
  const fileName = input.url ?? undefined;
  const root = yield* parseXmlSteps(decodeChunks(input.body, input.contentType).chunks, { fileName });
  const warnings: string[] = [];
  let law: XmlElement;
  let lawInfo: Record<string, string | null> = {};
  let revision: EgovRevisionInfo | null = null;
  if (root.name === "law_data_response") {
    for (const c of childElements(root)) {
      if (!["law_info", "revision_info", "law_full_text", "attached_files_info"].includes(c.name))
        warnings.push(`<law_data_response>: unexpected <${c.name}>`);
    }
    law = yield* lawOfAnswer(root, fileName);
    lawInfo = fields(firstChild(root, "law_info"));
    const info = fields(firstChild(root, "revision_info"));
    if (info.law_revision_id) {
      const id = REVISION_ID.exec(info.law_revision_id);
      if (!id)
        throw new SourceShapeChangedError(`e-Gov law_data: malformed revision id "${info.law_revision_id}"`);
      if (lawInfo.law_id && id[1] !== lawInfo.law_id)
        throw new SourceShapeChangedError(
          `e-Gov law_data: revision ${info.law_revision_id} is not a revision of ${lawInfo.law_id}`,
        );
      revision = {
        revisionId: info.law_revision_id,
        lawTitle: info.law_title ?? null,
        enforcementDate: isoDate(info.amendment_enforcement_date, "amendment_enforcement_date"),
        promulgateDate: isoDate(info.amendment_promulgate_date, "amendment_promulgate_date"),
        amendmentLawId: info.amendment_law_id ?? null,
        amendmentLawNum: info.amendment_law_num ?? null,
        amendmentLawTitle: info.amendment_law_title ?? null,
        status: info.current_revision_status ?? null,
      };
    }
  } else if (root.name === "Law") law = root;
  else
    throw new SourceShapeChangedError(
      `expected e-Gov law XML (<Law> or a law_data answer <law_data_response>), found <${root.name}>`,
    );

  const lawNum = clean(firstChild(law, "LawNum"));
  const body = firstChild(law, "LawBody");
  if (!lawNum || !body) throw new SourceShapeChangedError("e-Gov law XML without <LawNum> or <LawBody>");
  const walk: Walk = { entries: [], seen: new Set(), warnings, language: law.attrs.Lang ?? "ja" };
  const amendments: string[] = [];
  let main = 0;
  for (const c of childElements(body)) {
    if (c.name === "MainProvision") {
      main++;
      walkProvisions(c, null, walk);
    } else if (c.name === "SupplProvision") {
      if (c.attrs.AmendLawNum) amendments.push(japaneseText(c.attrs.AmendLawNum));
    } else if (APPENDICES[c.name]) walkAppendix(c, walk);
    else if (c.name === "Preamble") {
      push(walk, { key: "preamble", parentKey: null, heading: "前文", text: "", data: {} });
      for (const [i, p] of childElements(c).entries()) walkParagraph(p, "preamble", i + 1, walk);
    } else if (!["LawTitle", "EnactStatement", "TOC"].includes(c.name))
      walk.warnings.push(`<LawBody>: unexpected <${c.name}> kept out of the entries`);
  }
  if (main !== 1)
    throw new SourceShapeChangedError(`e-Gov law XML with ${main} <MainProvision>, expected one`);
  const title = clean(firstChild(body, "LawTitle")) || revision?.lawTitle || null;
  return {
    kind: "list",
    meta: {
      lawId: lawInfo.law_id ?? (revision ? REVISION_ID.exec(revision.revisionId)![1]! : null),
      lawNum,
      lawTitle: title,
      lawType: law.attrs.LawType ?? null,
      language: walk.language,
      promulgationDate: isoDate(lawInfo.promulgation_date, "promulgation_date"),
      revision,
      versionDate: revision?.enforcementDate ?? null,
      amendments,
      serialisation: root.name === "Law" ? "Law" : "law_data_response",
    },
    warnings: walk.warnings,
    entries: walk.entries,
  };
}
