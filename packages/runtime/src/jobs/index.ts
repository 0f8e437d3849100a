import { checkHealthJob } from "./check-health.ts";
import type { JobDefinition, QueueName } from "./define-job.ts";
import { deliverAlertsJob } from "./deliver-alerts.ts";
import { runSourceJob, runSourceOnce, runSourceScheduleId } from "./run-source.ts";
import { sendDigestsJob } from "./send-digests.ts";

export type { JobContext, JobDefinition, JobResult, QueueName } from "./define-job.ts";
export { checkHealthJob, deliverAlertsJob, runSourceJob, runSourceOnce, runSourceScheduleId, sendDigestsJob };

/** Every job the runners know, by name. */
export const JOBS = [runSourceJob, checkHealthJob, deliverAlertsJob, sendDigestsJob] as const;
export const QUEUES: readonly QueueName[] = ["sources", "maintenance", "alerts"];

// How often health is checked: often enough that a stale source shows within the hour.
export const CHECK_HEALTH_SCHEDULE = "*/15 * * * *";
// The outbox is swept every minute, besides the delivery queued when changes are stored.
export const DELIVER_ALERTS_SCHEDULE = "* * * * *";
// Digests are due on the hour in each subscriber's zone (some zones are off by
// 30 or 45 minutes): a sweep every 5 minutes sends them at most 5 minutes late.
export const SEND_DIGESTS_SCHEDULE = "*/5 * * * *";

// biome-ignore lint/suspicious/noExplicitAny: a runner hands each job the payload its own schema checked
export function findJob(name: string): JobDefinition<any> | undefined {
  return JOBS.find((job) => job.name === name);
}
