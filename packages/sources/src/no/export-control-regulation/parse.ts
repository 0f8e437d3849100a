import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { uniqueKey } from "../../entry-keys.ts";
import { childElements, parseXml, textOf, type XmlElement, type XmlNode } from "../../xml/parse-xml.ts";
import { isBzip2 } from "../lovdata/bzip2.ts";
import { EXPORT_CONTROL_CITATION, LOVDATA_ORIGIN, lovdataRef, parseLovdataDate } from "../lovdata/parse.ts";
import { type ArchiveSummary, isTar, regulationFromArchive } from "./archive.ts";

export const PARSER_VERSION = "no.lovdata.export-control-regulation/1";

/** Lovdata's id of the consolidated (current) text, as its header and body name it. */
export const REGULATION_DOCUMENT_ID = "SF/forskrift/2013-06-19-718";
/** Where a person reads the current text [C: SOURCES.md]. */
export const REGULATION_URL = `${LOVDATA_ORIGIN}/dokument/${REGULATION_DOCUMENT_ID}`;

/** One regulation that amended FOR-2013-06-19-718, as the consolidated text lists it. */
export interface Amendment {
  /** `FOR-2024-10-02-2386`: how the Lovtidend source cites the same instrument. */
  citation: string;
  /** The day it was made (the date in its citation). */
  date: string;
  /** The day its changes took effect. */
  inForce: string;
  /**
   * Whether Lovdata wrote the in-force date ("(i kraft 1 nov 2024)", or the
   * header's date of the last change). Otherwise it is taken to be the day it
   * was made [I: Lovdata writes "(i kraft …)" only where the two differ; so
   * for every amendment in the samples].
   */
  inForceStated: boolean;
}

/** An annex (vedlegg) as read. */
export interface AnnexSummary {
  key: string;
  /** "Vedlegg III". */
  label: string | null;
  /** "Liste III – nasjonal liste (2024)". */
  title: string | null;
  /** The PDFs it links to: Lists I and II (and so far III) are published only so. */
  pdfs: string[];
  /** Entries read beneath it: 0 while the list itself is a PDF. */
  entries: number;
}

export interface RegulationMeta extends Record<string, unknown> {
  citation: string;
  documentId: string;
  title: string;
  titleShort: string | null;
  /** A gloss of the known name, never a translation of the text. */
  titleEn: string;
  language: "nb";
  /** "I kraft fra": the regulation's own in-force date. */
  inForceFrom: string | null;
  /** "Ikrafttredelse av siste endring": the day the text as read is the law from. */
  versionDate: string;
  /** "Sist endret ved": the amendment that made this version. */
  lastChangedBy: string | null;
  /** Every amendment the header lists, oldest first. */
  amendments: Amendment[];
  /** "Rettet": Lovdata's editorial corrections, as written. */
  corrections: string | null;
  annexes: AnnexSummary[];
  /** Present when the body was Lovdata's archive of current regulations. */
  archive: ArchiveSummary | null;
}

export type RegulationSnapshot = ParsedSnapshot<ListSnapshot, RegulationMeta>;

/** A gloss of the regulation's name as the foreign ministry renders it in English. */
const TITLE_EN =
  "Regulations relating to the export of defence-related products, dual-use items, technology and services";

const clean = (s: string) => normalizeText(s).normalize("NFC");
const hasClass = (el: XmlElement, cls: string) => (el.attrs.class ?? "").split(/\s+/).includes(cls);
const isBlank = (n: XmlNode) => typeof n === "string" && !n.trim();

// ---------------------------------------------------------------------------
// Dates

const MONTHS: Record<string, number> = {
  jan: 1,
  januar: 1,
  feb: 2,
  februar: 2,
  mar: 3,
  mars: 3,
  apr: 4,
  april: 4,
  mai: 5,
  jun: 6,
  juni: 6,
  jul: 7,
  juli: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  okt: 10,
  oktober: 10,
  nov: 11,
  november: 11,
  des: 12,
  desember: 12,
};

/**
 * The short dates of Lovdata's amendment notes ("1 nov 2024", "30 juni 2014",
 * "9. april 2019") → `2024-11-01`; anything else, or an impossible day, → null.
 */
export function parseShortNorwegianDate(value: string): string | null {
  const m = /^(\d{1,2})\.? ([a-zæøå]+)\.? (\d{4})$/i.exec(value.trim());
  if (!m) return null;
  const month = MONTHS[m[2]!.toLowerCase()];
  const [day, year] = [Number(m[1]), Number(m[3])];
  if (!month || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** The date in a dated citation (`FOR-2024-10-02-2386` → `2024-10-02`). */
const citationDate = (citation: string) => /^[A-Z]+-(\d{4}-\d{2}-\d{2})-/.exec(citation)?.[1] ?? null;

// "(i kraft 1 nov 2024)" right after an amendment's link.
const IN_FORCE_AFTER = /^\s*\(i kraft ([^)]*)\)/i;

// ---------------------------------------------------------------------------
// Text

/** Block-level paragraph classes of Lovdata's markup: their text is an entry's own. */
const PARAGRAPHS = new Set([
  "legalP",
  "numberedLegalP",
  "defaultP",
  "centeredP",
  "leddfortsettelse",
  "marginIdArticle",
  "indent",
  "box",
]);
const INLINE = new Set([
  "i",
  "b",
  "em",
  "strong",
  "u",
  "span",
  "sub",
  "sup",
  "small",
  "abbr",
  "cite",
  "code",
  "q",
  "s",
  "dfn",
  "mark",
  "time",
  "bdi",
  "var",
]);
const BLOCKS = new Set([
  "article",
  "p",
  "div",
  "section",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "li",
  "dl",
  "dt",
  "dd",
  // Cells, when a table is read as rows.
  "td",
  "th",
  "caption",
]);
// Not a type guard: narrowing it away would leave `never` for the other elements.
const isList = (n: XmlNode): boolean => typeof n !== "string" && (n.name === "ol" || n.name === "ul");
const isHeading = (el: XmlElement) => /^h[1-6]$/.test(el.name);

/** What one walk over the document collects. */
interface Walk {
  entries: Entry[];
  byKey: Map<string, Entry>;
  warnings: string[];
  /** `<base href>`: Lovdata's links are relative to it. */
  base: string;
  versionDate: string;
  amendments: Map<string, Amendment>;
  /** Notes numbered per entry they belong to. */
  notes: Map<string, number>;
  /** Elements already warned about, by name: one warning each. */
  unknown: Set<string>;
}

/** Where in the document a walk is: the parent for what it finds, and what it inherits. */
interface Scope {
  parentKey: string | null;
  language: string;
  /** The in-force date of the nearest amendment note above. */
  inForce: string | null;
  /** The annex being read: item numbers at the start of a paragraph are read only inside one. */
  annex: string | null;
}

/** Per-entry facts, gathered while its text is read. */
interface Pending {
  entry: Entry;
  text: string[];
  pdfs: string[];
}

function warnOnce(walk: Walk, what: string, message: string) {
  if (walk.unknown.has(what)) return;
  walk.unknown.add(what);
  walk.warnings.push(message);
}

/** Lovdata's language codes: "no" is how it tags Bokmål regulations. */
function languageOf(el: XmlElement, inherited: string): string {
  const lang = el.attrs.lang?.trim().toLowerCase();
  if (!lang) return inherited;
  return lang === "no" || lang === "nb" || lang === "nob" ? "nb" : lang === "nno" ? "nn" : lang;
}

/** An absolute address for a link (relative to the document's `<base>`), or null for an anchor or a bad one. */
function absolute(href: string, walk: Walk): string | null {
  if (!href || href.startsWith("#")) return null;
  try {
    return new URL(href, walk.base).toString();
  } catch {
    return null;
  }
}

/**
 * An element as text: inline markup kept as its words, footnote markers
 * dropped (the footnotes are data), a PDF link written with its address (the
 * address names the list's version: a replaced list is a new file), tables as
 * rows of cells. `skipLists` leaves out direct child lists (read as entries).
 */
function render(node: XmlNode, walk: Walk, pdfs: string[], skipLists = false): string {
  if (typeof node === "string") return node;
  const inner = (el: XmlElement, skip = false) =>
    el.children.map((c) => (skip && isList(c) ? " " : render(c, walk, pdfs))).join("");
  const el = node;
  switch (el.name) {
    case "br":
    case "hr":
      return " ";
    case "a": {
      const text = inner(el);
      const href = el.attrs.href ?? "";
      if (el.attrs["data-link-type"] === "staticfile" || /\.pdf(?:$|[?#])/i.test(href)) {
        const url = absolute(href, walk);
        if (url) {
          pdfs.push(url);
          return `${text} (${url})`;
        }
      }
      return text;
    }
    case "table":
      return ` ${tableText(el, walk, pdfs)} `;
    case "footer":
      // Footnotes are read where provisions and sections hold them; one inside a paragraph is not.
      warnOnce(walk, "footer", "footnotes inside a paragraph are not kept");
      return " ";
    case "ol":
    case "ul":
      return ` ${childElements(el)
        .map((li) => `${liLabel(li) ?? ""} ${render(li, walk, pdfs)}`)
        .join(" ")} `;
  }
  if (el.name === "sup" && hasClass(el, "footnotereference")) return "";
  if (INLINE.has(el.name)) return inner(el);
  if (!BLOCKS.has(el.name))
    warnOnce(walk, el.name, `unexpected <${el.name}>: its text is kept where it stands`);
  return ` ${inner(el, skipLists)} `;
}

/** A table as rows of cells ("a | b", rows separated by " / "). */
function tableText(table: XmlElement, walk: Walk, pdfs: string[]): string {
  const rows: string[] = [];
  const visit = (el: XmlElement) => {
    for (const c of childElements(el)) {
      if (c.name === "tr")
        rows.push(
          childElements(c)
            .filter((cell) => cell.name === "td" || cell.name === "th")
            .map((cell) => clean(render(cell, walk, pdfs)))
            .join(" | "),
        );
      else visit(c);
    }
  };
  visit(table);
  return rows.join(" / ");
}

/** A list item's own number or letter ("a.", "1.", "(ii)", "b)" → "a", "1", "ii"), or null for a bullet. */
function liLabel(li: XmlElement): string | null {
  const raw = li.attrs["data-name"] ?? li.attrs["data-li-identifier"];
  if (!raw) return null;
  const label = clean(raw)
    .replace(/^\(/, "")
    .replace(/[.):]+$/, "");
  return /^[\p{L}\p{N}]+$/u.test(label) ? label : null;
}

// ---------------------------------------------------------------------------
// Entries

function open(
  walk: Walk,
  scope: Scope,
  key: string,
  heading: string | null,
  data: Record<string, unknown>,
): Pending {
  const unique = uniqueKey(key, walk.byKey, walk.warnings);
  const entry: Entry = {
    key: unique,
    parentKey: scope.parentKey,
    heading: heading ? clean(heading) || null : null,
    text: "",
    data: { language: scope.language, ...(scope.inForce ? { inForce: scope.inForce } : {}), ...data },
  };
  walk.entries.push(entry);
  walk.byKey.set(unique, entry);
  return { entry, text: [], pdfs: [] };
}

function close(pending: Pending) {
  pending.entry.text = clean(pending.text.join(" "));
  if (pending.pdfs.length) pending.entry.data = { ...pending.entry.data, pdfs: [...new Set(pending.pdfs)] };
}

/** The amendments an amendment note ("Endret ved forskrifter …") names, each with its in-force date. */
function changedBy(note: XmlElement, walk: Walk, where: string): { citation: string; inForce: string }[] {
  const out = new Map<string, string>();
  note.children.forEach((c, i) => {
    if (typeof c === "string" || c.name !== "a") return;
    const ref = lovdataRef(c.attrs.href ?? "");
    if (!ref || ref.provision || ref.citation === EXPORT_CONTROL_CITATION) return;
    const next = note.children[i + 1];
    const stated = typeof next === "string" ? IN_FORCE_AFTER.exec(next)?.[1] : undefined;
    let inForce = stated !== undefined ? parseShortNorwegianDate(stated) : null;
    if (stated !== undefined && !inForce)
      walk.warnings.push(`${where}: "(i kraft ${stated})" after ${ref.citation} is not a date`);
    inForce ??= walk.amendments.get(ref.citation)?.inForce ?? citationDate(ref.citation);
    if (inForce && (!out.has(ref.citation) || out.get(ref.citation)! < inForce))
      out.set(ref.citation, inForce);
  });
  return [...out].map(([citation, inForce]) => ({ citation, inForce }));
}

/**
 * A provision's amendment note → the scope its entries inherit: the in-force
 * date of the latest amendment the note names, up to the version date (an
 * entry changed in this version was changed by that amendment).
 */
function noteScope(
  el: XmlElement,
  scope: Scope,
  walk: Walk,
  key: string,
): { scope: Scope; data: Record<string, unknown> } {
  const note = childElements(el).find((c) => hasClass(c, "changesToParent"));
  if (!note) return { scope, data: {} };
  const by = changedBy(note, walk, key);
  const dates = by.map((b) => b.inForce).sort();
  const current = dates.filter((d) => d <= walk.versionDate);
  if (current.length < dates.length)
    walk.warnings.push(`${key}: amended with effect after the version date (${dates.at(-1)})`);
  const inForce = current.at(-1) ?? scope.inForce;
  return { scope: { ...scope, inForce }, data: { changedBy: by, ...(inForce ? { inForce } : {}) } };
}

/** Footnotes of a provision, as data: they explain, they do not control. */
function footnotes(el: XmlElement, walk: Walk): string[] {
  const out: string[] = [];
  for (const footer of childElements(el).filter((c) => c.name === "footer"))
    for (const note of childElements(footer))
      out.push(
        clean(
          note.children
            .map((c) =>
              typeof c !== "string" && hasClass(c, "footnoteLabel") ? `${textOf(c)} ` : render(c, walk, []),
            )
            .join(""),
        ),
      );
  return out;
}

// "Kap. 1. Innledende bestemmelser", "Kap 3. Eksport …", "Vedlegg III", "Kategori 3 – Elektronikk":
// a word, a space or full stop, a number (never "Listen", "Delegering").
const LABELLED =
  /^((?:kap(?:ittel)?|vedlegg|del|avsnitt|kategori|liste|bilag)(?:\.\s*|\s+)(?:\d+[a-z]?|[IVXLC]+|[A-Z])(?![\p{L}\p{N}]))\.?\s*(?:[:.–—-]\s*)?(.*)$/iu;

/** A section heading → its label ("Kap. 1", "Vedlegg III") and title ("Innledende bestemmelser"). */
function splitHeading(
  heading: XmlElement | undefined,
  walk: Walk,
): { label: string | null; title: string | null } {
  if (!heading) return { label: null, title: null };
  const lines: string[] = [""];
  for (const c of heading.children) {
    if (typeof c !== "string" && c.name === "br") lines.push("");
    else lines[lines.length - 1] += render(c, walk, []);
  }
  const parts = lines.map(clean).filter(Boolean);
  const first = LABELLED.exec(parts[0] ?? "");
  if (!first) return { label: null, title: parts.join(" ") || null };
  const rest = [first[2]!, ...parts.slice(1)].map(clean).filter(Boolean).join(" ");
  return { label: clean(first[1]!), title: rest || null };
}

/** A section's key segment: from `data-name` ("kap1" → "kap.1", "vedleggIII" → "vedlegg.III"), else from its label. */
function sectionSegment(el: XmlElement, label: string | null, position: number, walk: Walk): string {
  const name = el.attrs["data-name"];
  const m = name ? /^([a-zæøå]+)(\d+[a-z]?|[IVXLC]+|[A-Z])$/.exec(name) : null;
  if (m) return `${m[1]}.${m[2]}`;
  if (name) {
    walk.warnings.push(`section data-name "${name}" is not a word and a number; kept as its key`);
    return name;
  }
  const l = label ? /^([\p{L}]+)\.?\s*(\S+)$/u.exec(label) : null;
  if (l) return `${l[1]!.toLowerCase()}.${l[2]}`;
  walk.warnings.push(`a section without data-name or numbered heading; keyed by position (s${position})`);
  return `s${position}`;
}

// Item numbers as a list writes them: Wassenaar/EU numbering ("3B001", "3B001.c.1.a") and national
// numbers in the same scheme ("3B993", "4A906"). An optional full stop after the number.
const ITEM_NUMBER = /^(\d[A-E]\d{3}(?:\.[a-z0-9]{1,4})*)\.?(?=\s|$)\s*/;
// Notes and technical notes under an item ("Merknad:", "Teknisk merknad 2:", "Note:").
const NOTE =
  /^(?:tekniske? merknad(?:er)?|merknad(?:er)?|merk|n\.?\s?b\.?|notes?|technical notes?)\s*\d*\s*[:.]/i;

/** The text of a block without its direct child lists, and those lists. */
function ownText(el: XmlElement, walk: Walk, pdfs: string[]): { text: string; lists: XmlElement[] } {
  const lists = el.children.filter(isList) as XmlElement[];
  return { text: render(el, walk, pdfs, true), lists };
}

function noteKey(walk: Walk, owner: string): string {
  const n = (walk.notes.get(owner) ?? 0) + 1;
  walk.notes.set(owner, n);
  return `${owner}.note.${n}`;
}

/** A list's items as entries under `owner` (`§8(1).a`, `4A906.b.2`, `vedlegg.III.1`). */
function walkList(list: XmlElement, owner: string, scope: Scope, walk: Walk) {
  let position = 0;
  const inner = { ...scope, language: languageOf(list, scope.language) };
  for (const c of list.children) {
    if (isBlank(c)) continue;
    if (typeof c === "string" || c.name !== "li") {
      walk.warnings.push(
        `${owner}: ${typeof c === "string" ? "text" : `<${c.name}>`} in a list outside any item; not read`,
      );
      continue;
    }
    position++;
    walkListItem(c, `${owner}.${liLabel(c) ?? `p${position}`}`, { ...inner, parentKey: owner }, walk);
  }
}

/**
 * A list item: its first paragraph is its text, later paragraphs continue it,
 * notes (inside an annex) and lists become entries beneath it.
 */
function walkListItem(li: XmlElement, key: string, scope: Scope, walk: Walk) {
  const item = open(walk, scope, key, null, {});
  const below: Scope = { ...scope, parentKey: key, language: languageOf(li, scope.language) };
  const blocks = li.children.flatMap((c) =>
    typeof c !== "string" && c.name === "article" && hasClass(c, "listArticle") ? c.children : [c],
  );
  let first = true;
  for (const b of blocks) {
    if (isBlank(b)) continue;
    if (isList(b)) walkList(b as XmlElement, key, below, walk);
    else if (typeof b !== "string" && b.name === "article") {
      const pdfs: string[] = [];
      const { text, lists } = ownText(b, walk, pdfs);
      if (!first && scope.annex && NOTE.test(clean(text))) {
        const note = open(walk, below, noteKey(walk, key), null, {});
        note.text.push(text);
        note.pdfs.push(...pdfs);
        close(note);
      } else {
        item.text.push(text);
        item.pdfs.push(...pdfs);
      }
      first = false;
      for (const list of lists) walkList(list, key, below, walk);
    } else item.text.push(render(b, walk, item.pdfs));
  }
  close(item);
}

/** A ledd (`§4(2)`): its text without its lists, which become its letters. */
function walkLedd(el: XmlElement, key: string, scope: Scope, walk: Walk, label: string | null): Pending {
  const ledd = open(walk, scope, key, null, label ? { label } : {});
  const { text, lists } = ownText(el, walk, ledd.pdfs);
  ledd.text.push(label && clean(text).startsWith(label) ? clean(text).slice(label.length) : text);
  close(ledd);
  const below = { ...scope, parentKey: key, language: languageOf(el, scope.language) };
  for (const list of lists) walkList(list, key, below, walk);
  return ledd;
}

/** A provision (`<article class="legalArticle" data-name="§4">`): the § and its ledd. */
function walkArticle(el: XmlElement, outer: Scope, walk: Walk) {
  const header = childElements(el).find((c) => isHeading(c) || hasClass(c, "legalArticleHeader"));
  const spans = header ? findAll(header, (e) => e.name === "span") : [];
  const value = spans.find((s) => hasClass(s, "legalArticleValue"));
  const titleSpan = spans.find((s) => hasClass(s, "legalArticleTitle"));
  const label = value ? clean(textOf(value)) : null;
  const key = (el.attrs["data-name"] ?? label ?? "").replace(/\s+/g, "");
  if (!key)
    throw new SourceShapeChangedError(
      `a provision (${el.attrs.id ?? "no id"}) has neither data-name nor a § number`,
    );
  if (!/^§\d+[a-z]?(?:-\d+[a-z]?)?$/.test(key))
    walk.warnings.push(`provision key "${key}" is not a § number`);
  if (label && label.replace(/\s+/g, "") !== key)
    walk.warnings.push(`${key}: its heading numbers it "${label}"`);
  const title = titleSpan
    ? clean(textOf(titleSpan))
    : header
      ? clean(textOf(header))
          .slice(label?.length ?? 0)
          .replace(/^[.\s]+/, "")
      : "";
  const base = { ...outer, language: languageOf(el, outer.language) };
  const { scope, data } = noteScope(el, base, walk, key);
  const notes = footnotes(el, walk);
  const article = open(walk, scope, key, title || null, {
    ...data,
    ...(label ? { label } : {}),
    ...(notes.length ? { footnotes: notes } : {}),
  });
  const below: Scope = { ...scope, parentKey: key };
  let ledd = 0;
  let last: Pending | null = null;
  for (const c of el.children) {
    if (isBlank(c) || c === header) continue;
    if (typeof c === "string") {
      article.text.push(c);
      continue;
    }
    if (c.name === "footer" || hasClass(c, "changesToParent")) continue;
    if (hasClass(c, "legalP")) last = walkLedd(c, `${key}(${++ledd})`, below, walk, null);
    else if (hasClass(c, "numberedLegalP")) {
      const n = c.attrs["data-numerator"] ?? /^\((\d+[a-z]?)\)/.exec(clean(textOf(c)))?.[1];
      if (!n) walk.warnings.push(`${key}: a numbered ledd without a number; counted in order`);
      last = walkLedd(c, `${key}(${n ?? ++ledd})`, below, walk, n ? `(${n})` : null);
    } else if (hasClass(c, "leddfortsettelse") && last) {
      // The rest of a ledd after its list: the same ledd, not a new one.
      const { text, lists } = ownText(c, walk, last.pdfs);
      last.entry.text = clean(`${last.entry.text} ${text}`);
      for (const list of lists) walkList(list, last.entry.key, { ...below, parentKey: last.entry.key }, walk);
    } else if (isList(c)) walkList(c as XmlElement, key, below, walk);
    else {
      if (!PARAGRAPHS.has(c.attrs.class ?? "") || c.name !== "article")
        warnOnce(
          walk,
          `article:${c.name}.${c.attrs.class ?? ""}`,
          `${key}: unexpected <${c.name} class="${c.attrs.class ?? ""}"> in a provision; its text is the provision's`,
        );
      const { text, lists } = ownText(c, walk, article.pdfs);
      article.text.push(text);
      for (const list of lists) walkList(list, key, below, walk);
    }
  }
  close(article);
}

function findAll(el: XmlElement, test: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  for (const c of childElements(el)) {
    if (test(c)) out.push(c);
    findAll(c, test, out);
  }
  return out;
}

/** An item of an annex list: a paragraph that starts with its number (`4A906 Kvantedatamaskiner …`). */
function walkItem(el: XmlElement, number: string, scope: Scope, walk: Walk): string {
  const item = open(walk, scope, number, null, {});
  const { text, lists } = ownText(el, walk, item.pdfs);
  item.text.push(clean(text).replace(ITEM_NUMBER, ""));
  close(item);
  const below = { ...scope, parentKey: item.entry.key, language: languageOf(el, scope.language) };
  for (const list of lists) walkList(list, item.entry.key, below, walk);
  return item.entry.key;
}

/**
 * A chapter, an annex, or a part of one: its heading, then what it holds.
 * Inside an annex a paragraph that starts with an item number is an item, a
 * note after it is the item's, and a list outside any item is a list of
 * numbered points (`vedlegg.III.1`).
 */
function walkSection(el: XmlElement, outer: Scope, position: number, walk: Walk) {
  const heading = childElements(el).find(isHeading);
  const { label, title } = splitHeading(heading, walk);
  const segment = sectionSegment(el, label, position, walk);
  const key = outer.parentKey ? `${outer.parentKey}.${segment}` : segment;
  const annex = outer.annex ?? (segment.startsWith("vedlegg.") ? key : null);
  const base = { ...outer, language: languageOf(el, outer.language), annex };
  const { scope, data } = noteScope(el, base, walk, key);
  const notes = footnotes(el, walk);
  const section = open(walk, scope, key, title ?? label, {
    ...data,
    ...(label ? { label } : {}),
    ...(notes.length ? { footnotes: notes } : {}),
  });
  const below: Scope = { ...scope, parentKey: key };
  let lastItem: string | null = null;
  let sections = 0;
  for (const c of el.children) {
    if (isBlank(c) || c === heading) continue;
    if (typeof c === "string") {
      section.text.push(c);
      continue;
    }
    if (c.name === "footer" || hasClass(c, "changesToParent")) continue;
    if (c.name === "section") walkSection(c, below, ++sections, walk);
    else if (hasClass(c, "legalArticle")) walkArticle(c, below, walk);
    else if (isList(c)) walkList(c as XmlElement, key, below, walk);
    else {
      if (
        c.name !== "table" &&
        !isHeading(c) &&
        !(c.name === "article" && PARAGRAPHS.has(c.attrs.class ?? ""))
      )
        warnOnce(
          walk,
          `section:${c.name}.${c.attrs.class ?? ""}`,
          `${key}: unexpected <${c.name} class="${c.attrs.class ?? ""}">; its text is the section's`,
        );
      const pdfs: string[] = [];
      const { text, lists } = ownText(c, walk, pdfs);
      const number = annex ? ITEM_NUMBER.exec(clean(text))?.[1] : undefined;
      if (number) {
        lastItem = walkItem(c, number, { ...below, language: languageOf(c, below.language) }, walk);
        continue;
      }
      if (annex && lastItem && NOTE.test(clean(text))) {
        const note = open(walk, { ...below, parentKey: lastItem }, noteKey(walk, lastItem), null, {});
        note.text.push(text);
        note.pdfs.push(...pdfs);
        close(note);
      } else {
        section.text.push(text);
        section.pdfs.push(...pdfs);
      }
      for (const list of lists) walkList(list, key, below, walk);
    }
  }
  close(section);
}

// ---------------------------------------------------------------------------
// Header

interface HeaderField {
  el: XmlElement;
  text: string;
}

function headerFields(header: XmlElement): Map<string, HeaderField> {
  const fields = new Map<string, HeaderField>();
  for (const dd of findAll(header, (e) => e.name === "dd")) {
    const cls = dd.attrs.class;
    if (cls && !fields.has(cls)) fields.set(cls, { el: dd, text: clean(textOf(dd)) });
  }
  return fields;
}

/**
 * The amendments the header's "Annet om dokumentet" lists after
 * "<strong>Endret</strong> ved": each link a regulation, an "(i kraft …)"
 * after it when it took effect on another day than it was made.
 */
function listedAmendments(misc: XmlElement | undefined, warnings: string[]): Amendment[] {
  const out: Amendment[] = [];
  if (!misc) return out;
  let collecting = false;
  misc.children.forEach((c, i) => {
    if (typeof c === "string") return;
    if (c.name === "strong") collecting = /^endret$/i.test(clean(textOf(c)));
    else if (c.name === "br") collecting = false;
    else if (c.name === "a" && collecting) {
      const ref = lovdataRef(c.attrs.href ?? "");
      const date = ref ? citationDate(ref.citation) : null;
      if (!ref || !date || ref.provision) {
        warnings.push(`"Endret ved" names "${c.attrs.href ?? ""}", not a regulation`);
        return;
      }
      const next = misc.children[i + 1];
      const stated = typeof next === "string" ? IN_FORCE_AFTER.exec(next)?.[1] : undefined;
      const inForce = stated !== undefined ? parseShortNorwegianDate(stated) : null;
      if (stated !== undefined && !inForce)
        warnings.push(`"(i kraft ${stated})" after ${ref.citation} is not a date; the day it was made taken`);
      if (out.some((a) => a.citation === ref.citation)) return;
      out.push({ citation: ref.citation, date, inForce: inForce ?? date, inForceStated: inForce !== null });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------
// Document

/**
 * The consolidated FOR-2013-06-19-718 (Lovdata's XHTML-style XML of a current
 * regulation: a `<header class="documentHeader">` of `<dt>/<dd class="…">`
 * fields, a `<main class="documentBody">` of chapter `<section>`s holding
 * `<article class="legalArticle" data-name="§4">` provisions, and a
 * `<section data-name="vedleggIII">` per annex) → list entries:
 *
 * - `kap.2` a chapter, heading its title without "Kap. 2." (data.label);
 * - `§4` a provision under its chapter, heading its title; `§4(1)` its ledd
 *   (numbered `(1)` ledd keep their number, plain ones are counted); `§8(1).a`
 *   a letter of a ledd's list, `§8(1).a.1` a point under it (a "." before each
 *   level, so that a key covers its sub-paragraphs as in every other list);
 * - `vedlegg.III` an annex, heading its list's title; its own text with the
 *   address of any PDF (Lists I and II are published only as PDFs, and so far
 *   List III: a new version of a list is a new file, so the address is what
 *   changes);
 * - inside an annex, an item by its own number as written (`3B001.c.1.a`,
 *   `3B993`, `4A906`): bare, as the EU's Annex I and the CCL key theirs, so
 *   the Wassenaar entry rules and the crosswalk read them; its letters
 *   `4A906.a`, notes `4A906.note.1`; parts of an annex `vedlegg.III.kategori.3`;
 *   numbered points that are not items `vedlegg.III.1`.
 *
 * Amendment notes ("Endret ved …") and footnotes are data, not text. Strict:
 * malformed XML is the XML reader's error; another document, or an amendment
 * (LTI) instead of the consolidated text, is a changed source.
 */
export function parseConsolidatedRegulation(
  input: ParseInput,
  archive: ArchiveSummary | null = null,
): RegulationSnapshot {
  const { text } = decodeText(input.body, input.contentType ?? "application/xml; charset=utf-8");
  const fileName = input.url ?? "consolidated regulation";
  const root = parseXml(text, { fileName });
  if (root.name !== "html")
    throw new SourceShapeChangedError(
      `${fileName}: root element is <${root.name}>, expected Lovdata's <html>`,
    );
  const header = findAll(root, (e) => e.name === "header" && hasClass(e, "documentHeader"))[0];
  const main = findAll(root, (e) => e.name === "main" && hasClass(e, "documentBody"))[0];
  if (!header || !main)
    throw new SourceShapeChangedError(
      `${fileName}: no documentHeader or documentBody; not a Lovdata document`,
    );
  const fields = headerFields(header);
  const field = (name: string) => fields.get(name)?.text || null;
  const documentId = field("dokid");
  const citation = field("legacyID");
  if (documentId !== REGULATION_DOCUMENT_ID || citation !== EXPORT_CONTROL_CITATION)
    throw new SourceShapeChangedError(
      documentId?.startsWith("LTI/") && citation === EXPORT_CONTROL_CITATION
        ? `${fileName}: ${documentId} is a Lovtidend text, not the consolidated regulation`
        : `${fileName}: holds ${citation ?? "no Datokode"} (${documentId ?? "no DokumentID"}), not the consolidated ${EXPORT_CONTROL_CITATION}`,
    );
  const warnings: string[] = [];
  const bodyId = main.attrs["data-lovdata-URL"];
  if (bodyId && bodyId !== REGULATION_DOCUMENT_ID)
    warnings.push(`the body is marked ${bodyId}, the header ${REGULATION_DOCUMENT_ID}`);

  const dateOf = (name: string, label: string) => {
    const raw = field(name);
    if (!raw) return null;
    const parsed = parseLovdataDate(raw.split(",")[0]!);
    if (!parsed || parsed.time)
      throw new SourceShapeChangedError(`${fileName}: ${label} "${raw}" is not a date`);
    return parsed.date;
  };
  const inForceFrom = dateOf("dateInForce", "I kraft fra");
  const lastChange = dateOf("lastChangeInForce", "Ikrafttredelse av siste endring");
  const versionDate = lastChange ?? inForceFrom;
  if (!versionDate)
    throw new SourceShapeChangedError(
      `${fileName}: neither "I kraft fra" nor "Ikrafttredelse av siste endring"; no version date`,
    );
  if (!lastChange)
    warnings.push(
      `no "Ikrafttredelse av siste endring"; the regulation's own in-force date is the version date`,
    );

  const amendments = listedAmendments(fields.get("miscInformation")?.el, warnings);
  // "Sist endret ved": the amendment whose in-force date is the version date, whatever the list infers.
  const lastEl = fields.get("lastChangedBy");
  const lastLink = lastEl ? findAll(lastEl.el, (e) => e.name === "a")[0] : undefined;
  const lastRef = lovdataRef(lastLink?.attrs.href ?? lastEl?.text.split(/\s/)[0] ?? "");
  const lastChangedBy = lastRef?.citation ?? null;
  if (lastEl && !lastChangedBy) warnings.push(`"Sist endret ved" "${lastEl.text}" names no regulation`);
  if (lastChangedBy && lastChange) {
    const from = /\bfra (\d{4}-\d{2}-\d{2})\b/.exec(lastEl!.text)?.[1];
    if (from && from !== lastChange)
      warnings.push(`"Sist endret ved" says from ${from}, "Ikrafttredelse av siste endring" ${lastChange}`);
    const known = amendments.find((a) => a.citation === lastChangedBy);
    if (known) Object.assign(known, { inForce: lastChange, inForceStated: true });
    else {
      warnings.push(`"Sist endret ved" ${lastChangedBy} is not among the amendments listed`);
      amendments.push({
        citation: lastChangedBy,
        date: citationDate(lastChangedBy)!,
        inForce: lastChange,
        inForceStated: true,
      });
    }
  }

  const base = findAll(root, (e) => e.name === "base")[0]?.attrs.href ?? `${LOVDATA_ORIGIN}/`;
  const walk: Walk = {
    entries: [],
    byKey: new Map(),
    warnings,
    base,
    versionDate,
    amendments: new Map(amendments.map((a) => [a.citation, a])),
    notes: new Map(),
    unknown: new Set(),
  };
  const top: Scope = { parentKey: null, language: languageOf(root, "nb"), inForce: null, annex: null };
  let sections = 0;
  for (const c of main.children) {
    if (isBlank(c)) continue;
    if (typeof c !== "string" && c.name === "h1") continue;
    if (typeof c !== "string" && c.name === "section") walkSection(c, top, ++sections, walk);
    else if (typeof c !== "string" && hasClass(c, "legalArticle")) walkArticle(c, top, walk);
    else
      walk.warnings.push(
        `text outside any chapter, provision or annex not read: "${clean(typeof c === "string" ? c : textOf(c)).slice(0, 60)}"`,
      );
  }
  if (!walk.entries.some((e) => e.key.startsWith("§")))
    throw new SourceShapeChangedError(`${fileName}: no provisions (§) read; the body is not what it was`);

  const annexes: AnnexSummary[] = walk.entries
    .filter((e) => /^vedlegg\.[^.]+$/.test(e.key))
    .map((e) => ({
      key: e.key,
      label: typeof e.data?.label === "string" ? e.data.label : null,
      title: e.heading,
      pdfs: (e.data?.pdfs as string[] | undefined) ?? [],
      entries: countBeneath(walk.entries, e.key),
    }));
  const title = field("title") ?? clean(textOf(findAll(main, (e) => e.name === "h1")[0] ?? main));
  return {
    kind: "list",
    meta: {
      citation: EXPORT_CONTROL_CITATION,
      documentId: REGULATION_DOCUMENT_ID,
      title,
      titleShort: field("titleShort"),
      titleEn: TITLE_EN,
      language: "nb",
      inForceFrom,
      versionDate,
      lastChangedBy,
      amendments: amendments.sort(
        (a, b) => a.inForce.localeCompare(b.inForce) || a.citation.localeCompare(b.citation),
      ),
      corrections: field("lastupdated"),
      annexes,
      archive,
    },
    warnings: walk.warnings,
    entries: walk.entries,
  };
}

function countBeneath(entries: readonly Entry[], key: string): number {
  const parent = new Map(entries.map((e) => [e.key, e.parentKey]));
  let n = 0;
  for (const e of entries) {
    for (let p = e.parentKey; p; p = parent.get(p) ?? null) {
      if (p === key) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** Whether the body starts like markup (after a byte-order mark and white space). */
function looksLikeXml(body: Uint8Array): boolean {
  let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x09 || body[i] === 0x0a || body[i] === 0x0d))
    i++;
  return body[i] === 0x3c;
}

/**
 * A body as fetched: Lovdata's archive of current regulations (bzip2, or the
 * tar unpacked by hand), from which only FOR-2013-06-19-718 is read; or the
 * regulation's XML itself (`regwatch parse` of a file taken out by hand).
 */
export function parseExportControlRegulation(input: ParseInput): RegulationSnapshot {
  if (isBzip2(input.body) || isTar(input.body)) {
    const name = input.url ? (input.url.split(/[/\\]/).pop() ?? null) : null;
    const { xml, summary, warnings } = regulationFromArchive(input.body, name);
    const snapshot = parseConsolidatedRegulation(
      {
        body: xml,
        url: `${name ?? "archive"}:${summary.member}`,
        contentType: "application/xml; charset=utf-8",
      },
      summary,
    );
    return { ...snapshot, warnings: [...warnings, ...snapshot.warnings] };
  }
  if (looksLikeXml(input.body)) return parseConsolidatedRegulation(input);
  throw new SourceShapeChangedError(
    `${input.url ?? "body"}: neither bzip2, tar nor XML; not Lovdata's archive of current regulations`,
  );
}

/** Instruments by the day they took effect (two on one day joined by "; ", as the pipeline joins them). */
export function citationsByDate(amendments: readonly Amendment[]): Record<string, string> {
  const byDate: Record<string, string[]> = {};
  for (const a of amendments) {
    byDate[a.inForce] ??= [];
    byDate[a.inForce]!.push(a.citation);
  }
  return Object.fromEntries(Object.entries(byDate).map(([d, cs]) => [d, cs.join("; ")]));
}
