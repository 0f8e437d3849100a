import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import { normalizeText } from "@regwatch/core/text";
import { type CheerioAPI, load } from "cheerio";
import { calendarDate, monthNumber } from "../../dates.ts";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { type AnyNode, CHROME_SELECTORS, type ElementNode, htmlLines } from "../../html-lines.ts";
import { wholeHtml } from "../../html-page.ts";

export const PARSER_VERSION = "it.uama.national-list/1";

/**
 * The page's content region: the one `<main>`. Header, navigation, cookie
 * banner and footer sit outside it on every page of the site [I: the live
 * page's markup has not been seen; a page with no `<main>`, or two, is refused].
 */
export const CONTENT_SELECTOR = "main";

/**
 * Chrome that can sit inside `<main>`: breadcrumbs, share buttons, the date the
 * page was last edited or rendered, forms and scripts. Removed before reading,
 * so a change to any of them leaves the entries as they were.
 */
export const CHROME_SELECTOR = [
  ...CHROME_SELECTORS,
  "aside",
  '[class*="cookie"]',
  '[id*="cookie"]',
  '[class*="aggiornamento"]',
  '[class*="last-update"]',
  '[class*="updated"]',
].join(", ");

/** The decree's PDF and other files the page links, kept in the snapshot's meta. */
export interface LinkedDocument {
  text: string;
  url: string;
}

/** A UAMA decree the page names ("Decreto … n. 1325/BIS/371 del 1° luglio 2024"). */
export interface UamaDecree {
  /** `1325/BIS/371`. */
  number: string;
  date: string | null;
  /** "Decreto 1325/BIS/371": how amending instruments cite it (the source's `citedAs`). */
  citation: string;
}

export interface UamaMeta extends Record<string, unknown> {
  /** The page's first heading in the content region. */
  title: string | null;
  /** Every decree named, oldest first; the last is the one the list is current to. */
  decrees: UamaDecree[];
  /** The Gazzetta Ufficiale notice of the newest decree, when the page names one. */
  guNotice: { number: string; date: string } | null;
  /** The date the list as shown is in force from. */
  effectiveAt: string | null;
  /** Whether `effectiveAt` was written on the page or computed (notice + 15 days). */
  effectiveFrom: "page" | "notice+15" | null;
  /** PDF and other files linked from the content region (the decree as signed). */
  documents: LinkedDocument[];
  /** Lines of the content region read as no item (the preamble, closing text). */
  linesOutsideItems: number;
}

const DATE_WORDS = String.raw`\d{1,2}\s*(?:°|º|o)?\s+[A-Za-z]+\s+\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{4}`;

/**
 * An Italian date as pages write it: "1° luglio 2024", "1 Luglio 2024",
 * "01/07/2024", "1.7.2024" → `2024-07-01`; anything else, or an impossible
 * day ("31 giugno 2024"), → null.
 */
export function parseItalianDate(value: string): string | null {
  const v = normalizeText(value).toLowerCase();
  const long = /^(\d{1,2})\s*(?:°|º|o)?\s+([a-z]+)\s+(\d{4})$/.exec(v);
  const short = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(v);
  let d: number;
  let m: number;
  let y: number;
  if (long) [d, m, y] = [Number(long[1]), monthNumber("it", long[2]!), Number(long[3])];
  else if (short) [d, m, y] = [Number(short[1]), Number(short[2]), Number(short[3])];
  else return null;
  return calendarDate(y, m, d);
}

const addDays = (iso: string, days: number) =>
  new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

// "n. 1325/BIS/371 del 1° luglio 2024" (the date is optional).
const DECREE = new RegExp(
  String.raw`\bn\.\s*(\d{1,5}\s*\/\s*BIS\s*\/\s*\d{1,5})(?:,?\s+dell?['’]?\s*(${DATE_WORDS}))?`,
  "gi",
);
// "Gazzetta Ufficiale … n. 166 del 17 luglio 2024".
const GU_NOTICE = new RegExp(
  String.raw`Gazzetta\s+Ufficiale[^.]{0,160}?\bn\.\s*(\d{1,4})\s+del\s+(${DATE_WORDS})`,
  "gi",
);
// "… si applicano dal 1° agosto 2024", "entra in vigore il …", "in vigore a decorrere dal …".
const IN_FORCE = new RegExp(
  String.raw`\b(?:in\s+vigore|si\s+applica(?:no)?|efficaci?|applicabil[ei])\b[^.]{0,60}?\b(?:dal|il|a\s+decorrere\s+dal|a\s+partire\s+dal)\s+(${DATE_WORDS})`,
  "gi",
);

/**
 * An Allegato A item: an EU-style number (`2B910`, `4A906`: category digit,
 * group letter A–E, three digits; four allowed for national numbers) and its
 * words. The Allegato's own numbering is [U] in SOURCES.md (EU-style [C]):
 * keys are the numbers as written, never rewritten.
 */
const ITEM = /^(\d[A-E]\d{3,4})(?:\s*[-–—:.]\s*|\s+)(\S.*)$/;
const ITEM_ALONE = /^(\d[A-E]\d{3,4})$/;
const CATEGORY = /^Categoria\s+(\d)\b\s*[-–—:.]?\s*(.*)$/i;
const GROUP = /^(\d[A-E])(?:\s*[-–—:.]\s*|\s+)(\D.*)$/;
// "a.", "1.", "a)", "1)": a paragraph of the item, letters and numbers alternating by depth.
const LABEL = /^([a-z]|\d{1,2})[.)]\s+(\S.*)$/;
const NOTE = /^(?:Nota|Note|N\.\s?B\.)\b/i;
const KEY_IN_TEXT = /\b(\d[A-E]\d{3,4}(?:\.[a-z0-9]{1,2})*)\b/g;

type LineTag = "heading" | "block";
interface Line {
  text: string;
  tag: LineTag;
}

/**
 * The marker a browser draws before an item of an ordered list ("a. ", "2. "),
 * when the item's text does not write its own label: `type="a"` gives
 * letters, no type gives numbers, `start` moves the first one. Unordered lists
 * and items that write their label get nothing.
 */
function listMarker($: CheerioAPI, li: ElementNode): string {
  const item = $(li);
  const list = item.parent();
  if (!list.is("ol") || LABEL.test(normalizeText(item.text()))) return "";
  const start = Number(list.attr("start") ?? "1");
  const n = item.prevAll("li").length + (Number.isInteger(start) ? start : 1);
  const type = list.attr("type");
  const label = type === "a" && n >= 1 && n <= 26 ? String.fromCharCode(96 + n) : String(n);
  return `${label}. `;
}

/** The region's text as lines: one per block (paragraph, list item, table row, heading), NFC. */
function regionLines($: CheerioAPI, region: AnyNode[]): Line[] {
  return htmlLines(region, {
    // An exponent keeps its meaning in plain text: "10<sup>-4</sup>" → "10^-4".
    sup: "caret",
    prefix: (el) => (el.name.toLowerCase() === "li" ? listMarker($, el) : ""),
  }).map(({ text, level }) => ({ text, tag: level ? "heading" : "block" }));
}

interface Open {
  key: string;
  label: string;
  kind: "letter" | "number";
  entry: Entry;
}

const kindOf = (label: string): Open["kind"] => (/^\d/.test(label) ? "number" : "letter");
const successor = (label: string) =>
  /^\d+$/.test(label) ? String(Number(label) + 1) : String.fromCharCode(label.charCodeAt(0) + 1);

/** Lines of the Allegato → entries keyed `2B910`, `2B910.a`, `2B910.a.1`. */
function entriesOf(lines: Line[], warnings: string[]): { entries: Entry[]; outside: number } {
  const entries: Entry[] = [];
  const keys = new Set<string>();
  let category: { number: string; title: string } | null = null;
  let group: { code: string; title: string } | null = null;
  let item: Entry | null = null;
  let stack: Open[] = [];
  let outside = 0;
  const add = (entry: Entry) => {
    if (keys.has(entry.key))
      throw new SourceShapeChangedError(`UAMA list: entry ${entry.key} appears twice in the page`);
    keys.add(entry.key);
    entries.push(entry);
  };
  const deepest = () => stack[stack.length - 1]?.entry ?? item;
  const context = () => ({
    category: category?.number ?? null,
    categoryTitle: category?.title || null,
    group: group?.code ?? null,
    groupTitle: group?.title || null,
  });
  const close = () => {
    item = null;
    stack = [];
  };
  let pendingNumber: string | null = null;

  for (const line of lines) {
    const text = pendingNumber ? `${pendingNumber} ${line.text}` : line.text;
    pendingNumber = null;
    const alone = ITEM_ALONE.exec(text);
    if (alone) {
      // A number in a cell or a <strong> of its own line, its words on the next line.
      pendingNumber = alone[1]!;
      continue;
    }
    const cat = CATEGORY.exec(text);
    if (cat) {
      category = { number: cat[1]!, title: cat[2]!.trim() };
      group = null;
      close();
      continue;
    }
    const it = ITEM.exec(text);
    if (it) {
      const key = it[1]!;
      if (category && key[0] !== category.number)
        warnings.push(`UAMA list: ${key} is under Categoria ${category.number}`);
      item = { key, parentKey: null, heading: it[2]!, text: it[2]!, data: { ...context() } };
      stack = [];
      add(item);
      continue;
    }
    const grp = GROUP.exec(text);
    if (grp && (line.tag === "heading" || !item)) {
      group = { code: grp[1]!, title: grp[2]!.trim() };
      close();
      continue;
    }
    const label = item ? LABEL.exec(text) : null;
    if (item && label) {
      const l = label[1]!;
      const kind = kindOf(l);
      // A sibling of an open paragraph of the same kind whose next label this is; else a child.
      let at = -1;
      for (let i = stack.length - 1; i >= 0; i--)
        if (stack[i]!.kind === kind && successor(stack[i]!.label) === l) {
          at = i;
          break;
        }
      if (at < 0 && l !== "a" && l !== "1") {
        warnings.push(`UAMA list: paragraph "${l}" under ${deepest()!.key} is out of sequence`);
        for (let i = stack.length - 1; i >= 0 && at < 0; i--) if (stack[i]!.kind === kind) at = i;
      }
      if (at >= 0) stack = stack.slice(0, at);
      const parent = stack[stack.length - 1]?.key ?? item.key;
      const entry: Entry = {
        key: `${parent}.${l}`,
        parentKey: parent,
        heading: null,
        text: label[2]!,
        data: { ...context() },
      };
      add(entry);
      stack.push({ key: entry.key, label: l, kind, entry });
      continue;
    }
    if (item && NOTE.test(text)) {
      // A note belongs to what it names ("Nota: 3B903 non sottopone…" joins 3B903, not the
      // paragraph above it); a note naming nothing of this item stays with the paragraph it follows.
      const open = [item as Entry, ...stack.map((o) => o.entry)];
      const named = [...text.matchAll(KEY_IN_TEXT)].map((m) => m[1]!);
      const target = open.filter((e) => named.includes(e.key)).pop() ?? deepest()!;
      target.text = `${target.text}\n${text}`;
      continue;
    }
    if (item && line.tag !== "heading") {
      // A paragraph that continues the last one.
      const target = deepest()!;
      target.text = `${target.text}\n${text}`;
      continue;
    }
    // A heading that is none of the above ends the Allegato's items; text before them is the preamble.
    if (line.tag === "heading") close();
    outside++;
  }
  return { entries, outside };
}

function decreesOf(text: string): UamaDecree[] {
  const byNumber = new Map<string, UamaDecree>();
  for (const m of text.matchAll(DECREE)) {
    const number = m[1]!.replace(/\s+/g, "").toUpperCase();
    const date = m[2] ? parseItalianDate(m[2]) : null;
    const known = byNumber.get(number);
    if (!known || (!known.date && date))
      byNumber.set(number, { number, date, citation: `Decreto ${number}` });
  }
  // Oldest first; undated ones keep their place after the dated.
  return [...byNumber.values()].sort((a, b) => (a.date ?? "9999").localeCompare(b.date ?? "9999"));
}

/**
 * The UAMA page of the national control list (HTML) → a list snapshot of the
 * Allegato A items the page shows. Strict: a body that is not valid in its
 * charset, a page cut short (no `</html>`), no `<main>` or two, or no item in
 * the HTML is a changed source, never a partial list. Text is kept as text:
 * markup written as entities ("&lt;script&gt;") stays as characters.
 */
export function parseUamaPage(input: ParseInput): ParsedSnapshot<ListSnapshot, UamaMeta> {
  const where = input.url ?? "UAMA page";
  const text = wholeHtml(input, where);
  const $ = load(text);
  const regions = $(CONTENT_SELECTOR);
  if (regions.length !== 1)
    throw new SourceShapeChangedError(
      `${where}: ${regions.length} elements match "${CONTENT_SELECTOR}", expected exactly one content region`,
    );
  const region = regions.first();
  region.find(CHROME_SELECTOR).remove();

  const base = input.url ?? "https://www.esteri.it/";
  const documents: LinkedDocument[] = [];
  region.find("a[href]").each((_, a) => {
    const href = $(a).attr("href")!.trim();
    let url: string;
    try {
      url = new URL(href, base).toString();
    } catch {
      return;
    }
    if (/\.pdf(?:$|[?#])/i.test(url) && !documents.some((d) => d.url === url))
      documents.push({ text: normalizeText($(a).text()), url });
  });

  const lines = regionLines($, region.contents().toArray());
  const all = lines.map((l) => l.text).join("\n");
  const warnings: string[] = [];
  const { entries, outside } = entriesOf(lines, warnings);
  if (entries.length === 0)
    throw new SourceShapeChangedError(
      `${where}: no Allegato A item in the page's HTML${
        documents.length ? `; it links ${documents.map((d) => d.url).join(", ")} (PDF only?)` : ""
      }`,
    );

  const decrees = decreesOf(all);
  const notices = [...all.matchAll(GU_NOTICE)]
    .map((m) => ({ number: m[1]!, date: parseItalianDate(m[2]!) }))
    .filter((n): n is { number: string; date: string } => n.date !== null)
    .sort((a, b) => a.date.localeCompare(b.date));
  const guNotice = notices[notices.length - 1] ?? null;
  const inForce = [...all.matchAll(IN_FORCE)]
    .map((m) => parseItalianDate(m[1]!))
    .filter((d): d is string => d !== null)
    .sort();
  // "In vigore il quindicesimo giorno successivo alla pubblicazione dell'avviso" (the decree's own rule) when no date is written.
  const effectiveAt = inForce[inForce.length - 1] ?? (guNotice ? addDays(guNotice.date, 15) : null);
  const effectiveFrom = inForce.length ? "page" : guNotice ? "notice+15" : null;
  if (!decrees.length) warnings.push(`${where}: the page names no decree "n. …/BIS/…"`);
  if (!effectiveAt) warnings.push(`${where}: no in-force date and no Gazzetta Ufficiale notice`);
  const current = decrees[decrees.length - 1];
  for (const e of entries) e.data = { ...e.data, decree: current?.citation ?? null };
  const h1 = region.find("h1").first();

  return {
    kind: "list",
    meta: {
      title: h1.length ? normalizeText(h1.text()) : null,
      decrees,
      guNotice,
      effectiveAt,
      effectiveFrom,
      documents,
      linesOutsideItems: outside,
    },
    warnings,
    entries,
  };
}
