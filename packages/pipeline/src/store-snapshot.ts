import type { HttpResponse } from "@regwatch/core/http";
import type { ChangeRecord, Snapshot } from "@regwatch/core/schemas";
import { saveValidators } from "@regwatch/db/queries/artifacts";
import { insertChanges, upsertEvent } from "@regwatch/db/queries/changes";
import { applyEntries, type EntryRow, insertSnapshot, type NewEntry } from "@regwatch/db/queries/snapshots";
import { recordHealth } from "@regwatch/db/queries/sources";
import type { snapshotsTable } from "@regwatch/db/schema";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import type { PipelineDeps } from "./deps.ts";

/** ETag / Last-Modified of a body, once it is safely archived and processed. */
export async function rememberValidators(deps: Pick<PipelineDeps, "db">, response: HttpResponse, at: Date) {
  await saveValidators(deps.db, {
    url: response.url,
    etag: response.headers.etag ?? null,
    lastModified: response.headers["last-modified"] ?? null,
    artifactSha256: response.sha256,
    at,
  });
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
}

/**
 * Everything an accepted snapshot changes, in one transaction: the snapshot,
 * the entries' new versions, the instruments it names, its records, the
 * source's health and the URL's validators. Either all of it is stored or none.
 */
export async function storeAccepted(deps: PipelineDeps, a: AcceptedSnapshot) {
  return deps.db.transaction(async (tx) => {
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
      eventId = (await upsertEvent(tx, { jurisdiction: a.source.jurisdiction, ...a.instrument })).id;
    const inserted = await insertChanges(tx, a.records, { snapshotId: row.id, eventId });
    await recordHealth(tx, a.source.id, {
      health: "healthy",
      reason: null,
      at: a.runAt,
      success: true,
      changed: inserted > 0,
    });
    await rememberValidators({ db: tx }, a.response, a.runAt);
    return row;
  });
}
