import { randomUUID } from "node:crypto";
import { AbortedError, classifyError, type Failure, SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpResponse } from "@regwatch/core/http";
import type { ChangeOrigin, ChangeRecord } from "@regwatch/core/schemas";
import {
  ensureSource,
  getSource,
  type Health,
  recordFailure,
  recordFetchAttempt,
  recordSuccess,
} from "@regwatch/db/queries/sources";
import type { SourceContext, SourceDefinition } from "@regwatch/sources/define-source";
import type { PipelineDeps } from "./deps.ts";
import { type ArtifactOutcome, processArtifact } from "./process-artifact.ts";

export interface RunOutcome {
  sourceId: string;
  /**
   * changed: new records; unchanged: fetched, nothing new; baseline: first run
   * stored; stale: the source served an older version than the accepted one;
   * stopped: the service is stopping; failed: see reason.
   */
  status: "changed" | "unchanged" | "baseline" | "stale" | "quarantined" | "stopped" | "failed";
  health: Health;
  records: ChangeRecord[];
  artifacts: number;
  reason: string | null;
  /** For stale: the version date served and the accepted one. */
  versionDate?: string | null;
  acceptedVersionDate?: string | null;
  /** For failed and quarantined: what went wrong and how a runner retries it (`classifyError`). */
  failure: Failure | null;
}

function summarize(
  sourceId: string,
  outcomes: ArtifactOutcome[],
  artifacts: number,
  health: Health,
): RunOutcome {
  const records = outcomes.flatMap((o) => o.records);
  const failed = outcomes.find((o) => o.status === "failed");
  const quarantined = outcomes.find((o) => o.status === "quarantined");
  const stale = outcomes.find((o) => o.status === "stale");
  const accepted = outcomes.filter((o) => o.status === "accepted");
  let status: RunOutcome["status"] = "unchanged";
  if (failed) status = "failed";
  else if (quarantined) status = "quarantined";
  else if (stale) status = "stale";
  else if (accepted.length && accepted.every((o) => o.origin === "baseline")) status = "baseline";
  else if (records.length) status = "changed";
  return {
    sourceId,
    status,
    health: failed
      ? (failed.failure?.health ?? "broken")
      : quarantined
        ? "quarantined"
        : stale
          ? "stale"
          : health,
    records,
    artifacts,
    reason: failed?.reason ?? quarantined?.reason ?? stale?.reason ?? null,
    versionDate: stale?.versionDate ?? null,
    acceptedVersionDate: stale?.acceptedVersionDate ?? null,
    failure: failed?.failure ?? quarantined?.failure ?? null,
  };
}

function failedRun(
  sourceId: string,
  failure: Failure,
  records: ChangeRecord[],
  artifacts: number,
): RunOutcome {
  return {
    sourceId,
    status: "failed",
    health: failure.health,
    records,
    artifacts,
    reason: failure.reason,
    failure,
  };
}

/** The service is stopping: nothing is recorded against the source, the next run starts over. */
function stopped(sourceId: string): RunOutcome {
  return {
    sourceId,
    status: "stopped",
    health: "unknown",
    records: [],
    artifacts: 0,
    reason: "the service is stopping",
    failure: null,
  };
}

/** Fetched bodies carry the run's clock, not the wall clock: replays (`--at`) and tests are deterministic. */
function onRunClock<T extends { response: HttpResponse }>(artifacts: readonly T[], runAt: Date): T[] {
  return artifacts.map((a) => ({ ...a, response: { ...a.response, fetchedAt: runAt.toISOString() } }));
}

/** A run got through: the source is healthy, and its cursor moves on. */
function markHealthy(deps: PipelineDeps, source: SourceDefinition, at: Date, state: Record<string, unknown>) {
  return recordSuccess(deps.db, source.id, { at, state });
}

async function runArtifacts(
  deps: PipelineDeps,
  source: SourceDefinition,
  artifacts: { response: HttpResponse; asOf?: string }[],
  run: { runAt: Date; runId: string; origin?: ChangeOrigin },
): Promise<ArtifactOutcome[]> {
  const outcomes: ArtifactOutcome[] = [];
  for (const { response, asOf } of artifacts) {
    await recordFetchAttempt(deps.db, {
      sourceId: source.id,
      url: response.url,
      startedAt: new Date(response.fetchedAt),
      outcome: "fetched",
      httpStatus: response.status,
      bytes: response.body.byteLength,
      artifactSha256: response.sha256,
    });
    outcomes.push(
      await processArtifact(deps, source, response, { ...run, asOf: asOf ?? null, older: "record" }),
    );
  }
  return outcomes;
}

/**
 * Fetches a source now and runs everything it returned through the pipeline.
 * Never throws for a source's own failure: the outcome and the source's
 * health say what happened, so one broken source cannot stop the others.
 */
export async function runSource(
  deps: PipelineDeps,
  source: SourceDefinition,
  options: { runAt: Date },
): Promise<RunOutcome> {
  return deps.exclusive(async () => {
    const { db } = deps;
    const row = await ensureSource(db, source);
    const ctx: SourceContext = {
      http: deps.http,
      browser: source.needsBrowser ? deps.browser : undefined,
      log: deps.log,
      now: options.runAt,
      state: row?.state ?? {},
      secrets: deps.secrets ?? {},
    };
    let fetched: Awaited<ReturnType<SourceDefinition["fetch"]>>;
    try {
      fetched = await source.fetch(ctx);
    } catch (err) {
      if (err instanceof AbortedError) return stopped(source.id);
      const failure = classifyError(err);
      await recordFetchAttempt(db, {
        sourceId: source.id,
        startedAt: options.runAt,
        outcome: "error",
        error: failure.reason,
      });
      await recordFailure(db, source.id, { at: options.runAt, failure });
      deps.log.warn({ sourceId: source.id, kind: failure.kind }, `fetch failed: ${failure.reason}`);
      return failedRun(source.id, failure, [], 0);
    }
    if (!fetched.artifacts.length) {
      await recordFetchAttempt(db, {
        sourceId: source.id,
        startedAt: options.runAt,
        outcome: "not-modified",
      });
      await markHealthy(deps, source, options.runAt, fetched.state);
      return {
        sourceId: source.id,
        status: "unchanged",
        health: "healthy",
        records: [],
        artifacts: 0,
        reason: null,
        failure: null,
      };
    }
    // Taken out of the fetch result: each body is freed once processed.
    const artifacts = onRunClock(fetched.artifacts.splice(0), options.runAt);
    const outcomes = await runArtifacts(deps, source, artifacts, {
      runAt: options.runAt,
      runId: randomUUID(),
    });
    const ok = outcomes.every((o) => o.status === "accepted" || o.status === "duplicate");
    // Move the cursor only when everything fetched was stored, so a failed step is retried next run.
    if (ok) await markHealthy(deps, source, options.runAt, fetched.state);
    return summarize(source.id, outcomes, artifacts.length, "healthy");
  });
}

/**
 * Treats a local file as the source's newest document and runs the whole
 * pipeline on it. A file whose own version date is older than the accepted
 * version changes nothing (status stale) unless `force` takes it as the newest.
 * It takes the bytes: `input.body` is emptied, so that a large file is freed
 * as soon as it is archived and parsed.
 */
export async function ingestBytes(
  deps: PipelineDeps,
  source: SourceDefinition,
  input: { body: Uint8Array; url: string; contentType?: string | null; sha256: string },
  options: { runAt: Date; asOf?: string | null; force?: boolean },
): Promise<RunOutcome> {
  return deps.exclusive(async () => {
    await ensureSource(deps.db, source);
    const response: HttpResponse = {
      url: input.url,
      status: 200,
      notModified: false,
      contentType: input.contentType ?? null,
      headers: {},
      body: input.body,
      sha256: input.sha256,
      fetchedAt: options.runAt.toISOString(),
    };
    // The pipeline frees the bytes once they are stored and parsed: nothing here keeps them.
    input.body = new Uint8Array(0);
    const outcome = await processArtifact(deps, source, response, {
      runAt: options.runAt,
      runId: randomUUID(),
      asOf: options.asOf ?? null,
      older: options.force ? "accept" : "refuse",
    });
    return summarize(source.id, [outcome], 1, "healthy");
  });
}

export interface BackfillProgress {
  index: number;
  total: number;
  outcome: ArtifactOutcome;
}

/**
 * Walks a source's official history oldest first. Every step is stored as
 * history (origin backfill, or the baseline for the very first) and nobody is
 * alerted.
 */
export async function backfillSource(
  deps: PipelineDeps,
  source: SourceDefinition,
  options: { since: string; runAt: Date; onProgress?: (p: BackfillProgress) => void },
): Promise<RunOutcome> {
  if (!source.backfill)
    throw new SourceUnavailableError(`${source.id} keeps no official history to backfill from`);
  const { db } = deps;
  await ensureSource(db, source);
  const row = await getSource(db, source.id);
  const ctx: SourceContext = {
    http: deps.http,
    log: deps.log,
    now: options.runAt,
    state: row?.state ?? {},
    secrets: deps.secrets ?? {},
  };
  const outcomes: ArtifactOutcome[] = [];
  let count = 0;
  // One run id for the first step only: it is the baseline when the source has nothing yet.
  const runId = randomUUID();
  try {
    for await (const step of source.backfill(ctx, options.since)) {
      const [outcome] = await deps.exclusive(() =>
        runArtifacts(deps, source, onRunClock([step.artifact], options.runAt), {
          runAt: options.runAt,
          runId: count === 0 ? runId : randomUUID(),
          origin: "backfill",
        }),
      );
      outcomes.push(outcome!);
      count++;
      if (step.state && outcome && (outcome.status === "accepted" || outcome.status === "duplicate")) {
        await markHealthy(deps, source, options.runAt, step.state);
      }
      options.onProgress?.({ index: step.index, total: step.total, outcome: outcome! });
    }
  } catch (err) {
    if (err instanceof AbortedError) return stopped(source.id);
    const failure = classifyError(err);
    await recordFailure(db, source.id, { at: options.runAt, failure });
    return failedRun(
      source.id,
      failure,
      outcomes.flatMap((o) => o.records),
      count,
    );
  }
  return summarize(source.id, outcomes, count, "healthy");
}
