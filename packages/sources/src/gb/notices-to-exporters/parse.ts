import { findCountries } from "@regwatch/core/countries";
import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import { type CheerioAPI, load } from "cheerio/slim";
import { isCalendarDay, MONTHS } from "../../dates.ts";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { htmlLines } from "../../html-lines.ts";

export const PARSER_VERSION = "gb.govuk.notices-to-exporters/1";

export const GOVUK_ORIGIN = "https://www.gov.uk";

/** How the pipeline links a notice to the UK dual-use list: the Export Control Order 2008's own number. */
export const EXPORT_CONTROL_ORDER = "S.I. 2008/3231";

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Dates

// The API writes instants as `2024-03-14T09:30:00.000+00:00` (Content API) or
// `2024-03-14T09:30:00+00:00` (search API), sometimes with `Z`.
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Milliseconds of an API instant, or null when it is not one (V8 alone would take 30 February). */
export function parseInstant(value: string): number | null {
  const m = INSTANT.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (!isCalendarDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return null;
  if (m[7] !== undefined && (Number(m[7]) > 14 || Number(m[8]) > 59)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

// GOV.UK dates a publication by the day in London, not in UTC: a notice
// published at 00:30 BST on 2 June is stamped 23:30 UTC on 1 June.
const LONDON_DAY = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Europe/London",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

/** The London calendar day of an API instant. */
export function londonDay(ms: number): string {
  return LONDON_DAY.format(new Date(ms));
}

const ENGLISH_MONTHS: readonly string[] = MONTHS.en;

function ordinalSuffix(day: number): string {
  if (day % 100 >= 11 && day % 100 <= 13) return "th";
  return ["th", "st", "nd", "rd"][day % 10] ?? "th";
}

/**
 * A date in the long English form GOV.UK writes ("1 April 2024", also "1st
 * April 2024"), strictly: a capitalised full month name, a day that month
 * has, the right ordinal suffix. Anything else is null.
 */
export function parseEnglishDate(text: string): string | null {
  const m = /^(\d{1,2})(st|nd|rd|th)? ([A-Z][a-z]+) (\d{4})$/.exec(text.trim());
  if (!m) return null;
  const day = Number(m[1]);
  const month = ENGLISH_MONTHS.indexOf(m[3]!) + 1;
  const year = Number(m[4]);
  if (month === 0 || !isCalendarDay(year, month, day)) return null;
  if (m[2] !== undefined && m[2] !== ordinalSuffix(day)) return null;
  return `${m[4]}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

// The wordings a notice uses for the day its instrument takes effect.
const IN_FORCE =
  /\b(?:(?:comes?|came|will come|enters?|entered|will enter) into force|(?:takes?|took|will take) effect) on (?:the )?(\d{1,2}(?:st|nd|rd|th)? [A-Za-z]+ \d{4})|\bwith effect from (?:the )?(\d{1,2}(?:st|nd|rd|th)? [A-Za-z]+ \d{4})/gi;

/** In-force dates the text states, in the order it states them; impossible dates become warnings. */
export function findInForceDates(text: string, warnings: string[] = []): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(IN_FORCE)) {
    const written = (m[1] ?? m[2])!;
    const date = parseEnglishDate(written);
    if (date === null) warnings.push(`in-force date "${written}" is not a date`);
    else if (!found.includes(date)) found.push(date);
  }
  return found;
}

// ---------------------------------------------------------------------------
// Notices to exporters and the instruments they cite

// "NTE 2024/05" [C]; older notices spell it out: "Notice to exporters 2019/12".
const NTE_NUMBER = /\b(?:NTE|Notices? to exporters)\s*:?\s*(\d{4})\/(\d{1,3})\b/i;
const NTE_TITLE = /\bNTE\s*\d{4}\/\d{1,3}\b|\bnotices? to exporters\b/i;

/** Whether a title is a Notice to Exporters: "NTE 2024/05: …" or "Notice to exporters …". */
export function isNoticeToExporters(title: string): boolean {
  return NTE_TITLE.test(title);
}

/** "NTE 2024/05" from a title that numbers the notice, else null. */
export function nteCitation(title: string): string | null {
  const m = NTE_NUMBER.exec(title);
  return m ? `NTE ${m[1]}/${m[2]!.padStart(2, "0")}` : null;
}

const SI_CITATION = /\bS\.?\s?I\.?\s?(\d{4})\/(\d{1,4})\b|\bS\.?\s?I\.?\s?(\d{4}) No\.?\s?(\d{1,4})\b/g;
const SI_LINK = /^https?:\/\/(?:www\.)?legislation\.gov\.uk\/uksi\/(\d{4})\/(\d{1,4})(?:\/|$)/;

/** Statutory instruments the text cites ("S.I. 2024/346", "SI 2024/346", "S.I. 2024 No. 346"), as "S.I. 2024/346". */
export function findSiCitations(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(SI_CITATION)) {
    found.add(`S.I. ${m[1] ?? m[3]}/${Number(m[2] ?? m[4])}`);
  }
  return [...found];
}

const AMENDING_TITLE = /\bExport Control \([^()]*\bAmendments?\)/i;
const EXPORT_CONTROL_ORDER_2008 = /\bExport Control Order 2008\b/i;
const AMEND = /\bamend/i;

/**
 * Whether a notice announces an amendment of the Export Control Order 2008:
 * it names an "Export Control (… Amendment) Order", or says in one paragraph
 * that the Export Control Order 2008 is amended. The Order named alone is not
 * enough: every general licence is "issued under article 26 of the Export
 * Control Order 2008". Nor is an SI number alone: sanctions notices cite the
 * sanctions regulations' SIs, which do not touch the control lists.
 */
export function announcesEcoAmendment(paragraphs: readonly string[]): boolean {
  return paragraphs.some(
    (p) => AMENDING_TITLE.test(p) || (EXPORT_CONTROL_ORDER_2008.test(p) && AMEND.test(p)),
  );
}

// ---------------------------------------------------------------------------
// HTML to text

export interface HtmlText {
  /** One line per block (paragraph, heading, list item, cell), each normalized. */
  lines: string[];
  /** Absolute addresses of the links, in order. */
  links: string[];
  warnings: string[];
}

/** Text of a govspeak HTML fragment, entities decoded, markup gone except code elements kept as text. */
export function htmlToText(html: string, base = GOVUK_ORIGIN): HtmlText {
  const $: CheerioAPI = load(html, null, false);
  const warnings: string[] = [];
  // A table's cells are lines of their own. GOV.UK's govspeak never emits code
  // elements; one in a body is kept as the characters it is, never run or dropped.
  const lines = htmlLines($.root().contents().toArray(), {
    cells: "line",
    code: (el) => {
      warnings.push(`body has a <${el.name.toLowerCase()}> element; kept as text`);
      return $.html(el);
    },
  }).map((l) => l.text);
  const links: string[] = [];
  $("a[href]").each((_, a) => {
    const href = $(a).attr("href");
    if (!href) return;
    try {
      links.push(new URL(href, base).toString());
    } catch {
      warnings.push(`link "${href}" is not a URL`);
    }
  });
  return { lines, links, warnings };
}

// ---------------------------------------------------------------------------
// Content items

export interface Attachment {
  title: string;
  url: string;
  contentType: string | null;
}

export interface NoticeMeta extends Record<string, unknown> {
  basePath: string;
  contentId: string | null;
  documentType: string;
  schemaName: string;
  publicUpdatedAt: string;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() ? v : null;
}

function readJson(input: ParseInput, what: string): unknown {
  const where = input.url ? `${input.url}: ` : "";
  const { text } = decodeText(input.body, input.contentType ?? "application/json; charset=utf-8");
  const start = text.trimStart().slice(0, 200);
  if (start.startsWith("<")) {
    // A CDN or proxy error page served in place of the API's answer.
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(start)?.[1]?.trim();
    throw new SourceShapeChangedError(
      `${where}${what} is HTML, not JSON${title ? ` ("${normalizeText(title)}")` : ""}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SourceShapeChangedError(`${where}${what} is not JSON: ${(err as Error).message}`);
  }
}

function jsonError(body: Json): string | null {
  const error = body.error ?? body.errors;
  if (error === undefined) return null;
  if (typeof error === "string") return error;
  if (error && typeof error === "object" && !Array.isArray(error)) {
    const e = error as Json;
    return [e.code, e.message].filter((x) => x !== undefined).join(" ") || JSON.stringify(error);
  }
  return JSON.stringify(error);
}

function instant(item: Json, field: string, where: string, required: boolean): string | null {
  const value = item[field];
  if (value === undefined || value === null) {
    if (required) throw new SourceShapeChangedError(`${where}: content item has no ${field}`);
    return null;
  }
  if (typeof value !== "string" || parseInstant(value) === null) {
    throw new SourceShapeChangedError(`${where}: ${field} ${JSON.stringify(value)} is not an instant`);
  }
  return value;
}

/** The HTML of `details.body`: a string, or the multi-part form with one text/html part. */
function bodyHtml(details: Json, where: string): string {
  const body = details.body;
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  if (Array.isArray(body)) {
    const html = body.find(
      (part): part is Json =>
        !!part && typeof part === "object" && (part as Json).content_type === "text/html",
    );
    if (html && typeof html.content === "string") return html.content;
  }
  throw new SourceShapeChangedError(`${where}: details.body is neither HTML nor a text/html part`);
}

/** The newest entry of `details.change_history`, by its own timestamp (the API lists newest first, but need not). */
function latestChange(details: Json, where: string): { note: string; at: string } | null {
  const history = details.change_history;
  if (history === undefined || history === null) return null;
  if (!Array.isArray(history)) throw new SourceShapeChangedError(`${where}: change_history is not a list`);
  let latest: { note: string; at: string; ms: number } | null = null;
  for (const entry of history as Json[]) {
    const at = str(entry?.public_timestamp);
    const ms = at === null ? null : parseInstant(at);
    if (at === null || ms === null || typeof entry.note !== "string") {
      throw new SourceShapeChangedError(`${where}: a change_history entry has no note or timestamp`);
    }
    if (!latest || ms > latest.ms) latest = { note: normalizeText(entry.note), at, ms };
  }
  return latest && { note: latest.note, at: latest.at };
}

function attachmentsOf(details: Json, where: string, warnings: string[]): Attachment[] {
  const found: Attachment[] = [];
  const list = details.attachments;
  if (Array.isArray(list)) {
    for (const a of list as Json[]) {
      const url = str(a?.url);
      if (!url) {
        warnings.push(`${where}: an attachment without url was left out`);
        continue;
      }
      found.push({
        title: normalizeText(str(a.title) ?? str(a.filename) ?? url),
        url: new URL(url, GOVUK_ORIGIN).toString(),
        contentType: str(a.content_type),
      });
    }
  } else if (list !== undefined && list !== null) {
    throw new SourceShapeChangedError(`${where}: details.attachments is not a list`);
  }
  // Older Whitehall items list their attachments as rendered HTML snippets.
  const documents = details.documents;
  if (Array.isArray(documents)) {
    for (const snippet of documents) {
      if (typeof snippet !== "string") continue;
      const $ = load(snippet, null, false);
      $(".attachment-details .title a[href], h2.title a[href], h3.title a[href]").each((_, a) => {
        const url = new URL($(a).attr("href")!, GOVUK_ORIGIN).toString();
        if (found.some((f) => f.url === url)) return;
        const type = normalizeText($(a).closest(".attachment-details").find(".type").first().text());
        found.push({
          title: normalizeText($(a).text()),
          url,
          contentType: type === "HTML" ? "text/html" : null,
        });
      });
    }
  }
  return found;
}

const CONTENT_KINDS_WITHOUT_CONTENT = new Set(["redirect", "gone", "vanish", "unpublishing"]);

export interface ContentItemReading {
  document: RegDocument;
  meta: NoticeMeta;
  warnings: string[];
}

/**
 * One GOV.UK content item (the JSON `www.gov.uk/api/content/<path>` serves)
 * to one document. Notices get their NTE number as citation; any other
 * format (a guide, a collection) is read the same way, without one.
 */
export function parseContentItem(input: ParseInput): ContentItemReading {
  const json = readJson(input, "the answer");
  const where0 = input.url ?? "content item";
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new SourceShapeChangedError(`${where0}: the answer is not a JSON object`);
  }
  const item = json as Json;
  const error = jsonError(item);
  if (error !== null) throw new SourceShapeChangedError(`${where0}: the API answered an error: ${error}`);
  if (Array.isArray(item.results)) {
    throw new SourceShapeChangedError(`${where0}: a search answer, not a content item`);
  }
  const basePath = str(item.base_path);
  if (!basePath?.startsWith("/")) {
    throw new SourceShapeChangedError(`${where0}: not a GOV.UK content item (no base_path)`);
  }
  const where = basePath;
  const documentType = str(item.document_type);
  const schemaName = str(item.schema_name);
  const rawTitle = str(item.title);
  if (!documentType || !schemaName || !rawTitle) {
    throw new SourceShapeChangedError(`${where}: content item lacks document_type, schema_name or title`);
  }
  if (CONTENT_KINDS_WITHOUT_CONTENT.has(schemaName) || CONTENT_KINDS_WITHOUT_CONTENT.has(documentType)) {
    throw new SourceShapeChangedError(`${where}: a ${schemaName} item, not content`);
  }
  const details = item.details;
  if (!details || typeof details !== "object" || Array.isArray(details)) {
    throw new SourceShapeChangedError(`${where}: content item has no details`);
  }
  const d = details as Json;
  const publicUpdatedAt = instant(item, "public_updated_at", where, true)!;
  // Every published item has first_published_at; details.first_public_at is Whitehall's own copy.
  const firstPublished =
    instant(item, "first_published_at", where, false) ?? instant(d, "first_public_at", where, false);

  const warnings: string[] = [];
  const title = normalizeText(rawTitle);
  const abstract = str(item.description) ? normalizeText(String(item.description)) : null;
  const body = htmlToText(bodyHtml(d, where));
  // A collection's own words are in its groups (the notices collection groups notices by year).
  for (const group of Array.isArray(d.collection_groups) ? (d.collection_groups as Json[]) : []) {
    const heading = str(group?.title);
    if (heading) body.lines.push(normalizeText(heading));
    if (typeof group?.body === "string") {
      const text = htmlToText(group.body);
      body.lines.push(...text.lines);
      body.links.push(...text.links);
      body.warnings.push(...text.warnings);
    }
  }
  warnings.push(...body.warnings.map((w) => `${where}: ${w}`));
  const change = latestChange(d, where);
  const attachments = attachmentsOf(d, where, warnings);

  const paragraphs = [title, abstract ?? "", ...body.lines];
  const text = paragraphs.join("\n");
  const dateWarnings: string[] = [];
  const inForce = findInForceDates(text, dateWarnings);
  warnings.push(...dateWarnings.map((w) => `${where}: ${w}`));
  const cited = new Set(findSiCitations(text));
  for (const link of body.links) {
    const m = SI_LINK.exec(link);
    if (m) cited.add(`S.I. ${m[1]}/${Number(m[2])}`);
  }
  const amendsEco = announcesEcoAmendment(paragraphs);
  const cfrReferences = [...(amendsEco ? [EXPORT_CONTROL_ORDER] : []), ...cited].filter(
    (c, i, all) => all.indexOf(c) === i,
  );

  const url = `${GOVUK_ORIGIN}${basePath}`;
  const urls: Record<string, string> = { html: url, json: `${GOVUK_ORIGIN}/api/content${basePath}` };
  for (const a of attachments) {
    let key = `attachment:${a.title}`;
    for (let n = 2; urls[key] !== undefined; n++) key = `attachment:${a.title} (${n})`;
    urls[key] = a.url;
  }

  const withdrawn = item.withdrawn_notice;
  const withdrawnAt =
    withdrawn && typeof withdrawn === "object" ? str((withdrawn as Json).withdrawn_at) : null;
  const organisations = Array.isArray((item.links as Json | undefined)?.organisations)
    ? ((item.links as Json).organisations as Json[]).map((o) => str(o?.title)).filter((t) => t !== null)
    : [];
  const firstMs = firstPublished === null ? null : parseInstant(firstPublished);

  const document: RegDocument = {
    id: basePath,
    stage: "published",
    type: documentType,
    title,
    abstract,
    citation: nteCitation(title),
    publishedAt: firstMs === null ? null : londonDay(firstMs),
    effectiveAt: inForce[0] ?? null,
    url,
    urls,
    cfrReferences,
    technologies: technologiesForText(text),
    // The UK's own name is not an affected destination.
    countries: findCountries(text).filter((c) => c !== "GB"),
    data: {
      language: str(item.locale) ?? "en",
      contentId: str(item.content_id),
      schemaName,
      updatedAt: publicUpdatedAt,
      changeNote: change?.note ?? null,
      changedAt: change?.at ?? null,
      inForceDates: inForce,
      amendsExportControlOrder: amendsEco,
      withdrawnAt,
      withdrawnExplanation:
        withdrawnAt && typeof (withdrawn as Json).explanation === "string"
          ? htmlToText(String((withdrawn as Json).explanation)).lines.join("\n")
          : null,
      organisations,
      attachments,
      text: body.lines.join("\n"),
    },
  };
  return {
    document,
    meta: { basePath, contentId: str(item.content_id), documentType, schemaName, publicUpdatedAt },
    warnings,
  };
}

/** The source's parser: one content item, one document. */
export function parseNotice(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, NoticeMeta> {
  const { document, meta, warnings } = parseContentItem(input);
  return { kind: "documents", meta, warnings, documents: [document] };
}

// ---------------------------------------------------------------------------
// Search answers

export interface SearchResult {
  /** The base path: the content item's address under /api/content. */
  link: string;
  title: string;
  publicTimestamp: string;
  /** Milliseconds of publicTimestamp, for ordering. */
  publicMs: number;
  documentType: string | null;
}

export interface SearchAnswer {
  total: number;
  start: number;
  results: SearchResult[];
}

const BASE_PATH = /^\/[A-Za-z0-9\-._~/%]+$/;

/**
 * A search API answer (`/api/search.json`): `results` with the fields asked
 * for, `total`, `start`. Every result must carry a base path, a title and a
 * public timestamp: the probe orders and stops by them.
 */
export function parseSearchAnswer(input: ParseInput): SearchAnswer {
  const where = input.url ?? "search answer";
  const json = readJson(input, "the search answer");
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new SourceShapeChangedError(`${where}: the search answer is not a JSON object`);
  }
  const body = json as Json;
  const error = jsonError(body);
  if (error !== null)
    throw new SourceShapeChangedError(`${where}: the search API answered an error: ${error}`);
  if (!Array.isArray(body.results) || typeof body.total !== "number") {
    throw new SourceShapeChangedError(`${where}: a search answer has results[] and total`);
  }
  const start = typeof body.start === "number" ? body.start : 0;
  const results = (body.results as unknown[]).map((r, i): SearchResult => {
    const result = (r && typeof r === "object" ? r : {}) as Json;
    const link = str(result.link);
    const title = str(result.title);
    const publicTimestamp = str(result.public_timestamp);
    const label = `result ${start + i}${link ? ` (${link})` : ""}`;
    if (!link || !BASE_PATH.test(link)) {
      throw new SourceShapeChangedError(`${where}: ${label} has no GOV.UK base path as link`);
    }
    if (!title) throw new SourceShapeChangedError(`${where}: ${label} has no title`);
    const publicMs = publicTimestamp === null ? null : parseInstant(publicTimestamp);
    if (publicTimestamp === null || publicMs === null) {
      throw new SourceShapeChangedError(`${where}: ${label} has no public_timestamp`);
    }
    return {
      link,
      title: normalizeText(title),
      publicTimestamp,
      publicMs,
      documentType: str(result.content_store_document_type),
    };
  });
  return { total: body.total, start, results };
}
