import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse, Logger } from "@regwatch/core/http";
import { defineSource } from "../../define-source.ts";
import { listPageVerdict, sectionLinks } from "./discover.ts";
import { PARSER_VERSION, parseUamaPage, type UamaMeta } from "./parse.ts";

/**
 * The foreign ministry's (MAECI) page of UAMA, the Unità per le autorizzazioni
 * dei materiali di armamento, that publishes the national control list
 * (Decreto n. 1325/BIS/371 of 2024-07-01, Allegato A, and the decrees that
 * amend it) in full [C: SOURCES.md, "published in full on the foreign
 * ministry (UAMA) site"]. The address below is [I]: the library search found
 * no copy of the page, so this path in the site's UAMA section is only the
 * first try. When it answers 404 or 410, or a page that is not the list, the
 * page is looked for from the section's home (UAMA_SECTION_URL) and the
 * address found is kept in the cursor. A wrong address fails safely: a page
 * without exactly one `<main>` holding Allegato items is refused, never read
 * as an empty list.
 */
export const UAMA_LIST_URL =
  "https://www.esteri.it/it/ministero/struttura/uama/elenco-nazionale-di-controllo-dei-prodotti-a-duplice-uso/";

/**
 * The UAMA section's home on esteri.it [I: not in SOURCES.md; third-party
 * export-control datasets cite it (and its English twin `/en/ministero/
 * struttura/uama/`) with a web-archive capture of 2025-09-22, and the list
 * page's own breadcrumb links it]. Discovery starts here: a link whose words
 * name "elenco nazionale di controllo" or "1325/BIS/371", else the section's
 * pages named "normativa" or "duplice uso" ([I]: their addresses are read from
 * the home page, never guessed).
 */
export const UAMA_SECTION_URL = "https://www.esteri.it/it/ministero/struttura/uama/";

/** Section pages read beyond the home when the home does not link the list: one run stays a few requests. */
export const MAX_SECTION_PAGES = 4;
/** Links tried as the list's page per section page (a menu entry, a news item, a normativa entry). */
export const MAX_CANDIDATES_PER_PAGE = 3;

// A page that is gone answers 404 or 410: read here, not thrown, so discovery can start.
const GONE = [404, 410] as const;
const isGone = (r: HttpResponse) => (GONE as readonly number[]).includes(r.status);

const verdictOf = (r: HttpResponse) =>
  listPageVerdict({ body: r.body, contentType: r.contentType, url: r.url });

/**
 * The list's page found from the section's pages, or null with what was tried
 * added to `tried` (each address and why it was not the page). `skip`: pages
 * already refused (the address the list was last read at).
 */
export async function discoverListPage(
  http: HttpClient,
  tried: string[],
  skip: readonly string[],
  log: Logger,
): Promise<HttpResponse | null> {
  const queue = [UAMA_SECTION_URL];
  const visited = new Set<string>(queue);
  const candidatesTried = new Set<string>(skip);
  for (let i = 0; i < queue.length && i <= MAX_SECTION_PAGES; i++) {
    const page = queue[i]!;
    const response = await http.get(page, {
      conditional: false,
      acceptStatuses: GONE,
      headers: { accept: "text/html" },
    });
    if (isGone(response)) {
      tried.push(`${page} (section page, HTTP ${response.status})`);
      continue;
    }
    const links = sectionLinks({ body: response.body, contentType: response.contentType, url: page });
    const candidates = links.list
      .filter((l) => !candidatesTried.has(l.url))
      .slice(0, MAX_CANDIDATES_PER_PAGE);
    if (!candidates.length)
      tried.push(`${page} (section page: no link naming "elenco nazionale di controllo" or "1325/BIS/371")`);
    for (const link of candidates) {
      candidatesTried.add(link.url);
      const candidate = await http.get(link.url, {
        conditional: false,
        acceptStatuses: GONE,
        headers: { accept: "text/html" },
      });
      if (isGone(candidate)) {
        tried.push(`${link.url} (linked from ${page} as "${link.text}", HTTP ${candidate.status})`);
        continue;
      }
      const verdict = verdictOf(candidate);
      if (verdict.ok) {
        log.debug({ page, link: link.url }, "it.uama: list page found from the section");
        return candidate;
      }
      tried.push(`${link.url} (linked from ${page} as "${link.text}": ${verdict.reason})`);
    }
    for (const next of links.section)
      if (!visited.has(next.url) && queue.length <= MAX_SECTION_PAGES) {
        visited.add(next.url);
        queue.push(next.url);
      }
  }
  return null;
}

/** The cursor: validators of the accepted version, and the page's address once it moved from UAMA_LIST_URL. */
function stateFor(response: HttpResponse): Record<string, unknown> {
  const validators = {
    etag: response.headers.etag ?? null,
    lastModified: response.headers["last-modified"] ?? null,
  };
  return response.url === UAMA_LIST_URL ? validators : { url: response.url, ...validators };
}

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
    const effectiveAt = meta.effectiveAt ?? artifact.asOf ?? null;
    return {
      publishedAt: meta.guNotice?.date ?? current?.date ?? null,
      effectiveAt,
      // Null, so that the pipeline links the Gazzetta Ufficiale notice in force that
      // day which cites the decree (it.gazzetta.export-control); without one, the
      // records still name the decree through its date.
      citation: null,
      citationsByDate: effectiveAt && current?.citation ? { [effectiveAt]: current.citation } : undefined,
      url: artifact.url ?? UAMA_LIST_URL,
    };
  },
  async fetch(ctx) {
    // The page where the list was last found: UAMA_LIST_URL until discovery moved it.
    const url = typeof ctx.state.url === "string" ? ctx.state.url : UAMA_LIST_URL;
    // Cheap probe = the page itself, asked with the validators of the last accepted version
    // (kept in the cursor, so they move only when a run succeeds): 304 means nothing to read.
    const etag = typeof ctx.state.etag === "string" ? ctx.state.etag : null;
    const lastModified = typeof ctx.state.lastModified === "string" ? ctx.state.lastModified : null;
    const headers: Record<string, string> = { accept: "text/html" };
    if (etag) headers["if-none-match"] = etag;
    if (lastModified) headers["if-modified-since"] = lastModified;
    const response = await ctx.http.get(url, { conditional: false, headers, acceptStatuses: GONE });
    if (response.notModified) return { artifacts: [], state: ctx.state };

    const tried: string[] = [];
    if (isGone(response)) tried.push(`${url} (HTTP ${response.status})`);
    else {
      const verdict = verdictOf(response);
      if (verdict.ok) return { artifacts: [{ response }], state: stateFor(response) };
      tried.push(`${url} (${verdict.reason})`);
    }
    // Moved, or replaced by another page: look for it from the section, and say so.
    const found = await discoverListPage(ctx.http, tried, [url], ctx.log);
    if (!found)
      throw new SourceShapeChangedError(
        `it.uama.national-list: the national control list's page was not found; tried ${tried.join("; ")}`,
      );
    ctx.log.warn(
      { from: url, to: found.url },
      "it.uama: the list's page moved; reading it at its new address",
    );
    return { artifacts: [{ response: found }], state: stateFor(found) };
  },
});
