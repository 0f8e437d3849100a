import type { HttpResponse } from "@regwatch/core/http";
import { defineSource } from "../define-source.ts";
import { listLinks } from "./control-lists-page.ts";
import { LIST_TITLE, PARSER_VERSION, parseWaList, parseWaListSteps, type WaListMeta } from "./parse.ts";
import { PDF_LIMITS } from "./pdf-text.ts";

/**
 * The Wassenaar Arrangement's control-lists page [I: the address public
 * references cite for the lists; SOURCES.md confirms only that the lists are
 * published as PDF]. It links the current "List of Dual-Use Goods and
 * Technologies and Munitions List" as a WordPress upload
 * (`/app/uploads/YYYY/MM/….pdf`, [I]); the link is read, never guessed.
 */
export const CONTROL_LISTS_URL = "https://www.wassenaar.org/control-lists/";

type Validators = { etag: string | null; lastModified: string | null };

const validatorsOf = (r: HttpResponse): Validators => ({
  etag: r.headers.etag ?? null,
  lastModified: r.headers["last-modified"] ?? null,
});

function stored(value: unknown): Validators {
  const v = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
  return {
    etag: typeof v.etag === "string" ? v.etag : null,
    lastModified: typeof v.lastModified === "string" ? v.lastModified : null,
  };
}

function conditionalHeaders(v: Validators, accept: string): Record<string, string> {
  const headers: Record<string, string> = { accept };
  if (v.etag) headers["if-none-match"] = v.etag;
  if (v.lastModified) headers["if-modified-since"] = v.lastModified;
  return headers;
}

/**
 * One source for both lists: the WA publishes them as one PDF (one
 * designation, one date), so one snapshot holds the dual-use entries, the
 * Munitions List and the Sensitive / Very Sensitive annexes. Two sources
 * would fetch and parse the same file twice and could each stand at a
 * different edition.
 */
export const waWassenaarLists = defineSource<WaListMeta>({
  id: "wa.wassenaar.lists",
  jurisdiction: "WA",
  kind: "list",
  title: "Wassenaar Arrangement: List of Dual-Use Goods and Technologies and Munitions List",
  publisher: "Wassenaar Arrangement Secretariat",
  officialUrl: CONTROL_LISTS_URL,
  // The lists change once a year, after the December plenary (a corrected
  // edition may follow in January); the probe is one small conditional
  // request, so a daily look costs nothing and finds a new edition the day it is up.
  schedule: "41 6 * * *",
  expectations: {
    // The WA list holds some 250 dual-use entries with 2 000 or more
    // paragraphs and notes, and ML1–ML22 with theirs: fewer than 1 000 keys
    // is a list read in part, not a smaller list.
    minEntries: 1000,
    maxEntries: 20000,
    // A yearly edition amends, adds and deletes a few dozen entries; a fifth
    // of the keys gone at once is a reading failure (a layout change), not a plenary.
    maxRemovedShare: 0.2,
    requiredFields: ["key"],
  },
  parserVersion: PARSER_VERSION,
  // How national instruments cite the list (the title every edition carries).
  citedAs: [`Wassenaar Arrangement ${LIST_TITLE}`],
  parse: parseWaList,
  *parseSteps(input) {
    return yield* parseWaListSteps(input);
  },
  // The date the list carries on its title page: an older edition served again is stale.
  versionDate: (snapshot, artifact) => snapshot.meta.listDate ?? artifact.asOf ?? null,
  describe(snapshot, artifact) {
    const date = snapshot.meta.listDate ?? artifact.asOf ?? null;
    return {
      publishedAt: date,
      effectiveAt: date,
      citation: snapshot.meta.designation,
      url: artifact.url ?? CONTROL_LISTS_URL,
    };
  },
  async fetch(ctx) {
    // Cheap probe: the control-lists page, asked with the validators of the
    // last accepted run (kept in the cursor, so they move only when a run succeeds).
    const pageWas = stored(ctx.state.page);
    const page = await ctx.http.get(CONTROL_LISTS_URL, {
      conditional: false,
      headers: conditionalHeaders(pageWas, "text/html"),
    });
    if (page.notModified) return { artifacts: [], state: ctx.state };
    const [newest] = listLinks({ body: page.body, contentType: page.contentType, url: page.url });
    const pdfWas = typeof ctx.state.pdfUrl === "string" ? ctx.state.pdfUrl : null;
    // The same link as last time: the PDF is asked for with its validators (a re-upload
    // under the same name still arrives); a new link: asked for plainly.
    const moved = newest!.url !== pdfWas;
    const pdf = await ctx.http.get(newest!.url, {
      conditional: false,
      maxBytes: PDF_LIMITS.maxBytes,
      headers: conditionalHeaders(
        moved ? { etag: null, lastModified: null } : stored(ctx.state.pdf),
        "application/pdf",
      ),
    });
    const state = {
      page: validatorsOf(page),
      pdfUrl: newest!.url,
      pdf: pdf.notModified ? stored(ctx.state.pdf) : validatorsOf(pdf),
      ...(newest!.designation ? { designation: newest!.designation } : {}),
    };
    if (pdf.notModified) return { artifacts: [], state };
    if (moved && pdfWas)
      ctx.log.info({ from: pdfWas, to: newest!.url }, "wa.wassenaar.lists: a new list PDF is linked");
    return { artifacts: [{ response: pdf }], state };
  },
  // The page keeps earlier editions' PDFs linked [I]: those from `since`'s year on are read,
  // oldest first; each is dated by its cover when parsed. The newest step leaves the cursor a
  // `fetch` would.
  async *backfill(ctx, since) {
    const page = await ctx.http.get(CONTROL_LISTS_URL, {
      conditional: false,
      headers: { accept: "text/html" },
    });
    const from = Number(since.slice(0, 4));
    const links = listLinks({ body: page.body, contentType: page.contentType, url: page.url });
    const wanted = links.filter((l) => l.year !== null && l.year >= from).reverse();
    const undated = links.filter((l) => l.year === null).map((l) => l.url);
    if (undated.length)
      ctx.log.warn({ undated }, "wa.wassenaar.lists: linked PDFs without a year, not backfilled");
    let index = 0;
    for (const link of wanted) {
      const response = await ctx.http.get(link.url, {
        conditional: false,
        maxBytes: PDF_LIMITS.maxBytes,
        headers: { accept: "application/pdf" },
      });
      index++;
      const last = index === wanted.length;
      yield {
        artifact: { response },
        index,
        total: wanted.length,
        state: {
          ...(last ? { page: validatorsOf(page) } : {}),
          pdfUrl: link.url,
          pdf: validatorsOf(response),
          ...(link.designation ? { designation: link.designation } : {}),
        },
      };
    }
  },
});
