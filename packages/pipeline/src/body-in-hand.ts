// What the steps of processing one body share: its outcome, its options, and
// how its snapshot rows are filled in.
import type { Failure } from "@regwatch/core/errors";
import type { HttpResponse } from "@regwatch/core/http";
import type { ChangeOrigin, ChangeRecord, Snapshot } from "@regwatch/core/schemas";
import type { snapshotsTable } from "@regwatch/db/schema";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import type { PipelineDeps } from "./deps.ts";

export interface ArtifactOutcome {
  /** stale: older than the accepted version, archived and not diffed. */
  status: "accepted" | "quarantined" | "stale" | "duplicate" | "failed";
  snapshotId: number | null;
  /** Records stored by this step (new ones only). */
  records: ChangeRecord[];
  origin: ChangeOrigin | null;
  reason: string | null;
  /** The body's own version date, when the source reads one. */
  versionDate?: string | null;
  /** The accepted version date it was compared with. */
  acceptedVersionDate?: string | null;
  /** For failed and quarantined: what it means (`classifyError`). */
  failure?: Failure;
}

export interface ProcessOptions {
  /** The run's clock: detectedAt of every record, never the wall clock. */
  runAt: Date;
  /** The run this body belongs to: every body of a source's first run is its baseline. */
  runId: string;
  /** Origin for what is not the baseline (backfill, parser); derived when absent. */
  origin?: ChangeOrigin;
  /** The version date the fetch reported (eCFR), when it did. */
  asOf?: string | null;
  /**
   * What to do with a body older than the accepted version: `record` it as
   * stale and say so in the source's health (scheduled runs), `refuse` it
   * without writing anything (ingest), or `accept` it as the newest anyway
   * (ingest --force: the operator knows the older text is the law again).
   */
  older?: "record" | "refuse" | "accept";
}

/** What the steps of one body share: where it comes from and how its snapshot rows are filled in. */
export interface BodyInHand {
  deps: PipelineDeps;
  source: SourceDefinition;
  response: HttpResponse;
  options: ProcessOptions;
}

type RowFields = Pick<
  typeof snapshotsTable.$inferInsert,
  "status" | "reason" | "itemCount" | "origin" | "meta" | "warnings" | "versionDate"
>;

export function snapshotRow({ source, response, options }: BodyInHand, row: RowFields) {
  return {
    sourceId: source.id,
    artifactSha256: response.sha256,
    parserVersion: source.parserVersion,
    url: response.url,
    fetchedAt: new Date(response.fetchedAt),
    takenAt: options.runAt,
    runId: options.runId,
    ...row,
  };
}

export function itemCount(snapshot: Snapshot): number {
  return snapshot.kind === "list"
    ? snapshot.entries.length
    : snapshot.kind === "documents"
      ? snapshot.documents.length
      : 1;
}

/** Lets the event loop run: other requests (a health check) are answered between slices of long work. */
export const pause = () => new Promise<void>((resolve) => setImmediate(resolve));
