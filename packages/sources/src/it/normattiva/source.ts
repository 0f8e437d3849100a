import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpClient, HttpRequestOptions, HttpResponse, Logger } from "@regwatch/core/http";
import {
  type BackfillStep,
  defineSource,
  describedByDocuments,
  type FetchedArtifact,
} from "../../define-source.ts";
import { type ActRef, htmlErrorPage, parseActRef, readNormattivaAkn } from "./akn.ts";
import {
  aknExportUrl,
  FOLLOWED_ACTS,
  hitIs,
  type NormattivaMeta,
  PARSER_VERSION,
  parseNormattiva,
  parseSearchAnswer,
  permalink,
  type SearchAnswer,
} from "./parse.ts";

/**
 * Normattiva's open-data API, no key [C: the OpenAPI description
 * `DOC-normattiva-opendata-bff-openapi-v1.json` in shared/samples/it, server
 * and paths]. Its searches are POST with a JSON body:
 * - `POST {API}/api/v1/ricerca/aggiornati` `{dataInizioAggiornamento,
 *   dataFineAggiornamento}` (date-time): acts updated between two instants,
 *   the cheap probe;
 * - `POST {API}/api/v1/ricerca/avanzata` `{dataInizioEmanazione,
 *   dataFineEmanazione, paginazione}`: acts of one date, to find an act's
 *   Gazzetta code and date. The date format of these fields and the first
 *   page's number (0) are [I] (the schema says "string", "int32").
 * The API gives Akoma Ntoso only inside ZIP collections (asynchronous, confirmed
 * by e-mail), so one act's export is read from the site:
 * `GET https://www.normattiva.it/do/atto/caricaAKN?dataGU=&codiceRedaz=&dataVigenza=`
 * [I: not in the API description; the address third-party tools use]. When it
 * fails it answers its HTML error page with 200 (a sample is in shared/samples/it).
 */
export const NORMATTIVA_API = "https://api.normattiva.it/t/normattiva.api/bff-opendata/v1";
export const UPDATED_SEARCH_URL = `${NORMATTIVA_API}/api/v1/ricerca/aggiornati`;
export const ADVANCED_SEARCH_URL = `${NORMATTIVA_API}/api/v1/ricerca/avanzata`;

/** Acts read per run at most (a first run, or a burst of amendments): the rest wait in the cursor. */
export const MAX_ACTS_PER_RUN = 10;

/**
 * The shared HttpClient speaks GET only; the open-data API searches by POST.
 * This source asks for a client with `post` (a JSON body, never conditional):
 * the proposed addition to `@regwatch/core/http`.
 */
export interface PostingHttpClient extends HttpClient {
  post(url: string, body: string, options?: HttpRequestOptions): Promise<HttpResponse>;
}

function posting(http: HttpClient): PostingHttpClient {
  if (typeof (http as Partial<PostingHttpClient>).post !== "function")
    throw new Error(
      "it.normattiva.export-control: the Normattiva open-data API searches by POST, and this HttpClient has no post()",
    );
  return http as PostingHttpClient;
}

async function search(http: PostingHttpClient, url: string, body: unknown): Promise<SearchAnswer> {
  const response = await http.post(url, JSON.stringify(body), {
    conditional: false,
    headers: { "content-type": "application/json", accept: "application/json" },
  });
  return parseSearchAnswer({ body: response.body, contentType: response.contentType, url });
}

/** Where an act's export is: its Gazzetta code and date. */
export interface ActLocation {
  guCode: string;
  guDate: string;
}

/** An act's Gazzetta code and date, by searching the acts of its date (null: the API does not know it yet). */
export async function locateAct(http: PostingHttpClient, act: ActRef): Promise<ActLocation | null> {
  const answer = await search(http, ADVANCED_SEARCH_URL, {
    dataInizioEmanazione: act.date,
    dataFineEmanazione: act.date,
    paginazione: { paginaCorrente: 0, numeroElementiPerPagina: 100 },
  });
  const hit = answer.hits.find((h) => hitIs(h, act));
  return hit ? { guCode: hit.guCode, guDate: hit.guDate } : null;
}

/** One act's Akoma Ntoso export, in force on `day`; Normattiva's HTML error page is a failed request, not a document. */
export async function fetchAkn(http: HttpClient, where: ActLocation, day: string): Promise<HttpResponse> {
  // The address names the day, so there is nothing to validate against: never conditional.
  const response = await http.get(aknExportUrl(where.guDate, where.guCode, day), {
    conditional: false,
    headers: { accept: "application/xml" },
  });
  const page = htmlErrorPage(Buffer.from(response.body.subarray(0, 65_536)).toString("latin1"));
  if (page !== null)
    // Normattiva serves "Errore nel caricamento delle informazioni" on passing failures: try again later.
    throw new SourceUnavailableError(
      `${response.url}: Normattiva answered an HTML page (${page || "no title"}) instead of Akoma Ntoso`,
    );
  return response;
}

interface Cursor {
  /** The instant up to which `ricerca/aggiornati` has been asked. */
  probedThrough: string | null;
  /** Gazzetta code and date of the followed acts, by URN, once found. */
  located: Record<string, ActLocation>;
  /** URNs of amending acts already read. */
  read: string[];
  /** URNs of amending acts still to read (more than one run's worth). */
  pending: string[];
}

function cursorOf(state: Record<string, unknown>): Cursor {
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
  const located: Record<string, ActLocation> = {};
  if (state.located && typeof state.located === "object")
    for (const [urn, v] of Object.entries(state.located as Record<string, unknown>)) {
      const l = v as Partial<ActLocation> | null;
      if (typeof l?.guCode === "string" && typeof l.guDate === "string")
        located[urn] = { guCode: l.guCode, guDate: l.guDate };
    }
  return {
    probedThrough: typeof state.probedThrough === "string" ? state.probedThrough : null,
    located,
    read: strings(state.read),
    pending: strings(state.pending),
  };
}

const followedRefs = () => FOLLOWED_ACTS.map((f) => parseActRef(f.urn)!);

/** The followed acts in force on `day`, each with the acts that amended it (in lifecycle order). */
async function readFollowed(http: PostingHttpClient, cursor: Cursor, day: string, log: Logger) {
  const artifacts: FetchedArtifact[] = [];
  const amenders: ActRef[] = [];
  for (const ref of followedRefs()) {
    const where = cursor.located[ref.urn] ?? (await locateAct(http, ref));
    if (!where)
      throw new SourceShapeChangedError(`${ref.citation}: the open-data API does not find it (${ref.urn})`);
    cursor.located[ref.urn] = where;
    const response = await fetchAkn(http, where, day);
    artifacts.push({ response });
    const act = readNormattivaAkn({
      body: response.body,
      contentType: response.contentType,
      url: response.url,
    });
    if (act.urn !== ref.urn)
      throw new SourceShapeChangedError(`${response.url}: the export is ${act.urn}, expected ${ref.urn}`);
    // Only acts of the State have a Gazzetta code; circulars named in the lifecycle are not exported.
    for (const a of act.amendedBy)
      if (a.authority === "stato") amenders.push(a);
      else log.debug({ urn: a.urn }, "it.normattiva: amended by an act without a Gazzetta code; not read");
  }
  return { artifacts, amenders };
}

export const itNormattivaExportControl = defineSource<NormattivaMeta>({
  id: "it.normattiva.export-control",
  jurisdiction: "IT",
  kind: "documents",
  title:
    "Normattiva: D.Lgs. 221/2017 (dual-use export authorisations, embargo sanctions) and the acts amending it",
  publisher: "Normattiva (Presidenza del Consiglio dei Ministri, Istituto Poligrafico e Zecca dello Stato)",
  officialUrl: permalink(FOLLOWED_ACTS[0]!.urn),
  // The Gazzetta Ufficiale comes out Monday to Saturday; Normattiva consolidates within days.
  schedule: "40 6 * * 1-6",
  expectations: {
    // One export is one act; most amending acts named in a lifecycle were read on earlier runs.
    minEntries: 0,
    maxEntries: 1,
    maxRemovedShare: 1,
    // Every Normattiva export carries its URN, title and Gazzetta date.
    requiredFields: ["id", "title", "citation", "publishedAt"],
  },
  parserVersion: PARSER_VERSION,
  // An amending act is worth an alert for two months after its Gazzetta date.
  alertWindowDays: 60,
  parse: parseNormattiva,
  describe: describedByDocuments,
  async fetch(ctx) {
    const http = posting(ctx.http);
    const cursor = cursorOf(ctx.state);
    const now = ctx.now.toISOString();
    const today = now.slice(0, 10);
    // Cheap probe first: did Normattiva update a followed act since the last run? An amendment
    // always updates the act it amends, so nothing updated means nothing new to read.
    if (cursor.probedThrough && cursor.pending.length === 0) {
      const updated = await search(http, UPDATED_SEARCH_URL, {
        dataInizioAggiornamento: cursor.probedThrough,
        dataFineAggiornamento: now,
      });
      const touched = followedRefs().some((ref) =>
        updated.hits.some((h) => hitIs(h, ref) || h.guCode === cursor.located[ref.urn]?.guCode),
      );
      if (!touched) return { artifacts: [], state: { ...cursor, probedThrough: now } };
    }
    const { artifacts, amenders } = await readFollowed(http, cursor, today, ctx.log);
    const known = new Set([...cursor.read, ...cursor.pending]);
    const pending = [...cursor.pending, ...amenders.map((a) => a.urn).filter((u) => !known.has(u))];
    const batch = pending.splice(0, MAX_ACTS_PER_RUN);
    const read = [...cursor.read];
    for (const urn of batch) {
      const ref = parseActRef(urn)!;
      const where = await locateAct(http, ref);
      read.push(urn);
      if (!where) {
        ctx.log.warn({ urn }, "it.normattiva: an amending act the open-data API does not find; not read");
        continue;
      }
      artifacts.push({ response: await fetchAkn(http, where, today) });
    }
    return { artifacts, state: { probedThrough: now, located: cursor.located, read, pending } };
  },
  async *backfill(ctx, since): AsyncGenerator<BackfillStep> {
    // Normattiva keeps every act: the followed acts as in force today, then every act that amended
    // them on or after `since`, oldest first.
    const http = posting(ctx.http);
    const cursor = cursorOf(ctx.state);
    const today = ctx.now.toISOString().slice(0, 10);
    const { artifacts, amenders } = await readFollowed(http, cursor, today, ctx.log);
    const wanted = [...new Map(amenders.filter((a) => a.date >= since).map((a) => [a.urn, a])).values()].sort(
      (a, b) => a.date.localeCompare(b.date),
    );
    const total = artifacts.length + wanted.length;
    let index = 0;
    for (const artifact of artifacts) yield { artifact, index: ++index, total };
    const read = [...cursor.read];
    for (const ref of wanted) {
      const where = await locateAct(http, ref);
      read.push(ref.urn);
      if (!where) {
        ctx.log.warn(
          { urn: ref.urn },
          "it.normattiva: an amending act the open-data API does not find; not read",
        );
        continue;
      }
      const response = await fetchAkn(http, where, today);
      yield {
        artifact: { response, asOf: ref.date },
        index: ++index,
        total,
        state: { ...cursor, read: [...new Set(read)] },
      };
    }
  },
});
