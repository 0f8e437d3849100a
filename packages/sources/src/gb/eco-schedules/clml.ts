// What both legislation.gov.uk sources read the same way: the refusal of an
// HTML page served in place of XML, CLML's inline text (amendment markers,
// special characters), its commentaries, the `ukm:Metadata` block, and the
// citation a class of legislation is written with.

import { decodeChunks } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import { childElements, parseXmlSteps, textOf, type XmlElement, type XmlNode } from "../../xml/parse-xml.ts";

/** legislation.gov.uk [C, SOURCES.md]; overridable through REGWATCH_ORIGIN_MAP like every origin. */
export const LEGISLATION_ORIGIN = "https://www.legislation.gov.uk";

/** The Export Control Order 2008, as legislation.gov.uk names it [C, SOURCES.md]. */
export const ECO_ITEM = "uksi/2008/3231";
export const ECO_ID_URI = `http://www.legislation.gov.uk/id/${ECO_ITEM}`;
/** How amending instruments, and the documents source's records, cite the Order. */
export const ECO_CITED_AS = ["S.I. 2008/3231", "Export Control Order 2008"] as const;

/** "ukm:Metadata" → "Metadata", "xhtml:td" → "td": names come as written, prefixes are the publisher's choice. */
export const local = (name: string) => name.slice(name.indexOf(":") + 1);

export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? childElements(el).filter((c) => local(c.name) === name) : [];
}
export const child = (el: XmlElement | undefined, name: string) => children(el, name)[0];

/** Calendar dates are taken only when they exist: "2024-02-30" is no date. */
export function isoDate(value: string | undefined | null): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value?.trim() ?? "");
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** "1.4.2024" as commentaries write in-force dates → "2024-04-01"; impossible dates → null. */
export function commentaryDate(day: string, month: string, year: string): string | null {
  return isoDate(`${year}-${month.padStart(2, "0")}-${day.padStart(2, "0")}`);
}

/**
 * legislation.gov.uk answers some failures (maintenance, an unknown
 * provision behind a proxy) with an HTML page and status 200. That page is
 * not a document that lost its entries: it is refused with what it says.
 */
export function refuseHtml(body: Uint8Array, contentType: string | null | undefined, what: string): void {
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, 65536)).toString("latin1");
  const start = head
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, "")
    .replace(/^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*/, "");
  // By the body first; a text/html content type alone only when the body does not open as XML.
  const looksXml = /^<\?xml|^<(?:Legislation|feed)[\s>]/.test(start);
  const html =
    /^<!doctype\s+html|^<html[\s>]/i.test(start) ||
    (!looksXml && /^\s*text\/html\b/i.test(contentType ?? ""));
  if (!html) return;
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(head)?.[1];
  const said = title ? ` ("${normalizeText(title).slice(0, 120)}")` : "";
  throw new SourceShapeChangedError(
    `${what}: legislation.gov.uk answered with an HTML page${said}, not XML; nothing was parsed`,
  );
}

/** A body as an element tree: HTML pages refused, the XML read strictly (see ../../xml/stream-xml.ts). */
export function* readXmlSteps(
  input: { body: Uint8Array; contentType?: string | null; url?: string | null },
  what: string,
): Generator<void, XmlElement> {
  refuseHtml(input.body, input.contentType, input.url ?? what);
  const { chunks } = decodeChunks(input.body, input.contentType);
  return yield* parseXmlSteps(chunks, { fileName: input.url ?? what });
}

// CLML's named characters. Padding (the dots of an omitted provision, the line
// of a form) is a space: it is layout, not words.
const CHARACTERS: Record<string, string> = {
  EmDash: "—",
  EnDash: "–",
  Minus: "−",
  NonBreakingSpace: "\u00a0",
  ThinSpace: " ",
  Ellipsis: "…",
  DotPadding: " ",
  LinePadding: " ",
  Bullet: "•",
};

/** An amendment marker met while reading text: the element and the commentary it points to. */
export interface Mark {
  /** Addition, Substitution, Repeal (text the editors changed) or CommentaryRef (a note about it). */
  kind: string;
  ref: string;
}

/** Elements whose content is never text: references to notes and the notes themselves. */
const NOT_TEXT = new Set(["FootnoteRef", "MarginNoteRef", "Footnote", "MarginNote", "Commentary"]);

/**
 * The words of inline CLML. Amendment markers (Addition, Substitution,
 * Repeal) keep their words and are recorded in `marks`, with their
 * commentary; the "[F1" brackets legislation.gov.uk draws around them are
 * rendering, never text. Commentary and footnote references are not words.
 */
export function inlineText(node: XmlNode, marks: Mark[] | null, warnings?: string[]): string {
  if (typeof node === "string") return node;
  const name = local(node.name);
  if (name === "CommentaryRef") {
    if (marks && node.attrs.Ref) marks.push({ kind: "CommentaryRef", ref: node.attrs.Ref });
    return "";
  }
  if (NOT_TEXT.has(name)) return "";
  if (name === "Character") {
    const c = CHARACTERS[node.attrs.Name ?? ""];
    if (c === undefined) warnings?.push(`unknown CLML <Character Name="${node.attrs.Name ?? ""}">`);
    return c ?? "";
  }
  if (name === "Image") return " [image] ";
  if (name === "math") return node.attrs.alttext ? ` ${node.attrs.alttext} ` : ` ${textOf(node)} `;
  if (
    (name === "Addition" || name === "Substitution" || name === "Repeal") &&
    marks &&
    node.attrs.CommentaryRef
  )
    marks.push({ kind: name, ref: node.attrs.CommentaryRef });
  let out = "";
  for (const c of node.children) out += inlineText(c, marks, warnings);
  return out;
}

const BLOCKS = new Set([
  "Para",
  "P",
  "ListItem",
  "UnorderedList",
  "OrderedList",
  "BlockText",
  "Tabular",
  "table",
]);

/** Cells that only label a row ("a.", "Note:"): joined to the row's text with a space, not a bar. */
const ROW_LABEL = /^(?:\(?[a-z]{1,3}\)?|\d{1,3}|[ivx]{1,6})\.?$|:$/i;

/**
 * The words of a block: paragraphs, lists (each item on its own), tables as
 * "cell | cell" rows separated by " / ". XHTML inside Tabular comes with or
 * without a prefix; either is read.
 */
export function blockText(el: XmlElement, marks: Mark[] | null, warnings?: string[]): string {
  const name = local(el.name);
  if (name === "Tabular" || name === "table") {
    const rows: string[] = [];
    const visit = (e: XmlElement) => {
      for (const c of childElements(e)) {
        const n = local(c.name);
        if (n === "tr") {
          const cells = childElements(c)
            .filter((cell) => local(cell.name) === "td" || local(cell.name) === "th")
            .map((cell) => normalizeText(blockText(cell, marks, warnings)))
            .filter(Boolean);
          if (!cells.length) continue;
          const [first, ...rest] = cells;
          rows.push(
            rest.length && ROW_LABEL.test(first!) ? `${first} ${rest.join(" | ")}` : cells.join(" | "),
          );
        } else if (n !== "CommentaryRef") visit(c);
        else inlineText(c, marks);
      }
    };
    visit(el);
    return rows.join(" / ");
  }
  const parts: string[] = [];
  for (const c of el.children) {
    if (typeof c === "string") parts.push(c);
    else {
      const n = local(c.name);
      if (n === "Text" || n === "Title") parts.push(` ${inlineText(c, marks, warnings)} `);
      // A provision's number as the lists write it ("a.", "1."), unless CLML says how to punctuate it.
      else if (n === "Pnumber")
        parts.push(
          ` ${c.attrs.PuncBefore ?? ""}${inlineText(c, marks, warnings).trim()}${c.attrs.PuncAfter ?? "."} `,
        );
      else if (BLOCKS.has(n) || /^P\d(?:para|group)?$/.test(n))
        parts.push(` ${blockText(c, marks, warnings)} `);
      else parts.push(inlineText(c, marks, warnings));
    }
  }
  return parts.join("");
}

/** The citation legislation.gov.uk gives a class of legislation: "S.I. 2024/346", "2018 c. 12". */
export function citationFor(cls: string | undefined, year: string | undefined, number: string | undefined) {
  if (!year || !number) return null;
  switch (cls) {
    case "UnitedKingdomStatutoryInstrument":
      return `S.I. ${year}/${number}`;
    case "UnitedKingdomPublicGeneralAct":
      return `${year} c. ${number}`;
    case "ScottishStatutoryInstrument":
      return `S.S.I. ${year}/${number}`;
    case "WelshStatutoryInstrument":
      return `W.S.I. ${year}/${number}`;
    case "NorthernIrelandStatutoryRule":
      return `S.R. ${year}/${number}`;
    case "EuropeanUnionRegulation":
      return `Regulation (EU) ${year}/${number}`;
    case "EuropeanUnionDecision":
      return `Decision (EU) ${year}/${number}`;
    default:
      return cls ? `${cls} ${year}/${number}` : null;
  }
}

/** What a commentary (an annotation of the revised text) says, resolved once for every reference to it. */
export interface Commentary {
  /** F: textual amendment, C: modification, I: commencement, M: marginal citation, E: extent, X: editorial … */
  type: string;
  text: string;
  /** In-force dates the note gives ("inserted (1.4.2024) by …"). */
  dates: string[];
  /** Instruments it cites ("S.I. 2024/346"). */
  citations: string[];
}

export function readCommentaries(root: XmlElement): Map<string, Commentary> {
  const out = new Map<string, Commentary>();
  for (const c of children(child(root, "Commentaries"), "Commentary")) {
    const id = c.attrs.id;
    if (!id) continue;
    const text = normalizeText(blockText(c, null));
    const dates = [...text.matchAll(/\((\d{1,2})\.(\d{1,2})\.(\d{4})\)/g)]
      .map((m) => commentaryDate(m[1]!, m[2]!, m[3]!))
      .filter((d): d is string => d !== null);
    const citations: string[] = [];
    const visit = (e: XmlElement) => {
      for (const k of childElements(e)) {
        if (local(k.name) === "Citation") {
          const cited = citationFor(k.attrs.Class, k.attrs.Year, k.attrs.Number);
          if (cited && !citations.includes(cited)) citations.push(cited);
        } else visit(k);
      }
    };
    visit(c);
    for (const m of text.matchAll(/\bS\.I\. (\d{4})\/(\d+)/g)) {
      const cited = `S.I. ${m[1]}/${m[2]}`;
      if (!citations.includes(cited)) citations.push(cited);
    }
    out.set(id, { type: c.attrs.Type ?? "", text, dates: [...new Set(dates)], citations });
  }
  return out;
}

/** The facts of `ukm:Metadata` a tracker uses: identity, dates, versions. */
export interface ClmlMetadata {
  /** Root `IdURI`: `http://www.legislation.gov.uk/id/uksi/2008/3231`. */
  idUri: string | null;
  /** Root `DocumentURI`: which version and part this body is. */
  documentUri: string | null;
  title: string | null;
  /** `dc:modified`: when legislation.gov.uk last changed the item. */
  modified: string | null;
  /** `dct:valid`: the point in time this body shows. */
  valid: string | null;
  /** Root `RestrictStartDate` / `RestrictEndDate`: the version's validity. */
  restrictStartDate: string | null;
  restrictEndDate: string | null;
  /** `ukm:DocumentStatus`: "revised" (consolidated) or "final" (as made). */
  status: string | null;
  made: string | null;
  /** Dated versions listed by `dct:hasVersion` links, oldest first ("made" and "current" left out). */
  versions: string[];
  /** Effects recorded but not yet applied to the text (`ukm:UnappliedEffect`). */
  unappliedEffects: number;
}

export function readMetadata(root: XmlElement): ClmlMetadata {
  const meta = children(root, "Metadata")[0];
  const field = (name: string) => {
    const el = child(meta, name);
    return el ? normalizeText(textOf(el)) || null : null;
  };
  const secondary = child(meta, "SecondaryMetadata") ?? child(meta, "PrimaryMetadata");
  const classification = child(secondary, "DocumentClassification");
  const versions = children(meta, "link")
    .filter((l) => l.attrs.rel === "http://purl.org/dc/terms/hasVersion")
    .map((l) => isoDate(l.attrs.title))
    .filter((d): d is string => d !== null);
  let unapplied = 0;
  for (const group of children(secondary, "UnappliedEffects"))
    unapplied += children(group, "UnappliedEffect").length;
  return {
    idUri: root.attrs.IdURI ?? null,
    documentUri: root.attrs.DocumentURI ?? null,
    title: field("title"),
    modified: isoDate(field("modified")),
    valid: isoDate(field("valid")),
    restrictStartDate: isoDate(root.attrs.RestrictStartDate),
    restrictEndDate: isoDate(root.attrs.RestrictEndDate),
    status: child(classification, "DocumentStatus")?.attrs.Value ?? null,
    made: isoDate(child(secondary, "Made")?.attrs.Date ?? child(secondary, "EnactmentDate")?.attrs.Date),
    versions: [...new Set(versions)].sort(),
    unappliedEffects: unapplied,
  };
}
