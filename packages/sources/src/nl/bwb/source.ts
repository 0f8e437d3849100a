import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient } from "@regwatch/core/http";
import { defineSource, type SourceContext } from "../../define-source.ts";
import { discoverBwbWork } from "./discover.ts";
import {
  type BwbExpression,
  type BwbMeta,
  type BwbSnapshot,
  PARSER_VERSION,
  parseBwbManifest,
  parseBwbToestand,
  parseBwbToestandSteps,
  publicationCitation,
} from "./parse.ts";

/**
 * The citeertitel of the Regeling geavanceerde productieapparatuur voor
 * halfgeleiders (Stcrt. 2023, 18212, in force 2023-09-01) [C]. Its BWB id is
 * not written here: SOURCES.md does not give it, so the source finds the work
 * by this exact title in KOOP's BWB search and keeps the id in its cursor.
 */
export const REGULATION_TITLE = "Regeling geavanceerde productieapparatuur voor halfgeleiders";

/** The regulation as published [C]: where a person reads it without knowing the BWB id. */
export const REGULATION_PUBLICATION_URL = "https://zoek.officielebekendmakingen.nl/stcrt-2023-18212.html";

/**
 * KOOP's repository of BWB works [I: the host public clients of KOOP use, and
 * the one the BWB search's `locatie_toestand` points to; the paths below it
 * are those the samples' manifest lists]. Overridable through
 * REGWATCH_ORIGIN_MAP, as every origin.
 */
export const KOOP_REPOSITORY = "https://repository.officiele-overheidspublicaties.nl/bwb";
export const manifestUrl = (bwbId: string) => `${KOOP_REPOSITORY}/${bwbId}/manifest.xml`;
export const expressionUrl = (expression: BwbExpression, bwbId: string) =>
  `${KOOP_REPOSITORY}/${bwbId}/${expression.xmlPath}`;

/**
 * How long a discovered BWB id is trusted before the search is asked again.
 * The manifest check catches a wrong id at once; asking weekly also catches
 * a second work taking the same title (a consolidation split, a re-issue).
 */
export const REDISCOVER_AFTER_DAYS = 7;

const BWB_ID = /^BWB[RV]\d{7}$/;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000;

/**
 * The work to read: the id in the cursor while it is fresh, else the one the
 * BWB search finds by title. A different id than before starts the work's
 * history afresh (its expressions, hashes and manifest ETag belong to the old one).
 */
async function workToRead(ctx: SourceContext): Promise<{ bwbId: string; state: Record<string, unknown> }> {
  const today = isoDay(ctx.now);
  const known = typeof ctx.state.bwbId === "string" && BWB_ID.test(ctx.state.bwbId) ? ctx.state.bwbId : null;
  const checked = typeof ctx.state.bwbIdCheckedAt === "string" ? ctx.state.bwbIdCheckedAt : null;
  if (known && checked && daysBetween(checked, today) < REDISCOVER_AFTER_DAYS) {
    return { bwbId: known, state: ctx.state };
  }
  const { bwbId, records } = await discoverBwbWork(ctx.http, REGULATION_TITLE);
  ctx.log.info({ bwbId, records }, "nl.bwb: BWB work found by title");
  if (known && known !== bwbId) {
    ctx.log.warn(
      { was: known, now: bwbId },
      "nl.bwb: the regulation's BWB id changed; its history starts afresh",
    );
    return { bwbId, state: { bwbId, bwbIdCheckedAt: today } };
  }
  return { bwbId, state: { ...ctx.state, bwbId, bwbIdCheckedAt: today } };
}

/**
 * The manifest, asked conditionally with the ETag kept in the source's own
 * cursor (validator and cursor move together, only when a run succeeds). It
 * must be the manifest of the work asked for: a wrong or reused id stops here.
 */
async function manifest(http: HttpClient, bwbId: string, etag: string | null) {
  const response = await http.get(manifestUrl(bwbId), {
    conditional: false,
    headers: etag ? { "if-none-match": etag } : {},
  });
  if (response.notModified) return { etag, expressions: null };
  const parsed = parseBwbManifest(response.body);
  if (parsed.bwbId !== bwbId) {
    throw new SourceShapeChangedError(`BWB manifest is for ${parsed.bwbId || "no work"}, expected ${bwbId}`);
  }
  return { etag: response.headers.etag ?? null, expressions: parsed.expressions };
}

/** The snapshot, refused unless it is the consolidation of the regulation this source watches. */
function ofTheRegulation<S extends BwbSnapshot>(snapshot: S): S {
  const title = snapshot.meta.citationTitle;
  if (title !== REGULATION_TITLE)
    throw new SourceShapeChangedError(
      `expected the BWB consolidation of "${REGULATION_TITLE}", found ${title ? `"${title}"` : "no citeertitel"} (${snapshot.meta.bwbId})`,
    );
  return snapshot;
}

/** Expressions kept in the cursor, tolerant of an older or damaged cursor (nothing kept). */
function storedExpressions(value: unknown): BwbExpression[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (e): e is BwbExpression =>
      !!e &&
      typeof e === "object" &&
      typeof e.label === "string" &&
      typeof e.inForce === "string" &&
      typeof e.xmlPath === "string",
  );
}

/** The newest expression in force on `today` (future consolidations are published ahead). */
export function currentExpression(expressions: BwbExpression[], today: string): BwbExpression | null {
  const inForce = expressions.filter((e) => e.inForce <= today);
  return inForce[inForce.length - 1] ?? null;
}

export const nlBwbStrategicGoods = defineSource<BwbMeta>({
  id: "nl.bwb.strategic-goods",
  jurisdiction: "NL",
  kind: "list",
  title: "Regeling geavanceerde productieapparatuur voor halfgeleiders (consolidated, BWB)",
  publisher: "KOOP (Kennis- en Exploitatiecentrum Officiële Overheidspublicaties), Basiswettenbestand",
  officialUrl: REGULATION_PUBLICATION_URL,
  // BWB consolidations are republished on business days; the manifest probe is cheap.
  schedule: "23 7,19 * * *",
  expectations: {
    // A short ministerial regulation: a handful of articles with their
    // paragraphs and list items, and an annex of items. Fewer than 5 entries
    // means a broken document, not a repeal.
    minEntries: 5,
    maxEntries: 2000,
    // Amendments replace an article or an annex item at a time.
    maxRemovedShare: 0.3,
    requiredFields: ["key"],
  },
  parserVersion: PARSER_VERSION,
  // How amending instruments cite it; nl.staatscourant.export-control puts the first in `cfrReferences`.
  citedAs: [REGULATION_TITLE, "Stcrt. 2023, 18212"],
  parse: (input) => ofTheRegulation(parseBwbToestand(input)),
  *parseSteps(input) {
    return ofTheRegulation(yield* parseBwbToestandSteps(input));
  },
  // The toestand's `inwerkingtreding`: the date the consolidated text is the law from.
  versionDate: (snapshot, artifact) => snapshot.meta.versionDate ?? artifact.asOf ?? null,
  describe(snapshot, artifact) {
    const { meta } = snapshot;
    const date = meta.versionDate ?? artifact.asOf ?? null;
    const latest = meta.amendments.find((a) => a.date === date) ?? null;
    return {
      publishedAt: null,
      effectiveAt: date,
      citation: latest ? publicationCitation(latest.source) : null,
      citationsByDate: Object.fromEntries(
        meta.amendments.map((a) => [a.date, publicationCitation(a.source)]),
      ),
      url: `https://wetten.overheid.nl/${meta.bwbId}/${date ?? ""}`.replace(/\/$/, ""),
    };
  },
  async fetch(ctx) {
    // The work first (from the cursor, or found by title), then the cheap
    // probe: its manifest. The expression's XML only when a newer expression
    // is in force, or the current one was republished (its SHA-512 in the
    // manifest moved).
    const { bwbId, state: found } = await workToRead(ctx);
    const seen = typeof found.lastExpression === "string" ? found.lastExpression : null;
    const seenHash = typeof found.lastHash === "string" ? found.lastHash : null;
    const etag = typeof found.manifestEtag === "string" && seen ? found.manifestEtag : null;
    const read = await manifest(ctx.http, bwbId, etag);
    // Consolidations are published ahead of their in-force day: the expressions
    // still to come are kept, so that the day one comes into force it is taken
    // even though the manifest has not changed since (a 304).
    const upcoming = storedExpressions(found.upcoming);
    const expressions = read.expressions ?? upcoming;
    const today = isoDay(ctx.now);
    const current = currentExpression(expressions, today);
    if (read.expressions === null && (!current || (seen && current.label <= seen)))
      return { artifacts: [], state: found };
    if (!current) throw new SourceShapeChangedError(`BWB manifest of ${bwbId} lists no expression in force`);
    const state = {
      ...found,
      manifestEtag: read.expressions === null ? found.manifestEtag : read.etag,
      upcoming: expressions.filter((e) => e.inForce > today),
    };
    if (seen && (current.label < seen || (current.label === seen && current.hash === seenHash))) {
      return { artifacts: [], state };
    }
    const response = await ctx.http.get(expressionUrl(current, bwbId));
    const artifacts = response.notModified ? [] : [{ response, asOf: current.inForce }];
    return { artifacts, state: { ...state, lastExpression: current.label, lastHash: current.hash } };
  },
  async *backfill(ctx, since) {
    const { bwbId, state: found } = await workToRead(ctx);
    const { expressions } = await manifest(ctx.http, bwbId, null);
    const today = isoDay(ctx.now);
    const wanted = (expressions ?? []).filter((e) => e.inForce >= since && e.inForce <= today);
    let index = 0;
    for (const expression of wanted) {
      const response = await ctx.http.get(expressionUrl(expression, bwbId), { conditional: false });
      yield {
        artifact: { response, asOf: expression.inForce },
        index: ++index,
        total: wanted.length,
        state: { ...found, lastExpression: expression.label, lastHash: expression.hash },
      };
    }
  },
});
