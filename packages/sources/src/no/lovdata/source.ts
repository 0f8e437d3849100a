import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpResponse } from "@regwatch/core/http";
import { sha256Hex } from "@regwatch/core/text";
import {
  defineSource,
  describedByDocuments,
  type FetchedArtifact,
  type SourceContext,
} from "../../define-source.ts";
import { runStepsAsync } from "../../steps.ts";
import {
  exportControlMembersSteps,
  LOVDATA_ORIGIN,
  PARSER_VERSION,
  parseLovdata,
  parseLovdataSteps,
} from "./parse.ts";
import {
  bundleHolding,
  type PublicDataFile,
  parsePublicDataList,
  yearlyArchive,
  yearlyArchiveName,
} from "./public-data.ts";

/**
 * Lovdata's public data (NLOD 2.0, no key) [C: SOURCES.md names the bulk
 * archives; the paths are I]: `GET {API}/v1/publicData/list` lists the bulk
 * files with their size and modification time (shape in public-data.ts);
 * `GET {API}/v1/publicData/get/{filename}` serves one. Norsk Lovtidend avd. I
 * comes only this way, as `lovtidend-avd1-{year}.tar.bz2`, one LTI XML file
 * per document (`lti/{year}/sf-YYYYMMDD-NNNN.xml` regulations, `nl-…` laws);
 * no per-document XML without an API key, as far as found [I].
 */
export const LOVDATA_API_ORIGIN = "https://api.lovdata.no";

export const publicDataListUrl = () => `${LOVDATA_API_ORIGIN}/v1/publicData/list`;
export const publicDataFileUrl = (filename: string) =>
  `${LOVDATA_API_ORIGIN}/v1/publicData/get/${encodeURIComponent(filename)}`;
export const lovtidendArchiveUrl = (year: number) => publicDataFileUrl(yearlyArchiveName(year));

/** What a run remembers of an archive it took: the list's facts about it when it was fetched. */
interface ArchiveCursor {
  lastModified: string;
  size: number | null;
  /**
   * The archive's own validators, kept here: the artifacts are its members,
   * under their own addresses, so the HTTP client's store never holds the archive's.
   */
  etag?: string;
}

/** The source's cursor (`ctx.state`). */
export interface LovdataState extends Record<string, unknown> {
  /** Validators of the list, kept here because the list is a probe, never an archived artifact. */
  list: { etag: string | null; lastModified: string | null };
  /** Archives taken, by file name: this year's and, through January, last year's. */
  archives: Record<string, ArchiveCursor>;
  /** When the list was last read whole: a file modified after it moved since the last run. */
  checkedAt: string | null;
  /** The export-control members archived, by member path, with their SHA-256: each is taken once, again only when it changes. */
  members: Record<string, string>;
}

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

/** The cursor as stored, tolerant of an empty or older state (`{}` on a first run). */
export function readState(state: Record<string, unknown>): LovdataState {
  const list = (state.list ?? {}) as Record<string, unknown>;
  const archives: Record<string, ArchiveCursor> = {};
  for (const [name, raw] of Object.entries((state.archives ?? {}) as Record<string, unknown>)) {
    const c = (raw ?? {}) as Record<string, unknown>;
    const lastModified = str(c.lastModified);
    if (lastModified)
      archives[name] = {
        lastModified,
        size: typeof c.size === "number" ? c.size : null,
        ...(str(c.etag) ? { etag: str(c.etag)! } : {}),
      };
  }
  const members: Record<string, string> = {};
  for (const [name, sha] of Object.entries((state.members ?? {}) as Record<string, unknown>))
    if (typeof sha === "string") members[name] = sha;
  return {
    list: { etag: str(list.etag), lastModified: str(list.lastModified) },
    archives,
    checkedAt: str(state.checkedAt),
    members,
  };
}

/**
 * The archive's export-control amendments as artifacts: each member byte for
 * byte, under the archive's address and its path in it, and only those not
 * taken before with the same bytes. The yearly archive itself (megabytes,
 * rebuilt nightly) is not kept: a night that adds nothing archives nothing.
 */
async function memberArtifacts(
  response: HttpResponse,
  file: string,
  taken: Record<string, string>,
): Promise<{ artifacts: FetchedArtifact[]; taken: Record<string, string> }> {
  // Seconds of decompression: read in slices, so the service answers in between.
  const { members } = await runStepsAsync(exportControlMembersSteps(response.body, file));
  const artifacts: FetchedArtifact[] = [];
  const next = { ...taken };
  for (const member of members) {
    const sha256 = sha256Hex(member.content);
    if (next[member.name] === sha256) continue;
    next[member.name] = sha256;
    artifacts.push({
      response: {
        ...response,
        url: `${response.url}#${member.name}`,
        contentType: "application/xml; charset=utf-8",
        body: member.content,
        sha256,
      },
    });
  }
  return { artifacts, taken: next };
}

/** Only this year's and last year's members are ever looked at again. */
function recentMembers(members: Record<string, string>, year: number): Record<string, string> {
  return Object.fromEntries(
    Object.entries(members).filter(
      ([name]) => name.startsWith(`lti/${year}/`) || name.startsWith(`lti/${year - 1}/`),
    ),
  );
}

/** Whether the list shows a file other than the one taken last. */
const moved = (file: PublicDataFile, cursor: ArchiveCursor | undefined) =>
  !cursor || cursor.lastModified !== file.lastModified || (file.size !== null && cursor.size !== file.size);

/**
 * The list, asked with the validators of the last run (the HTTP client only
 * remembers them for archived artifacts, which the list never is): null on
 * 304, when nothing Lovdata publishes has moved.
 */
export async function readList(
  ctx: SourceContext,
  validators: { etag: string | null; lastModified: string | null } | null,
) {
  const headers: Record<string, string> = { accept: "application/json" };
  if (validators?.etag) headers["if-none-match"] = validators.etag;
  if (validators?.lastModified) headers["if-modified-since"] = validators.lastModified;
  const response = await ctx.http.get(publicDataListUrl(), { conditional: false, headers });
  if (response.notModified) return null;
  return {
    files: parsePublicDataList(response.body),
    validators: {
      etag: response.headers.etag ?? null,
      lastModified: response.headers["last-modified"] ?? null,
    },
  };
}

/** One archive, conditionally unless told otherwise. A size other than the list's is logged: the nightly rebuild may have run in between. */
async function download(
  ctx: SourceContext,
  file: PublicDataFile,
  cursor: ArchiveCursor | undefined,
): Promise<HttpResponse> {
  // Conditional on the archive's ETag from the cursor: a list time that moved over the same bytes costs a 304.
  const headers: Record<string, string> = cursor?.etag ? { "if-none-match": cursor.etag } : {};
  const response = await ctx.http.get(publicDataFileUrl(file.filename), { conditional: false, headers });
  if (!response.notModified && file.size !== null && response.body.byteLength !== file.size)
    ctx.log.warn(
      { file: file.filename, listed: file.size, received: response.body.byteLength },
      "no.lovdata: archive size differs from the list's",
    );
  return response;
}

export const noLovdataExportControl = defineSource({
  id: "no.lovdata.export-control",
  jurisdiction: "NO",
  kind: "documents",
  title: "Norsk Lovtidend: amendments to the export-control regulation (FOR-2013-06-19-718)",
  publisher: "Lovdata (public data, NLOD 2.0)",
  officialUrl: `${LOVDATA_ORIGIN}/dokument/SF/forskrift/2013-06-19-718`,
  // The public-data files are rebuilt nightly (list times 01:31Z-02:32Z [I]);
  // an amendment announced in the afternoon is in the next night's archive.
  // The second run catches a late rebuild; the list probe is cheap and conditional.
  schedule: "20 4,14 * * *",
  expectations: {
    // A body is one year's archive: most of Lovtidend amends other regulations,
    // and early in a year none may amend this one yet.
    minEntries: 0,
    // 2025 had three amendments by late October. Thirty in one year would be
    // unheard of; a filter gone wrong keeps some 1,100 regulations a year.
    maxEntries: 30,
    // Documents are never removed by absence (a new year's archive starts empty).
    maxRemovedShare: 1,
    requiredFields: ["id", "title", "citation", "publishedAt"],
  },
  parserVersion: PARSER_VERSION,
  // Lovtidend publishes within days of adoption; older than a month is history.
  alertWindowDays: 30,
  parse: parseLovdata,
  parseSteps: parseLovdataSteps,
  // Each document carries its own dates, citation (FOR-…) and Lovdata address;
  // the archive they came in is only the envelope.
  describe: describedByDocuments,
  async fetch(ctx) {
    const state = readState(ctx.state);
    const year = ctx.now.getUTCFullYear();
    const january = ctx.now.getUTCMonth() === 0;
    const list = await readList(ctx, state.list);
    if (!list) {
      ctx.log.debug({ sourceId: "no.lovdata.export-control" }, "no.lovdata: public-data list not modified");
      return { artifacts: [], state: ctx.state };
    }
    const wanted: PublicDataFile[] = [];
    // Amendments announced in the last days of December reach last year's
    // archive after the year has turned: through January, it is checked too,
    // while Lovdata still lists it on its own.
    if (january) {
      const last = yearlyArchive(list.files, year - 1);
      const cursor = state.archives[yearlyArchiveName(year - 1)];
      if (last && (cursor ? moved(last, cursor) : !state.checkedAt || last.lastModified > state.checkedAt))
        wanted.push(last);
      else if (!last && cursor)
        ctx.log.info(
          {
            file: yearlyArchiveName(year - 1),
            bundle: bundleHolding(list.files, year - 1)?.filename ?? null,
          },
          "no.lovdata: last year's archive is no longer listed on its own",
        );
    }
    const current = yearlyArchive(list.files, year);
    if (current) {
      if (moved(current, state.archives[current.filename])) wanted.push(current);
    } else if (january) {
      // The new year's file appears with its first documents.
      ctx.log.info({ file: yearlyArchiveName(year) }, "no.lovdata: no archive for this year yet");
    } else {
      throw new SourceShapeChangedError(
        `Lovdata public-data list has no ${yearlyArchiveName(year)} after January (files: ${list.files
          .map((f) => f.filename)
          .join(", ")})`,
      );
    }
    const artifacts: FetchedArtifact[] = [];
    const archives: Record<string, ArchiveCursor> = {};
    // Only this year's and last year's cursors are ever looked at again.
    for (const name of [yearlyArchiveName(year - 1), yearlyArchiveName(year)])
      if (state.archives[name]) archives[name] = state.archives[name];
    let members = recentMembers(state.members, year);
    for (const file of wanted) {
      const response = await download(ctx, file, state.archives[file.filename]);
      // 304: the list's time moved but the bytes did not; the cursor moves all the same.
      if (!response.notModified) {
        const read = await memberArtifacts(response, file.filename, members);
        artifacts.push(...read.artifacts);
        members = read.taken;
      }
      const etag = response.notModified ? state.archives[file.filename]?.etag : response.headers.etag;
      archives[file.filename] = {
        lastModified: file.lastModified,
        size: file.size,
        ...(etag ? { etag } : {}),
      };
    }
    const next: LovdataState = {
      list: list.validators,
      archives,
      checkedAt: ctx.now.toISOString(),
      members,
    };
    return { artifacts, state: next };
  },
  async *backfill(ctx, since) {
    const from = /^\d{4}/.test(since) ? Number(since.slice(0, 4)) : Number.NaN;
    if (Number.isNaN(from)) throw new Error(`no.lovdata: backfill needs a date, got "${since}"`);
    const to = ctx.now.getUTCFullYear();
    const list = await readList(ctx, null);
    if (!list) throw new SourceShapeChangedError("Lovdata public-data list answered 304 to a plain request");
    const found: PublicDataFile[] = [];
    const onlyInBundle: number[] = [];
    for (let year = from; year <= to; year++) {
      const file = yearlyArchive(list.files, year);
      if (file) found.push(file);
      else if (year < to) onlyInBundle.push(year);
    }
    if (onlyInBundle.length) {
      // Past years come only inside one multi-year archive (69 MB of bzip2 for
      // 2001-2025 [I], some 750 MB unpacked at 2025's ratio): past the HTTP
      // client's 64 MiB default and the archive caps, and minutes of blocking decoding.
      const bundle = bundleHolding(list.files, onlyInBundle[0]!);
      ctx.log.warn(
        { years: onlyInBundle, bundle: bundle?.filename ?? null, size: bundle?.size ?? null },
        "no.lovdata: these years are only in Lovdata's multi-year archive, which backfill does not read",
      );
    }
    const state = readState(ctx.state);
    const archives = { ...state.archives };
    let members = { ...state.members };
    let index = 0;
    for (const file of found) {
      const response = await download(ctx, file, undefined);
      archives[file.filename] = { lastModified: file.lastModified, size: file.size };
      // History wants every amendment, even one already archived.
      const read = await memberArtifacts(response, file.filename, {});
      members = { ...members, ...read.taken };
      for (const artifact of read.artifacts) {
        yield {
          artifact,
          index: ++index,
          total: index,
          // No list validators: the next run reads the list whole and compares each file.
          state: {
            list: { etag: null, lastModified: null },
            archives: { ...archives },
            checkedAt: ctx.now.toISOString(),
            members: { ...members },
          } satisfies LovdataState,
        };
      }
    }
  },
});
