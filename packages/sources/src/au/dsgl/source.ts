import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse } from "@regwatch/core/http";
import { defineSource, type SourceContext, type SourceDefinition } from "../../define-source.ts";
import {
  documentUrl,
  FRL_WEB,
  FRL_WEB_CRAWL_DELAY_MS,
  type FrlTitle,
  type FrlVersion,
  latestTextPage,
  readDsglTitles,
  readVersions,
  titlesSearchUrl,
  versionInForce,
  versionsUrl,
} from "./frl-api.ts";
import { createPacer, type Pacer } from "./pacer.ts";
import { type DsglMeta, PARSER_VERSION, parseDsgl } from "./parse.ts";

/** DSGL 2024, in force from 2024-09-01 [C]: the list as this source was written. */
export const DSGL_2024 = "F2024L01024";

/**
 * Remade lists read per run when the newest is not in force yet: the one
 * registered ahead of its commencement, and the one still in force.
 */
const MAX_TITLES_PER_RUN = 3;
// Answers of the API are a few kilobytes; a body far larger is not one.
const API_MAX_BYTES = 2 * 1024 * 1024;

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const str = (v: unknown) => (typeof v === "string" ? v : null);

/**
 * Process-wide: every request this source makes to www.legislation.gov.au
 * waits its turn, ten seconds after the last one (robots.txt crawl-delay 10 s
 * [C]). A run makes at most one such request (the version's document, only
 * when the version moved); a backfill makes one per version and so waits ten
 * seconds between them. The API (api.prod.legislation.gov.au) is another host,
 * which the robots.txt of www does not cover; the HTTP client's own per-host
 * interval spaces those.
 */
const registerPacer = createPacer({ intervalMs: FRL_WEB_CRAWL_DELAY_MS });

interface CachedVersions {
  etag: string | null;
  versions: FrlVersion[];
}

/** The cursor, read tolerantly: an older or damaged cursor only costs unconditional requests. */
interface DsglState {
  titlesEtag: string | null;
  titles: FrlTitle[];
  versions: Record<string, CachedVersions>;
  /** The series (title) and version last handed to the pipeline. */
  titleId: string | null;
  registerId: string | null;
  start: string | null;
}

function readState(state: Record<string, unknown>): DsglState {
  const titles = Array.isArray(state.titles)
    ? state.titles.filter(
        (t): t is FrlTitle =>
          !!t && typeof t === "object" && typeof t.id === "string" && typeof t.name === "string",
      )
    : [];
  const versions: Record<string, CachedVersions> = {};
  if (state.versions && typeof state.versions === "object")
    for (const [id, cached] of Object.entries(state.versions as Record<string, unknown>)) {
      const c = cached as Partial<CachedVersions> | null;
      if (c && Array.isArray(c.versions)) versions[id] = { etag: str(c.etag), versions: c.versions };
    }
  return {
    // A validator is only worth sending with the answer it validates.
    titlesEtag: titles.length ? str(state.titlesEtag) : null,
    titles,
    versions,
    titleId: str(state.titleId),
    registerId: str(state.registerId),
    start: str(state.start),
  };
}

/** An API answer, asked with the ETag kept in the cursor (validator and cursor move together, as nl.bwb does). */
async function conditionalGet(http: HttpClient, url: string, etag: string | null): Promise<HttpResponse> {
  return http.get(url, {
    conditional: false,
    maxBytes: API_MAX_BYTES,
    headers: { accept: "application/json", ...(etag ? { "if-none-match": etag } : {}) },
  });
}

/** The version's document from www.legislation.gov.au, in its turn. */
async function getDocument(http: HttpClient, pacer: Pacer, version: FrlVersion, conditional: boolean) {
  const url = documentUrl(version);
  await pacer.turn(new URL(FRL_WEB).host);
  const response = await http.get(url, {
    conditional,
    acceptStatuses: [404],
    headers: { accept: "application/xhtml+xml, text/html;q=0.9" },
  });
  if (response.status === 404)
    // The Register lists a version before its rendition is up, now and then; or the address shape moved.
    throw new SourceUnavailableError(
      `${url}: 404 for ${version.registerId} (start ${version.start}); not rendered yet, or the Register's text addresses changed`,
    );
  return response;
}

/** The remade lists, newest first: from the search, or from the cursor when the search answers 304. */
async function titlesOf(ctx: SourceContext, state: DsglState) {
  const response = await conditionalGet(ctx.http, titlesSearchUrl(), state.titlesEtag);
  if (response.notModified) return { titles: state.titles, etag: state.titlesEtag };
  const titles = readDsglTitles(response.body);
  if (!titles.length)
    throw new SourceShapeChangedError(
      `the Register's title search finds no "Defence and Strategic Goods List"`,
    );
  return { titles, etag: response.headers.etag ?? null };
}

async function versionsOf(ctx: SourceContext, titleId: string, cached: CachedVersions | undefined) {
  const response = await conditionalGet(ctx.http, versionsUrl(titleId), cached?.etag ?? null);
  if (response.notModified && cached) return cached;
  return { etag: response.headers.etag ?? null, versions: readVersions(response.body, titleId) };
}

export interface DsglSourceOptions {
  /** Turns at www.legislation.gov.au; the process-wide pacer by default (tests pass a clock of their own). */
  pacer?: Pacer;
}

/**
 * The Defence and Strategic Goods List from the Federal Register of
 * Legislation. The DSGL is remade whole every 12 to 24 months [C], each time
 * as a new instrument (a new title, F2024L01024 for DSGL 2024), and amended
 * between remakes through compilations of that title: every version, of
 * either kind, is read whole and diffed against the last as a whole list.
 */
export function createAuFrlDsgl(options: DsglSourceOptions = {}): SourceDefinition<DsglMeta> {
  const pacer = options.pacer ?? registerPacer;
  return defineSource<DsglMeta>({
    id: "au.frl.dsgl",
    jurisdiction: "AU",
    kind: "list",
    title: "Defence and Strategic Goods List (Federal Register of Legislation)",
    publisher:
      "Office of Parliamentary Counsel, Federal Register of Legislation (for the Minister for Defence)",
    officialUrl: latestTextPage(DSGL_2024),
    // Instruments are registered on Canberra business days; 21:41 UTC is the next
    // morning there. Daily, so a list commencing on a weekend (DSGL 2024: Sunday
    // 1 September) is read that day; the probe is two small conditional API answers.
    schedule: "41 21 * * *",
    expectations: {
      // ML1–ML22 and ten dual-use categories in Wassenaar numbering: several
      // hundred entries and thousands of paragraphs. Far fewer means paragraphs
      // not read, or a Part lost, never a remade list.
      minEntries: 1500,
      maxEntries: 30000,
      // A remake renumbers and deletes more than an amendment does, but never a
      // third of the list; a lost category would.
      maxRemovedShare: 0.35,
      requiredFields: ["key"],
    },
    parserVersion: PARSER_VERSION,
    // How instruments (and people) name the list, whatever its year.
    citedAs: ["Defence and Strategic Goods List", "DSGL"],
    parse: parseDsgl,
    // The day the version is the law from: the start in its address, else the day fetch read for it.
    versionDate: (snapshot, artifact) =>
      snapshot.meta.start ??
      artifact.asOf ??
      snapshot.meta.compilationDate ??
      snapshot.meta.commencement ??
      null,
    describe(snapshot, artifact) {
      const { meta } = snapshot;
      // The register id: the list as made is its own; a compilation's when printed on it,
      // else the amending instrument it brings in, else the title and compilation number.
      const includes = /^[A-Z]\d{4}[A-Z]\d{5}$/.test(meta.includesAmendmentsUpTo ?? "")
        ? meta.includesAmendmentsUpTo
        : null;
      const citation =
        meta.registerId ??
        includes ??
        (meta.titleId && meta.compilationNumber
          ? `${meta.titleId}, Compilation No. ${meta.compilationNumber}`
          : null);
      return {
        publishedAt: meta.registeredAt,
        effectiveAt: meta.start ?? artifact.asOf ?? meta.compilationDate ?? meta.commencement ?? null,
        citation,
        url: artifact.url ?? (meta.titleId ? latestTextPage(meta.titleId) : null),
      };
    },
    async fetch(ctx) {
      // Cheap probe first: which remade lists exist (the title search), then the
      // versions of the newest, both conditional. The document only when the
      // version in force moved: one request to www.legislation.gov.au at most.
      const state = readState(ctx.state);
      const today = isoDay(ctx.now);
      const { titles, etag: titlesEtag } = await titlesOf(ctx, state);
      const read: Record<string, CachedVersions> = {};
      let current: FrlVersion | null = null;
      for (const title of titles.slice(0, MAX_TITLES_PER_RUN)) {
        read[title.id] = await versionsOf(ctx, title.id, state.versions[title.id]);
        current = versionInForce(read[title.id]!.versions, today);
        if (current) break;
        ctx.log.info({ titleId: title.id, name: title.name }, "au.frl.dsgl: registered, not in force yet");
      }
      if (!current)
        throw new SourceShapeChangedError(
          `no Defence and Strategic Goods List in force on ${today} among ${titles
            .slice(0, MAX_TITLES_PER_RUN)
            .map((t) => t.id)
            .join(", ")}`,
        );
      const probed = { titlesEtag, titles, versions: read };
      const seen = { titleId: state.titleId, registerId: state.registerId, start: state.start };
      if (current.registerId === seen.registerId && current.start === seen.start)
        return { artifacts: [], state: { ...probed, ...seen } };
      if (seen.titleId && seen.titleId !== current.titleId)
        ctx.log.info({ was: seen.titleId, now: current.titleId }, "au.frl.dsgl: the list was remade");
      const response = await getDocument(ctx.http, pacer, current, true);
      return {
        artifacts: response.notModified ? [] : [{ response, asOf: current.start }],
        state: { ...probed, titleId: current.titleId, registerId: current.registerId, start: current.start },
      };
    },
    async *backfill(ctx, since) {
      // Every version with a text of every remade list, oldest first: remakes and
      // compilations alike, each read whole, ten seconds apart.
      const today = isoDay(ctx.now);
      const { titles } = await titlesOf(ctx, readState({}));
      const versions: FrlVersion[] = [];
      for (const title of titles) versions.push(...(await versionsOf(ctx, title.id, undefined)).versions);
      const byStart = new Map<string, FrlVersion>();
      for (const v of versions
        .filter((v) => v.compilationNumber !== null && v.start >= since && v.start <= today)
        .sort((a, b) => (a.registeredAt ?? "").localeCompare(b.registeredAt ?? "")))
        byStart.set(v.start, v);
      const wanted = [...byStart.values()].sort((a, b) => a.start.localeCompare(b.start));
      let index = 0;
      for (const version of wanted) {
        const response = await getDocument(ctx.http, pacer, version, false);
        yield {
          artifact: { response, asOf: version.start },
          index: ++index,
          total: wanted.length,
          state: { titleId: version.titleId, registerId: version.registerId, start: version.start },
        };
      }
    },
  });
}

export const auFrlDsgl = createAuFrlDsgl();
