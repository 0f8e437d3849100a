import type { HttpClient, HttpResponse } from "@regwatch/core/http";
import { defineSource, describedByDocuments, type FetchedArtifact } from "../../define-source.ts";
import { BIS_AGENCY_SLUG, PARSER_VERSION, parseFederalRegister } from "./parse.ts";

export const FR_ORIGIN = "https://www.federalregister.gov";

const FIELDS = [
  "abstract",
  "action",
  "agencies",
  "citation",
  "cfr_references",
  "correction_of",
  "dates",
  "document_number",
  "effective_on",
  "full_text_xml_url",
  "html_url",
  "json_url",
  "pdf_url",
  "publication_date",
  "raw_text_url",
  "regulation_id_numbers",
  "subtype",
  "title",
  "type",
];

// The API caps a search at 10,000 results and 1,000 per page; BIS publishes
// a few hundred documents a year, so 20 pages of 100 is far beyond one poll.
const MAX_PAGES = 20;

export function searchUrl(params: { since: string; until?: string; order: "newest" | "oldest" }): string {
  const q = new URLSearchParams();
  q.append("conditions[agencies][]", BIS_AGENCY_SLUG);
  q.append("conditions[publication_date][gte]", params.since);
  if (params.until) q.append("conditions[publication_date][lte]", params.until);
  for (const f of FIELDS) q.append("fields[]", f);
  q.append("order", params.order);
  q.append("per_page", "100");
  return `${FR_ORIGIN}/api/v1/documents.json?${q.toString()}`;
}

export const PUBLIC_INSPECTION_URL = `${FR_ORIGIN}/api/v1/public-inspection-documents/current.json`;

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function daysBefore(date: Date, days: number): Date {
  return new Date(date.getTime() - days * 86_400_000);
}

/** Follows `next_page_url` from a first search page, each page its own artifact. */
async function searchPages(http: HttpClient, first: string): Promise<HttpResponse[]> {
  const pages: HttpResponse[] = [];
  let url: string | null = first;
  while (url && pages.length < MAX_PAGES) {
    const response: HttpResponse = await http.get(url, { conditional: pages.length === 0 });
    if (response.notModified) break;
    pages.push(response);
    const next = nextPage(response.body);
    // next_page_url is absolute in the API's answers; resolve it anyway, and never loop.
    url = next ? new URL(next, url).toString() : null;
    if (url && pages.some((p) => p.url === url)) url = null;
  }
  return pages;
}

function nextPage(body: Uint8Array): string | null {
  try {
    const json = JSON.parse(Buffer.from(body).toString("utf8")) as { next_page_url?: unknown };
    return typeof json.next_page_url === "string" ? json.next_page_url : null;
  } catch {
    return null; // The parser reports malformed bodies; paging just stops.
  }
}

export const usFederalRegister = defineSource({
  id: "us.federal-register",
  jurisdiction: "US",
  kind: "documents",
  title: "Federal Register: Bureau of Industry and Security",
  publisher: "Office of the Federal Register (federalregister.gov API)",
  officialUrl: "https://www.federalregister.gov/agencies/industry-and-security-bureau",
  // Public inspection posts after 8:45 ET; the issue itself at 6:00 ET.
  schedule: "5 11,14,18,22 * * 1-5",
  expectations: {
    // Many days have no BIS document at all.
    minEntries: 0,
    maxEntries: 2000,
    maxRemovedShare: 1,
    requiredFields: ["id", "title"],
  },
  parserVersion: PARSER_VERSION,
  // A document published more than two weeks before we first see it is history, not news.
  alertWindowDays: 14,
  parse: parseFederalRegister,
  describe: describedByDocuments,
  async fetch(ctx) {
    const last = typeof ctx.state.lastPublished === "string" ? ctx.state.lastPublished : null;
    // Re-read a week behind the newest document seen, to catch late corrections.
    const since = last
      ? isoDay(daysBefore(new Date(`${last}T00:00:00Z`), 7))
      : isoDay(daysBefore(ctx.now, 30));
    const pages = await searchPages(ctx.http, searchUrl({ since, order: "newest" }));
    const artifacts: FetchedArtifact[] = pages.map((response) => ({ response }));
    // Public inspection is the early warning, not the record: when it fails,
    // the published documents still go through.
    try {
      const inspection = await ctx.http.get(PUBLIC_INSPECTION_URL);
      if (!inspection.notModified) artifacts.push({ response: inspection });
    } catch (err) {
      ctx.log.warn(
        { sourceId: "us.federal-register" },
        `public inspection list not read: ${(err as Error).message}`,
      );
    }
    let newest = last;
    for (const { response } of artifacts) {
      for (const doc of parseFederalRegister({ body: response.body, contentType: response.contentType })
        .documents) {
        if (doc.stage === "published" && doc.publishedAt && (!newest || doc.publishedAt > newest))
          newest = doc.publishedAt;
      }
    }
    return { artifacts, state: { ...ctx.state, lastPublished: newest } };
  },
  async *backfill(ctx, since) {
    const pages = await searchPages(ctx.http, searchUrl({ since, until: isoDay(ctx.now), order: "oldest" }));
    let index = 0;
    for (const response of pages) {
      yield { artifact: { response }, index: ++index, total: pages.length };
    }
  },
});
