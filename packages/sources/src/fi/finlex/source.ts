import { SourceShapeChangedError, UsageError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse, Logger } from "@regwatch/core/http";
import { defineSource, describedByDocuments, type FetchedArtifact } from "../../define-source.ts";
import { FINLEX_API_BASE } from "./akn.ts";
import { type ListedStatute, parseStatuteList } from "./list.ts";
import { FINLEX_ORIGIN, KNOWN_ACTS, PARSER_VERSION, parseFinlex } from "./parse.ts";

/**
 * Finlex open data (`{API}` = https://opendata.finlex.fi/finlex/avoindata/v1,
 * the Ministry of Justice's open API, no key; a User-Agent is required, which
 * the HTTP client always sends):
 * - `GET {API}/akn/fi/act/statute/list?…` lists statutes as JSON [C for the
 *   path, SOURCES.md]. Its parameters `format=json`, `langAndVersion=fin@`,
 *   `startYear`, `endYear`, `page`, `limit` (at most 10) are [I: third-party
 *   clients of the live API use them]; `titleContains` is [I: documented by a
 *   third party for the consolidated-statute list, assumed to be shared by
 *   the statute list]. Were the title filter ignored, a year's whole list
 *   (hundreds of statutes) would come back: more than MAX_LISTED statutes for
 *   one title is refused as a changed API rather than downloaded.
 * - `GET {API}/akn/fi/act/statute/{year}/{number}/fin@`: one statute's
 *   Finnish original text in Akoma Ntoso XML [I: the URI scheme of the list's
 *   `akn_uri`, used by third-party clients]; a statute the API does not hold
 *   answers an empty `<AknXmlList>` [I].
 */
/** The API's largest page [I]. */
export const LIST_PAGE_SIZE = 10;
/** A title names a handful of statutes a year; more means the filter was not applied. */
export const MAX_LISTED = 50;

/**
 * The title words the list is filtered by: each followed act's name, which its
 * amendments repeat ("kaksikäyttötuotteiden vientivalvonnasta annetun lain
 * muuttamisesta"). An act amending one of them under another title (an
 * omnibus "… eräiden lakien muuttamisesta") is not found this way.
 */
export const TITLE_FILTERS: readonly string[] = [...new Set(KNOWN_ACTS.map((a) => a.titleFi))];

/** One page of the year's Finnish statute originals whose title contains `title`. */
export const statuteListUrl = (year: number, title: string, page = 1) =>
  `${FINLEX_API_BASE}/akn/fi/act/statute/list?format=json&langAndVersion=fin%40&startYear=${year}&endYear=${year}` +
  `&titleContains=${encodeURIComponent(title)}&page=${page}&limit=${LIST_PAGE_SIZE}`;
/** One statute's Finnish original text as Akoma Ntoso XML. */
export const statuteUrl = (year: number, number: number) =>
  `${FINLEX_API_BASE}/akn/fi/act/statute/${year}/${number}/fin@`;

interface Validators {
  etag?: string;
  lastModified?: string;
}

/**
 * The source's cursor: the list pages' validators (kept here, not in the
 * client, so that they move only with a run that succeeded), the statutes
 * fetched with the list status they had, and those listed but not yet
 * served (asked again next run even when the list has not changed).
 */
interface FinlexCursor {
  lists: Record<string, Validators>;
  fetched: Record<string, string>;
  pending: Record<string, string>;
}

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const strings = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(record(v)).filter((e): e is [string, string] => typeof e[1] === "string"),
  );

function readCursor(state: Record<string, unknown>): FinlexCursor {
  const lists: Record<string, Validators> = {};
  for (const [url, v] of Object.entries(record(state.lists))) {
    const { etag, lastModified } = strings(v);
    lists[url] = { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
  }
  return { lists, fetched: strings(state.fetched), pending: strings(state.pending) };
}

/** The years whose lists are read: this one, and in January the last one too (December's statutes come out late). */
export function yearsToList(now: Date): number[] {
  const year = now.getUTCFullYear();
  return now.getUTCMonth() === 0 ? [year - 1, year] : [year];
}

const citationOf = (s: { year: number; number: number }) => `${s.number}/${s.year}`;
const byNumber = (a: ListedStatute, b: ListedStatute) => a.year - b.year || a.number - b.number;
// The Statute Book original in Finnish; the list also names Swedish expressions and consolidated versions.
const isFinnishOriginal = (s: ListedStatute) => s.docType === "statute" && s.language === "fin" && !s.version;

/**
 * Every page of one year's list for one title. With validators, the first page
 * is asked conditionally; 304 (nothing new: the list is newest first [I])
 * gives `statutes: null`.
 */
async function listStatutes(
  http: HttpClient,
  year: number,
  title: string,
  validators: Validators | null,
): Promise<{ statutes: ListedStatute[] | null; validators: Validators | null }> {
  const statutes: ListedStatute[] = [];
  let fresh: Validators | null = null;
  for (let page = 1; ; page++) {
    const url = statuteListUrl(year, title, page);
    const headers: Record<string, string> = { accept: "application/json" };
    if (page === 1 && validators?.etag) headers["if-none-match"] = validators.etag;
    if (page === 1 && validators?.lastModified) headers["if-modified-since"] = validators.lastModified;
    const response = await http.get(url, { conditional: false, headers });
    if (response.notModified) {
      if (page === 1 && validators) return { statutes: null, validators };
      throw new SourceShapeChangedError(`${url}: 304 to a request that was not conditional`);
    }
    if (page === 1) {
      const etag = response.headers.etag;
      const lastModified = response.headers["last-modified"];
      fresh =
        etag || lastModified
          ? { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) }
          : null;
    }
    const items = parseStatuteList(response.body, url);
    statutes.push(...items);
    if (statutes.length > MAX_LISTED)
      throw new SourceShapeChangedError(
        `${url}: more than ${MAX_LISTED} statutes of ${year} titled "${title}"; the title filter or the paging seems not applied`,
      );
    if (items.length < LIST_PAGE_SIZE) return { statutes, validators: fresh };
  }
}

/** Finnish originals listed for these years, by citation. */
async function listYears(
  http: HttpClient,
  years: readonly number[],
  cursor: FinlexCursor | null,
  lists: Record<string, Validators>,
): Promise<Map<string, ListedStatute>> {
  const listed = new Map<string, ListedStatute>();
  for (const year of years)
    for (const title of TITLE_FILTERS) {
      const first = statuteListUrl(year, title);
      const result = await listStatutes(http, year, title, cursor?.lists[first] ?? null);
      if (result.validators) lists[first] = result.validators;
      for (const s of (result.statutes ?? []).filter(isFinnishOriginal).sort(byNumber))
        listed.set(citationOf(s), s);
    }
  return listed;
}

// An answer the API gives for a statute it does not hold (yet) [I].
const EMPTY_LIST = /^\s*(?:<\?xml[^>]*\?>\s*)?<(?:[\w-]+:)?AknXmlList[\s/>]/;

/** The statute's text, or null when the API does not serve it (yet): asked again next run. */
async function getStatute(
  http: HttpClient,
  log: Logger,
  s: { year: number; number: number },
  conditional: boolean,
): Promise<HttpResponse | null> {
  const url = statuteUrl(s.year, s.number);
  const response = await http.get(url, { conditional, headers: { accept: "application/xml" } });
  const head = Buffer.from(response.body.subarray(0, 512)).toString("utf8");
  if (response.status === 404 || (!response.notModified && EMPTY_LIST.test(head))) {
    log.warn(
      { statute: citationOf(s), url },
      "fi.finlex: listed statute not served yet; asked again next run",
    );
    return null;
  }
  return response;
}

function parseCitation(citation: string) {
  const m = /^(\d{1,4})\/(\d{4})$/.exec(citation);
  return m ? { number: Number(m[1]), year: Number(m[2]) } : null;
}

export const fiFinlexExportControl = defineSource({
  id: "fi.finlex.export-control",
  jurisdiction: "FI",
  kind: "documents",
  title:
    "Finnish Statute Book: Act 500/2024 on the export control of dual-use items, Act 282/2012 on the export of defence materiel, and the acts amending them",
  publisher: "Finlex (Ministry of Justice, open data)",
  officialUrl: `${FINLEX_ORIGIN}/fi/laki/ajantasa/2024/20240500`,
  // The Statute Book publishes on weekdays and the API follows within a short
  // delay; the probe is two small list pages, so morning and afternoon
  // (Helsinki) catch an act the day it comes out.
  schedule: "30 6,13 * * 1-5",
  expectations: {
    // One file holds at most one statute; a decree issued under a followed act is read and left out.
    minEntries: 0,
    // Three acts and a few amendments a decade; a year's list stays far below this.
    maxEntries: 100,
    maxRemovedShare: 1,
    // The SDK XML carries no publication date (the API's Akoma Ntoso does; the signing date is in data.issuedAt).
    requiredFields: ["id", "title", "citation"],
  },
  parserVersion: PARSER_VERSION,
  // Acts are published within days of signing; older than two months is history.
  alertWindowDays: 60,
  parse: parseFinlex,
  describe: describedByDocuments,
  async fetch(ctx) {
    // Cheap probe first: the year's list filtered by each followed act's
    // title, conditionally. Then each listed statute not fetched before (or
    // whose list status moved, NEW → MODIFIED), conditionally too. The parser
    // decides by the text which of them concern the followed acts.
    const cursor = readCursor(ctx.state);
    const lists: Record<string, Validators> = {};
    const listed = await listYears(ctx.http, yearsToList(ctx.now), cursor, lists);
    const wanted = new Map<string, string>(Object.entries(cursor.pending));
    for (const [citation, s] of listed)
      if (cursor.fetched[citation] !== s.status) wanted.set(citation, s.status);
    const fetched = { ...cursor.fetched };
    const pending: Record<string, string> = {};
    const artifacts: FetchedArtifact[] = [];
    const order = [...wanted.keys()]
      .map((c) => ({ c, s: parseCitation(c) }))
      .filter((x): x is { c: string; s: { year: number; number: number } } => x.s !== null)
      .sort((a, b) => a.s.year - b.s.year || a.s.number - b.s.number);
    for (const { c, s } of order) {
      const response = await getStatute(ctx.http, ctx.log, s, true);
      if (!response) {
        pending[c] = wanted.get(c)!;
        continue;
      }
      fetched[c] = wanted.get(c)!;
      if (!response.notModified) artifacts.push({ response });
    }
    return { artifacts, state: { lists, fetched, pending } };
  },
  async *backfill(ctx, since) {
    // The history by years: every year's lists from `since`'s year, oldest statute first.
    if (!/^\d{4}-\d{2}-\d{2}/.test(since))
      throw new UsageError(`backfill since "${since}" is not an ISO date`);
    const from = Number(since.slice(0, 4));
    const to = ctx.now.getUTCFullYear();
    const years = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
    const cursor = readCursor(ctx.state);
    const listed = [...(await listYears(ctx.http, years, null, {})).values()].sort(byNumber);
    const fetched = { ...cursor.fetched };
    const pending = { ...cursor.pending };
    let index = 0;
    for (const s of listed) {
      index++;
      const response = await getStatute(ctx.http, ctx.log, s, false);
      const citation = citationOf(s);
      if (!response) {
        pending[citation] = s.status;
        continue;
      }
      fetched[citation] = s.status;
      delete pending[citation];
      yield {
        artifact: { response },
        index,
        total: listed.length,
        state: { lists: {}, fetched: { ...fetched }, pending: { ...pending } },
      };
    }
  },
});
