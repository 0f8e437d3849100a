import type { ChangeRecord } from "@regwatch/core/schemas";
import { and, asc, eq, exists, getTableColumns, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import {
  changeCountriesTable,
  changeRecordsTable,
  changeTechnologiesTable,
  eventsTable,
} from "../schema/index.ts";

const BATCH = 500;

// Every column but the search vector (as long as the text it indexes, and never shown).
export const { search: _search, ...RECORD_COLUMNS } = getTableColumns(changeRecordsTable);

type RecordRow = Omit<typeof changeRecordsTable.$inferSelect, "search">;

/** A stored row and its tags as the record the rest of regwatch reads. */
export function toChangeRecord(r: RecordRow, technologies: string[], countries: string[]): ChangeRecord {
  return {
    id: r.id,
    source: r.sourceId,
    jurisdiction: r.jurisdiction as ChangeRecord["jurisdiction"],
    kind: r.kind as ChangeRecord["kind"],
    subject: r.subject,
    title: r.title,
    before: r.before,
    after: r.after,
    technologies: technologies.sort() as ChangeRecord["technologies"],
    countries: countries.sort(),
    publishedAt: r.publishedAt,
    effectiveAt: r.effectiveAt,
    detectedAt: r.detectedAt.toISOString(),
    url: r.url,
    citation: r.citation,
    provenance: {
      artifactSha256: r.artifactSha256,
      fetchedAt: r.fetchedAt.toISOString(),
      parserVersion: r.parserVersion,
    },
    origin: r.origin as ChangeRecord["origin"],
    alert: r.alert,
    wassenaarCategory: r.wassenaarCategory,
    stage: r.stage as ChangeRecord["stage"],
    diff: r.diff as ChangeRecord["diff"],
    details: r.details ?? null,
  };
}

/**
 * Stores change records with their tags. Ids are derived from source,
 * artifact, kind and subject, so storing the same records again inserts
 * nothing: the count returned is of new records only.
 */
export async function insertChanges(
  db: Db,
  records: readonly ChangeRecord[],
  link: { snapshotId: number; eventId?: number | null },
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < records.length; i += BATCH) {
    const batch = records.slice(i, i + BATCH);
    const rows = await db
      .insert(changeRecordsTable)
      .values(
        batch.map((r) => ({
          id: r.id,
          sourceId: r.source,
          jurisdiction: r.jurisdiction,
          kind: r.kind,
          subject: r.subject,
          title: r.title,
          before: r.before,
          after: r.after,
          diff: r.diff,
          details: r.details,
          publishedAt: r.publishedAt,
          effectiveAt: r.effectiveAt,
          detectedAt: new Date(r.detectedAt),
          url: r.url,
          citation: r.citation,
          artifactSha256: r.provenance.artifactSha256,
          fetchedAt: new Date(r.provenance.fetchedAt),
          parserVersion: r.provenance.parserVersion,
          origin: r.origin,
          alert: r.alert,
          stage: r.stage,
          wassenaarCategory: r.wassenaarCategory,
          snapshotId: link.snapshotId,
          eventId: link.eventId ?? null,
        })),
      )
      .onConflictDoNothing()
      .returning({ id: changeRecordsTable.id, seq: changeRecordsTable.seq });
    const fresh = new Map(rows.map((r) => [r.id, r.seq]));
    inserted += fresh.size;
    const techs = batch
      .filter((r) => fresh.has(r.id))
      .flatMap((r) =>
        r.technologies.map((t) => ({
          changeId: r.id,
          technology: t,
          detectedAt: new Date(r.detectedAt),
          seq: fresh.get(r.id)!,
          jurisdiction: r.jurisdiction,
        })),
      );
    const countries = batch
      .filter((r) => fresh.has(r.id))
      .flatMap((r) => r.countries.map((c) => ({ changeId: r.id, country: c })));
    if (techs.length) await db.insert(changeTechnologiesTable).values(techs).onConflictDoNothing();
    if (countries.length) await db.insert(changeCountriesTable).values(countries).onConflictDoNothing();
  }
  return inserted;
}

export interface ChangeFilters {
  /** Detected at or after (ISO date or instant). */
  since?: string;
  /** Detected before (ISO date or instant): with `since`, a period [since, before). */
  before?: string;
  jurisdiction?: string;
  technology?: string;
  country?: string;
  source?: string;
  /** Only records a subscriber would be told about. */
  alertOnly?: boolean;
  /** These records only. */
  ids?: readonly string[];
  limit?: number;
}

export async function listChanges(db: Db, filters: ChangeFilters = {}): Promise<ChangeRecord[]> {
  const where: SQL[] = [];
  if (filters.since) where.push(gte(changeRecordsTable.detectedAt, new Date(filters.since)));
  if (filters.before) where.push(lt(changeRecordsTable.detectedAt, new Date(filters.before)));
  if (filters.jurisdiction) where.push(eq(changeRecordsTable.jurisdiction, filters.jurisdiction));
  if (filters.source) where.push(eq(changeRecordsTable.sourceId, filters.source));
  if (filters.alertOnly) where.push(eq(changeRecordsTable.alert, true));
  if (filters.ids) where.push(inArray(changeRecordsTable.id, [...filters.ids]));
  if (filters.technology) {
    where.push(
      exists(
        db
          .select({ one: changeTechnologiesTable.changeId })
          .from(changeTechnologiesTable)
          .where(
            and(
              eq(changeTechnologiesTable.changeId, changeRecordsTable.id),
              eq(changeTechnologiesTable.technology, filters.technology),
            ),
          ),
      ),
    );
  }
  if (filters.country) {
    where.push(
      exists(
        db
          .select({ one: changeCountriesTable.changeId })
          .from(changeCountriesTable)
          .where(
            and(
              eq(changeCountriesTable.changeId, changeRecordsTable.id),
              eq(changeCountriesTable.country, filters.country),
            ),
          ),
      ),
    );
  }
  const rows = await db
    .select(RECORD_COLUMNS)
    .from(changeRecordsTable)
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(changeRecordsTable.detectedAt), asc(changeRecordsTable.seq))
    .limit(filters.limit ?? 100_000);
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const techs = new Map<string, string[]>();
  const countries = new Map<string, string[]>();
  for (let i = 0; i < ids.length; i += BATCH) {
    const slice = ids.slice(i, i + BATCH);
    for (const t of await db
      .select()
      .from(changeTechnologiesTable)
      .where(inArray(changeTechnologiesTable.changeId, slice))) {
      techs.set(t.changeId, [...(techs.get(t.changeId) ?? []), t.technology]);
    }
    for (const c of await db
      .select()
      .from(changeCountriesTable)
      .where(inArray(changeCountriesTable.changeId, slice))) {
      countries.set(c.changeId, [...(countries.get(c.changeId) ?? []), c.country]);
    }
  }
  return rows.map((r) => toChangeRecord(r, techs.get(r.id) ?? [], countries.get(r.id) ?? []));
}

export type EventRow = typeof eventsTable.$inferSelect;

/**
 * The instrument by (jurisdiction, citation). A documents source publishes the
 * instrument itself: its facts replace what was known. A list that only names
 * the instrument it was amended by (`fill`) adds what is still unknown and
 * never overwrites the publication's own date and address with its own.
 */
export async function upsertEvent(
  db: Db,
  event: typeof eventsTable.$inferInsert,
  options: { fill?: boolean } = {},
): Promise<EventRow> {
  const { jurisdiction: _j, citation: _c, ...rest } = event;
  const set = options.fill
    ? {
        documentId: sql`coalesce(${eventsTable.documentId}, excluded.document_id)`,
        title: sql`coalesce(${eventsTable.title}, excluded.title)`,
        publishedAt: sql`coalesce(${eventsTable.publishedAt}, excluded.published_at)`,
        effectiveAt: sql`coalesce(${eventsTable.effectiveAt}, excluded.effective_at)`,
        url: sql`coalesce(${eventsTable.url}, excluded.url)`,
      }
    : rest;
  const [row] = await db
    .insert(eventsTable)
    .values(event)
    .onConflictDoUpdate({ target: [eventsTable.jurisdiction, eventsTable.citation], set })
    .returning();
  return row!;
}

/** Instruments of a jurisdiction that took effect on a date: candidates for the cause of a list change. */
export async function eventsEffectiveOn(db: Db, jurisdiction: string, date: string): Promise<EventRow[]> {
  return db
    .select()
    .from(eventsTable)
    .where(and(eq(eventsTable.jurisdiction, jurisdiction), eq(eventsTable.effectiveAt, date)));
}
