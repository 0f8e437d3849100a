import { deliverPending } from "@regwatch/alerts/deliver";
import { planDigests } from "@regwatch/alerts/digests";
import { z } from "zod";
import { defineJob } from "./define-job.ts";

/**
 * Decides which daily and weekly digests are due (each subscriber's hour and
 * weekday in their own time zone) and sends them. Swept every few minutes; a
 * digest's outbox row is keyed by its period, so sweeping the same moment
 * twice, or two workers sweeping at once, sends it once.
 */
export const sendDigestsJob = defineJob({
  name: "send-digests",
  queue: "alerts",
  payload: z.object({
    /** The moment to decide for (ISO instant); the job's clock when absent. */
    at: z.string().datetime({ offset: true }).optional(),
  }),
  // One decision per moment: a queued sweep for the same minute is the same work.
  key: (p) => `send-digests:${p.at ?? "now"}`,
  // Planning is one read and one insert; a failure is the database away: retry soon, a few times.
  retry: { attempts: 3, backoffMs: 30_000 },
  // Rendering and sending thousands of digests takes minutes on a slow mail server, not hours.
  timeoutMs: 30 * 60_000,
  async run(ctx, payload) {
    if (!ctx.alerts) return { summary: "subscriptions are off (no signing key): no digests" };
    const at = payload.at ? new Date(payload.at) : ctx.now();
    const daily = await planDigests(ctx.alerts, "daily", at);
    const weekly = await planDigests(ctx.alerts, "weekly", at);
    const report = await deliverPending(ctx.alerts, { kinds: ["digest"] });
    return {
      summary: `digests: ${daily.written} daily and ${weekly.written} weekly due; ${report.sent} sent, ${report.deferred} deferred, ${report.failed} failed, ${report.skipped} skipped`,
      data: { daily: { ...daily }, weekly: { ...weekly }, ...report },
    };
  },
});
