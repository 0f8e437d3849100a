import { and, desc, eq, gte, inArray, isNotNull, isNull, lte, ne, or } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import { entriesTable, snapshotsTable } from "../schema/index.ts";

export type SnapshotRow = typeof snapshotsTable.$inferSelect;
export type EntryRow = typeof entriesTable.$inferSelect;

/** An accepted snapshot of these bytes read by this parser version, if the source has one. */
export async function findAcceptedSnapshot(
  db: Db,
  sourceId: string,
  artifactSha256: string,
  parserVersion: string,
) {
  const [row] = await db
    .select({ id: snapshotsTable.id })
    .from(snapshotsTable)
    .where(
      and(
        eq(snapshotsTable.sourceId, sourceId),
        eq(snapshotsTable.artifactSha256, artifactSha256),
        eq(snapshotsTable.parserVersion, parserVersion),
        eq(snapshotsTable.status, "accepted"),
      ),
    )
    .limit(1);
  return row;
}

/** The newest snapshot of a source whatever its status: what it last saw. */
export async function latestSnapshot(db: Db, sourceId: string): Promise<SnapshotRow | undefined> {
  const [row] = await db
    .select()
    .from(snapshotsTable)
    .where(eq(snapshotsTable.sourceId, sourceId))
    .orderBy(desc(snapshotsTable.id))
    .limit(1);
  return row;
}

/** Whether a run other than `runId` has had a snapshot accepted: if not, this run is the source's baseline. */
export async function acceptedOutsideRun(db: Db, sourceId: string, runId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: snapshotsTable.id })
    .from(snapshotsTable)
    .where(
      and(
        eq(snapshotsTable.sourceId, sourceId),
        eq(snapshotsTable.status, "accepted"),
        or(isNull(snapshotsTable.runId), ne(snapshotsTable.runId, runId)),
      ),
    )
    .limit(1);
  return row !== undefined;
}

export async function latestAcceptedSnapshot(db: Db, sourceId: string): Promise<SnapshotRow | undefined> {
  const [row] = await db
    .select()
    .from(snapshotsTable)
    .where(and(eq(snapshotsTable.sourceId, sourceId), eq(snapshotsTable.status, "accepted")))
    .orderBy(desc(snapshotsTable.id))
    .limit(1);
  return row;
}

export async function insertSnapshot(db: Db, row: typeof snapshotsTable.$inferInsert): Promise<SnapshotRow> {
  const [inserted] = await db.insert(snapshotsTable).values(row).returning();
  return inserted!;
}

/** The entries (or documents) of a source as they stand now. */
export async function currentEntries(db: Db, sourceId: string): Promise<EntryRow[]> {
  return db
    .select()
    .from(entriesTable)
    .where(and(eq(entriesTable.sourceId, sourceId), isNull(entriesTable.validTo)))
    .orderBy(entriesTable.id);
}

/** Hashes of the earlier (replaced) versions of some entries: how a stale copy of a document is recognised. */
export async function pastHashes(db: Db, sourceId: string, keys: readonly string[]) {
  const out = new Map<string, Set<string>>();
  for (let i = 0; i < keys.length; i += INSERT_BATCH) {
    const rows = await db
      .select({ key: entriesTable.key, hash: entriesTable.hash })
      .from(entriesTable)
      .where(
        and(
          eq(entriesTable.sourceId, sourceId),
          isNotNull(entriesTable.validTo),
          inArray(entriesTable.key, keys.slice(i, i + INSERT_BATCH)),
        ),
      );
    for (const r of rows) {
      const set = out.get(r.key) ?? new Set<string>();
      set.add(r.hash);
      out.set(r.key, set);
    }
  }
  return out;
}

export interface NewEntry {
  key: string;
  parentKey: string | null;
  heading: string | null;
  text: string;
  hash: string;
  data?: Record<string, unknown> | null;
}

// Postgres takes at most 65,535 bind parameters per statement; 8 columns a row.
const INSERT_BATCH = 1000;
// And a statement's text is built whole in memory (twice over, as string and
// as protocol message): about 4 MB of entry text a statement keeps a large
// list's peak near the size of the list itself.
const INSERT_BATCH_CHARS = 1024 * 1024;

function* batches(entries: readonly NewEntry[]): Generator<NewEntry[]> {
  let batch: NewEntry[] = [];
  let chars = 0;
  for (const e of entries) {
    const size = e.text.length + (e.heading?.length ?? 0);
    if (batch.length && (batch.length >= INSERT_BATCH || chars + size > INSERT_BATCH_CHARS)) {
      yield batch;
      batch = [];
      chars = 0;
    }
    batch.push(e);
    chars += size;
  }
  if (batch.length) yield batch;
}

/**
 * Moves a source's current entries to a new snapshot. Unchanged entries keep
 * their row; changed ones are closed and re-inserted; entries missing from
 * `next` are closed when `closeMissing` (lists), kept when not (document feeds,
 * where a page of results is never the whole feed).
 */
export async function applyEntries(
  db: Db,
  sourceId: string,
  snapshotId: number,
  current: readonly EntryRow[],
  next: readonly NewEntry[],
  closeMissing: boolean,
): Promise<void> {
  const byKey = new Map(current.map((e) => [e.key, e]));
  const nextKeys = new Set(next.map((e) => e.key));
  const toClose: number[] = [];
  const toInsert: NewEntry[] = [];
  for (const entry of next) {
    const old = byKey.get(entry.key);
    if (old && old.hash === entry.hash) continue;
    if (old) toClose.push(old.id);
    toInsert.push(entry);
  }
  if (closeMissing) for (const old of current) if (!nextKeys.has(old.key)) toClose.push(old.id);
  for (let i = 0; i < toClose.length; i += INSERT_BATCH) {
    await db
      .update(entriesTable)
      .set({ validTo: snapshotId })
      .where(inArray(entriesTable.id, toClose.slice(i, i + INSERT_BATCH)));
  }
  for (const batch of batches(toInsert)) {
    await db.insert(entriesTable).values(
      batch.map((e) => ({
        sourceId,
        key: e.key,
        parentKey: e.parentKey,
        heading: e.heading,
        text: e.text,
        hash: e.hash,
        data: e.data ?? null,
        validFrom: snapshotId,
      })),
    );
  }
}

/** Every stored version of one entry, oldest first: its history. */
export async function entryHistory(db: Db, sourceId: string, key: string) {
  return db
    .select({ entry: entriesTable, from: snapshotsTable })
    .from(entriesTable)
    .innerJoin(snapshotsTable, eq(snapshotsTable.id, entriesTable.validFrom))
    .where(and(eq(entriesTable.sourceId, sourceId), eq(entriesTable.key, key)))
    .orderBy(entriesTable.id);
}

export async function listSnapshots(db: Db, sourceId: string, limit = 20) {
  return db
    .select()
    .from(snapshotsTable)
    .where(eq(snapshotsTable.sourceId, sourceId))
    .orderBy(desc(snapshotsTable.id))
    .limit(limit);
}

/** The newest snapshot a source refused (quarantined) in [notBefore, at]: the kept bytes an operator is pointed at. */
export async function quarantinedSnapshotAt(
  db: Db,
  sourceId: string,
  at: Date,
  notBefore: Date,
): Promise<SnapshotRow | undefined> {
  const [row] = await db
    .select()
    .from(snapshotsTable)
    .where(
      and(
        eq(snapshotsTable.sourceId, sourceId),
        eq(snapshotsTable.status, "quarantined"),
        lte(snapshotsTable.takenAt, at),
        gte(snapshotsTable.takenAt, notBefore),
      ),
    )
    .orderBy(desc(snapshotsTable.id))
    .limit(1);
  return row;
}
