import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient } from "@regwatch/core/http";
import { defineSource } from "../../define-source.ts";
import {
  type BwbExpression,
  type BwbMeta,
  PARSER_VERSION,
  parseBwbManifest,
  parseBwbToestand,
  parseBwbToestandSteps,
} from "./parse.ts";

/**
 * The Regeling geavanceerde productieapparatuur voor halfgeleiders (Stcrt.
 * 2023, 18212, in force 2023-09-01). SOURCES.md does not give its BWB id
 * (its tag is [U]): the value below is a PLACEHOLDER, not looked up, and MUST
 * BE CONFIRMED against wetten.overheid.nl before the source is registered. A
 * wrong id fails safely: the manifest check and the parser refuse any other work.
 */
export const BWB_ID = "BWBR0048464";

/** KOOP's repository of BWB works (overridable through REGWATCH_ORIGIN_MAP, as every origin). */
export const KOOP_REPOSITORY = "https://repository.officiele-overheidspublicaties.nl/bwb";
export const manifestUrl = (bwbId = BWB_ID) => `${KOOP_REPOSITORY}/${bwbId}/manifest.xml`;
export const expressionUrl = (expression: BwbExpression, bwbId = BWB_ID) =>
  `${KOOP_REPOSITORY}/${bwbId}/${expression.xmlPath}`;

/**
 * The manifest, asked conditionally with the ETag kept in the source's own
 * cursor (validator and cursor move together, only when a run succeeds).
 */
async function manifest(http: HttpClient, etag: string | null) {
  const response = await http.get(manifestUrl(), {
    conditional: false,
    headers: etag ? { "if-none-match": etag } : {},
  });
  if (response.notModified) return { etag, expressions: null };
  const parsed = parseBwbManifest(response.body);
  if (parsed.bwbId !== BWB_ID) {
    throw new SourceShapeChangedError(`BWB manifest is for ${parsed.bwbId || "no work"}, expected ${BWB_ID}`);
  }
  return { etag: response.headers.etag ?? null, expressions: parsed.expressions };
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
  officialUrl: `https://wetten.overheid.nl/${BWB_ID}`,
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
  citedAs: ["Regeling geavanceerde productieapparatuur voor halfgeleiders", "Stcrt. 2023, 18212"],
  parse(input) {
    const snapshot = parseBwbToestand(input);
    if (snapshot.meta.bwbId !== BWB_ID)
      throw new SourceShapeChangedError(`expected BWB work ${BWB_ID}, found ${snapshot.meta.bwbId}`);
    return snapshot;
  },
  *parseSteps(input) {
    const snapshot = yield* parseBwbToestandSteps(input);
    if (snapshot.meta.bwbId !== BWB_ID)
      throw new SourceShapeChangedError(`expected BWB work ${BWB_ID}, found ${snapshot.meta.bwbId}`);
    return snapshot;
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
      citation: latest?.source ?? null,
      citationsByDate: Object.fromEntries(meta.amendments.map((a) => [a.date, a.source])),
      url: `https://wetten.overheid.nl/${meta.bwbId}/${date ?? ""}`.replace(/\/$/, ""),
    };
  },
  async fetch(ctx) {
    // Cheap probe first: the work's manifest. The expression's XML only when
    // a newer expression is in force, or the current one was republished
    // (its SHA-512 in the manifest moved).
    const seen = typeof ctx.state.lastExpression === "string" ? ctx.state.lastExpression : null;
    const seenHash = typeof ctx.state.lastHash === "string" ? ctx.state.lastHash : null;
    const etag = typeof ctx.state.manifestEtag === "string" && seen ? ctx.state.manifestEtag : null;
    const { expressions, etag: newEtag } = await manifest(ctx.http, etag);
    if (expressions === null) return { artifacts: [], state: ctx.state };
    const current = currentExpression(expressions, ctx.now.toISOString().slice(0, 10));
    if (!current) throw new SourceShapeChangedError(`BWB manifest of ${BWB_ID} lists no expression in force`);
    const state = { ...ctx.state, manifestEtag: newEtag };
    if (seen && (current.label < seen || (current.label === seen && current.hash === seenHash))) {
      return { artifacts: [], state };
    }
    const response = await ctx.http.get(expressionUrl(current));
    const artifacts = response.notModified ? [] : [{ response, asOf: current.inForce }];
    return { artifacts, state: { ...state, lastExpression: current.label, lastHash: current.hash } };
  },
  async *backfill(ctx, since) {
    const { expressions } = await manifest(ctx.http, null);
    const today = ctx.now.toISOString().slice(0, 10);
    const wanted = (expressions ?? []).filter((e) => e.inForce >= since && e.inForce <= today);
    let index = 0;
    for (const expression of wanted) {
      const response = await ctx.http.get(expressionUrl(expression), { conditional: false });
      yield {
        artifact: { response, asOf: expression.inForce },
        index: ++index,
        total: wanted.length,
        state: { ...ctx.state, lastExpression: expression.label, lastHash: expression.hash },
      };
    }
  },
});
