import type { Failure, Health } from "@regwatch/core/errors";
import { and, desc, eq, gt, gte, lt, ne, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../open-database.ts";
import {
  changeRecordsTable,
  fetchAttemptsTable,
  sourceHealthEventsTable,
  sourcesTable,
} from "../schema/index.ts";

export type SourceRow = typeof sourcesTable.$inferSelect;
export type SourceHealthEvent = typeof sourceHealthEventsTable.$inferSelect;
export type { Health };

/** Registers the source (or brings its description up to date) and returns its row: one statement. */
export async function ensureSource(
  db: Db,
  source: { id: string; jurisdiction: string; kind: string; title: string; schedule?: string },
): Promise<SourceRow> {
  const fields = {
    jurisdiction: source.jurisdiction,
    kind: source.kind,
    title: source.title,
    ...(source.schedule ? { schedule: source.schedule } : {}),
  };
  const [row] = await db
    .insert(sourcesTable)
    .values({ id: source.id, ...fields })
    .onConflictDoUpdate({ target: sourcesTable.id, set: fields })
    .returning();
  return row!;
}

/**
 * Serializes the store step of one source across processes and hosts: a
 * transaction-scoped advisory lock, released at commit or rollback, so a
 * second run waits and then finds the work done.
 */
export async function lockSource(tx: Db, sourceId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`regwatch:source:${sourceId}`}))`);
}

export async function getSource(db: Db, id: string): Promise<SourceRow | undefined> {
  const [row] = await db.select().from(sourcesTable).where(eq(sourcesTable.id, id));
  return row;
}

export async function listSourceRows(db: Db): Promise<SourceRow[]> {
  return db.select().from(sourcesTable).orderBy(sourcesTable.id);
}

/** A timestamp column moved to `at` unless it already is later: a replay with an older clock never moves it back. */
const latest = (column: AnyPgColumn, at: Date) => sql`greatest(${column}, ${at.toISOString()}::timestamptz)`;

/**
 * Sets a source's health and, when it changes, stores the transition with its
 * time and reason. Every write of source health comes through here.
 */
async function setHealth(
  db: Db,
  id: string,
  health: Health,
  reason: string | null,
  at: Date,
  set: Record<string, unknown>,
): Promise<void> {
  // One statement for the usual case: the update, returning the health it replaced (read under the row lock).
  const old = db
    .select({ id: sourcesTable.id, before: sourcesTable.health })
    .from(sourcesTable)
    .where(eq(sourcesTable.id, id))
    .for("update")
    .as("old");
  const [row] = await db
    .update(sourcesTable)
    .set({ health, healthReason: reason, ...set })
    .from(old)
    .where(eq(sourcesTable.id, old.id))
    .returning({ before: old.before });
  if (row && row.before !== health) {
    await db
      .insert(sourceHealthEventsTable)
      .values({ sourceId: id, at, fromHealth: row.before, toHealth: health, reason });
  }
}

/** A run that got through (new data or nothing new): healthy, the cursor moved on. */
export async function recordSuccess(
  db: Db,
  id: string,
  run: { at: Date; changed?: boolean; state?: Record<string, unknown> },
): Promise<void> {
  await setHealth(db, id, "healthy", null, run.at, {
    lastRunAt: latest(sourcesTable.lastRunAt, run.at),
    lastSuccessAt: latest(sourcesTable.lastSuccessAt, run.at),
    consecutiveFailures: 0,
    ...(run.changed ? { lastChangeAt: latest(sourcesTable.lastChangeAt, run.at) } : {}),
    ...(run.state ? { state: run.state } : {}),
  });
}

/** A run that failed, as `classifyError` judged it: one more consecutive failure, the error kept. */
export async function recordFailure(db: Db, id: string, run: { at: Date; failure: Failure }): Promise<void> {
  const { failure } = run;
  await setHealth(db, id, failure.health, failure.reason, run.at, {
    lastRunAt: latest(sourcesTable.lastRunAt, run.at),
    consecutiveFailures: sql`${sourcesTable.consecutiveFailures} + 1`,
    lastErrorKind: failure.kind,
    lastError: failure.reason,
    lastErrorAt: latest(sourcesTable.lastErrorAt, run.at),
  });
}

/**
 * The source answered, but with a version older than the accepted one (a
 * lagging mirror): not a failure, but what regwatch holds may be behind.
 */
export async function recordStaleVersion(
  db: Db,
  id: string,
  run: { at: Date; reason: string },
): Promise<void> {
  await setHealth(db, id, "stale", run.reason, run.at, { lastRunAt: latest(sourcesTable.lastRunAt, run.at) });
}

/** No success for several scheduled runs (the health check): stale, unless it is already failing for a known reason. */
export async function markOverdue(db: Db, id: string, check: { at: Date; reason: string }): Promise<boolean> {
  const row = await getSource(db, id);
  if (row?.health !== "healthy") return false;
  await setHealth(db, id, "stale", check.reason, check.at, {});
  return true;
}

export async function healthEvents(db: Db, id: string, limit = 50): Promise<SourceHealthEvent[]> {
  return db
    .select()
    .from(sourceHealthEventsTable)
    .where(eq(sourceHealthEventsTable.sourceId, id))
    .orderBy(desc(sourceHealthEventsTable.at), desc(sourceHealthEventsTable.id))
    .limit(limit);
}

export async function recordFetchAttempt(
  db: Db,
  attempt: typeof fetchAttemptsTable.$inferInsert,
): Promise<void> {
  await db.insert(fetchAttemptsTable).values(attempt);
}

/** What one source did in a period: what a digest attests. */
export interface SourceActivity {
  /** Runs that got through (changed or not). */
  checks: number;
  /** Runs that failed. */
  failures: number;
  /** Change records detected. */
  changes: number;
  /** It went anything but healthy at some point of the period. */
  unhealthy: boolean;
}

/**
 * Every source's activity in [start, end). The requests of one run share its
 * clock (`started_at`), so distinct instants count runs, not requests.
 */
export async function sourceActivity(
  db: Db,
  period: { start: Date; end: Date },
): Promise<Map<string, SourceActivity>> {
  const out = new Map<string, SourceActivity>();
  const entry = (id: string) => {
    const found = out.get(id);
    if (found) return found;
    const a = { checks: 0, failures: 0, changes: 0, unhealthy: false };
    out.set(id, a);
    return a;
  };
  const runs = await db
    .select({
      sourceId: fetchAttemptsTable.sourceId,
      checks:
        sql<number>`count(distinct ${fetchAttemptsTable.startedAt}) filter (where ${fetchAttemptsTable.outcome} <> 'error')`.mapWith(
          Number,
        ),
      failures:
        sql<number>`count(distinct ${fetchAttemptsTable.startedAt}) filter (where ${fetchAttemptsTable.outcome} = 'error')`.mapWith(
          Number,
        ),
    })
    .from(fetchAttemptsTable)
    .where(and(gte(fetchAttemptsTable.startedAt, period.start), lt(fetchAttemptsTable.startedAt, period.end)))
    .groupBy(fetchAttemptsTable.sourceId);
  for (const r of runs) Object.assign(entry(r.sourceId), { checks: r.checks, failures: r.failures });
  const changes = await db
    .select({ sourceId: changeRecordsTable.sourceId, n: sql<number>`count(*)`.mapWith(Number) })
    .from(changeRecordsTable)
    .where(
      and(gte(changeRecordsTable.detectedAt, period.start), lt(changeRecordsTable.detectedAt, period.end)),
    )
    .groupBy(changeRecordsTable.sourceId);
  for (const r of changes) entry(r.sourceId).changes = r.n;
  const unhealthy = await db
    .selectDistinct({ sourceId: sourceHealthEventsTable.sourceId })
    .from(sourceHealthEventsTable)
    .where(
      and(
        gte(sourceHealthEventsTable.at, period.start),
        lt(sourceHealthEventsTable.at, period.end),
        ne(sourceHealthEventsTable.toHealth, "healthy"),
      ),
    );
  for (const r of unhealthy) entry(r.sourceId).unhealthy = true;
  return out;
}

/** Health transitions after an event id (oldest first): what operators have not been told about yet. */
export async function healthEventsAfter(
  db: Db,
  options: { afterId?: number; since: Date },
): Promise<(SourceHealthEvent & { sourceTitle: string })[]> {
  const rows = await db
    .select({ event: sourceHealthEventsTable, sourceTitle: sourcesTable.title })
    .from(sourceHealthEventsTable)
    .innerJoin(sourcesTable, eq(sourcesTable.id, sourceHealthEventsTable.sourceId))
    .where(
      and(
        gte(sourceHealthEventsTable.at, options.since),
        ...(options.afterId !== undefined ? [gt(sourceHealthEventsTable.id, options.afterId)] : []),
      ),
    )
    .orderBy(sourceHealthEventsTable.id);
  return rows.map((r) => ({ ...r.event, sourceTitle: r.sourceTitle }));
}

export async function getHealthEvent(db: Db, id: number): Promise<SourceHealthEvent | undefined> {
  const [row] = await db.select().from(sourceHealthEventsTable).where(eq(sourceHealthEventsTable.id, id));
  return row;
}
