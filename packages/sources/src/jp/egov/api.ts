import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient } from "@regwatch/core/http";
import { checkedIsoDate } from "../../dates.ts";
import type { BackfillStep, FetchResult, SourceContext } from "../../define-source.ts";

/**
 * e-Gov 法令検索, law API Version 2, keyless [C: SOURCES.md]:
 * - `GET /api/2/law_revisions/{law_id}`: every revision of one law [C], as
 *   JSON `{ law_info, revisions: [...] }` whose revisions carry
 *   `law_revision_id`, `amendment_enforcement_date`, `amendment_promulgate_date`
 *   [C] and `amendment_law_id`, `amendment_law_num`, `amendment_law_title`,
 *   `current_revision_status` [I: field names from public clients of the API
 *   and its published OpenAPI as they quote it; not from a captured answer].
 * - `GET /api/2/law_data/{revision id}` [C] with `response_format=xml` and
 *   `law_full_text_format=xml` [I: the parameters public clients send]: one
 *   XML answer, `<law_data_response>` with `law_info`, `revision_info` and the
 *   law's `<Law>` inside `<law_full_text>`, so the bytes archived carry both
 *   the text and the revision's dates and amending law.
 * - A revision id is `{law_id}_{enforcement YYYYMMDD}_{amending law id}` [C].
 * Overridable through REGWATCH_ORIGIN_MAP, as every origin.
 */
export const EGOV_ORIGIN = "https://laws.e-gov.go.jp";
export const EGOV_API = `${EGOV_ORIGIN}/api/2`;
export const lawRevisionsUrl = (lawId: string) => `${EGOV_API}/law_revisions/${lawId}`;
export const lawDataUrl = (revisionId: string) =>
  `${EGOV_API}/law_data/${encodeURIComponent(revisionId)}?response_format=xml&law_full_text_format=xml`;
/** The law's page on e-Gov 法令検索, for people [I: the address the site gives each law]. */
export const lawPageUrl = (lawId: string) => `${EGOV_ORIGIN}/law/${lawId}`;

/** One revision of a law, as the revisions list gives it. */
export interface EgovRevision {
  id: string;
  enforcementDate: string;
  promulgateDate: string | null;
  amendmentLawNum: string | null;
  status: string | null;
  /** Position in e-Gov's list: among revisions in force the same day, the list's order decides. */
  order: number;
}

const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : null);

/**
 * The revisions of `lawId` in a law_revisions answer. An answer about another
 * law, or without a revisions list, is refused; a revision whose id or
 * enforcement date cannot be read is left out with a warning (a revision
 * dated "政令で定める日" has no date until it is fixed).
 */
export function readLawRevisions(
  body: Uint8Array,
  lawId: string,
): { revisions: EgovRevision[]; warnings: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(decodeText(body, "application/json").text);
  } catch (err) {
    throw new SourceShapeChangedError(`e-Gov law_revisions answer is not JSON: ${(err as Error).message}`);
  }
  const answer = json as { law_info?: { law_id?: unknown }; revisions?: unknown };
  if (!answer || typeof answer !== "object" || !Array.isArray(answer.revisions))
    throw new SourceShapeChangedError("e-Gov law_revisions answer has no revisions[]");
  const about = str(answer.law_info?.law_id);
  if (about && about !== lawId)
    throw new SourceShapeChangedError(`e-Gov law_revisions answer is about ${about}, expected ${lawId}`);
  const warnings: string[] = [];
  const revisions: EgovRevision[] = [];
  answer.revisions.forEach((r: Record<string, unknown>, order) => {
    const id = str(r?.law_revision_id);
    const m = id ? /^([0-9A-Za-z]+)_([0-9]{8})_([0-9A-Za-z]+)$/.exec(id) : null;
    const date = checkedIsoDate(str(r?.amendment_enforcement_date)?.slice(0, 10) ?? "");
    if (!id || !m || m[1] !== lawId || !date) {
      warnings.push(
        `revision ${id ?? `#${order + 1}`} left out: no readable id of ${lawId} or enforcement date`,
      );
      return;
    }
    revisions.push({
      id,
      enforcementDate: date,
      promulgateDate: checkedIsoDate(str(r.amendment_promulgate_date)?.slice(0, 10) ?? ""),
      amendmentLawNum: str(r.amendment_law_num),
      status: str(r.current_revision_status),
      order,
    });
  });
  return { revisions, warnings };
}

/** Oldest first: by enforcement date, then against e-Gov's list, which puts the later of one day's revisions first. */
export function chronological(revisions: readonly EgovRevision[]): EgovRevision[] {
  return [...revisions].sort(
    (a, b) => a.enforcementDate.localeCompare(b.enforcementDate) || b.order - a.order,
  );
}

/**
 * The revision that is the law on `today`: the latest enforced by then.
 * Revisions are listed ahead of their enforcement date; they wait.
 */
export function revisionInForce(revisions: readonly EgovRevision[], today: string): EgovRevision | null {
  const inForce = chronological(revisions).filter((r) => r.enforcementDate <= today);
  return inForce[inForce.length - 1] ?? null;
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** Revisions kept in the cursor, tolerant of an older or damaged cursor (nothing kept). */
function storedRevisions(value: unknown): EgovRevision[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (r): r is EgovRevision =>
      !!r &&
      typeof r === "object" &&
      typeof r.id === "string" &&
      typeof r.enforcementDate === "string" &&
      typeof r.order === "number",
  );
}

/**
 * The revisions list, asked conditionally with the ETag kept in the source's
 * own cursor: validator and cursor move together, only when a run succeeds.
 */
async function revisionsList(http: HttpClient, lawId: string, etag: string | null) {
  const response = await http.get(lawRevisionsUrl(lawId), {
    conditional: false,
    headers: etag ? { "if-none-match": etag } : {},
  });
  if (response.notModified) return { etag, revisions: null, warnings: [] };
  return { etag: response.headers.etag ?? null, ...readLawRevisions(response.body, lawId) };
}

/**
 * One run of an e-Gov list source. The cheap probe first: the law's
 * revisions list (a few kilobytes, conditional). The revision's text (up to a
 * megabyte) only when a revision not yet read is in force today. Revisions
 * listed ahead of their day are kept in the cursor, so the day one comes into
 * force it is taken even though the list has not changed since (a 304).
 */
export async function fetchLawRevision(ctx: SourceContext, lawId: string): Promise<FetchResult> {
  const seen = typeof ctx.state.lastRevision === "string" ? ctx.state.lastRevision : null;
  const seenDate = typeof ctx.state.lastEnforcementDate === "string" ? ctx.state.lastEnforcementDate : null;
  const etag = typeof ctx.state.revisionsEtag === "string" && seen ? ctx.state.revisionsEtag : null;
  const list = await revisionsList(ctx.http, lawId, etag);
  for (const w of list.warnings) ctx.log.warn({ lawId }, `jp.egov: ${w}`);
  const today = isoDay(ctx.now);
  const upcoming = storedRevisions(ctx.state.upcoming);
  const revisions = list.revisions ?? upcoming;
  const current = revisionInForce(revisions, today);
  if (list.revisions === null && (!current || (seenDate && current.enforcementDate <= seenDate)))
    return { artifacts: [], state: ctx.state };
  if (!current) throw new SourceShapeChangedError(`e-Gov lists no revision of ${lawId} in force on ${today}`);
  const state = {
    ...ctx.state,
    revisionsEtag: list.revisions === null ? ctx.state.revisionsEtag : list.etag,
    upcoming: revisions.filter((r) => r.enforcementDate > today),
  };
  // A revision older than the one read is a lagging list, never a step back.
  if (seen && (current.id === seen || (seenDate && current.enforcementDate < seenDate)))
    return { artifacts: [], state };
  const response = await ctx.http.get(lawDataUrl(current.id));
  const artifacts = response.notModified ? [] : [{ response, asOf: current.enforcementDate }];
  return {
    artifacts,
    state: { ...state, lastRevision: current.id, lastEnforcementDate: current.enforcementDate },
  };
}

/** Every revision in force from `since` to today, oldest first, each a version of the list. */
export async function* backfillLawRevisions(
  ctx: SourceContext,
  lawId: string,
  since: string,
): AsyncIterable<BackfillStep> {
  const list = await revisionsList(ctx.http, lawId, null);
  for (const w of list.warnings) ctx.log.warn({ lawId }, `jp.egov: ${w}`);
  const today = isoDay(ctx.now);
  const wanted = chronological(list.revisions ?? []).filter(
    (r) => r.enforcementDate >= since && r.enforcementDate <= today,
  );
  let index = 0;
  for (const revision of wanted) {
    const response = await ctx.http.get(lawDataUrl(revision.id), { conditional: false });
    yield {
      artifact: { response, asOf: revision.enforcementDate },
      index: ++index,
      total: wanted.length,
      state: {
        ...ctx.state,
        revisionsEtag: null,
        lastRevision: revision.id,
        lastEnforcementDate: revision.enforcementDate,
      },
    };
  }
}
