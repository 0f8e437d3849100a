import { eq, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../open-database.ts";
import { fetchAttemptsTable, sourcesTable } from "../schema/index.ts";

export type SourceRow = typeof sourcesTable.$inferSelect;
/** stale: the source answered with an older version than the one accepted (a lagging mirror or CDN). */
export type Health = "healthy" | "unreachable" | "stale" | "quarantined" | "broken" | "unknown";

export async function ensureSource(
  db: Db,
  source: { id: string; jurisdiction: string; kind: string; title: string },
): Promise<void> {
  await db
    .insert(sourcesTable)
    .values({ id: source.id, jurisdiction: source.jurisdiction, kind: source.kind, title: source.title })
    .onConflictDoUpdate({
      target: sourcesTable.id,
      set: { jurisdiction: source.jurisdiction, kind: source.kind, title: source.title },
    });
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

export interface HealthUpdate {
  health: Health;
  reason: string | null;
  at: Date;
  /** A run that got through (new data or nothing new). */
  success?: boolean;
  changed?: boolean;
  state?: Record<string, unknown>;
}

/** A timestamp column moved to `at` unless it already is later: a replay with an older clock never moves it back. */
const latest = (column: AnyPgColumn, at: Date) => sql`greatest(${column}, ${at.toISOString()}::timestamptz)`;

export async function recordHealth(db: Db, id: string, update: HealthUpdate): Promise<void> {
  await db
    .update(sourcesTable)
    .set({
      health: update.health,
      healthReason: update.reason,
      lastRunAt: latest(sourcesTable.lastRunAt, update.at),
      ...(update.success
        ? { lastSuccessAt: latest(sourcesTable.lastSuccessAt, update.at), consecutiveFailures: 0 }
        : {}),
      ...(update.success === false
        ? { consecutiveFailures: sql`${sourcesTable.consecutiveFailures} + 1` }
        : {}),
      ...(update.changed ? { lastChangeAt: latest(sourcesTable.lastChangeAt, update.at) } : {}),
      ...(update.state ? { state: update.state } : {}),
    })
    .where(eq(sourcesTable.id, id));
}

export async function recordFetchAttempt(
  db: Db,
  attempt: typeof fetchAttemptsTable.$inferInsert,
): Promise<void> {
  await db.insert(fetchAttemptsTable).values(attempt);
}
