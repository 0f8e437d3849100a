import type { HttpResponse } from "@regwatch/core/http";
import { dayBefore, daysToRead as daysToReadFrom, isoDay } from "../../dates.ts";
import { defineSource, describedByDocuments, type FetchedArtifact } from "../../define-source.ts";
import { BOE_ORIGIN, exportControlItems, PARSER_VERSION, parseBoe, parseSumario } from "./parse.ts";

/**
 * BOE open data, no key:
 * - the day's summary `GET {BOE}/datosabiertos/api/boe/sumario/{YYYYMMDD}`
 *   (XML with `Accept: application/xml`, JSON with `application/json`) [C,
 *   SOURCES.md]; its XML shape is [I] (no sample: the samples hold the legacy
 *   `xml.php?id=BOE-S-YYYYMMDD` summary, which the parser also reads);
 * - one document's XML `GET {BOE}/diario_boe/xml.php?id=BOE-A-…` [I in
 *   SOURCES.md; the samples were served by it]. The summary gives each
 *   item's `url_xml`; this form is used when it gives none.
 */
export const sumarioUrl = (day: string) =>
  `${BOE_ORIGIN}/datosabiertos/api/boe/sumario/${day.replaceAll("-", "")}`;
export const documentXmlUrl = (id: string) => `${BOE_ORIGIN}/diario_boe/xml.php?id=${id}`;

/** Days read per run at most (a first run, or catching up after an outage). */
export const MAX_DAYS = 7;

/** The days to read: after the last one read, through today; today alone on a first run. */
export const daysToRead = (lastDay: string | null, now: Date): string[] =>
  daysToReadFrom(lastDay, now, MAX_DAYS);

export const esBoeExportControl = defineSource({
  id: "es.boe.export-control",
  jurisdiction: "ES",
  kind: "documents",
  title: "BOE: orders amending the annexes of Real Decreto 679/2014 (defence material and dual-use items)",
  publisher: "Agencia Estatal Boletín Oficial del Estado (BOE open data)",
  // The ELI address of Real Decreto 679/2014 [I: ELI pattern as in the samples' `url_eli`, rank "rd"].
  officialUrl: `${BOE_ORIGIN}/eli/es/rd/2014/08/01/679`,
  // The BOE comes out every day (Sundays included) early in the morning, Madrid time.
  schedule: "30 6,12 * * *",
  expectations: {
    // Most days have no export-control order; a summary alone gives none.
    minEntries: 0,
    // A body is one summary (no documents) or one document.
    maxEntries: 1,
    maxRemovedShare: 1,
    requiredFields: ["id", "title", "citation", "publishedAt"],
  },
  parserVersion: PARSER_VERSION,
  // Orders are published within days of signature; older than a month is history.
  alertWindowDays: 30,
  parse: parseBoe,
  describe: describedByDocuments,
  async fetch(ctx) {
    const last = typeof ctx.state.lastDay === "string" ? ctx.state.lastDay : null;
    const artifacts: FetchedArtifact[] = [];
    let lastDay = last;
    for (const day of daysToRead(last, ctx.now)) {
      const response: HttpResponse = await ctx.http.get(sumarioUrl(day), {
        headers: { Accept: "application/xml" },
        acceptStatuses: [404],
      });
      // No summary that day (or not yet): the API answers 404 [I]; try again next run.
      if (response.status === 404) {
        ctx.log.info({ day }, "es.boe: no summary for this day");
        continue;
      }
      if (day < isoDay(ctx.now)) lastDay = day;
      if (response.notModified) continue;
      artifacts.push({ response });
      const sumario = parseSumario({
        body: response.body,
        contentType: response.contentType,
        url: response.url,
      });
      for (const item of exportControlItems(sumario)) {
        const doc = await ctx.http.get(item.urlXml ?? documentXmlUrl(item.id));
        if (!doc.notModified) artifacts.push({ response: doc });
      }
    }
    // A first run reads today only: the days before it are history (backfill), and
    // the next run goes on from today.
    if (!last) lastDay = dayBefore(ctx.now);
    return { artifacts, state: lastDay ? { lastDay } : {} };
  },
});
