// The weekly review: the changes detected in a period, the mark each one
// carries (reviewed / action needed / not applicable, with a note, by whom),
// the audit log of every marking, and what the sources did in the period, so
// that a quiet week can be shown to be quiet.

import type { ChangeRecord } from "@regwatch/core/schemas";
import { and, asc, count, desc, eq, gte, inArray, lt, min, ne } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import {
  changeRecordsTable,
  type ReviewState,
  type ReviewStatus,
  reviewAuditTable,
  reviewMarksTable,
  sourceHealthEventsTable,
  sourcesTable,
  usersTable,
} from "../schema/index.ts";
import { listChanges } from "./changes.ts";

export type { ReviewState, ReviewStatus };

export const REVIEW_STATUSES: readonly ReviewStatus[] = ["reviewed", "action-needed", "not-applicable"];

export function isReviewStatus(value: unknown): value is ReviewStatus {
  return typeof value === "string" && (REVIEW_STATUSES as readonly string[]).includes(value);
}

/** A span of detection time: `start` included, `end` excluded. */
export interface ReviewPeriod {
  start: Date;
  end: Date;
}

export interface ReviewChanges {
  /** The records to review, oldest first. */
  changes: ChangeRecord[];
  /** Baseline records detected in the period (a source's first version): history, not changes, so not listed. */
  baselines: number;
}

// Postgres takes at most 65,535 parameters per statement; batches stay far below.
const BATCH = 1000;

const inPeriod = (period: ReviewPeriod) =>
  and(gte(changeRecordsTable.detectedAt, period.start), lt(changeRecordsTable.detectedAt, period.end));

/**
 * Every change record detected in the period except baselines: a source's
 * first version lists its whole content as "added", which describes what was
 * already in force, not what changed, and would bury the week's real changes.
 */
export async function reviewChanges(db: Db, period: ReviewPeriod): Promise<ReviewChanges> {
  const t = changeRecordsTable;
  const ids = await db
    .select({ id: t.id })
    .from(t)
    .where(and(inPeriod(period), ne(t.origin, "baseline")))
    .orderBy(asc(t.detectedAt), asc(t.seq));
  const changes: ChangeRecord[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    changes.push(...(await listChanges(db, { ids: ids.slice(i, i + BATCH).map((r) => r.id) })));
  }
  const [baselines] = await db
    .select({ n: count() })
    .from(t)
    .where(and(inPeriod(period), eq(t.origin, "baseline")));
  return { changes, baselines: baselines?.n ?? 0 };
}

/** A change's current mark, with the address of who set it. */
export interface ReviewMark extends ReviewState {
  changeId: string;
  userId: string;
  userEmail: string;
  updatedAt: Date;
}

/** The marks of these changes, by change id (a change never marked is absent). */
export async function marksFor(db: Db, changeIds: readonly string[]): Promise<Map<string, ReviewMark>> {
  const out = new Map<string, ReviewMark>();
  const m = reviewMarksTable;
  for (let i = 0; i < changeIds.length; i += BATCH) {
    const rows = await db
      .select({
        changeId: m.changeId,
        status: m.status,
        note: m.note,
        userId: m.userId,
        userEmail: usersTable.email,
        updatedAt: m.updatedAt,
      })
      .from(m)
      .innerJoin(usersTable, eq(usersTable.id, m.userId))
      .where(inArray(m.changeId, changeIds.slice(i, i + BATCH)));
    for (const row of rows) out.set(row.changeId, row);
  }
  return out;
}

export interface MarkInput extends ReviewState {
  changeId: string;
  userId: string;
  at: Date;
}

/** not-found: no such change; unchanged: it already had this status and note (nothing written). */
export type MarkOutcome = "changed" | "unchanged" | "not-found";

/**
 * Sets a change's mark and writes its audit row (before and after), both or
 * neither: one transaction. The change's row is locked first, so two
 * reviewers marking the same change at once are taken one after the other and
 * each audit row's `before` is the mark the other left. Every statement runs
 * on `tx`: PGlite has one connection, and a query on `db` from in here would
 * wait for this transaction forever.
 */
export async function setMark(db: Db, input: MarkInput): Promise<MarkOutcome> {
  return db.transaction(async (tx) => {
    const [change] = await tx
      .select({ id: changeRecordsTable.id })
      .from(changeRecordsTable)
      .where(eq(changeRecordsTable.id, input.changeId))
      // "no key update": serializes marks of this change without blocking rows that only reference it.
      .for("no key update");
    if (!change) return "not-found";
    const [current] = await tx
      .select({ status: reviewMarksTable.status, note: reviewMarksTable.note })
      .from(reviewMarksTable)
      .where(eq(reviewMarksTable.changeId, input.changeId));
    const before: ReviewState | null = current ? { status: current.status, note: current.note } : null;
    if (before && before.status === input.status && before.note === input.note) return "unchanged";
    const after: ReviewState = { status: input.status, note: input.note };
    await tx
      .insert(reviewMarksTable)
      .values({ changeId: input.changeId, ...after, userId: input.userId, updatedAt: input.at })
      .onConflictDoUpdate({
        target: reviewMarksTable.changeId,
        set: { ...after, userId: input.userId, updatedAt: input.at },
      });
    await tx
      .insert(reviewAuditTable)
      .values({ changeId: input.changeId, userId: input.userId, at: input.at, before, after });
    return "changed";
  });
}

/** One review action, with who did it and which change it was about (the subject is null once the change is gone). */
export interface ReviewAuditEntry {
  id: number;
  changeId: string;
  subject: string | null;
  jurisdiction: string | null;
  userEmail: string;
  at: Date;
  before: ReviewState | null;
  after: ReviewState;
}

/** Review actions, newest first, optionally of one change; at most `limit`. */
export async function reviewAudit(
  db: Db,
  options: { changeId?: string | null; limit: number },
): Promise<ReviewAuditEntry[]> {
  const a = reviewAuditTable;
  return (
    db
      .select({
        id: a.id,
        changeId: a.changeId,
        subject: changeRecordsTable.subject,
        jurisdiction: changeRecordsTable.jurisdiction,
        userEmail: usersTable.email,
        at: a.at,
        before: a.before,
        after: a.after,
      })
      .from(a)
      .innerJoin(usersTable, eq(usersTable.id, a.userId))
      // The audit log outlives the changes it names (no foreign key): a left join keeps those rows.
      .leftJoin(changeRecordsTable, eq(changeRecordsTable.id, a.changeId))
      .where(options.changeId ? eq(a.changeId, options.changeId) : undefined)
      .orderBy(desc(a.at), desc(a.id))
      .limit(options.limit)
  );
}

/** What shows whether a source was watching through a period: its row's health and its health transitions. */
export interface SourceEvidence {
  id: string;
  title: string;
  jurisdiction: string;
  /** Now: healthy | unreachable | stale | quarantined | broken | unknown. */
  health: string;
  healthReason: string | null;
  lastSuccessAt: Date | null;
  /** The health it had when the period began; null when it had no health yet (it had never run). */
  healthAtStart: string | null;
  /** The first non-healthy health it went to during the period, if any. */
  unhealthyInPeriod: string | null;
  /** Its first health transition: the first time it ran at all. */
  firstRunAt: Date | null;
}

/**
 * The health evidence of these sources for the period, from the sources table
 * and the health transitions (every change of health is stored with its
 * time); a source that never ran has no row and is absent.
 */
export async function sourceEvidence(
  db: Db,
  sourceIds: readonly string[],
  period: ReviewPeriod,
): Promise<Map<string, SourceEvidence>> {
  const out = new Map<string, SourceEvidence>();
  if (!sourceIds.length) return out;
  const ids = [...sourceIds];
  const rows = await db
    .select({
      id: sourcesTable.id,
      title: sourcesTable.title,
      jurisdiction: sourcesTable.jurisdiction,
      health: sourcesTable.health,
      healthReason: sourcesTable.healthReason,
      lastSuccessAt: sourcesTable.lastSuccessAt,
    })
    .from(sourcesTable)
    .where(inArray(sourcesTable.id, ids));
  const e = sourceHealthEventsTable;
  const atStart = await db
    .selectDistinctOn([e.sourceId], { sourceId: e.sourceId, health: e.toHealth })
    .from(e)
    .where(and(inArray(e.sourceId, ids), lt(e.at, period.start)))
    .orderBy(e.sourceId, desc(e.at), desc(e.id));
  const during = await db
    .selectDistinctOn([e.sourceId], { sourceId: e.sourceId, health: e.toHealth })
    .from(e)
    .where(
      and(inArray(e.sourceId, ids), gte(e.at, period.start), lt(e.at, period.end), ne(e.toHealth, "healthy")),
    )
    .orderBy(e.sourceId, asc(e.at), asc(e.id));
  const first = await db
    .select({ sourceId: e.sourceId, at: min(e.at) })
    .from(e)
    .where(inArray(e.sourceId, ids))
    .groupBy(e.sourceId);
  const healthAtStart = new Map(atStart.map((r) => [r.sourceId, r.health]));
  const unhealthy = new Map(during.map((r) => [r.sourceId, r.health]));
  const firstRun = new Map(first.map((r) => [r.sourceId, r.at]));
  for (const row of rows) {
    out.set(row.id, {
      ...row,
      healthAtStart: healthAtStart.get(row.id) ?? null,
      unhealthyInPeriod: unhealthy.get(row.id) ?? null,
      firstRunAt: firstRun.get(row.id) ?? null,
    });
  }
  return out;
}

/** A source that was healthy through the period, checked in it, and detected nothing. */
export interface QuietSource {
  id: string;
  title: string;
  jurisdiction: string;
  lastSuccessAt: Date | null;
}

/** A source without changes whose silence proves nothing, and why. */
export interface UnprovenSource {
  id: string;
  title: string | null;
  why: string;
}

export interface SourceVerdicts {
  quiet: QuietSource[];
  unproven: UnprovenSource[];
  /** Sources that had changes in the period (their changes are the review). */
  withChanges: string[];
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Why a source's silence in the period proves nothing, or null when it does. */
function whyUnproven(e: SourceEvidence | undefined, period: ReviewPeriod, now: Date): string | null {
  if (!e) return "it has never run";
  if (e.healthAtStart !== null && e.healthAtStart !== "healthy")
    return `it was ${e.healthAtStart} when the period began`;
  if (e.unhealthyInPeriod) return `it went ${e.unhealthyInPeriod} during the period`;
  if (!e.firstRunAt || e.firstRunAt >= period.end) return "it first ran after the period";
  if (!e.lastSuccessAt || e.lastSuccessAt < period.start)
    return `no successful check since ${e.lastSuccessAt ? day(e.lastSuccessAt) : "it was registered"}`;
  // A period that reaches the present: what the source is now is part of it.
  if (period.end > now && e.health !== "healthy")
    return `it is ${e.health} now${e.healthReason ? ` (${e.healthReason})` : ""}`;
  return null;
}

/**
 * Which registered sources make a quiet period provable: those with no change
 * in it that were healthy when it began, never went unhealthy during it (every
 * change of health is stored with its time), and succeeded at least once
 * since it began. The others without changes are listed with the reason their
 * silence is not evidence.
 */
export function judgeSources(
  sourceIds: readonly string[],
  evidence: ReadonlyMap<string, SourceEvidence>,
  changesBySource: ReadonlyMap<string, number>,
  period: ReviewPeriod,
  now: Date,
): SourceVerdicts {
  const verdicts: SourceVerdicts = { quiet: [], unproven: [], withChanges: [] };
  for (const id of sourceIds) {
    if ((changesBySource.get(id) ?? 0) > 0) {
      verdicts.withChanges.push(id);
      continue;
    }
    const e = evidence.get(id);
    const why = whyUnproven(e, period, now);
    if (why || !e) verdicts.unproven.push({ id, title: e?.title ?? null, why: why ?? "it has never run" });
    else
      verdicts.quiet.push({
        id,
        title: e.title,
        jurisdiction: e.jurisdiction,
        lastSuccessAt: e.lastSuccessAt,
      });
  }
  return verdicts;
}
