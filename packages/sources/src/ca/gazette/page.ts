// Reading a Canada Gazette HTML page strictly: the whole page or nothing, the
// site's own error pages told apart from content, the text of `<main>` as
// lines, and dates as the Gazette writes them ("May 31, 2024").

import { SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import { type Cheerio, type CheerioAPI, load } from "cheerio";
import { calendarDate, MONTHS, monthNumber } from "../../dates.ts";
import type { ParseInput } from "../../define-source.ts";
import { type AnyNode, htmlLines } from "../../html-lines.ts";
import { wholeHtml } from "../../html-page.ts";

/**
 * Why a body is not a Gazette page of content, or null: the Canada.ca error
 * page ("We couldn't find that Web page (Error 404)"), a server's "Service
 * Unavailable" (the RSS host answered 503 for an hour, SOURCES.md [C]; an
 * HTML answer with status 200 is [I]), a firewall's refusal or a bot
 * challenge. Read from the title and the first heading, so a regulation
 * that talks about errors is not taken for one.
 */
export function problemPage(html: string): string | null {
  const $ = load(html);
  const title = normalizeText($("title").first().text());
  const heading = normalizeText($("h1").first().text());
  const said = `${title} | ${heading}`.toLowerCase();
  if (/service (?:temporarily )?unavailable|\b50[234]\b|bad gateway|gateway time-?out/.test(said))
    return `a server error ("${title || heading}")`;
  if (/access denied|request rejected|forbidden/.test(said)) return `a refusal ("${title || heading}")`;
  if (/just a moment|checking your browser|captcha/.test(said))
    return `a bot challenge ("${title || heading}")`;
  if (/couldn['’]t find that web page|page not found|error 404|nous ne pouvons trouver/.test(said))
    return `a "page not found" page ("${title || heading}")`;
  return null;
}

/** The start of a body as text, enough for `problemPage` (the bytes may not be HTML at all). */
export function headOf(body: Uint8Array): string {
  return Buffer.from(body.subarray(0, 65_536)).toString("utf8");
}

export interface ReadPage {
  $: CheerioAPI;
  main: Cheerio<never>;
  where: string;
}

/**
 * An HTML page, decoded strictly, checked whole (it ends with `</html>`),
 * not an error page, with exactly one `<main>`: every Canada.ca page (WET
 * template) holds its content in one `<main property="mainContentOfPage">`,
 * and header, menus and the "Date modified" footer outside it [I: third-party
 * readers of the site read `<main>` only]. Scripts, styles, forms and
 * footnote markers are removed from it.
 */
export function readPage(input: ParseInput, what: string): ReadPage {
  const where = input.url ?? what;
  const text = wholeHtml(input, where);
  const problem = problemPage(text);
  if (problem)
    throw new SourceShapeChangedError(`${where}: the Canada Gazette answered ${problem}, not ${what}`);
  const $ = load(text);
  const mains = $("main");
  if (mains.length !== 1)
    throw new SourceShapeChangedError(
      `${where}: ${mains.length} <main> elements, expected exactly one holding ${what}`,
    );
  const main = mains.first() as Cheerio<never>;
  main
    .find(
      'script, style, noscript, template, form, button, nav, [hidden], [aria-hidden="true"], .pagedetails, .wb-share',
    )
    .remove();
  // Footnote markers ("section 6<sup><a href="#fn1">footnote a</a></sup>") and the links back from the
  // footnotes are navigation, not words of the text.
  main
    .find('sup:has(a[href^="#"]), a[href^="#"]:not([id])')
    .filter((_, el) => /footnote/i.test($(el).text()))
    .remove();
  return { $, main, where };
}

export type LineTag = "heading" | "block";
export interface Line {
  text: string;
  tag: LineTag;
  /** The heading level (2 for `<h2>`), 0 for a block. */
  level: number;
}

/** The text of a region as lines, one per block (paragraph, list item, table row, heading), normalized and NFC. */
export function linesOf(region: Cheerio<never>): Line[] {
  // An exponent keeps its meaning in plain text: "10<sup>-4</sup>" → "10^-4".
  return htmlLines(region.contents().toArray() as AnyNode[], { sup: "caret" }).map(({ text, level }) => ({
    text,
    tag: level ? "heading" : "block",
    level,
  }));
}

/**
 * A date as the Gazette writes it in English: "May 31, 2024", "June 19,
 * 2024", with or without a weekday ("Wednesday, June 19, 2024"), or ISO
 * "2024-06-19". Anything else, or a day the calendar does not have
 * ("June 31, 2024"), is null.
 */
export function parseEnglishDate(value: string): string | null {
  const v = normalizeText(value).replace(
    /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),\s*/,
    "",
  );
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (iso) return calendarDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const m = /^([A-Z][a-z]+)\.?\s+(\d{1,2}),\s*(\d{4})$/.exec(v);
  if (!m) return null;
  const month = monthNumber("en", m[1]!);
  return month ? calendarDate(Number(m[3]), month, Number(m[2])) : null;
}

/** "Month D, YYYY" anywhere in a text: the pattern `parseEnglishDate` reads. */
export const ENGLISH_DATE = new RegExp(String.raw`\b(?:${MONTHS.en.join("|")})\s+\d{1,2},\s*\d{4}\b`);

export const addDays = (iso: string, days: number) =>
  new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
