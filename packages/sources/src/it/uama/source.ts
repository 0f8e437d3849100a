import { defineSource } from "../../define-source.ts";
import { PARSER_VERSION, parseUamaPage, type UamaMeta } from "./parse.ts";

/**
 * The foreign ministry's (MAECI) page of UAMA, the Unità per le autorizzazioni
 * dei materiali di armamento, that publishes the national control list
 * (Decreto n. 1325/BIS/371 of 2024-07-01, Allegato A, and the decrees that
 * amend it) in full [C: SOURCES.md, "published in full on the foreign
 * ministry (UAMA) site"]. The address below is [I]: the library search found
 * no copy of the page, so this path is a PLACEHOLDER in the site's UAMA
 * section, to be confirmed before the source is registered. A wrong address
 * fails safely: a page without exactly one `<main>` holding Allegato items is
 * refused, never read as an empty list.
 */
export const UAMA_LIST_URL =
  "https://www.esteri.it/it/ministero/struttura/uama/elenco-nazionale-di-controllo-dei-prodotti-a-duplice-uso/";

export const itUamaNationalList = defineSource<UamaMeta>({
  id: "it.uama.national-list",
  jurisdiction: "IT",
  kind: "list",
  title: "Elenco nazionale di controllo dei prodotti a duplice uso (Decreto 1325/BIS/371, Allegato A)",
  publisher: "Ministero degli Affari Esteri e della Cooperazione Internazionale, UAMA",
  officialUrl: UAMA_LIST_URL,
  // The list changes by decree a few times a year at most; the page is one small request on weekdays.
  schedule: "17 8 * * 1-5",
  expectations: {
    // Allegato A of 2024 has about a dozen items in categories 2, 3 and 4, most with lettered
    // paragraphs; fewer than 8 entries is a broken page, not a repeal.
    minEntries: 8,
    maxEntries: 1500,
    // An amending decree replaces items one at a time.
    maxRemovedShare: 0.3,
    requiredFields: ["key", "text"],
  },
  parserVersion: PARSER_VERSION,
  // How amending instruments name the list: the founding decree, the list's own name, and each later
  // decree by the same pattern ("Decreto NNNN/BIS/NNN", as the Normattiva source writes `cfrReferences`).
  citedAs: ["Decreto 1325/BIS/371", "Elenco nazionale di controllo"],
  parse: parseUamaPage,
  // The in-force date of the list as shown: a page older than the accepted one is stale.
  versionDate: (snapshot) => snapshot.meta.effectiveAt ?? null,
  describe(snapshot, artifact) {
    const { meta } = snapshot;
    const current = meta.decrees[meta.decrees.length - 1] ?? null;
    return {
      publishedAt: meta.guNotice?.date ?? current?.date ?? null,
      effectiveAt: meta.effectiveAt ?? artifact.asOf ?? null,
      citation: current?.citation ?? null,
      url: artifact.url ?? UAMA_LIST_URL,
    };
  },
  async fetch(ctx) {
    // Cheap probe = the page itself, asked with the validators of the last accepted version
    // (kept in the cursor, so they move only when a run succeeds): 304 means nothing to read.
    const etag = typeof ctx.state.etag === "string" ? ctx.state.etag : null;
    const lastModified = typeof ctx.state.lastModified === "string" ? ctx.state.lastModified : null;
    const headers: Record<string, string> = { accept: "text/html" };
    if (etag) headers["if-none-match"] = etag;
    if (lastModified) headers["if-modified-since"] = lastModified;
    const response = await ctx.http.get(UAMA_LIST_URL, { conditional: false, headers });
    if (response.notModified) return { artifacts: [], state: ctx.state };
    return {
      artifacts: [{ response }],
      state: {
        etag: response.headers.etag ?? null,
        lastModified: response.headers["last-modified"] ?? null,
      },
    };
  },
});
