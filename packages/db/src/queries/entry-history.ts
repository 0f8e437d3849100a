// An entry's history and the comparison of two snapshots of a source, read
// from the versioned entries table: a row is one version of one entry, valid
// from the accepted snapshot that introduced it until the one that replaced
// or removed it (valid_to, null while current). Only accepted snapshots move
// entries, in id order under the source's lock, so "the list as of accepted
// snapshot S" is every row with valid_from <= S < valid_to.

import { and, asc, eq, gt, isNull, lte, ne, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db } from "../open-database.ts";
import { changeRecordsTable, entriesTable, snapshotsTable } from "../schema/index.ts";

export interface EntryVersion {
  /** The entries row. */
  id: number;
  parentKey: string | null;
  heading: string | null;
  text: string;
  hash: string;
  /** The accepted snapshot that introduced this version, and when it was taken. */
  snapshotId: number;
  firstSeenAt: Date;
  /** The document behind that snapshot: its bytes, the parser that read them, its own version date. */
  artifactSha256: string;
  parserVersion: string;
  versionDate: string | null;
  /** The newest accepted snapshot that still held this version. */
  lastSeenSnapshotId: number;
  lastSeenAt: Date;
  /** The accepted snapshot that replaced or removed it, and when; null while current. */
  endSnapshotId: number | null;
  endedAt: Date | null;
}

/** Every version of one entry of a source, oldest first: one query (entries_key_idx). */
export async function entryVersions(db: Db, sourceId: string, key: string): Promise<EntryVersion[]> {
  const first = alias(snapshotsTable, "first_snapshot");
  const end = alias(snapshotsTable, "end_snapshot");
  const last = alias(snapshotsTable, "last_snapshot");
  const probe = alias(snapshotsTable, "probe");
  // The newest accepted snapshot in [valid_from, valid_to): snapshots_source_idx (source_id, id).
  const lastSeenId = sql`(
    select max(${probe.id}) from ${snapshotsTable} as ${probe}
    where ${probe.sourceId} = ${entriesTable.sourceId} and ${probe.status} = 'accepted'
      and ${probe.id} >= ${entriesTable.validFrom}
      and (${entriesTable.validTo} is null or ${probe.id} < ${entriesTable.validTo})
  )`;
  const rows = await db
    .select({
      id: entriesTable.id,
      parentKey: entriesTable.parentKey,
      heading: entriesTable.heading,
      text: entriesTable.text,
      hash: entriesTable.hash,
      snapshotId: entriesTable.validFrom,
      firstSeenAt: first.takenAt,
      artifactSha256: first.artifactSha256,
      parserVersion: first.parserVersion,
      versionDate: first.versionDate,
      lastSeenSnapshotId: last.id,
      lastSeenAt: last.takenAt,
      endSnapshotId: entriesTable.validTo,
      endedAt: end.takenAt,
    })
    .from(entriesTable)
    .innerJoin(first, eq(first.id, entriesTable.validFrom))
    .leftJoin(end, eq(end.id, entriesTable.validTo))
    .leftJoin(last, eq(last.id, lastSeenId))
    .where(and(eq(entriesTable.sourceId, sourceId), eq(entriesTable.key, key)))
    .orderBy(asc(entriesTable.validFrom), asc(entriesTable.id));
  return rows.map((r) => ({
    ...r,
    // The snapshot that introduced a version is accepted, so it always holds it.
    lastSeenSnapshotId: r.lastSeenSnapshotId ?? r.snapshotId,
    lastSeenAt: r.lastSeenAt ?? r.firstSeenAt,
  }));
}

export interface EntryChange {
  id: string;
  kind: string;
  title: string;
  detectedAt: Date;
  publishedAt: string | null;
  effectiveAt: string | null;
  citation: string | null;
  snapshotId: number;
}

/** The change records about one entry of a source (its key is their subject), oldest first. */
export async function entryChanges(db: Db, sourceId: string, key: string): Promise<EntryChange[]> {
  return db
    .select({
      id: changeRecordsTable.id,
      kind: changeRecordsTable.kind,
      title: changeRecordsTable.title,
      detectedAt: changeRecordsTable.detectedAt,
      publishedAt: changeRecordsTable.publishedAt,
      effectiveAt: changeRecordsTable.effectiveAt,
      citation: changeRecordsTable.citation,
      snapshotId: changeRecordsTable.snapshotId,
    })
    .from(changeRecordsTable)
    .where(and(eq(changeRecordsTable.sourceId, sourceId), eq(changeRecordsTable.subject, key)))
    .orderBy(asc(changeRecordsTable.detectedAt), asc(changeRecordsTable.seq));
}

export type ComparisonKind = "added" | "removed" | "modified";

export interface ComparedVersion {
  id: number;
  parentKey: string | null;
  heading: string | null;
  text: string;
  hash: string;
}

export interface ComparedEntry {
  key: string;
  kind: ComparisonKind;
  /** The version at `from`; null when added. */
  before: ComparedVersion | null;
  /** The version at `to`; null when removed. */
  after: ComparedVersion | null;
}

export interface Comparison {
  counts: Record<ComparisonKind, number>;
  /** Up to `limit` differing entries by key (bytewise order, the same on every database), after `afterKey` when given. */
  entries: ComparedEntry[];
}

/**
 * The entries that differ between two accepted snapshots of a source, `from`
 * read as before and `to` as after (either may be the older). Only the rows
 * valid at one snapshot and not at the other are read, joined by key and
 * compared by content hash in SQL, so the texts of unchanged entries never
 * leave the database: two queries, the counts and one page of entries.
 */
export async function compareSnapshots(
  db: Db,
  sourceId: string,
  range: { from: number; to: number; limit: number; afterKey?: string | null },
): Promise<Comparison> {
  const { from, to, limit, afterKey } = range;
  if (from === to) return { counts: { added: 0, removed: 0, modified: 0 }, entries: [] };
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  const e = entriesTable;
  // Valid at lo, gone by hi (replaced or removed in between).
  const onlyAtLo = and(eq(e.sourceId, sourceId), lte(e.validFrom, lo), gt(e.validTo, lo), lte(e.validTo, hi));
  // Introduced after lo, still valid at hi.
  const onlyAtHi = and(
    eq(e.sourceId, sourceId),
    gt(e.validFrom, lo),
    lte(e.validFrom, hi),
    or(isNull(e.validTo), gt(e.validTo, hi)),
  );
  const side = (name: string, where: SQL | undefined) =>
    db.$with(name).as(db.select({ key: e.key, id: e.id, hash: e.hash }).from(e).where(where));
  const before = side("before_side", from < to ? onlyAtLo : onlyAtHi);
  const after = side("after_side", from < to ? onlyAtHi : onlyAtLo);
  const changed = db.$with("changed").as(
    db
      .select({
        key: sql<string>`coalesce(${before.key}, ${after.key})`.as("changed_key"),
        beforeId: sql<number | null>`${before.id}`.as("before_id"),
        afterId: sql<number | null>`${after.id}`.as("after_id"),
      })
      .from(before)
      .fullJoin(after, eq(before.key, after.key))
      // The same text at both ends (changed and changed back in between) is no difference.
      .where(or(isNull(before.id), isNull(after.id), ne(before.hash, after.hash))),
  );
  const kindOf = sql<ComparisonKind>`case when ${changed.beforeId} is null then 'added' when ${changed.afterId} is null then 'removed' else 'modified' end`;

  const tally = await db
    .with(before, after, changed)
    .select({ kind: kindOf, n: sql<number>`count(*)`.mapWith(Number) })
    .from(changed)
    .groupBy(kindOf);
  const counts: Record<ComparisonKind, number> = { added: 0, removed: 0, modified: 0 };
  for (const t of tally) counts[t.kind] = t.n;
  if (counts.added + counts.removed + counts.modified === 0) return { counts, entries: [] };

  const b = alias(entriesTable, "before_row");
  const a = alias(entriesTable, "after_row");
  const rows = await db
    .with(before, after, changed)
    .select({
      key: changed.key,
      kind: kindOf,
      before: { id: b.id, parentKey: b.parentKey, heading: b.heading, text: b.text, hash: b.hash },
      after: { id: a.id, parentKey: a.parentKey, heading: a.heading, text: a.text, hash: a.hash },
    })
    .from(changed)
    .leftJoin(b, eq(b.id, changed.beforeId))
    .leftJoin(a, eq(a.id, changed.afterId))
    .where(afterKey ? sql`${changed.key} collate "C" > ${afterKey}` : undefined)
    .orderBy(sql`${changed.key} collate "C"`)
    .limit(limit);
  return { counts, entries: rows };
}
