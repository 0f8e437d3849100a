import { type RunOutcome, runSource } from "@regwatch/pipeline/run-source";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { z } from "zod";
import { defineJob, type JobContext, type JobResult } from "./define-job.ts";

/** The id of a source's schedule: also its jitter key, so every runner fires it at the same second. */
export const runSourceScheduleId = (sourceId: string) => `run-source:${sourceId}`;

/**
 * One run of one source, as the job does it: the pipeline, the metrics, and
 * the retry the failure calls for. `regwatch run` calls it too, with no runner.
 */
export async function runSourceOnce(
  ctx: JobContext,
  source: SourceDefinition,
): Promise<{ outcome: RunOutcome; result: JobResult }> {
  const started = performance.now();
  const outcome = await runSource(ctx.deps, source, { runAt: ctx.now() });
  ctx.metrics.observeRun(outcome, (performance.now() - started) / 1000);
  ctx.metrics.setSourceHealth(source.id, outcome.health);
  // Alerts written with the records go out now, not at the next sweep.
  if (ctx.enqueue && outcome.records.some((r) => r.alert)) await ctx.enqueue("deliver-alerts", {});
  // Another worker may have stored this very version a moment ago: the source's lock made this one wait.
  const already = outcome.status === "unchanged" && outcome.artifacts > 0 ? " (already stored)" : "";
  const summary = `${source.id}: ${outcome.status}${already}${outcome.records.length ? `, ${outcome.records.length} change records` : ""}${outcome.reason ? ` (${outcome.reason})` : ""}`;
  const data = { status: outcome.status, records: outcome.records.length, artifacts: outcome.artifacts };
  // Stopping is nobody's failure: the same work again once a worker is back, no attempt spent.
  if (outcome.status === "stopped")
    return { outcome, result: { summary, data, retry: { kind: "delay", ms: 0 } } };
  return { outcome, result: { summary, data, ...(outcome.failure ? { retry: outcome.failure.retry } : {}) } };
}

/**
 * Fetches one source and runs what it returned through the pipeline. A
 * failure is recorded against the source by the pipeline; the job only
 * passes on how it is to be retried.
 */
export const runSourceJob = defineJob({
  name: "run-source",
  queue: "sources",
  payload: z.object({ sourceId: z.string().min(1) }),
  key: ({ sourceId }) => `run-source:${sourceId}`,
  retry: { attempts: 4, backoffMs: 60_000 },
  // The longest source: a browser page or a 60 MB list, with retries inside the HTTP client.
  timeoutMs: 15 * 60_000,
  async run(ctx, { sourceId }) {
    const source = ctx.sources.find((s) => s.id === sourceId);
    if (!source)
      return { summary: `no source ${sourceId}: not registered in this version`, retry: { kind: "never" } };
    return (await runSourceOnce(ctx, source)).result;
  },
});
