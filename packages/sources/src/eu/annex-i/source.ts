import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse, Logger } from "@regwatch/core/http";
import { defineSource } from "../../define-source.ts";
import { consolidationsQuery, DUAL_USE_CITATION, DUAL_USE_ELI, sparqlUrl } from "../cellar-acts/cellar.ts";
import {
  type Consolidation,
  currentConsolidation,
  formexUrls,
  readConsolidations,
} from "./consolidations.ts";
import { type AnnexIMeta, PARSER_VERSION, parseAnnexI, parseAnnexISteps } from "./parse.ts";

/** The cheap probe: Regulation (EU) 2021/821's consolidated versions, from Cellar's SPARQL endpoint. */
export const CONSOLIDATIONS_URL = sparqlUrl(consolidationsQuery());

/** The ELI of a consolidated version [C: the pattern of the branch notice sample's ELI]. */
export const consolidatedEli = (date: string) => `http://data.europa.eu/eli/reg/2021/821/${date}`;

async function consolidations(http: HttpClient, log: Logger): Promise<Consolidation[]> {
  // Small, and SPARQL answers carry no validators worth trusting: asked every run.
  const response = await http.get(CONSOLIDATIONS_URL, {
    conditional: false,
    headers: { accept: "application/sparql-results+json" },
  });
  const { versions, warnings } = readConsolidations(response.body, response.contentType);
  for (const warning of warnings) log.warn({ source: "eu.cellar.annex-i" }, warning);
  return versions;
}

/**
 * One version's Formex, trying its addresses in turn: a 404 on one form is
 * the publisher saying "not under this name", so the next is asked; any other
 * failure is the failure.
 */
async function formex(http: HttpClient, version: Consolidation, conditional: boolean): Promise<HttpResponse> {
  let notFound: SourceUnavailableError | null = null;
  for (const url of formexUrls(version)) {
    try {
      return await http.get(url, {
        conditional,
        // A manifestation of several files comes as a zip [I]; a single XML is read as well.
        headers: { accept: "application/zip, application/xml;q=0.9" },
      });
    } catch (err) {
      if (!(err instanceof SourceUnavailableError && /HTTP 404\b/.test(err.message))) throw err;
      notFound = err;
    }
  }
  throw new SourceUnavailableError(
    `Cellar has no English Formex of ${version.celex} under any known address (${notFound?.message ?? ""})`,
  );
}

export const euCellarAnnexI = defineSource<AnnexIMeta>({
  id: "eu.cellar.annex-i",
  jurisdiction: "EU",
  kind: "list",
  title: "EU dual-use list: Annex I of Regulation (EU) 2021/821 (consolidated, Formex)",
  publisher: "Publications Office of the European Union (Cellar)",
  officialUrl: DUAL_USE_ELI,
  // Consolidations follow an amending act by days to weeks, on working days;
  // the probe is one small SPARQL query.
  schedule: "20 6 * * 1-5",
  expectations: {
    // Annex I holds some 500 entries under ten categories, with their
    // paragraphs and notes several thousand entries: fewer than 1000 is a
    // half-read annex, not a deregulation.
    minEntries: 1000,
    maxEntries: 30000,
    // Each delegated regulation replaces the annex in full, but moves only a
    // small part of it; a fifth gone at once is a parse gone wrong.
    maxRemovedShare: 0.2,
    requiredFields: ["key"],
  },
  parserVersion: PARSER_VERSION,
  citedAs: [DUAL_USE_CITATION, "32021R0821"],
  parse: parseAnnexI,
  parseSteps: parseAnnexISteps,
  // START.DATE of the consolidation: the date its CELEX carries, the law as of then.
  versionDate: (snapshot, artifact) => snapshot.meta.versionDate ?? artifact.asOf ?? null,
  describe(snapshot, artifact) {
    const date = snapshot.meta.versionDate ?? artifact.asOf ?? null;
    return {
      publishedAt: null,
      // The consolidation's date is the day the amending act entered into force.
      effectiveAt: date,
      // Left to the pipeline: the amending act in force that day (eu.cellar.amending-acts)
      // cites "Regulation (EU) 2021/821" and becomes the change's instrument.
      citation: null,
      url: date ? consolidatedEli(date) : DUAL_USE_ELI,
    };
  },
  async fetch(ctx) {
    // Cheap probe first; the Formex (megabytes) only when a newer version is in force.
    const versions = await consolidations(ctx.http, ctx.log);
    const current = currentConsolidation(versions, ctx.now.toISOString().slice(0, 10));
    if (!current)
      throw new SourceShapeChangedError("Cellar lists no consolidated version of 32021R0821 in force");
    const seen = typeof ctx.state.lastCelex === "string" ? ctx.state.lastCelex : null;
    // Consolidated CELEX numbers of one act differ only by their date, so they order as strings.
    if (seen && current.celex <= seen) return { artifacts: [], state: ctx.state };
    const response = await formex(ctx.http, current, true);
    const artifacts = response.notModified ? [] : [{ response, asOf: current.date }];
    return { artifacts, state: { ...ctx.state, lastCelex: current.celex } };
  },
  async *backfill(ctx, since) {
    const today = ctx.now.toISOString().slice(0, 10);
    const wanted = (await consolidations(ctx.http, ctx.log)).filter(
      (v) => v.date >= since && v.date <= today,
    );
    let index = 0;
    for (const version of wanted) {
      index++;
      let response: HttpResponse;
      try {
        response = await formex(ctx.http, version, false);
      } catch (err) {
        // Superseded versions are sometimes withdrawn from Cellar [I]: history has a gap, the walk goes on.
        if (err instanceof SourceUnavailableError && /under any known address/.test(err.message)) {
          ctx.log.warn({ celex: version.celex }, err.message);
          continue;
        }
        throw err;
      }
      yield {
        artifact: { response, asOf: version.date },
        index,
        total: wanted.length,
        state: { ...ctx.state, lastCelex: version.celex },
      };
    }
  },
});
