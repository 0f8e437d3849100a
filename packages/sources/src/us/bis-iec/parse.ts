import { COUNTRIES, findCountries } from "@regwatch/core/countries";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import { normalizeText } from "@regwatch/core/text";
import { type Cheerio, type CheerioAPI, load } from "cheerio";
import { calendarDate, MONTHS, monthNumber } from "../../dates.ts";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { CHROME_SELECTORS } from "../../html-lines.ts";
import { wholeHtml } from "../../html-page.ts";

export const PARSER_VERSION = "us.bis.iec/1";

/**
 * Chrome that can sit inside the content region: breadcrumbs, share and print
 * links, feedback forms, scripts, the "last updated" stamp once read.
 * Removed before the table is read, so a change to any of them is not a change.
 */
const CHROME = [
  ...CHROME_SELECTORS,
  '[class*="feedback"]',
  '[class*="last-modified"]',
  '[class*="updated"]',
].join(", ");

/** A document the page links (the eligibility table as PDF or spreadsheet). */
export interface LinkedDocument {
  text: string;
  url: string;
  format: "pdf" | "xlsx" | "xls" | "csv" | "docx";
}

export interface IecMeta extends Record<string, unknown> {
  /** The page's first heading in the content region. */
  title: string | null;
  /** "Last modified: September 17, 2024" as the page states it: the version's date. */
  lastModified: string | null;
  /** How the table is laid out: a destinations column, or one column per destination. */
  layout: "destinations-column" | "destination-columns";
  /** Documents the content region links. */
  documents: LinkedDocument[];
  /** Destination names the table writes that name no country (kept in the text, as written). */
  unrecognizedDestinations: string[];
}

// ---------------------------------------------------------------------------
// Dates and destinations.
// ---------------------------------------------------------------------------

const MONTH_NAMES = MONTHS.en.join("|");
// "Last modified: September 17, 2024", "Last Updated 09/17/2024", "Date modified: 2024-09-17".
const LAST_MODIFIED = new RegExp(
  String.raw`\b(?:last\s+(?:modified|updated|revised)|date\s+modified|updated)\s*(?:on)?\s*:?\s*((?:${MONTH_NAMES})\s+\d{1,2},\s*\d{4}|\d{1,2}\/\d{1,2}\/\d{4}|\d{4}-\d{2}-\d{2})`,
  "i",
);

/** "September 17, 2024", "09/17/2024" (US order) or "2024-09-17" → ISO; anything else or an impossible day → null. */
export function parseUsDate(value: string): string | null {
  const v = normalizeText(value);
  const long = new RegExp(String.raw`^(${MONTH_NAMES})\s+(\d{1,2}),\s*(\d{4})$`, "i").exec(v);
  if (long) {
    const name = long[1]!.charAt(0).toUpperCase() + long[1]!.slice(1).toLowerCase();
    return calendarDate(Number(long[3]), monthNumber("en", name), Number(long[2]));
  }
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (us) return calendarDate(Number(us[3]), Number(us[1]), Number(us[2]));
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  return iso ? calendarDate(Number(iso[1]), Number(iso[2]), Number(iso[3])) : null;
}

const fold = (s: string) =>
  normalizeText(s)
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[’`]/g, "'")
    .toLowerCase()
    .replace(/^the\s+/, "");

let byName: Map<string, string> | undefined;
/**
 * The ISO code of one destination as BIS writes it: the English short name or
 * an alias of the country table, BIS's inverted forms ("Korea, South"), or a
 * name that names exactly one country; null for anything else.
 */
export function destinationCode(name: string): string | null {
  byName ??= new Map(COUNTRIES.flatMap((c) => [c.name, ...c.aliases].map((n) => [fold(n), c.code] as const)));
  const folded = fold(name).replace(/^korea,\s*(south|north)$/, "$1 korea");
  const exact = byName.get(folded);
  if (exact) return exact;
  const found = findCountries(name);
  return found.length === 1 && fold(name).split(" ").length <= 4 ? found[0]! : null;
}

/** A destinations cell → the names it lists, in order: one per line, comma or semicolon, "and" between two names. */
function destinationNames(lines: string[]): string[] {
  const names: string[] = [];
  for (const line of lines) {
    // "Korea, South" is one name: its comma does not separate.
    const protectedLine = line.replace(/\bKorea,\s*(South|North)\b/gi, "Korea#$1");
    for (const part of protectedLine.split(/[;,]/)) {
      const name = normalizeText(part.replace("#", ", "))
        .replace(/^and\s+/i, "")
        .replace(/\.$/, "");
      if (!name) continue;
      // "France and Germany" is two names; "Bosnia and Herzegovina" is one.
      if (!destinationCode(name) && /\sand\s/i.test(name)) names.push(...name.split(/\s+and\s+/i));
      else names.push(name);
    }
  }
  return names.filter((n) => !/^(?:none|n\/a|[-–—])$/i.test(n));
}

interface Destinations {
  codes: string[];
  unrecognized: string[];
  text: string;
}

/** Names → codes sorted, the names no country answers to kept as written; the entry's text from both. */
function destinationsOf(names: string[]): Destinations {
  const byCode = new Map<string, string>();
  const unrecognized: string[] = [];
  for (const name of names) {
    const code = destinationCode(name);
    if (code) byCode.set(code, byCode.get(code) ?? name);
    else if (!unrecognized.includes(name)) unrecognized.push(name);
  }
  const codes = [...byCode.keys()].sort();
  const listed = [...codes.map((c) => `${byCode.get(c)} (${c})`), ...unrecognized.sort()];
  return {
    codes,
    unrecognized,
    text: listed.length ? `Eligible destinations: ${listed.join(", ")}` : "Eligible destinations: none",
  };
}

// ---------------------------------------------------------------------------
// Items.
// ---------------------------------------------------------------------------

const ECCN = /^(\d[A-E]\d{3})((?:\.[a-z0-9]+)*)$/;
const PARAGRAPH = /^\.?([a-z](?:\.[a-z0-9]+)*)$/;

/** Splits at commas, semicolons and "and" outside parentheses: "3D002 (for 3B001.c.1.a and c.1.c), 3D901". */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  const tokens = text.split(/(\(|\)|,|;|\s+and\s+)/i);
  for (const t of tokens) {
    if (t === "(") depth++;
    if (t === ")") depth = Math.max(0, depth - 1);
    if (depth === 0 && (t === "," || t === ";" || /^\s+and\s+$/i.test(t))) {
      parts.push(current);
      current = "";
    } else current += t;
  }
  parts.push(current);
  return parts.map((p) => normalizeText(p)).filter(Boolean);
}

export interface IecItem {
  /** `3B001.c.1.a`, `3D002(for 3B001.c.1.a and c.1.c)`: the ECCN and paragraph as written, a qualifier in parentheses. */
  key: string;
  eccn: string;
  paragraph: string | null;
  /** "for 3B001.q": the part of the ECCN the row is for, when it says. */
  scope: string | null;
}

/**
 * An items cell → one item per ECCN or paragraph it names: "3C907, 3C908,
 * 3C909" is three; "3B001.c.1.a, c.1.c" is two paragraphs of 3B001; "3D001
 * (for 3B001.q)" is 3D001 for that item only. Keys are the numbers as
 * written, never rewritten. Strict: a part that is no ECCN and no paragraph
 * of the one before is an error, never dropped.
 */
export function itemsOf(cell: string, where: string): IecItem[] {
  const items: IecItem[] = [];
  let last: string | null = null;
  for (const part of splitTopLevel(cell.replace(/^ECCNs?\s+/i, ""))) {
    const scoped = /^(.*?)\s*\((for\s+[^)]+)\)$/i.exec(part);
    const bare = normalizeText(scoped ? scoped[1]! : part);
    const scope = scoped ? normalizeText(scoped[2]!).replace(/^For\b/, "for") : null;
    const full = ECCN.exec(bare);
    const para = full ? null : last ? PARAGRAPH.exec(bare) : null;
    if (!full && !para)
      throw new SourceShapeChangedError(
        `${where}: "${part}" in the items cell "${cell}" is no ECCN or paragraph`,
      );
    const eccn: string = full ? full[1]! : last!;
    const paragraph = full ? full[2]!.replace(/^\./, "") || null : para![1]!;
    last = eccn;
    const base = paragraph ? `${eccn}.${paragraph}` : eccn;
    items.push({ key: scope ? `${base}(${scope})` : base, eccn, paragraph, scope });
  }
  if (!items.length) throw new SourceShapeChangedError(`${where}: an empty items cell`);
  return items;
}

// ---------------------------------------------------------------------------
// The page.
// ---------------------------------------------------------------------------

/** Why a body is not the page asked for: an error page, a firewall's refusal, a bot challenge; or null. */
export function problemPage(html: string): string | null {
  const $ = load(html);
  const title = normalizeText($("title").first().text());
  const heading = normalizeText($("h1").first().text());
  const said = `${title} | ${heading}`.toLowerCase();
  if (/access denied|request rejected|forbidden|you don't have permission/.test(said))
    return `a refusal ("${title || heading}")`;
  if (/just a moment|checking your browser|captcha|attention required/.test(said))
    return `a bot challenge ("${title || heading}")`;
  if (/page not found|\b404\b|service unavailable|\b50[234]\b|\berror\b/.test(said))
    return `an error page ("${title || heading}")`;
  return null;
}

const DOCUMENT = /\.(pdf|xlsx|xls|csv|docx)(?:$|[?#])/i;

interface Region {
  $: CheerioAPI;
  region: Cheerio<never>;
  where: string;
  lastModified: string | null;
  documents: LinkedDocument[];
  warnings: string[];
}

/** The page's content region, its "last modified" date read before the chrome around the table is dropped. */
function readRegion(input: ParseInput): Region {
  const where = input.url ?? "IEC eligibility page";
  const head = Buffer.from(input.body.subarray(0, 8)).toString("latin1");
  const format = head.startsWith("%PDF-")
    ? "PDF"
    : head.startsWith("PK\u0003\u0004")
      ? "spreadsheet or Office document (ZIP)"
      : /pdf/i.test(input.contentType ?? "")
        ? "PDF"
        : /spreadsheet|excel|officedocument|csv/i.test(input.contentType ?? "")
          ? "spreadsheet"
          : null;
  if (format)
    throw new SourceShapeChangedError(
      `${where}: the IEC eligibility document is a ${format}; reading its table into rows is not done (the file is archived as fetched)`,
    );
  const text = wholeHtml(input, where);
  const problem = problemPage(text);
  if (problem)
    throw new SourceShapeChangedError(`${where}: BIS answered ${problem}, not the IEC eligibility page`);
  const $ = load(text);
  // The one content region: `<main>`, or the `role="main"` element of templates without one.
  let regions = $("main");
  if (regions.length === 0) regions = $('[role="main"]');
  if (regions.length !== 1)
    throw new SourceShapeChangedError(
      `${where}: ${regions.length} content regions (<main>), expected exactly one`,
    );
  const region = regions.first() as Cheerio<never>;
  region.find("script, style, noscript, template").remove();
  const warnings: string[] = [];
  // The stated date of the document, read from the region's own words; a <time datetime> inside the phrase wins.
  let lastModified: string | null = null;
  const stamp = LAST_MODIFIED.exec(normalizeText(region.text()));
  if (stamp) {
    lastModified = parseUsDate(stamp[1]!);
    if (!lastModified) warnings.push(`${where}: "last modified" date "${stamp[1]}" is not a date`);
  } else warnings.push(`${where}: the page states no "last modified" date`);

  const base = input.url ?? "https://www.bis.gov/";
  const documents: LinkedDocument[] = [];
  region.find("a[href]").each((_, a) => {
    let url: string;
    try {
      url = new URL(($(a).attr("href") ?? "").trim(), base).toString();
    } catch {
      return;
    }
    const m = DOCUMENT.exec(url);
    if (m && !documents.some((d) => d.url === url))
      documents.push({
        text: normalizeText($(a).text()),
        url,
        format: m[1]!.toLowerCase() as LinkedDocument["format"],
      });
  });
  region.find(CHROME).remove();
  return { $, region, where, lastModified, documents, warnings };
}

/** A table's cells as text lines (a `<br>`, `<li>` or `<p>` inside a cell is a line). */
function cellLines($: CheerioAPI, cell: Cheerio<never>): string[] {
  const copy = cell.clone();
  copy.find("br").replaceWith("\n");
  copy.find("li, p, div").each((_, el) => void $(el).append("\n"));
  return copy
    .text()
    .split("\n")
    .map((l) => normalizeText(l))
    .filter(Boolean);
}

interface ReadTable {
  layout: IecMeta["layout"];
  rows: { items: IecItem[]; heading: string | null; destinations: Destinations; row: number; cell: string }[];
}

/**
 * One table of the region, if it is an eligibility table: a header row with
 * an items column ("ECCN", "Item") and either a destinations column
 * ("Eligible destinations", "Countries") or one column per destination
 * (country names, a mark in each eligible cell). A description column, when
 * there is one, is the entry's heading. Null for any other table.
 */
function readTable($: CheerioAPI, table: Cheerio<never>, where: string): ReadTable | null {
  const rows = table.find("tr").filter((_, tr) => $(tr).closest("table").is(table));
  const headerRow = rows.first();
  const headers = headerRow
    .children("th, td")
    .map((_, c) => normalizeText($(c).text()))
    .get();
  const itemsCol = headers.findIndex((h) => /\beccns?\b|export control classification|^items?$/i.test(h));
  if (itemsCol < 0) return null;
  const destCol = headers.findIndex((h, i) => i !== itemsCol && /destination|countr/i.test(h));
  const descCol = headers.findIndex(
    (h, i) => i !== itemsCol && i !== destCol && /description|^items?\b|^controls?$/i.test(h),
  );
  const countryCols = headers.map((h, i) => (i !== itemsCol && i !== descCol ? destinationCode(h) : null));
  const layout =
    destCol >= 0
      ? "destinations-column"
      : countryCols.filter(Boolean).length >= 3
        ? "destination-columns"
        : null;
  if (!layout) return null;
  const read: ReadTable = { layout, rows: [] };
  rows.slice(1).each((index, tr) => {
    const cells = $(tr).children("th, td");
    if (cells.length === 0) return;
    // A row that only groups the rows under it ("Quantum items") is one cell across the table, naming no ECCN.
    if (cells.length === 1 && !/\d[A-E]\d{3}/.test(cells.text())) return;
    if (cells.length !== headers.length)
      throw new SourceShapeChangedError(
        `${where}: row ${index + 1} has ${cells.length} cells under ${headers.length} headers`,
      );
    const cell = (i: number) => cells.eq(i) as Cheerio<never>;
    const itemsText = normalizeText(cell(itemsCol).text());
    const items = itemsOf(itemsText, where);
    const names =
      layout === "destinations-column"
        ? destinationNames(cellLines($, cell(destCol)))
        : countryCols.flatMap((code, i) => {
            const mark = normalizeText(cell(i).text());
            return code && mark && !/^(?:no|n\/a|[-–—])$/i.test(mark) ? [headers[i]!] : [];
          });
    read.rows.push({
      items,
      heading: descCol >= 0 ? normalizeText(cell(descCol).text()) || null : null,
      destinations: destinationsOf(names),
      row: index + 1,
      cell: itemsText,
    });
  });
  return read;
}

/** What the page holds: an eligibility table, only a link to the document, or neither. */
export type IecPageVerdict =
  | { kind: "table" }
  | { kind: "document"; document: LinkedDocument }
  | { kind: "none"; reason: string };

/** Decides, for `fetch`, whether the page is the list or only points to the document that is. */
export function iecPageVerdict(input: ParseInput): IecPageVerdict {
  const { $, region, documents } = readRegion(input);
  const tables = region.find("table");
  for (const t of tables.toArray()) if (readTable($, $(t) as Cheerio<never>, "")) return { kind: "table" };
  const named = documents.filter((d) => /\biec\b|eligible items/i.test(`${d.text} ${d.url}`));
  const document = named[0] ?? (documents.length === 1 ? documents[0] : undefined);
  if (document) return { kind: "document", document };
  const words = normalizeText(region.text()).length;
  return {
    kind: "none",
    reason:
      words < 200
        ? `the content region holds ${words} characters and no table (rendered by JavaScript?)`
        : `no eligibility table (ECCN and destinations columns) and no linked document`,
  };
}

/**
 * The IEC eligibility page (HTML) → a list snapshot, one entry per item
 * (ECCN or paragraph) with its eligible destinations as text (sorted by
 * code) and as codes in `data.destinations`. Strict: a body that is a PDF or
 * spreadsheet (reading those tables is not done), a page cut short, an error
 * page, no content region or two, no eligibility table, a row whose cells do
 * not match its headers, an items cell that names no ECCN, or an item listed
 * twice is a changed source, never a partial list. Other tables in the
 * region are reported in warnings, not read.
 */
export function parseIecPage(input: ParseInput): ParsedSnapshot<ListSnapshot, IecMeta> {
  const { $, region, where, lastModified, documents, warnings } = readRegion(input);
  const entries: Entry[] = [];
  const seen = new Set<string>();
  const unrecognized = new Set<string>();
  let layout: IecMeta["layout"] | null = null;
  region.find("table").each((n, t) => {
    const table = readTable($, $(t) as Cheerio<never>, where);
    if (!table) {
      const headers = $(t)
        .find("tr")
        .first()
        .children("th, td")
        .map((_, c) => normalizeText($(c).text()))
        .get();
      warnings.push(
        `${where}: table ${n + 1} (${headers.join(" | ") || "no header"}) is not an eligibility table; not read`,
      );
      return;
    }
    layout ??= table.layout;
    for (const row of table.rows) {
      for (const name of row.destinations.unrecognized) unrecognized.add(name);
      for (const item of row.items) {
        if (seen.has(item.key)) throw new SourceShapeChangedError(`${where}: ${item.key} is listed twice`);
        seen.add(item.key);
        entries.push({
          key: item.key,
          parentKey: null,
          heading: row.heading,
          text: row.destinations.text,
          data: {
            eccn: item.eccn,
            paragraph: item.paragraph,
            scope: item.scope,
            destinations: row.destinations.codes,
            ...(row.destinations.unrecognized.length ? { unrecognized: row.destinations.unrecognized } : {}),
            row: row.row,
            itemsCell: row.cell,
          },
        });
      }
    }
  });
  if (!layout)
    throw new SourceShapeChangedError(
      `${where}: no eligibility table (ECCN and destinations columns) in the page${
        documents.length ? `; it links ${documents.map((d) => d.url).join(", ")}` : ""
      }`,
    );
  for (const name of unrecognized)
    warnings.push(`${where}: destination "${name}" names no country; kept as written`);
  const h1 = region.find("h1").first();
  return {
    kind: "list",
    meta: {
      title: h1.length ? normalizeText(h1.text()) : null,
      lastModified,
      layout,
      documents,
      unrecognizedDestinations: [...unrecognized].sort(),
    },
    warnings,
    entries,
  };
}
