import type { HttpResponse } from "@regwatch/core/http";
import type { ChangeRecord, Snapshot } from "@regwatch/core/schemas";
import type { Db } from "@regwatch/db/open-database";
import { saveValidators } from "@regwatch/db/queries/artifacts";
import { insertChanges, upsertEvent } from "@regwatch/db/queries/changes";
import {
  applyEntries,
  type EntryRow,
  insertSnapshot,
  latestSnapshot,
  type NewEntry,
  type SnapshotRow,
} from "@regwatch/db/queries/snapshots";
import { recordSuccess } from "@regwatch/db/queries/sources";
import type { snapshotsTable } from "@regwatch/db/schema";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import type { PipelineDeps } from "./deps.ts";

/** ETag / Last-Modified of a body, once it is safely archived and processed. */
export async function rememberValidators(db: Db, response: HttpResponse, at: Date) {
  await saveValidators(db, {
    url: response.url,
    etag: response.headers.etag ?? null,
    lastModified: response.headers["last-modified"] ?? null,
    artifactSha256: response.sha256,
    at,
  });
}

/**
 * A snapshot that was not accepted (quarantined, stale). The same bytes
 * judged the same way as the source's last snapshot are not stored again: a
 * source that keeps serving a broken or stale body does not grow a row a run.
 */
export async function recordRejected(db: Db, row: typeof snapshotsTable.$inferInsert): Promise<SnapshotRow> {
  const last = await latestSnapshot(db, row.sourceId);
  if (
    last &&
    last.artifactSha256 === row.artifactSha256 &&
    last.parserVersion === row.parserVersion &&
    last.status === row.status &&
    last.reason === (row.reason ?? null)
  ) {
    return last;
  }
  return insertSnapshot(db, row);
}

export interface AcceptedSnapshot {
  source: SourceDefinition;
  response: HttpResponse;
  runAt: Date;
  row: typeof snapshotsTable.$inferInsert;
  current: readonly EntryRow[];
  entries: readonly NewEntry[];
  snapshot: Snapshot;
  records: readonly ChangeRecord[];
  /** The instrument behind the records: a known event, one to record, or none. */
  instrument:
    | { id: number }
    | { citation: string; effectiveAt: string | null; publishedAt: string | null; url: string | null }
    | null;
  /** Writes the alerts the records call for, in this transaction. */
  outbox?: PipelineDeps["outbox"];
}

/**
 * Everything an accepted snapshot changes: the snapshot, the entries' new
 * versions, the instruments it names, its records, the source's health and
 * the URL's validators. Called inside the source's locked transaction, so
 * either all of it is stored or none.
 */
export async function storeAccepted(tx: Db, a: AcceptedSnapshot) {
  const row = await insertSnapshot(tx, a.row);
  await applyEntries(tx, a.source.id, row.id, a.current, a.entries, a.snapshot.kind !== "documents");
  if (a.snapshot.kind === "documents") {
    // Every published document is an instrument later list changes can point to.
    for (const doc of a.snapshot.documents) {
      if (!doc.citation) continue;
      await upsertEvent(tx, {
        jurisdiction: a.source.jurisdiction,
        citation: doc.citation,
        documentId: doc.id,
        title: doc.title,
        publishedAt: doc.publishedAt,
        effectiveAt: doc.effectiveAt,
        url: doc.url,
        cfrReferences: doc.cfrReferences,
      });
    }
  }
  let eventId: number | null = null;
  if (a.instrument && "id" in a.instrument) eventId = a.instrument.id;
  else if (a.instrument)
    eventId = (
      await upsertEvent(tx, { jurisdiction: a.source.jurisdiction, ...a.instrument }, { fill: true })
    ).id;
  const inserted = await insertChanges(tx, a.records, { snapshotId: row.id, eventId });
  // In the same transaction as the records: an alert is never lost, nor written twice.
  if (a.outbox && inserted > 0) await a.outbox(tx, a.records, { snapshotId: row.id, at: a.runAt });
  await recordSuccess(tx, a.source.id, { at: a.runAt, changed: inserted > 0 });
  await rememberValidators(tx, a.response, a.runAt);
  return row;
}
