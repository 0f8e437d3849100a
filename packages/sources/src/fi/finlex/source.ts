import { defineSource } from "../../define-source.ts";
import { FINLEX_ORIGIN, KNOWN_ACTS, PARSER_VERSION, parseFinlex } from "./parse.ts";

/**
 * Finlex open data (opendata.finlex.fi, the Ministry of Justice's open API) [C
 * for the list path, from SOURCES.md]:
 * `GET {API}/finlex/avoindata/v1/akn/fi/act/statute/list?…` lists statutes
 * (JSON). The per-statute path
 * `{API}/finlex/avoindata/v1/akn/fi/act/statute/{year}/{number}/fin@` and the
 * list's query parameters (`startYear`, `endYear`, `page`, `limit`) are [I]:
 * inferred from the Akoma Ntoso URI scheme, not yet checked against a live
 * answer. The API answers in Akoma Ntoso XML; this parser reads the older SDK
 * XML the samples hold (eliask/finlex-data, `vahvistettavalaki.xsd`).
 */
export const FINLEX_API_ORIGIN = "https://opendata.finlex.fi";

/** [C] path, [I] parameters: statutes of one year, the cheap probe. */
export const statuteListUrl = (year: number) =>
  `${FINLEX_API_ORIGIN}/finlex/avoindata/v1/akn/fi/act/statute/list?format=json&startYear=${year}&endYear=${year}`;
/** [I] One statute's Finnish original text as Akoma Ntoso XML. */
export const statuteUrl = (year: number, number: number) =>
  `${FINLEX_API_ORIGIN}/finlex/avoindata/v1/akn/fi/act/statute/${year}/${number}/fin@`;

export const fiFinlexExportControl = defineSource({
  id: "fi.finlex.export-control",
  jurisdiction: "FI",
  kind: "documents",
  title:
    "Finnish Statute Book: Act 500/2024 on the export control of dual-use items, Act 282/2012 on the export of defence materiel, and the acts amending them",
  publisher: "Finlex (Ministry of Justice, open data)",
  officialUrl: `${FINLEX_ORIGIN}/fi/laki/ajantasa/2024/20240500`,
  // The Statute Book publishes on weekdays; once a day in the Helsinki morning is enough for acts in force weeks later.
  schedule: "30 6 * * 1-5",
  expectations: {
    // One file holds at most one statute; most of the Statute Book is about something else.
    minEntries: 0,
    // Three acts and a few amendments a decade; a year's list stays far below this.
    maxEntries: 100,
    maxRemovedShare: 1,
    // The SDK XML carries no publication date (the signing date is in data.issuedAt).
    requiredFields: ["id", "title", "citation"],
  },
  parserVersion: PARSER_VERSION,
  // Acts are published within days of signing; older than two months is history.
  alertWindowDays: 60,
  parse: parseFinlex,
  // Each document carries its own dates, citation and address.
  describe: () => ({ publishedAt: null, effectiveAt: null, citation: null, url: null }),
  async fetch(ctx) {
    // TODO(issue 10): the fetch will GET statuteListUrl(year) conditionally
    // (If-None-Match / If-Modified-Since; 304 → nothing to do), and for each
    // new statute whose title is one of KNOWN_ACTS or "… annetun lain
    // muuttamisesta" of one, GET statuteUrl(year, number) conditionally.
    // Those answers are Akoma Ntoso XML, which parseFinlex (SDK XML) cannot
    // read; an Akoma Ntoso reader and a live check of the [I] paths come first.
    throw new Error(
      `fi.finlex.export-control: fetch is not implemented yet: ${statuteListUrl(ctx.now.getUTCFullYear())} ` +
        `answers in Akoma Ntoso, and the parser reads only Finlex SDK XML (${KNOWN_ACTS.map((a) => a.citation).join(", ")} and their amendments)`,
    );
  },
});
