// What the sources pages read beyond a source's health row: its snapshots
// (accepted, quarantined, stale), newest first in keyset pages, each with the
// records it produced and the accepted snapshot before it (what "compare with
// previous" compares against).

import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { type AnyPgTable, alias } from "drizzle-orm/pg-core";
import type { Db } from "../open-database.ts";
import { changeRecordsTable, snapshotsTable } from "../schema/index.ts";

/**
 * A column named with its table, as a correlated subquery needs: drizzle
 * leaves the columns of a one-table select unqualified, which inside the
 * subquery would name the inner table's.
 */
const col = (table: AnyPgTable, column: string) => sql`${table}.${sql.identifier(column)}`;

export type SnapshotStatus = "accepted" | "quarantined" | "stale";

export interface SnapshotListing {
  id: number;
  status: string;
  reason: string | null;
  origin: string;
  itemCount: number;
  versionDate: string | null;
  artifactSha256: string;
  parserVersion: string;
  url: string | null;
  fetchedAt: Date;
  takenAt: Date;
  /** The accepted snapshot of the same source just before this one; null for the first, and for snapshots not accepted. */
  previousAcceptedId: number | null;
  /** Change records this snapshot produced. */
  changeCount: number;
}

export interface SnapshotPageOptions {
  /** Keyset: only snapshots with an id below this one. */
  before?: number;
  limit: number;
  status?: SnapshotStatus;
}

/**
 * One page of a source's snapshots, newest first: two queries whatever the
 * page size (the snapshots, then their record counts grouped).
 */
export async function sourceSnapshots(
  db: Db,
  sourceId: string,
  options: SnapshotPageOptions,
): Promise<SnapshotListing[]> {
  const prev = alias(snapshotsTable, "prev");
  const rows = await db
    .select({
      id: snapshotsTable.id,
      status: snapshotsTable.status,
      reason: snapshotsTable.reason,
      origin: snapshotsTable.origin,
      itemCount: snapshotsTable.itemCount,
      versionDate: snapshotsTable.versionDate,
      artifactSha256: snapshotsTable.artifactSha256,
      parserVersion: snapshotsTable.parserVersion,
      url: snapshotsTable.url,
      fetchedAt: snapshotsTable.fetchedAt,
      takenAt: snapshotsTable.takenAt,
      // Served by snapshots_source_idx (source_id, id).
      previousAcceptedId: sql<number | null>`case when ${snapshotsTable.status} = 'accepted' then (
        select max(${col(prev, "id")}) from ${snapshotsTable} as ${prev}
        where ${col(prev, "source_id")} = ${col(snapshotsTable, "source_id")} and ${col(prev, "status")} = 'accepted'
          and ${col(prev, "id")} < ${col(snapshotsTable, "id")}
      ) end`.mapWith(Number),
    })
    .from(snapshotsTable)
    .where(
      and(
        eq(snapshotsTable.sourceId, sourceId),
        options.before !== undefined ? lt(snapshotsTable.id, options.before) : undefined,
        options.status ? eq(snapshotsTable.status, options.status) : undefined,
      ),
    )
    .orderBy(desc(snapshotsTable.id))
    .limit(options.limit);
  const counts = await changeCounts(
    db,
    sourceId,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, changeCount: counts.get(r.id) ?? 0 }));
}

/** Records per snapshot, for some snapshots of one source: one grouped query. */
async function changeCounts(db: Db, sourceId: string, ids: readonly number[]): Promise<Map<number, number>> {
  if (!ids.length) return new Map();
  const rows = await db
    .select({
      snapshotId: changeRecordsTable.snapshotId,
      n: sql<number>`count(*)`.mapWith(Number),
    })
    .from(changeRecordsTable)
    // The source first: change_records_source_idx narrows it; there is no index on snapshot_id.
    .where(and(eq(changeRecordsTable.sourceId, sourceId), inArray(changeRecordsTable.snapshotId, [...ids])))
    .groupBy(changeRecordsTable.snapshotId);
  return new Map(rows.map((r) => [r.snapshotId, r.n]));
}

export interface SnapshotChoice {
  id: number;
  takenAt: Date;
  versionDate: string | null;
  origin: string;
}

/** A source's accepted snapshots, newest first: what can be compared. */
export async function acceptedSnapshotChoices(
  db: Db,
  sourceId: string,
  limit: number,
): Promise<SnapshotChoice[]> {
  return db
    .select({
      id: snapshotsTable.id,
      takenAt: snapshotsTable.takenAt,
      versionDate: snapshotsTable.versionDate,
      origin: snapshotsTable.origin,
    })
    .from(snapshotsTable)
    .where(and(eq(snapshotsTable.sourceId, sourceId), eq(snapshotsTable.status, "accepted")))
    .orderBy(desc(snapshotsTable.id))
    .limit(limit);
}

export interface SnapshotHeader {
  id: number;
  sourceId: string;
  status: string;
  reason: string | null;
  takenAt: Date;
  versionDate: string | null;
  artifactSha256: string;
  parserVersion: string;
  itemCount: number;
}

/** One snapshot, whatever its source (the caller checks that it is the one asked about). */
export async function snapshotHeader(db: Db, id: number): Promise<SnapshotHeader | undefined> {
  const [row] = await db
    .select({
      id: snapshotsTable.id,
      sourceId: snapshotsTable.sourceId,
      status: snapshotsTable.status,
      reason: snapshotsTable.reason,
      takenAt: snapshotsTable.takenAt,
      versionDate: snapshotsTable.versionDate,
      artifactSha256: snapshotsTable.artifactSha256,
      parserVersion: snapshotsTable.parserVersion,
      itemCount: snapshotsTable.itemCount,
    })
    .from(snapshotsTable)
    .where(eq(snapshotsTable.id, id));
  return row;
}
