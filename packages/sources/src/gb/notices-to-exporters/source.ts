import { SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse, Logger } from "@regwatch/core/http";
import {
  type BackfillStep,
  defineSource,
  describedByDocuments,
  type FetchedArtifact,
} from "../../define-source.ts";
import {
  GOVUK_ORIGIN,
  isNoticeToExporters,
  PARSER_VERSION,
  parseNotice,
  parseSearchAnswer,
  type SearchResult,
} from "./parse.ts";

/**
 * GOV.UK, keyless JSON:
 * - search API `GET {GOV.UK}/api/search.json?filter_organisations=export-control-joint-unit&order=-public_timestamp`
 *   [C, SOURCES.md; the organisation slug is I]. Parameters and answer shape
 *   (`count`, `start`, repeated `fields`, `filter_<field>`, `results`,
 *   `total`, `start`) from the search API's own documentation; unknown
 *   parameters are refused with 422, so a wrong filter fails loudly.
 *   `filter_content_store_document_type=notice` [I: Notices to Exporters
 *   are Whitehall `notice` publications, as the samples' MANIFEST says].
 * - Content API `GET {GOV.UK}/api/content{base_path}` [C], one content item
 *   per notice.
 * GOV.UK allows 10 requests/s [C]; the HTTP client's per-host interval (one
 * request a second by default) keeps well under it, and requests here are
 * made one after another.
 */
export const ECJU_ORGANISATION = "export-control-joint-unit";
export const SEARCH_PATH = "/api/search.json";

/** Results per search page: a poll sees a handful of new notices at most. */
export const PAGE_SIZE = 20;
// A gap of five pages (100 ECJU notices) since the last run means months of
// outage; older ones are left to `backfill`.
const MAX_PAGES = 5;
/** Content items read in one run; the rest wait for the next (oldest first, so nothing is skipped). */
export const MAX_ITEMS_PER_RUN = 30;
const BACKFILL_PAGE_SIZE = 100;
const BACKFILL_MAX_PAGES = 50;
const FIELDS = ["title", "link", "public_timestamp", "content_store_document_type"];

export function searchUrl(params: {
  start: number;
  count?: number;
  order?: "newest" | "oldest";
  since?: string;
}) {
  const q = new URLSearchParams();
  q.append("filter_organisations", ECJU_ORGANISATION);
  q.append("filter_content_store_document_type", "notice");
  if (params.since) q.append("filter_public_timestamp", `from:${params.since}`);
  q.append("order", params.order === "oldest" ? "public_timestamp" : "-public_timestamp");
  q.append("count", String(params.count ?? PAGE_SIZE));
  q.append("start", String(params.start));
  for (const f of FIELDS) q.append("fields", f);
  return `${GOVUK_ORIGIN}${SEARCH_PATH}?${q.toString()}`;
}

export const contentUrl = (basePath: string) => `${GOVUK_ORIGIN}/api/content${basePath}`;

/** The cursor: the newest public timestamp seen, and the notices seen at exactly that instant. */
export interface NoticeCursor {
  cursor: string | null;
  atCursor: string[];
  /** Candidates were left for the next run: its first search page is read again even if unchanged. */
  behind?: boolean;
}

export function readCursor(state: Record<string, unknown>): NoticeCursor {
  const cursor = typeof state.cursor === "string" ? state.cursor : null;
  const atCursor = Array.isArray(state.atCursor)
    ? state.atCursor.filter((l): l is string => typeof l === "string")
    : [];
  return { cursor, atCursor, behind: state.behind === true };
}

/** Whether a result is newer than the cursor: a later public timestamp, or the same one on another notice. */
export function isNew(result: SearchResult, cursor: NoticeCursor): boolean {
  if (cursor.cursor === null) return true;
  const at = Date.parse(cursor.cursor);
  return result.publicMs > at || (result.publicMs === at && !cursor.atCursor.includes(result.link));
}

/** The cursor after reading these results (all of those newer than the old cursor, or the first of them). */
export function advance(old: NoticeCursor, read: readonly SearchResult[], behind: boolean): NoticeCursor {
  let newest = old.cursor === null ? null : { ms: Date.parse(old.cursor), ts: old.cursor };
  for (const r of read)
    if (!newest || r.publicMs > newest.ms) newest = { ms: r.publicMs, ts: r.publicTimestamp };
  if (!newest) return { cursor: null, atCursor: [], ...(behind ? { behind } : {}) };
  const at = new Set(old.cursor !== null && Date.parse(old.cursor) === newest.ms ? old.atCursor : []);
  for (const r of read) if (r.publicMs === newest.ms) at.add(r.link);
  return { cursor: newest.ts, atCursor: [...at].sort(), ...(behind ? { behind } : {}) };
}

/**
 * Whether an error is the Content API saying the item is no longer there
 * (404, 410: unpublished since the search index saw it). The HTTP client
 * reports 4xx as SourceUnavailableError("…: HTTP 404").
 */
function isGone(err: unknown): boolean {
  return err instanceof SourceUnavailableError && /\bHTTP (?:404|410)\b/.test(err.message);
}

async function readContent(
  http: HttpClient,
  log: Logger,
  result: SearchResult,
  conditional = true,
): Promise<HttpResponse | null> {
  try {
    const response = await http.get(contentUrl(result.link), { conditional });
    return response.notModified ? null : response;
  } catch (err) {
    if (!isGone(err)) throw err;
    log.warn(
      { sourceId: "gb.govuk.notices-to-exporters", link: result.link },
      `listed by search but gone from the Content API: ${(err as Error).message}`,
    );
    return null;
  }
}

const isNotice = (r: SearchResult) =>
  isNoticeToExporters(r.title) && (r.documentType === null || r.documentType === "notice");

export const gbNoticesToExporters = defineSource({
  id: "gb.govuk.notices-to-exporters",
  jurisdiction: "GB",
  kind: "documents",
  title: "GOV.UK: Notices to Exporters (Export Control Joint Unit)",
  publisher: "Export Control Joint Unit, Department for Business and Trade (GOV.UK Content and Search APIs)",
  // The collection page that lists every notice [I: path].
  officialUrl: `${GOVUK_ORIGIN}/government/collections/notices-to-exporters`,
  // ECJU publishes in UK office hours, on working days; a notice can announce
  // controls in force the next day, so three looks a day.
  schedule: "15 8,12,16 * * 1-5",
  expectations: {
    // Each body is one content item, so one document: never none, never two.
    minEntries: 1,
    maxEntries: 1,
    // Each snapshot holds a different notice than the last: nothing is "removed".
    maxRemovedShare: 1,
    requiredFields: ["id", "title", "publishedAt", "url"],
  },
  parserVersion: PARSER_VERSION,
  // Found within hours of publication; an older one is history (a backfill, or a late index).
  alertWindowDays: 14,
  parse: parseNotice,
  describe: describedByDocuments,
  async fetch(ctx) {
    const old = readCursor(ctx.state);
    const seen: SearchResult[] = [];
    const candidates = new Map<string, SearchResult>();
    let start = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await ctx.http.get(searchUrl({ start }), {
        // Unchanged first page: nothing new since the last run, unless that run left some behind.
        conditional: page === 0 && !old.behind,
      });
      if (response.notModified) return { artifacts: [], state: ctx.state };
      const answer = parseSearchAnswer({
        body: response.body,
        contentType: response.contentType,
        url: response.url,
      });
      seen.push(...answer.results);
      for (const r of answer.results) if (isNew(r, old) && isNotice(r)) candidates.set(r.link, r);
      const last = answer.results.at(-1);
      // A first run takes the newest page as its baseline.
      if (old.cursor === null || !last || !isNew(last, old)) break;
      if (answer.start + answer.results.length >= answer.total) break;
      if (page === MAX_PAGES - 1) {
        ctx.log.warn(
          { sourceId: "gb.govuk.notices-to-exporters" },
          `more than ${MAX_PAGES * PAGE_SIZE} notices since ${old.cursor}: older ones are left to backfill`,
        );
      }
      start += answer.results.length;
    }
    // Oldest first, so that a run cut short leaves a cursor below everything not yet read.
    const queue = [...candidates.values()].sort((a, b) => a.publicMs - b.publicMs);
    const reading = queue.slice(0, MAX_ITEMS_PER_RUN);
    const behind = queue.length > reading.length;
    const artifacts: FetchedArtifact[] = [];
    for (const result of reading) {
      const response = await readContent(ctx.http, ctx.log, result);
      if (response) artifacts.push({ response });
    }
    // All read: the cursor moves to the newest result seen, notice or not. Cut short: to the last one read.
    const read = behind ? reading : seen.filter((r) => isNew(r, old));
    const next = advance(old, read, behind);
    return { artifacts, state: { ...next } };
  },
  async *backfill(ctx, since): AsyncIterable<BackfillStep> {
    const all: SearchResult[] = [];
    let start = 0;
    for (let page = 0; page < BACKFILL_MAX_PAGES; page++) {
      const response = await ctx.http.get(
        searchUrl({ start, count: BACKFILL_PAGE_SIZE, order: "oldest", since }),
        { conditional: false },
      );
      const answer = parseSearchAnswer({
        body: response.body,
        contentType: response.contentType,
        url: response.url,
      });
      all.push(...answer.results);
      if (answer.results.length === 0 || answer.start + answer.results.length >= answer.total) break;
      start += answer.results.length;
    }
    const notices = [...new Map(all.filter(isNotice).map((r) => [r.link, r])).values()].sort(
      (a, b) => a.publicMs - b.publicMs,
    );
    let cursor = readCursor({});
    let index = 0;
    for (const result of notices) {
      cursor = advance(cursor, [result], false);
      // History wants every body, even one already archived.
      const response = await readContent(ctx.http, ctx.log, result, false);
      index++;
      if (!response) continue;
      yield { artifact: { response }, index, total: notices.length, state: { ...cursor } };
    }
  },
});
