import { type Health, listSourceRows, markOverdue } from "@regwatch/db/queries/sources";
import { z } from "zod";
import { describeCadence, staleSince } from "../schedule.ts";
import { defineJob } from "./define-job.ts";
import { runSourceScheduleId } from "./run-source.ts";

/**
 * Notices what no run can report: a source whose scheduled runs keep not
 * succeeding (a scheduler that stopped, workers that are all down, a run that
 * hangs). Stale once `REGWATCH_STALE_AFTER_RUNS` of its fire times passed
 * without a success; a source already failing keeps the health that says why.
 */
export const checkHealthJob = defineJob({
  name: "check-health",
  queue: "maintenance",
  payload: z.object({}),
  key: () => "check-health",
  retry: { attempts: 3, backoffMs: 30_000 },
  timeoutMs: 60_000,
  async run(ctx) {
    // Pages watched (or unwatched) since the last check join (or leave) the schedule.
    await ctx.syncSources?.();
    const now = ctx.now();
    const rows = await listSourceRows(ctx.database.db);
    const overdue: string[] = [];
    for (const source of ctx.sources) {
      const row = rows.find((r) => r.id === source.id);
      if (!row) continue;
      const staleAt = staleSince(source.schedule, {
        lastSuccess: row.lastSuccessAt,
        since: row.registeredAt,
        now,
        missedRuns: ctx.config.jobs.staleAfterRuns,
        jitterKey: runSourceScheduleId(source.id),
      });
      let health = row.health;
      if (staleAt) {
        const last = row.lastSuccessAt ? `since ${row.lastSuccessAt.toISOString()}` : "ever";
        const reason = `no successful run ${last}: ${ctx.config.jobs.staleAfterRuns} scheduled runs (${describeCadence(source.schedule)}) missed`;
        if (await markOverdue(ctx.database.db, source.id, { at: now, reason })) {
          overdue.push(source.id);
          health = "stale";
        }
      }
      ctx.metrics.setSourceHealth(source.id, health as Health);
    }
    return {
      summary: overdue.length ? `stale: ${overdue.join(", ")}` : `${ctx.sources.length} sources checked`,
      data: { overdue },
    };
  },
});
