import type { HttpClient, HttpResponse, Logger } from "@regwatch/core/http";
import { defineSource, describedByDocuments, type FetchedArtifact } from "../../define-source.ts";
import { runSteps } from "../../steps.ts";
import { ECO_ID_URI, ECO_ITEM, LEGISLATION_ORIGIN } from "../eco-schedules/clml.ts";
import {
  type EffectsMeta,
  itemPath,
  PARSER_VERSION,
  parseChangesFeed,
  parseEcoEffectsSteps,
} from "./parse.ts";

/**
 * legislation.gov.uk "Changes to Legislation" feeds, no key:
 * - every effect recorded against the Order, the most recently modified
 *   first: `/changes/affected/uksi/2008/3231/data.feed?sort=modified` [C,
 *   SOURCES.md; `sort=modified`, `results-count` and the paging elements as
 *   in the samples' feeds]; newest first is [I];
 * - the effects of one instrument on the Order,
 *   `/changes/affected/uksi/2008/3231/affecting/{type}/{year}/{number}/data.feed`
 *   [I: the path form of the feeds' entry ids, which legislation.gov.uk
 *   also serves as a feed]. Each is one artifact, so a document always
 *   carries all its instrument's effects, whatever else moved in the feed.
 * Page URLs are built from our own base, not the feeds' `next` links: those
 * are written `http://`, and REGWATCH_ORIGIN_MAP maps the https origin.
 */
export const PAGE_SIZE = 50;
/** Effects of one instrument on the Order: a whole amending SI fits in one page. */
export const PAIR_PAGE_SIZE = 200;
/** Pages read per run at most when catching up (a normal run reads one). */
export const MAX_PAGES = 10;

export const affectedFeedUrl = (page = 1) =>
  `${LEGISLATION_ORIGIN}/changes/affected/${ECO_ITEM}/data.feed?results-count=${PAGE_SIZE}&sort=modified${
    page > 1 ? `&page=${page}` : ""
  }`;
export const instrumentFeedUrl = (id: string) =>
  `${LEGISLATION_ORIGIN}/changes/affected/${ECO_ITEM}/affecting/${id}/data.feed?results-count=${PAIR_PAGE_SIZE}`;

const str = (v: unknown) => (typeof v === "string" ? v : null);
const later = (a: string, b: string | null) => b === null || Date.parse(a) > Date.parse(b);

/** One page of the Order's changes feed, read: its effects and whether more pages follow. */
function readPage(response: HttpResponse) {
  return parseChangesFeed({ body: response.body, contentType: response.contentType, url: response.url });
}

async function instrumentFeed(http: HttpClient, log: Logger, id: string, conditional = true) {
  const response = await http.get(instrumentFeedUrl(id), conditional ? {} : { conditional: false });
  if (!response.notModified && (readPage(response).morePages ?? 0) > 0)
    log.warn(
      { instrument: id },
      "gb.eco-amendments: more effects than one page holds; the document shows the first page",
    );
  return response;
}

export const gbEcoAmendments = defineSource<EffectsMeta>({
  id: "gb.legislation.eco-amendments",
  jurisdiction: "GB",
  kind: "documents",
  title: "Instruments amending the Export Control Order 2008 (legislation.gov.uk changes feed)",
  publisher: "The National Archives, legislation.gov.uk (Changes to Legislation)",
  officialUrl: `${LEGISLATION_ORIGIN}/changes/affected/${ECO_ITEM}`,
  // Effects are recorded by the editorial team on working days, usually
  // within days of an SI being made; the probe is one small feed page.
  schedule: "47 6,18 * * *",
  expectations: {
    // A body is one instrument's effects (usually a single document); a
    // page of the whole feed read by hand holds at most one per effect.
    minEntries: 0,
    maxEntries: 100,
    maxRemovedShare: 1,
    requiredFields: ["id", "title", "citation"],
  },
  parserVersion: PARSER_VERSION,
  // Effects are recorded weeks after an SI is made; its in-force date stands
  // in for publication (the feed gives no made date).
  alertWindowDays: 60,
  parse: (input) => runSteps(parseEcoEffectsSteps(input)),
  parseSteps: parseEcoEffectsSteps,
  describe: describedByDocuments,
  async fetch(ctx) {
    // Cheap probe first: page 1 of the Order's changes, newest modified first.
    // Then the instruments with effects modified since the cursor, one
    // conditional feed each. A first run takes page 1 only (history: backfill).
    const cursor = str(ctx.state.lastModified);
    const etag = cursor ? str(ctx.state.feedEtag) : null;
    const first = await ctx.http.get(affectedFeedUrl(1), {
      conditional: false,
      headers: etag ? { "if-none-match": etag } : {},
    });
    if (first.notModified) return { artifacts: [], state: ctx.state };
    const changed: string[] = [];
    let newest = cursor;
    let response = first;
    for (let page = 1; ; ) {
      const feed = readPage(response);
      let reached = false;
      for (const effect of feed.effects) {
        if (cursor && effect.modified && !later(effect.modified, cursor)) {
          reached = true;
          continue;
        }
        if (effect.modified && later(effect.modified, newest)) newest = effect.modified;
        const id = effect.affectedUri === ECO_ID_URI ? itemPath(effect.affectingUri) : null;
        if (id && !changed.includes(id)) changed.push(id);
      }
      if (!cursor || reached || !feed.morePages) break;
      if (page >= MAX_PAGES) {
        ctx.log.warn({ pages: page }, "gb.eco-amendments: stopped paging before reaching the cursor");
        break;
      }
      response = await ctx.http.get(affectedFeedUrl(++page), { conditional: false });
    }
    const artifacts: FetchedArtifact[] = [];
    // Oldest change first, so documents are stored in the order they moved.
    for (const id of changed.reverse()) {
      const feed = await instrumentFeed(ctx.http, ctx.log, id);
      if (!feed.notModified) artifacts.push({ response: feed });
    }
    return { artifacts, state: { ...ctx.state, feedEtag: first.headers.etag ?? null, lastModified: newest } };
  },
  async *backfill(ctx, since) {
    // Every page of the Order's changes; each instrument with an effect in
    // force since `since`, oldest first, as one artifact.
    const firstInForce = new Map<string, string>();
    let newest: string | null = null;
    for (let page = 1; page <= 200; page++) {
      const feed = readPage(await ctx.http.get(affectedFeedUrl(page), { conditional: false }));
      for (const effect of feed.effects) {
        if (effect.modified && later(effect.modified, newest)) newest = effect.modified;
        const id = effect.affectedUri === ECO_ID_URI ? itemPath(effect.affectingUri) : null;
        const date = effect.inForce.map((f) => f.date).find((d): d is string => d !== null) ?? null;
        if (!id || !date || date < since) continue;
        const known = firstInForce.get(id);
        if (!known || date < known) firstInForce.set(id, date);
      }
      if (!feed.morePages) break;
    }
    const wanted = [...firstInForce].sort(([a, x], [b, y]) => x.localeCompare(y) || a.localeCompare(b));
    let index = 0;
    for (const [id] of wanted) {
      const response = await instrumentFeed(ctx.http, ctx.log, id, false);
      index++;
      yield {
        artifact: { response },
        index,
        total: wanted.length,
        // The cursor moves only once every instrument is stored.
        ...(index === wanted.length ? { state: { ...ctx.state, lastModified: newest } } : {}),
      };
    }
  },
});
