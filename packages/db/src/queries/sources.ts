import { eq, sql } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import { fetchAttemptsTable, sourcesTable } from "../schema/index.ts";

export type SourceRow = typeof sourcesTable.$inferSelect;
export type Health = "healthy" | "unreachable" | "quarantined" | "broken" | "unknown";

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

export async function recordHealth(db: Db, id: string, update: HealthUpdate): Promise<void> {
  await db
    .update(sourcesTable)
    .set({
      health: update.health,
      healthReason: update.reason,
      lastRunAt: update.at,
      ...(update.success ? { lastSuccessAt: update.at, consecutiveFailures: 0 } : {}),
      ...(update.success === false
        ? { consecutiveFailures: sql`${sourcesTable.consecutiveFailures} + 1` }
        : {}),
      ...(update.changed ? { lastChangeAt: update.at } : {}),
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
