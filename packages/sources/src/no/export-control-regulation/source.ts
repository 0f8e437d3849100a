import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpResponse } from "@regwatch/core/http";
import { sha256Hex } from "@regwatch/core/text";
import { defineSource } from "../../define-source.ts";
import { runStepsAsync } from "../../steps.ts";
import type { PublicDataFile } from "../lovdata/public-data.ts";
// The same probe as no.lovdata.export-control, with this source's own validators: neither's run hides a change from the other.
import { publicDataFileUrl, readList } from "../lovdata/source.ts";
import { CURRENT_REGULATIONS_ARCHIVE, regulationFromArchiveSteps } from "./archive.ts";
import {
  citationsByDate,
  PARSER_VERSION,
  parseExportControlRegulation,
  REGULATION_URL,
  type RegulationMeta,
} from "./parse.ts";

/**
 * The most a download of the archive may be. It was some 20 MB of bzip2 in
 * 2025-26 [I: third-party notes]; 48 MiB leaves room for it to double, under
 * the client's 64 MiB default, and well short of what a decoder blocking the
 * process for over a minute would mean (pure-JS bzip2 runs at some 22 MB/s
 * of output here, so today's archive takes some ten seconds to read).
 */
export const ARCHIVE_MAX_BYTES = 48 * 1024 * 1024;

/** Where the archive is served [I: Lovdata's public-data API, as no.lovdata.export-control uses it]. */
export const currentRegulationsUrl = () => publicDataFileUrl(CURRENT_REGULATIONS_ARCHIVE);

/** The cursor (`ctx.state`). */
export interface RegulationState extends Record<string, unknown> {
  /** The list's validators: the list is a probe, never an archived artifact, so the HTTP client keeps none. */
  list: { etag: string | null; lastModified: string | null };
  /**
   * What the list said of the archive when it was last taken, and the
   * archive's own ETag (kept here: the artifact is its member, under the
   * member's address, so the HTTP client's store never holds the archive's).
   */
  archive: { lastModified: string; size: number | null; etag?: string } | null;
}

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

/** The cursor as stored, tolerant of a first run (`{}`) or an older shape. */
export function readState(state: Record<string, unknown>): RegulationState {
  const list = (state.list ?? {}) as Record<string, unknown>;
  const archive = (state.archive ?? null) as Record<string, unknown> | null;
  const lastModified = str(archive?.lastModified);
  return {
    list: { etag: str(list.etag), lastModified: str(list.lastModified) },
    archive: lastModified
      ? {
          lastModified,
          size: typeof archive?.size === "number" ? archive.size : null,
          ...(str(archive?.etag) ? { etag: str(archive?.etag)! } : {}),
        }
      : null,
  };
}

/** The archive as the list describes it; a list without it, or without its time, is a changed source. */
function currentRegulations(files: readonly PublicDataFile[]): PublicDataFile {
  const file = files.find((f) => f.filename === CURRENT_REGULATIONS_ARCHIVE);
  if (!file)
    throw new SourceShapeChangedError(
      `Lovdata public-data list has no ${CURRENT_REGULATIONS_ARCHIVE} (files: ${files.map((f) => f.filename).join(", ")})`,
    );
  if (!file.lastModified)
    throw new SourceShapeChangedError(
      `Lovdata public-data list gives ${CURRENT_REGULATIONS_ARCHIVE} no readable modification time`,
    );
  return file;
}

export const noLovdataExportControlRegulation = defineSource<RegulationMeta>({
  id: "no.lovdata.export-control-regulation",
  jurisdiction: "NO",
  kind: "list",
  title: "Eksportkontrollforskriften (FOR-2013-06-19-718), consolidated, with its annexes (Lists I-III)",
  publisher: "Lovdata (public data, NLOD 2.0)",
  officialUrl: REGULATION_URL,
  // The public-data files are rebuilt nightly (list times 01:31Z-02:32Z [I]).
  // Half an hour after no.lovdata.export-control (04:20, 14:20), so that the
  // Lovtidend amendment is stored before the list change it explains; the
  // afternoon run catches a late rebuild. The probe is one small conditional
  // request; the archive is fetched only when the list says it moved.
  schedule: "50 4,14 * * *",
  expectations: {
    // 28 provisions in 7 chapters and 3 annexes, and some 100 ledd, letters
    // and definitions: fewer than 40 entries is a body read wrong, not a repeal.
    minEntries: 40,
    // Lists I and II are PDFs; were List III written out in full, a few
    // hundred items. Thousands would mean a list read as something else.
    maxEntries: 3000,
    // Amendments replace a provision or an annex at a time. A List III written
    // out in items and then replaced by a PDF again would remove its items
    // (about a third of the entries): quarantined for a person to accept.
    maxRemovedShare: 0.3,
    requiredFields: ["key"],
  },
  parserVersion: PARSER_VERSION,
  // How the amendments in Norsk Lovtidend cite it: no.lovdata.export-control
  // puts this in `cfrReferences` of every amendment of the regulation.
  citedAs: ["FOR-2013-06-19-718"],
  parse: parseExportControlRegulation,
  // "Ikrafttredelse av siste endring": an archive holding an older text (a
  // lagging mirror) is archived, never diffed.
  versionDate: (snapshot) => snapshot.meta.versionDate,
  describe(snapshot) {
    const { meta } = snapshot;
    return {
      publishedAt: null,
      effectiveAt: meta.versionDate,
      // Null: the pipeline links the Lovtidend amendment in force that day
      // that cites the regulation. Entries changed by an earlier amendment (a
      // run that missed a night) carry its date, and take its citation here.
      citation: null,
      citationsByDate: citationsByDate(meta.amendments),
      url: REGULATION_URL,
    };
  },
  async fetch(ctx) {
    const state = readState(ctx.state);
    const list = await readList(ctx, state.list);
    if (!list) {
      ctx.log.debug({ sourceId: "no.lovdata.export-control-regulation" }, "public-data list not modified");
      return { artifacts: [], state: ctx.state };
    }
    const file = currentRegulations(list.files);
    const next: RegulationState = { list: list.validators, archive: state.archive };
    const cursor = state.archive;
    const moved =
      !cursor ||
      cursor.lastModified !== file.lastModified ||
      (file.size !== null && cursor.size !== null && cursor.size !== file.size);
    if (!moved) return { artifacts: [], state: next };
    // Conditional too: a list time that moved over the same bytes costs a 304.
    const response = await ctx.http.get(currentRegulationsUrl(), {
      maxBytes: ARCHIVE_MAX_BYTES,
      conditional: false,
      headers: cursor?.etag ? { "if-none-match": cursor.etag } : {},
    });
    if (!response.notModified && file.size !== null && response.body.byteLength !== file.size)
      ctx.log.warn(
        { file: file.filename, listed: file.size, received: response.body.byteLength },
        "no.lovdata: archive size differs from the list's (rebuilt in between?)",
      );
    const etag = response.notModified ? cursor?.etag : response.headers.etag;
    next.archive = { lastModified: file.lastModified, size: file.size, ...(etag ? { etag } : {}) };
    if (response.notModified) return { artifacts: [], state: next };
    // The archive of every regulation is rebuilt nightly (~20 MB): archiving it
    // each time would keep gigabytes a year for one regulation. The artifact is
    // the regulation's own member, byte for byte as the archive holds it, under
    // the archive's address and its member path; unchanged, it is the same
    // content-addressed document as the night before.
    // Some ten seconds of decompression: read in slices, so the service answers in between.
    const { xml, summary } = await runStepsAsync(
      regulationFromArchiveSteps(response.body, CURRENT_REGULATIONS_ARCHIVE),
    );
    ctx.log.info(
      { sourceId: "no.lovdata.export-control-regulation", ...summary },
      "no.lovdata: regulation read out of the archive",
    );
    const member: HttpResponse = {
      ...response,
      url: `${response.url}#${summary.member}`,
      contentType: "application/xml; charset=utf-8",
      body: xml,
      sha256: sha256Hex(xml),
    };
    return { artifacts: [{ response: member }], state: next };
  },
  // No backfill: Lovdata's public data holds only the current consolidated
  // text; earlier versions are not published in bulk.
});
