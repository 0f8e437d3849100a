import { deliverPending } from "@regwatch/alerts/deliver";
import { planOperatorAlerts } from "@regwatch/alerts/operator";
import { z } from "zod";
import { defineJob } from "./define-job.ts";

/**
 * Sends what the outbox holds. Queued when a run stores changes someone
 * subscribed to, and every minute besides, so nothing written is left behind
 * by a worker that died between the two. Each sweep first writes the operator
 * messages for source-health transitions stored since the last one.
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
    const operator = await planOperatorAlerts(ctx.alerts, ctx.now());
    // Digests go out from their own job, which decides when they are due.
    const report = await deliverPending(ctx.alerts, { kinds: ["immediate", "operator"] });
    // A temporary failure (the mail server away) is not retried here: the
    // row waits out its own backoff in the outbox, and a later sweep sends it.
    return {
      summary: `alerts: ${report.sent} sent, ${report.deferred} deferred, ${report.failed} failed, ${report.skipped} skipped; ${operator} operator messages written`,
      data: { ...report, operator },
    };
  },
});
