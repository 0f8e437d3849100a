// The ways a body is not accepted: unreadable, stale, outside expectations;
// and the stale copies of feed documents that are left out of one.
import { classifyError, ExpectationFailedError, SourceShapeChangedError } from "@regwatch/core/errors";
import type { ChangeOrigin, Snapshot } from "@regwatch/core/schemas";
import { type EntryRow, pastHashes } from "@regwatch/db/queries/snapshots";
import { recordFailure, recordStaleVersion } from "@regwatch/db/queries/sources";
import { documentHash } from "@regwatch/diff/entry-hash";
import { type ArtifactOutcome, type BodyInHand, itemCount, snapshotRow } from "./body-in-hand.ts";
import { recordRejected } from "./store-snapshot.ts";

/** A body the parser could not read: quarantined, the source broken, the bytes kept. */
export async function quarantineUnreadable(body: BodyInHand, error: Error): Promise<ArtifactOutcome> {
  const { deps, source, response, options } = body;
  const reason = `parse failed: ${error.message}`;
  const row = await recordRejected(
    deps.db,
    snapshotRow(body, {
      status: "quarantined",
      reason,
      itemCount: 0,
      origin: options.origin ?? "regulatory",
    }),
  );
  // The same bytes read by the same parser fail the same way: retrying cannot help, whatever was thrown.
  const failure = {
    ...classifyError(error),
    health: "broken" as const,
    retry: { kind: "never" as const },
    reason,
  };
  await recordFailure(deps.db, source.id, { at: options.runAt, failure });
  deps.log.warn({ sourceId: source.id, sha256: response.sha256 }, reason);
  if (!(error instanceof SourceShapeChangedError)) deps.log.error({ err: error }, "unexpected parser error");
  return { status: "failed", snapshotId: row.id, records: [], origin: null, reason, failure };
}

/** A body older than the accepted version: refused (ingest), or recorded as stale and reported. Null when not older. */
export async function judgeVersion(
  body: BodyInHand,
  snapshot: Snapshot,
  versionDate: string | null,
  acceptedVersionDate: string | null,
): Promise<ArtifactOutcome | null> {
  const { deps, source, response, options } = body;
  if (!versionDate || !acceptedVersionDate || versionDate >= acceptedVersionDate) return null;
  if (options.older === "accept") return null;
  const older = `the version of ${versionDate} is older than the accepted ${acceptedVersionDate}`;
  const stale = { status: "stale" as const, records: [], origin: null, versionDate, acceptedVersionDate };
  if (options.older === "refuse") {
    return {
      ...stale,
      snapshotId: null,
      reason: `${older}: nothing changed (--force takes it as the newest)`,
    };
  }
  const reason = `served ${older}: archived, not diffed, the accepted list kept`;
  const row = await recordRejected(
    deps.db,
    snapshotRow(body, {
      status: "stale",
      reason,
      itemCount: itemCount(snapshot),
      origin: options.origin ?? "regulatory",
      versionDate,
      meta: snapshot.meta,
    }),
  );
  // Not a failure of the source (it answered), but an operator should know
  // the mirror lags; the run's cursor does not move, so it is asked again.
  await recordStaleVersion(deps.db, source.id, { at: options.runAt, reason });
  deps.log.warn({ sourceId: source.id, sha256: response.sha256 }, reason);
  return { ...stale, snapshotId: row.id, reason };
}

/** A snapshot outside the source's expectations: no records, the source quarantined, the bytes kept. */
export async function quarantine(
  body: BodyInHand,
  snapshot: Snapshot,
  judged: { origin: ChangeOrigin; versionDate: string | null; reason: string },
): Promise<ArtifactOutcome> {
  const { deps, source, response, options } = body;
  const { origin, versionDate, reason } = judged;
  const row = await recordRejected(
    deps.db,
    snapshotRow(body, {
      status: "quarantined",
      reason,
      itemCount: itemCount(snapshot),
      origin,
      versionDate,
      meta: snapshot.meta,
      warnings: snapshot.warnings,
    }),
  );
  const failure = classifyError(new ExpectationFailedError(reason));
  await recordFailure(deps.db, source.id, { at: options.runAt, failure });
  deps.log.warn({ sourceId: source.id, sha256: response.sha256 }, `snapshot quarantined: ${reason}`);
  return { status: "quarantined", snapshotId: row.id, records: [], origin, reason, versionDate, failure };
}

/**
 * Documents of a feed whose stored version is newer than the one in hand: a
 * copy a stale mirror still serves (an earlier text of the document, or its
 * public-inspection stage after publication). Neither recorded nor stored, so
 * the current document never moves back and nobody is told it was "amended".
 */
export async function withoutStaleDocuments(
  { deps, source }: BodyInHand,
  snapshot: Snapshot,
  current: EntryRow[],
): Promise<Snapshot> {
  if (snapshot.kind !== "documents") return snapshot;
  const stored = new Map(current.map((row) => [row.key, row]));
  const past = await pastHashes(
    deps.db,
    source.id,
    snapshot.documents.map((d) => d.id),
  );
  const documents = snapshot.documents.filter((doc) => {
    const old = stored.get(doc.id);
    if (!old) return true;
    const hash = documentHash(doc);
    if (hash === old.hash) return true;
    if (old.data?.stage === "published" && doc.stage === "public-inspection") return false;
    return !past.get(doc.id)?.has(hash);
  });
  const ignored = snapshot.documents.length - documents.length;
  if (!ignored) return snapshot;
  deps.log.warn({ sourceId: source.id, documents: ignored }, "older copies of stored documents ignored");
  return { ...snapshot, documents };
}
