// The Canada Gazette, Part II, as issues: the RSS feed and the year pages
// that list them, and each issue's index of the regulations it publishes.

import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import type { Cheerio, contains } from "cheerio";
import { checkedIsoDate } from "../../dates.ts";
import type { ParseInput } from "../../define-source.ts";
import { childElements, firstChild, parseXml, textOf } from "../../xml/parse-xml.ts";
import { ENGLISH_DATE, headOf, parseEnglishDate, problemPage, readPage } from "./page.ts";

/** A node of cheerio's tree (domhandler's AnyNode, which cheerio does not re-export). */
type AnyNode = Parameters<typeof contains>[1];

/** Where issues and regulations live [I: the host third-party readers of the site and stored copies use]. */
export const GAZETTE_ORIGIN = "https://gazette.gc.ca";
/** The Part II feed: it lists issues, not regulations [C: SOURCES.md]. */
export const RSS_URL = "https://www.gazette.gc.ca/rss/p2-eng.xml";
/** Every Part II issue of a year, regular and extra [I: the year pages third-party readers walk back to 2012]. */
export const yearIndexUrl = (year: number) => `${GAZETTE_ORIGIN}/rp-pr/p2/${year}/index-eng.html`;

/** One issue of Part II, as the feed or a year page links it. */
export interface IssueRef {
  /** The issue's folder: its date, and "-x1" for an extra edition ("2024-06-07-x1"). */
  key: string;
  /** The date of publication (the folder's). */
  date: string;
  /** The page linked: the issue's index, or for an extra edition the one regulation it publishes. */
  url: string;
  extra: boolean;
}

/** Oldest first; a regular issue before the extra editions of its day. */
export const compareIssues = (a: Pick<IssueRef, "key">, b: Pick<IssueRef, "key">) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

// `/rp-pr/p2/2024/2024-06-19/html/index-eng.html`, `/rp-pr/p2/2012/2012-12-20-x2/html/sor-dors299-eng.html`
// [I: the shapes third-party readers of the feed and the year pages rely on].
const ISSUE_PATH = /\/rp-pr\/p2\/(\d{4})\/((\d{4}-\d{2}-\d{2})(-x\d+)?)\/html\/([a-z0-9-]+)-eng\.html$/;
/** A regulation's own page in an issue: `sor-dors112-eng.html`, `si-tr45-eng.html`. */
export const REGULATION_PAGE = /\/(sor-dors|si-tr)(\d+)-eng\.html$/;

/** The issue a link names, or null for anything else (a quarterly index, a PDF). Malformed dates are an error. */
function issueOfLink(href: string, base: string, where: string): IssueRef | null {
  let url: URL;
  try {
    url = new URL(href.trim(), base);
  } catch {
    return null;
  }
  const m = ISSUE_PATH.exec(url.pathname);
  if (!m) return null;
  const [, year, key, day, extra, page] = m;
  const date = checkedIsoDate(day!);
  if (!date?.startsWith(year!))
    throw new SourceShapeChangedError(`${where}: an issue link "${href}" names no valid date`);
  // A regular issue is read from its index; an extra edition links its index or its one regulation.
  if (!extra && page !== "index") return null;
  return { key: key!, date, url: url.toString(), extra: Boolean(extra) };
}

function uniqueSorted(issues: IssueRef[]): IssueRef[] {
  const byKey = new Map<string, IssueRef>();
  for (const i of issues) if (!byKey.has(i.key)) byKey.set(i.key, i);
  return [...byKey.values()].sort(compareIssues);
}

/**
 * The Part II feed (RSS 2.0) → its issues, oldest first [C: SOURCES.md, the
 * feed lists issues]. Each `<item>`'s `<link>` names the issue's folder
 * (`/rp-pr/p2/2024/2024-06-19/html/index-eng.html`) [I]; items that are not
 * issues (a quarterly index) are left out. The folder's date is the issue's:
 * `<pubDate>` is the time of posting. Strict: a body that is not RSS (an
 * error page answered with status 200 is a passing failure, anything else a
 * changed feed), an item without a link, or no issue at all.
 */
export function parseRss(input: ParseInput): IssueRef[] {
  const where = input.url ?? "Canada Gazette Part II RSS";
  const { text } = decodeText(input.body, input.contentType ?? "application/rss+xml; charset=utf-8");
  if (!/^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<rss[\s>]/.test(text.slice(0, 4096))) {
    const problem = problemPage(headOf(input.body));
    if (problem)
      throw new SourceUnavailableError(
        `${where}: the Canada Gazette answered ${problem} instead of its feed`,
      );
    throw new SourceShapeChangedError(`${where}: not an RSS feed (no <rss> root)`);
  }
  const rss = parseXml(text);
  const channel = firstChild(rss, "channel");
  if (rss.name !== "rss" || !channel)
    throw new SourceShapeChangedError(`${where}: an RSS feed without <channel>`);
  const issues: IssueRef[] = [];
  let items = 0;
  for (const item of childElements(channel).filter((c) => c.name === "item")) {
    items++;
    const link = normalizeText(textOf(firstChild(item, "link") ?? { name: "", attrs: {}, children: [] }));
    if (!link) throw new SourceShapeChangedError(`${where}: a feed item has no <link>`);
    const issue = issueOfLink(link, GAZETTE_ORIGIN, where);
    if (issue) issues.push(issue);
  }
  if (!issues.length)
    throw new SourceShapeChangedError(
      `${where}: ${items} feed items, none links a Part II issue (feed changed?)`,
    );
  return uniqueSorted(issues);
}

/**
 * A year page of Part II (`/rp-pr/p2/2024/index-eng.html`) → the issues it
 * links, oldest first [I: its table links each issue's index and each extra
 * edition's regulations]. Links outside `<main>` are the site's menus.
 */
export function parseYearIndex(input: ParseInput): IssueRef[] {
  const { $, main, where } = readPage(input, "a year's list of Part II issues");
  const issues: IssueRef[] = [];
  main.find("a[href]").each((_, a) => {
    const issue = issueOfLink($(a).attr("href") ?? "", input.url ?? GAZETTE_ORIGIN, where);
    if (issue) issues.push(issue);
  });
  if (!issues.length)
    throw new SourceShapeChangedError(`${where}: no Part II issue is linked (page changed?)`);
  return uniqueSorted(issues);
}

/** One regulation as an issue's index lists it. */
export interface IndexEntry {
  /** "SOR/2024-112", when the index writes it next to the title. */
  number: string | null;
  title: string;
  /** The act it is made under, as the index names it, when it does. */
  act: string | null;
  /** The registration date, when the index writes one in words or ISO. */
  registeredAt: string | null;
  /** The regulation's page. */
  url: string;
}

export interface IssueIndex {
  /** The issue's date as the index states it, when it does. */
  date: string | null;
  entries: IndexEntry[];
  /** The index says so: "No regulatory text was registered for publication in this issue". */
  nothingPublished: boolean;
}

const NUMBER = /\b(SOR|SI)\/(\d{4})-(\d{1,4})\b/;
// A heading that names an act ("Export and Import Permits Act", "Canada Labour Code", "Customs Tariff")
// groups the regulations made under it [I: the brief's "table of contents by act"].
const ACT_HEADING = /\b(?:Act|Code|Tariff)\b/;
const DASHES = /\s+[—–]\s+/;

/**
 * An issue's index (`…/html/index-eng.html`) → the regulations it lists
 * [I]. Each regulation is a link in `<main>` to its own page
 * (`sor-dors112-eng.html`, `si-tr45-eng.html`), in a table row, list item or
 * paragraph holding its number ("SOR/2024-112") and registration date. The
 * act it is made under is read, in order, from the row's cell under a header
 * naming the act ("Act", "Statutory authority"), from the link's own text
 * after a dash ("Title — Act"), or from the heading above it that names an
 * act (the index grouped by act). Strict: no regulation linked, and no
 * statement that nothing was published, is a changed page; two numbers in
 * one row, or a number that contradicts the link (`sor-dors112` and
 * SOR/2024-113), is one too.
 */
export function parseIssueIndex(input: ParseInput, expected?: IssueRef): IssueIndex {
  const { $, main, where } = readPage(input, "a Part II issue index");
  const base = input.url ?? expected?.url ?? GAZETTE_ORIGIN;
  const heading = normalizeText(main.find("h1").first().text());
  const intro = normalizeText(main.find("h1").first().nextAll("p").first().text());
  const stated = ENGLISH_DATE.exec(`${heading} ${intro}`)?.[0];
  const date = stated ? parseEnglishDate(stated) : null;
  if (date && expected && date !== expected.date)
    throw new SourceShapeChangedError(
      `${where}: the index is of ${date}, expected the issue of ${expected.date}`,
    );

  const entries: IndexEntry[] = [];
  const seen = new Set<string>();
  let group: string | null = null;
  main.find("h2, h3, h4, a[href]").each((_, el) => {
    const node = $(el);
    if (!node.is("a")) {
      const text = normalizeText(node.text());
      // A heading that names an act starts its group; a section or department heading ("Table of
      // contents", "Statutory instruments") ends it; a sub-heading (h4) under an act stays in it.
      group = ACT_HEADING.test(text) ? text : node.is("h4") ? group : null;
      return;
    }
    let url: URL;
    try {
      url = new URL((node.attr("href") ?? "").trim(), base);
    } catch {
      return;
    }
    const page = REGULATION_PAGE.exec(url.pathname);
    if (!page || seen.has(url.pathname)) return;
    seen.add(url.pathname);
    const row = node.closest("tr, li, dd, p");
    // Cells are read apart: "…Permits Act" and "SOR/2024-112" in two cells are two words.
    const rowText = normalizeText(
      row.is("tr")
        ? row
            .children("th, td")
            .map((_, c) => $(c).text())
            .get()
            .join(" ")
        : (row.length ? row : node).text(),
    );
    const numbers = new Set([...rowText.matchAll(new RegExp(NUMBER, "g"))].map((m) => m[0]));
    if (numbers.size > 1)
      throw new SourceShapeChangedError(`${where}: one index entry names ${[...numbers].join(" and ")}`);
    const number = [...numbers][0] ?? null;
    const kind = page[1] === "sor-dors" ? "SOR" : "SI";
    if (number && (!number.startsWith(`${kind}/`) || Number(NUMBER.exec(number)![3]) !== Number(page[2])))
      throw new SourceShapeChangedError(`${where}: the index lists ${number} with a link to ${url.pathname}`);
    const linkText = normalizeText(node.text())
      .replace(NUMBER, "")
      .replace(/^[\s:—–-]+|[\s:—–-]+$/g, "");
    const [title = "", dashAct] = linkText.split(DASHES, 2);
    const act = cellUnder(row, /\b(?:act|statutory authority|authority)\b/i) ?? dashAct?.trim() ?? group;
    const registered = ENGLISH_DATE.exec(rowText)?.[0] ?? /\b\d{4}-\d{2}-\d{2}\b/.exec(rowText)?.[0];
    entries.push({
      number,
      title: title.trim(),
      act: act || null,
      registeredAt: registered ? parseEnglishDate(registered) : null,
      url: url.toString(),
    });
  });
  const nothingPublished = /no regulatory text was registered for publication/i.test(main.text());
  if (!entries.length && !nothingPublished)
    throw new SourceShapeChangedError(
      `${where}: no regulation is linked, and the index does not say none was published`,
    );
  return { date, entries, nothingPublished };

  /** The text of the row's cell under a header matching `header`, or null. */
  function cellUnder(row: Cheerio<AnyNode>, header: RegExp): string | null {
    if (!row.is("tr")) return null;
    const headers = row.closest("table").find("thead tr").first().children("th, td");
    let at = -1;
    headers.each((i, th) => {
      if (at < 0 && header.test(normalizeText($(th).text()))) at = i;
    });
    if (at < 0) return null;
    const cell = normalizeText(row.children("th, td").eq(at).text());
    return cell || null;
  }
}

/** Why an index entry is read (its page fetched), or null when it is left out. */
export function exportControlCandidate(entry: IndexEntry): string | null {
  if (entry.act && /export and import permits act/i.test(entry.act))
    return "made under the Export and Import Permits Act";
  if (/\b(?:export|import|brokering|area) control list\b|\b(?:export|import) permits?\b/i.test(entry.title))
    return "its title names an export-control list or permit";
  // An index that names no act for it: the page decides, for a title that could be one.
  if (!entry.act && /\bexport|\bimport/i.test(entry.title))
    return "no act named in the index; its title names exports";
  return null;
}
