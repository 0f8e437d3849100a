import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse, Logger } from "@regwatch/core/http";
import { bundleResponse } from "../../bundle.ts";
import { dayBefore, daysToRead as daysToReadFrom, isoDay } from "../../dates.ts";
import { defineSource, describedByDocuments, type FetchedArtifact } from "../../define-source.ts";
import { cqlString } from "../bwb/discover.ts";
import { nextStart, readSruPage, type SruPage } from "../bwb/sru.ts";
import {
  keptRecords,
  OEP_ORIGIN,
  PARSER_VERSION,
  parseStaatscourant,
  type StcrtMeta,
  TOPIC_KEYWORDS,
} from "./parse.ts";

/**
 * KOOP's SRU service for the official publications [C: SOURCES.md gives
 * `{KOOP_SRU}?operation=searchRetrieve&version=2.0&query=c.product-area==officielepublicaties AND …&recordSchema=gzd`].
 * Paging with `startRecord`/`maximumRecords` and `nextRecordPosition` is SRU
 * 2.0 itself; the CQL indexes `w.publicatienaam`, `dt.modified`, `dt.issued`
 * and `dt.title` are [I]: from KOOP's "Handleiding SRU 2.0" as cited by
 * public clients (element → index table), not from a captured answer.
 */
export const KOOP_SRU = "https://repository.overheid.nl/sru";

/** Records per page. A day's Staatscourant is a few hundred publications at most: one to three pages. */
export const PAGE_SIZE = 100;
/**
 * A day with more modified records than this is KOOP re-indexing its
 * archive, not a day of publishing: that day is read through the topical
 * query instead (title keywords), which stays small.
 */
export const MAX_RECORDS_PER_QUERY = 2000;
/** Days read per run at most (a first run, or catching up after an outage). */
export const MAX_DAYS = 7;

const STAATSCOURANT = "c.product-area==officielepublicaties AND w.publicatienaam==Staatscourant";

/** The titles the filter keeps, as one CQL clause: the server-side narrowing of the topical query. */
export const TOPIC_CLAUSE = `(${TOPIC_KEYWORDS.map((k) => `dt.title=${cqlString(k)}`).join(" OR ")})`;

/** Everything the Staatscourant published or changed on a day. */
export const dayQuery = (day: string) => `${STAATSCOURANT} AND dt.modified==${day}`;
/** The same day through the topical narrowing (a re-indexing day). */
export const topicalDayQuery = (day: string) => `${dayQuery(day)} AND ${TOPIC_CLAUSE}`;
/** Everything export-control issued since a date (backfill). */
export const topicalSinceQuery = (since: string) =>
  `${STAATSCOURANT} AND dt.issued>=${since} AND ${TOPIC_CLAUSE}`;

export function searchUrl(query: string, startRecord = 1): string {
  const params = new URLSearchParams({
    operation: "searchRetrieve",
    version: "2.0",
    query,
    recordSchema: "gzd",
    startRecord: String(startRecord),
    maximumRecords: String(PAGE_SIZE),
  });
  return `${KOOP_SRU}?${params}`;
}

/** The days to read: after the last one read, through today; today alone on a first run. */
export const daysToRead = (lastDay: string | null, now: Date): string[] =>
  daysToReadFrom(lastDay, now, MAX_DAYS);

/** Every page of a query's answer, in order. */
async function readQuery(
  http: HttpClient,
  query: string,
): Promise<{ response: HttpResponse; page: SruPage }[]> {
  const pages: { response: HttpResponse; page: SruPage }[] = [];
  let start: number | null = 1;
  while (start !== null) {
    // Not conditional: a 304 leaves no page to read the next position from.
    const response = await http.get(searchUrl(query, start), { conditional: false });
    const page = readSruPage(
      { body: response.body, contentType: response.contentType, url: response.url },
      "Staatscourant search",
    );
    if (page.numberOfRecords > MAX_RECORDS_PER_QUERY) return [{ response, page }];
    pages.push({ response, page });
    start = nextStart(page, start, response.url);
  }
  return pages;
}

const tooMany = (pages: { page: SruPage }[]) => pages[0]!.page.numberOfRecords > MAX_RECORDS_PER_QUERY;

/**
 * A page's artifact, when it holds an export-control regulation: the page
 * bundled with the texts (xml manifestations) of the records kept, since a
 * publication's in-force date is in its text and its issue date in the
 * record. Pages with nothing kept are read, checked and not archived.
 */
async function artifactFor(
  http: HttpClient,
  log: Logger,
  { response, page }: { response: HttpResponse; page: SruPage },
  seen: Record<string, string> = {},
): Promise<FetchedArtifact | null> {
  const kept = keptRecords(page, response.url);
  if (!kept.length) return null;
  // The same page as the last run took (today is read on every run until it is
  // over): its texts were bundled then; nothing to fetch again.
  if (seen[response.url] === response.sha256) return null;
  seen[response.url] = response.sha256;
  const texts: HttpResponse[] = [];
  for (const { id, xml } of kept) {
    if (!xml) continue;
    // Not conditional: the text goes into this page's bundle whether or not it was fetched before.
    texts.push(await http.get(xml, { conditional: false }));
    log.info({ id }, "nl.staatscourant: text of an export-control regulation fetched");
  }
  return { response: texts.length ? bundleResponse(response, texts) : response };
}

async function readDay(
  http: HttpClient,
  log: Logger,
  day: string,
  seen: Record<string, string>,
): Promise<FetchedArtifact[]> {
  let pages = await readQuery(http, dayQuery(day));
  if (tooMany(pages)) {
    log.warn(
      { day, records: pages[0]!.page.numberOfRecords },
      "nl.staatscourant: re-indexing day, reading it by title",
    );
    pages = await readQuery(http, topicalDayQuery(day));
    if (tooMany(pages))
      throw new SourceShapeChangedError(
        `Staatscourant search for ${day} by title still gives ${pages[0]!.page.numberOfRecords} records`,
      );
  }
  const artifacts: FetchedArtifact[] = [];
  for (const page of pages) {
    const artifact = await artifactFor(http, log, page, seen);
    if (artifact) artifacts.push(artifact);
  }
  return artifacts;
}

export const nlStaatscourantExportControl = defineSource<StcrtMeta>({
  id: "nl.staatscourant.export-control",
  jurisdiction: "NL",
  kind: "documents",
  title:
    "Staatscourant: export-control regulations (semiconductor production equipment, strategic goods, dual-use)",
  publisher: "KOOP (Kennis- en Exploitatiecentrum Officiële Overheidspublicaties), officiële publicaties",
  officialUrl: OEP_ORIGIN,
  // The Staatscourant appears on working days, in the early morning (Amsterdam);
  // records are also changed later in the day. Twice a day, every day.
  schedule: "40 6,15 * * *",
  expectations: {
    // A page holds one or two export-control regulations a year, most hold none (and are not archived).
    minEntries: 0,
    // A page is at most PAGE_SIZE records.
    maxEntries: PAGE_SIZE,
    // Documents are kept, never removed by absence.
    maxRemovedShare: 1,
    requiredFields: ["id", "title", "citation", "publishedAt"],
  },
  parserVersion: PARSER_VERSION,
  // Regulations are published days to weeks before they take effect; older than a month is history.
  alertWindowDays: 30,
  parse: parseStaatscourant,
  describe: describedByDocuments,
  async fetch(ctx) {
    // Cheap first: one query per day since the cursor (what the Staatscourant
    // published or changed that day), paged; the texts only of what is kept.
    const last = typeof ctx.state.lastDay === "string" ? ctx.state.lastDay : null;
    const today = isoDay(ctx.now);
    const artifacts: FetchedArtifact[] = [];
    // The pages taken (by address, with their SHA-256), for the days still read again.
    const taken =
      ctx.state.pages && typeof ctx.state.pages === "object"
        ? (ctx.state.pages as Record<string, string>)
        : {};
    const seen: Record<string, string> = {};
    let lastDay = last;
    for (const day of daysToRead(last, ctx.now)) {
      const pages = Object.fromEntries(
        Object.entries(taken).filter(([url]) => url.includes(encodeURIComponent(day))),
      );
      artifacts.push(...(await readDay(ctx.http, ctx.log, day, pages)));
      Object.assign(seen, pages);
      if (day < today) lastDay = day;
    }
    // A first run reads today only: the days before it are history (backfill), and
    // tomorrow's run goes on from today.
    if (!last) lastDay = dayBefore(ctx.now);
    // Only today's pages are read again: keep theirs.
    const pages = Object.fromEntries(
      Object.entries(seen).filter(([url]) => url.includes(encodeURIComponent(today))),
    );
    return {
      artifacts,
      state: { ...(lastDay ? { lastDay } : {}), ...(Object.keys(pages).length ? { pages } : {}) },
    };
  },
  async *backfill(ctx, since) {
    // The publisher keeps everything: what it issued since `since`, narrowed by title on the server.
    const pages = await readQuery(ctx.http, topicalSinceQuery(since));
    if (tooMany(pages))
      throw new SourceShapeChangedError(
        `Staatscourant search since ${since} by title gives ${pages[0]!.page.numberOfRecords} records`,
      );
    const artifacts: FetchedArtifact[] = [];
    for (const page of pages) {
      const artifact = await artifactFor(ctx.http, ctx.log, page);
      if (artifact) artifacts.push(artifact);
    }
    // Once stored, the daily reading goes on from yesterday.
    const state = { lastDay: dayBefore(ctx.now) };
    let index = 0;
    for (const artifact of artifacts) yield { artifact, index: ++index, total: artifacts.length, state };
  },
});
