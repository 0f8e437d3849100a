import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpResponse } from "@regwatch/core/http";
import type { ChangeOrigin, ChangeRecord, Entry, RegDocument, Snapshot } from "@regwatch/core/schemas";
import { archiveArtifact, getArtifact } from "@regwatch/db/queries/artifacts";
import { eventsEffectiveOn } from "@regwatch/db/queries/changes";
import {
  currentEntries,
  type EntryRow,
  findSnapshot,
  insertSnapshot,
  latestAcceptedSnapshot,
  type NewEntry,
} from "@regwatch/db/queries/snapshots";
import { recordHealth } from "@regwatch/db/queries/sources";
import type { snapshotsTable } from "@regwatch/db/schema";
import { checkExpectations } from "@regwatch/diff/check-expectations";
import {
  diffDocuments,
  diffLists,
  diffPages,
  documentText,
  type RecordContext,
  type StoredDocument,
  type StoredEntry,
} from "@regwatch/diff/diff-snapshots";
import { documentHash, entryHash } from "@regwatch/diff/entry-hash";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import type { PipelineDeps } from "./deps.ts";
import { rememberValidators, storeAccepted } from "./store-snapshot.ts";

export interface ArtifactOutcome {
  status: "accepted" | "quarantined" | "duplicate" | "failed";
  snapshotId: number | null;
  /** Records stored by this step (new ones only). */
  records: ChangeRecord[];
  origin: ChangeOrigin | null;
  reason: string | null;
}

export interface ProcessOptions {
  /** The run's clock: detectedAt of every record, never the wall clock. */
  runAt: Date;
  /** Forced origin (backfill, a first run's baseline); otherwise derived. */
  origin?: ChangeOrigin;
  /** The version date the fetch reported (eCFR), when it did. */
  asOf?: string | null;
}

function toStored(row: EntryRow): StoredEntry {
  return {
    key: row.key,
    parentKey: row.parentKey,
    heading: row.heading,
    text: row.text,
    hash: row.hash,
    data: row.data ?? undefined,
  };
}

function newEntries(snapshot: Snapshot): NewEntry[] {
  switch (snapshot.kind) {
    case "list":
      return snapshot.entries.map((e: Entry) => ({ ...e, data: e.data ?? null, hash: entryHash(e) }));
    case "documents":
      return snapshot.documents.map((d: RegDocument) => ({
        key: d.id,
        parentKey: null,
        heading: d.title,
        text: documentText(d),
        hash: documentHash(d),
        data: d as unknown as Record<string, unknown>,
      }));
    case "page":
      return [
        {
          key: "page",
          parentKey: null,
          heading: null,
          text: snapshot.text,
          hash: entryHash({ key: "page", parentKey: null, heading: null, text: snapshot.text }),
        },
      ];
  }
}

/**
 * The instrument (an event from a documents source) that took effect on a
 * list's version date and cites the list, when the list's own document
 * does not name it: how a CCL change finds its Federal Register rule.
 */
async function instrumentFor(deps: PipelineDeps, source: SourceDefinition, effectiveAt: string | null) {
  if (!effectiveAt || !source.citedAs?.length) return null;
  const cited = new Set(source.citedAs);
  const candidates = (await eventsEffectiveOn(deps.db, source.jurisdiction, effectiveAt)).filter((e) =>
    e.cfrReferences.some((r) => cited.has(r)),
  );
  if (!candidates.length) return null;
  return { id: candidates[0]!.id, citation: candidates.map((c) => c.citation).join("; ") };
}

/** Records between the stored state (null on a first run) and a new snapshot. */
function diffSnapshot(
  snapshot: Snapshot,
  current: EntryRow[] | null,
  ctx: RecordContext,
  subject: string,
): ChangeRecord[] {
  switch (snapshot.kind) {
    case "list":
      return current ? diffLists(current.map(toStored), snapshot.entries, ctx) : [];
    case "documents": {
      const stored = new Map<string, StoredDocument>(
        (current ?? []).map((row) => [
          row.key,
          {
            id: row.key,
            hash: row.hash,
            stage: (row.data?.stage as RegDocument["stage"]) ?? "published",
            text: row.text,
          },
        ]),
      );
      return diffDocuments(stored, snapshot.documents, ctx);
    }
    case "page":
      return diffPages(current ? (current[0]?.text ?? null) : null, snapshot.text, ctx, subject);
  }
}

/**
 * One fetched body through the whole pipeline: archive the bytes, parse,
 * check expectations, diff against the source's current state, and store
 * snapshot, entries and records in one transaction. Processing bytes that
 * were already processed by the same parser version does nothing.
 */
export async function processArtifact(
  deps: PipelineDeps,
  source: SourceDefinition,
  response: HttpResponse,
  options: ProcessOptions,
): Promise<ArtifactOutcome> {
  const { db, log } = deps;
  const fetchedAt = new Date(response.fetchedAt);
  const snapshotRow = (
    row: Pick<
      typeof snapshotsTable.$inferInsert,
      "status" | "reason" | "itemCount" | "origin" | "meta" | "warnings"
    >,
  ) => ({
    sourceId: source.id,
    artifactSha256: response.sha256,
    parserVersion: source.parserVersion,
    url: response.url,
    fetchedAt,
    takenAt: options.runAt,
    ...row,
  });
  await archiveArtifact(db, {
    sha256: response.sha256,
    body: response.body,
    contentType: response.contentType,
    url: response.url,
    fetchedAt,
  });
  if (await findSnapshot(db, source.id, response.sha256, source.parserVersion)) {
    await rememberValidators(deps, response, options.runAt);
    return { status: "duplicate", snapshotId: null, records: [], origin: null, reason: "already processed" };
  }

  let snapshot: Snapshot;
  try {
    snapshot = source.parse({ body: response.body, contentType: response.contentType, url: response.url });
  } catch (err) {
    const reason = `parse failed: ${(err as Error).message}`;
    const row = await insertSnapshot(
      db,
      snapshotRow({ status: "quarantined", reason, itemCount: 0, origin: options.origin ?? "regulatory" }),
    );
    await recordHealth(db, source.id, { health: "broken", reason, at: options.runAt, success: false });
    log.warn({ sourceId: source.id, sha256: response.sha256 }, reason);
    if (!(err instanceof SourceShapeChangedError)) log.error({ err }, "unexpected parser error");
    return { status: "failed", snapshotId: row.id, records: [], origin: null, reason };
  }
  for (const w of snapshot.warnings.slice(0, 20)) log.warn({ sourceId: source.id }, w);

  let previous = await latestAcceptedSnapshot(db, source.id);
  // A parser upgrade must never read as a regulatory change: re-derive the
  // previous bytes with the new parser first, labelled as such.
  if (
    previous &&
    previous.parserVersion !== source.parserVersion &&
    previous.artifactSha256 !== response.sha256
  ) {
    const old = await getArtifact(db, previous.artifactSha256);
    if (old) {
      await processArtifact(
        deps,
        source,
        {
          ...response,
          body: old.body,
          sha256: old.sha256,
          url: old.firstUrl ?? response.url,
          contentType: old.contentType,
          fetchedAt: old.firstFetchedAt.toISOString(),
        },
        { runAt: options.runAt, origin: "parser", asOf: null },
      );
      previous = await latestAcceptedSnapshot(db, source.id);
    }
  }

  const current = await currentEntries(db, source.id);
  const reason = checkExpectations(
    snapshot,
    source.expectations,
    previous && snapshot.kind === "list"
      ? { count: current.length, keys: new Set(current.map((e) => e.key)) }
      : null,
  );
  const origin: ChangeOrigin =
    options.origin ??
    (!previous ? "baseline" : previous.artifactSha256 === response.sha256 ? "parser" : "regulatory");
  const itemCount =
    snapshot.kind === "list"
      ? snapshot.entries.length
      : snapshot.kind === "documents"
        ? snapshot.documents.length
        : 1;

  if (reason) {
    const row = await insertSnapshot(
      db,
      snapshotRow({
        status: "quarantined",
        reason,
        itemCount,
        origin,
        meta: snapshot.meta,
        warnings: snapshot.warnings,
      }),
    );
    await recordHealth(db, source.id, { health: "quarantined", reason, at: options.runAt, success: false });
    log.warn({ sourceId: source.id, sha256: response.sha256 }, `snapshot quarantined: ${reason}`);
    return { status: "quarantined", snapshotId: row.id, records: [], origin, reason };
  }

  const defaults = source.describe(snapshot, { url: response.url, asOf: options.asOf ?? null });
  const instrument = defaults.citation ? null : await instrumentFor(deps, source, defaults.effectiveAt);
  const citation = defaults.citation ?? instrument?.citation ?? null;
  const ctx: RecordContext = {
    source: { id: source.id, jurisdiction: source.jurisdiction },
    detectedAt: options.runAt.toISOString(),
    provenance: {
      artifactSha256: response.sha256,
      fetchedAt: response.fetchedAt,
      parserVersion: source.parserVersion,
    },
    origin,
    url: defaults.url ?? response.url,
    citation,
    publishedAt: defaults.publishedAt,
    effectiveAt: defaults.effectiveAt,
    citationsByDate: defaults.citationsByDate,
    alertSince: source.alertWindowDays
      ? new Date(options.runAt.getTime() - source.alertWindowDays * 86_400_000).toISOString().slice(0, 10)
      : null,
  };

  const records = diffSnapshot(snapshot, previous ? current : null, ctx, source.id);

  const stored = await storeAccepted(deps, {
    source,
    response,
    runAt: options.runAt,
    row: snapshotRow({
      status: "accepted",
      itemCount,
      origin,
      meta: snapshot.meta,
      warnings: snapshot.warnings,
    }),
    current,
    entries: newEntries(snapshot),
    snapshot,
    records,
    instrument: instrument
      ? { id: instrument.id }
      : citation
        ? {
            citation,
            effectiveAt: defaults.effectiveAt,
            publishedAt: defaults.publishedAt,
            url: defaults.url,
          }
        : null,
  });
  log.info(
    { sourceId: source.id, snapshotId: stored.id, origin, entries: itemCount, records: records.length },
    "snapshot accepted",
  );
  return { status: "accepted", snapshotId: stored.id, records, origin, reason: null };
}
