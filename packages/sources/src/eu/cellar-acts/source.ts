import { defineSource, describedByDocuments } from "../../define-source.ts";
import { amendingActsQuery, DUAL_USE_ELI, sparqlUrl } from "./cellar.ts";
import { type AmendingActsMeta, PARSER_VERSION, parseAmendingActs } from "./parse.ts";

/** The one request this source makes: the acts amending Regulation (EU) 2021/821, from Cellar's SPARQL endpoint. */
export const AMENDING_ACTS_URL = sparqlUrl(amendingActsQuery());

export const euCellarAmendingActs = defineSource<AmendingActsMeta>({
  id: "eu.cellar.amending-acts",
  jurisdiction: "EU",
  kind: "documents",
  title: "Acts amending Regulation (EU) 2021/821 (Commission delegated regulations replacing Annex I)",
  publisher: "Publications Office of the European Union (Cellar)",
  officialUrl: DUAL_USE_ELI,
  // The Official Journal comes out on working days; Cellar's metadata follows
  // within a day. Twice on working days catches an act the day it is loaded.
  schedule: "40 7,15 * * 1-5",
  expectations: {
    // Regulation 2021/821 has been amended by a delegated regulation every
    // year since 2022 [C: 2024/2547, 2025/2003 in SOURCES.md]: an empty answer
    // is a broken query or endpoint, not a regulation nobody amended.
    minEntries: 1,
    // One act a year, a few more with corrections: hundreds would be another query's answer.
    maxEntries: 200,
    maxRemovedShare: 1,
    requiredFields: ["id", "title", "citation"],
  },
  parserVersion: PARSER_VERSION,
  // Cellar loads an act within days of publication; an act older than two
  // months is history, not news.
  alertWindowDays: 60,
  parse: parseAmendingActs,
  // Each act carries its own dates, citation and address.
  describe: describedByDocuments,
  async fetch(ctx) {
    // The answer is small (a row or two per act) and SPARQL answers carry no
    // validators worth trusting: ask every time; unchanged documents give no records.
    const response = await ctx.http.get(AMENDING_ACTS_URL, {
      conditional: false,
      headers: { accept: "application/sparql-results+json" },
    });
    return { artifacts: [{ response }], state: ctx.state };
  },
});
