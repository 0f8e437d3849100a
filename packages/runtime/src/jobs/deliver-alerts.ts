import { deliverPending } from "@regwatch/alerts/deliver";
import { z } from "zod";
import { defineJob } from "./define-job.ts";

/**
 * Sends what the outbox holds. Queued when a run stores changes someone
 * subscribed to, and every minute besides, so nothing written is left behind
 * by a worker that died between the two.
 */
export const deliverAlertsJob = defineJob({
  name: "deliver-alerts",
  queue: "alerts",
  payload: z.object({}),
  key: () => "deliver-alerts",
  retry: { attempts: 5, backoffMs: 30_000 },
  timeoutMs: 10 * 60_000,
  async run(ctx) {
    if (!ctx.alerts) return { summary: "subscriptions are off (no signing key): nothing to deliver" };
    const report = await deliverPending(ctx.alerts);
    const summary = `alerts: ${report.sent} sent, ${report.deferred} deferred, ${report.failed} failed, ${report.skipped} skipped`;
    // A temporary failure (the mail server away): the job again, with backoff.
    return {
      summary,
      data: { ...report },
      ...(report.deferred ? { retry: { kind: "backoff" as const } } : {}),
    };
  },
});
