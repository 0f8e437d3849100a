// What a change's page shows around the record: the instrument behind it,
// the other changes that instrument made, and the instrument's lifecycle as
// the tracked records know it (public inspection → publication → codified in
// the list → effective).

import type { ChangeRecord } from "@regwatch/core/schemas";
import { and, asc, eq, isNotNull, isNull, ne } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import { changeRecordsTable, eventsTable, snapshotsTable } from "../schema/index.ts";
import { type EventRow, listChanges } from "./changes.ts";

// A rule can touch hundreds of entries; the page lists the first of them and says how many.
const RELATED_LIMIT = 50;

export interface LifecycleStep {
  stage: "public-inspection" | "published" | "codified" | "effective";
  /** YYYY-MM-DD or an instant; null when the stage is expected but not known yet. */
  at: string | null;
  /** The record that tells of it, when one does. */
  changeId: string | null;
}

export interface ChangeContext {
  change: ChangeRecord;
  /** The instrument behind the change (a Federal Register rule, an SOR), when known. */
  instrument: EventRow | null;
  /** Other changes from the same instrument, or, with none known, from the same list version. */
  related: { basis: "instrument" | "snapshot"; changes: ChangeRecord[]; total: number };
  lifecycle: LifecycleStep[];
  /** The snapshot the record came from: when it was taken and the document's own version date. */
  snapshot: { id: number; takenAt: string; versionDate: string | null; url: string | null } | null;
}

export async function changeContext(db: Db, id: string): Promise<ChangeContext | null> {
  const [row] = await db
    .select({
      eventId: changeRecordsTable.eventId,
      snapshotId: changeRecordsTable.snapshotId,
      stage: changeRecordsTable.stage,
      subject: changeRecordsTable.subject,
      jurisdiction: changeRecordsTable.jurisdiction,
      citation: changeRecordsTable.citation,
    })
    .from(changeRecordsTable)
    .where(eq(changeRecordsTable.id, id));
  if (!row) return null;
  const [change] = await listChanges(db, { ids: [id] });
  if (!change) return null;

  const instrument = await instrumentOf(db, row);
  const [snapshot] = await db
    .select({
      id: snapshotsTable.id,
      takenAt: snapshotsTable.takenAt,
      versionDate: snapshotsTable.versionDate,
      url: snapshotsTable.url,
    })
    .from(snapshotsTable)
    .where(eq(snapshotsTable.id, row.snapshotId));

  const relatedWhere = instrument
    ? and(eq(changeRecordsTable.eventId, instrument.id), ne(changeRecordsTable.id, id))
    : and(eq(changeRecordsTable.snapshotId, row.snapshotId), ne(changeRecordsTable.id, id));
  const relatedIds = await db
    .select({ id: changeRecordsTable.id })
    .from(changeRecordsTable)
    .where(relatedWhere)
    .orderBy(asc(changeRecordsTable.seq));
  const related = relatedIds.length
    ? await listChanges(db, { ids: relatedIds.slice(0, RELATED_LIMIT).map((r) => r.id) })
    : [];

  return {
    change,
    instrument,
    related: { basis: instrument ? "instrument" : "snapshot", changes: related, total: relatedIds.length },
    lifecycle: instrument ? await lifecycleOf(db, instrument) : [],
    snapshot: snapshot
      ? {
          id: snapshot.id,
          takenAt: snapshot.takenAt.toISOString(),
          versionDate: snapshot.versionDate,
          url: snapshot.url,
        }
      : null,
  };
}

/** The event a list change was linked to, or, for a document's own record, the event made from it. */
async function instrumentOf(
  db: Db,
  row: {
    eventId: number | null;
    stage: string | null;
    subject: string;
    jurisdiction: string;
    citation: string | null;
  },
): Promise<EventRow | null> {
  if (row.eventId !== null) {
    const [event] = await db.select().from(eventsTable).where(eq(eventsTable.id, row.eventId));
    return event ?? null;
  }
  if (row.stage === null) return null;
  const [byDocument] = await db
    .select()
    .from(eventsTable)
    .where(and(eq(eventsTable.jurisdiction, row.jurisdiction), eq(eventsTable.documentId, row.subject)));
  if (byDocument) return byDocument;
  if (!row.citation) return null;
  const [byCitation] = await db
    .select()
    .from(eventsTable)
    .where(and(eq(eventsTable.jurisdiction, row.jurisdiction), eq(eventsTable.citation, row.citation)));
  return byCitation ?? null;
}

async function lifecycleOf(db: Db, event: EventRow): Promise<LifecycleStep[]> {
  // The instrument's own records: on public inspection first, then published.
  const documentRecords = event.documentId
    ? await db
        .select({
          id: changeRecordsTable.id,
          stage: changeRecordsTable.stage,
          detectedAt: changeRecordsTable.detectedAt,
        })
        .from(changeRecordsTable)
        .where(
          and(
            eq(changeRecordsTable.jurisdiction, event.jurisdiction),
            eq(changeRecordsTable.subject, event.documentId),
            isNotNull(changeRecordsTable.stage),
          ),
        )
        .orderBy(asc(changeRecordsTable.detectedAt))
    : [];
  const inspection = documentRecords.find((r) => r.stage === "public-inspection");
  const published = documentRecords.find((r) => r.stage === "published");
  // Codified: the first list change linked to the instrument, when its list version was seen.
  const [codified] = await db
    .select({
      id: changeRecordsTable.id,
      detectedAt: changeRecordsTable.detectedAt,
      versionDate: snapshotsTable.versionDate,
    })
    .from(changeRecordsTable)
    .innerJoin(snapshotsTable, eq(snapshotsTable.id, changeRecordsTable.snapshotId))
    .where(and(eq(changeRecordsTable.eventId, event.id), isNull(changeRecordsTable.stage)))
    .orderBy(asc(changeRecordsTable.detectedAt))
    .limit(1);
  const steps: LifecycleStep[] = [];
  if (inspection)
    steps.push({
      stage: "public-inspection",
      at: inspection.detectedAt.toISOString(),
      changeId: inspection.id,
    });
  steps.push({ stage: "published", at: event.publishedAt, changeId: published?.id ?? null });
  steps.push({
    stage: "codified",
    at: codified ? (codified.versionDate ?? codified.detectedAt.toISOString()) : null,
    changeId: codified?.id ?? null,
  });
  steps.push({ stage: "effective", at: event.effectiveAt, changeId: null });
  return steps;
}
