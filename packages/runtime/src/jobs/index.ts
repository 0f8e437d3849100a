import { checkHealthJob } from "./check-health.ts";
import type { JobDefinition, QueueName } from "./define-job.ts";
import { deliverAlertsJob } from "./deliver-alerts.ts";
import { runSourceJob, runSourceOnce, runSourceScheduleId } from "./run-source.ts";

export type { JobContext, JobDefinition, JobResult, QueueName } from "./define-job.ts";
export { checkHealthJob, deliverAlertsJob, runSourceJob, runSourceOnce, runSourceScheduleId };

/** Every job the runners know, by name. */
export const JOBS = [runSourceJob, checkHealthJob, deliverAlertsJob] as const;
export const QUEUES: readonly QueueName[] = ["sources", "maintenance", "alerts"];

// How often health is checked: often enough that a stale source shows within the hour.
export const CHECK_HEALTH_SCHEDULE = "*/15 * * * *";
// The outbox is swept every minute, besides the delivery queued when changes are stored.
export const DELIVER_ALERTS_SCHEDULE = "* * * * *";

// biome-ignore lint/suspicious/noExplicitAny: a runner hands each job the payload its own schema checked
export function findJob(name: string): JobDefinition<any> | undefined {
  return JOBS.find((job) => job.name === name);
}
