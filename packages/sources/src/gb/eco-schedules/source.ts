import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient } from "@regwatch/core/http";
import { defineSource } from "../../define-source.ts";
import { runSteps } from "../../steps.ts";
import {
  ECO_CITED_AS,
  ECO_ID_URI,
  ECO_ITEM,
  LEGISLATION_ORIGIN,
  readMetadata,
  readXmlSteps,
} from "./clml.ts";
import { type EcoMeta, PARSER_VERSION, parseEcoSchedulesSteps } from "./parse.ts";

/**
 * legislation.gov.uk, no key [C, SOURCES.md for the item's `data.xml`, the
 * `/contents` and point-in-time forms]:
 * - the table of contents `/uksi/2008/3231/contents/data.xml` [I: the form of
 *   the sample `uksi/2019/419/contents/2020-12-31/data.xml`]: a small body
 *   whose `ukm:Metadata` says when the item last moved (`dc:modified`), the
 *   point in time it shows (`dct:valid`) and its dated versions: the probe;
 * - all schedules at once, `/uksi/2008/3231/schedules/data.xml`, or at a
 *   point in time `/schedules/{YYYY-MM-DD}/data.xml` [I: SOURCES.md has
 *   `/schedule/3/{date}` as [I]; the `/schedules/{date}` page exists on the
 *   site]: one body holding Schedules 2 and 3, so that one snapshot is the
 *   whole list (two bodies would be diffed against each other).
 */
export const contentsUrl = () => `${LEGISLATION_ORIGIN}/${ECO_ITEM}/contents/data.xml`;
export const schedulesUrl = (date?: string) =>
  `${LEGISLATION_ORIGIN}/${ECO_ITEM}/schedules${date ? `/${date}` : ""}/data.xml`;
/** The page a person reads: the schedules as they stood on the version date. */
export const schedulesPage = (date: string | null) =>
  `${LEGISLATION_ORIGIN}/${ECO_ITEM}/schedules${date ? `/${date}` : ""}`;

/**
 * The probe, asked with the ETag kept in the source's own cursor (validator
 * and cursor move together, only when a run succeeds, as nl.bwb does).
 */
async function probe(http: HttpClient, etag: string | null) {
  const response = await http.get(contentsUrl(), {
    conditional: false,
    headers: etag ? { "if-none-match": etag } : {},
  });
  if (response.notModified) return { etag, metadata: null };
  const root = runSteps(
    readXmlSteps(
      { body: response.body, contentType: response.contentType, url: response.url },
      "ECO contents",
    ),
  );
  const metadata = readMetadata(root);
  if (metadata.idUri !== ECO_ID_URI)
    throw new SourceShapeChangedError(
      `${response.url}: contents of ${metadata.idUri ?? "no item"}, expected ${ECO_ID_URI}`,
    );
  return { etag: response.headers.etag ?? null, metadata };
}

const str = (v: unknown) => (typeof v === "string" ? v : null);

function checked<S extends { meta: EcoMeta }>(snapshot: S): S {
  if (!snapshot.meta.eco)
    throw new SourceShapeChangedError(
      `expected the Export Control Order 2008 (${ECO_ID_URI}), found ${snapshot.meta.idUri ?? "no IdURI"}`,
    );
  if (snapshot.meta.missingSchedules.length)
    throw new SourceShapeChangedError(
      `the body lacks Schedule ${snapshot.meta.missingSchedules.join(" and ")}: it is not the Order's schedules`,
    );
  return snapshot;
}

export const gbEcoSchedules = defineSource<EcoMeta>({
  id: "gb.legislation.eco-schedules",
  jurisdiction: "GB",
  kind: "list",
  title: "Export Control Order 2008, Schedules 2 (Military List) and 3 (UK controlled dual-use items)",
  publisher: "The National Archives, legislation.gov.uk (revised, point-in-time CLML)",
  officialUrl: `${LEGISLATION_ORIGIN}/${ECO_ITEM}/schedule/3`,
  // Revised text is republished on working days, often weeks after the
  // amending SI is in force; the probe is one small, conditional body.
  schedule: "17 6,18 * * *",
  expectations: {
    // ML1–ML22 alone carry several hundred lettered and numbered paragraphs;
    // far fewer means a body that lost a schedule, not an amendment.
    minEntries: 300,
    maxEntries: 20000,
    // SIs amend an entry or insert a few at a time. A whole schedule
    // substituted (it has happened to Schedule 2) is quarantined for a look.
    maxRemovedShare: 0.2,
    requiredFields: ["key"],
  },
  parserVersion: PARSER_VERSION,
  citedAs: ECO_CITED_AS,
  parse(input) {
    return checked(runSteps(parseEcoSchedulesSteps(input)));
  },
  *parseSteps(input) {
    return checked(yield* parseEcoSchedulesSteps(input));
  },
  // The latest start date of the watched schedules' provisions: the day this
  // text of the lists is the law from (not the day an article elsewhere moved).
  versionDate: (snapshot, artifact) => snapshot.meta.versionDate ?? artifact.asOf ?? null,
  describe(snapshot, artifact) {
    const date = snapshot.meta.versionDate ?? artifact.asOf ?? null;
    return {
      publishedAt: null,
      effectiveAt: date,
      // Left to the amending instrument that took effect that day and cites
      // the Order (gb.legislation.eco-amendments), found by `citedAs`.
      citation: null,
      citationsByDate: Object.fromEntries(snapshot.meta.amendments.map((a) => [a.date, a.citation])),
      url: schedulesPage(date),
    };
  },
  async fetch(ctx) {
    // Cheap probe first: the contents' metadata. The schedules' XML only when
    // the item was modified or shows another point in time since last run.
    const seenModified = str(ctx.state.modified);
    const seenValid = str(ctx.state.valid);
    const etag = seenModified ? str(ctx.state.contentsEtag) : null;
    const { metadata, etag: newEtag } = await probe(ctx.http, etag);
    if (!metadata) return { artifacts: [], state: ctx.state };
    const state = {
      ...ctx.state,
      contentsEtag: newEtag,
      modified: metadata.modified,
      valid: metadata.valid ?? metadata.restrictStartDate,
    };
    if (seenModified && seenModified === state.modified && seenValid === state.valid)
      return { artifacts: [], state };
    // Conditional (the client's validators): an unchanged body costs a 304.
    const response = await ctx.http.get(schedulesUrl());
    const artifacts = response.notModified ? [] : [{ response, asOf: state.valid ?? undefined }];
    return { artifacts, state };
  },
  async *backfill(ctx, since) {
    // Every dated version of the Order legislation.gov.uk keeps, oldest
    // first; versions where only an article moved give no list changes.
    const { metadata } = await probe(ctx.http, null);
    const today = ctx.now.toISOString().slice(0, 10);
    const wanted = (metadata?.versions ?? []).filter((d) => d >= since && d <= today);
    let index = 0;
    for (const date of wanted) {
      const response = await ctx.http.get(schedulesUrl(date), { conditional: false });
      yield {
        artifact: { response, asOf: date },
        index: ++index,
        total: wanted.length,
        state: { ...ctx.state, valid: date, modified: null },
      };
    }
  },
});
