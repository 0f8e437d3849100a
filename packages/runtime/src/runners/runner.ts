import type { JobView, RunnerInspection } from "@regwatch/core/job-views";
import type { JobDefinition, JobResult, QueueName } from "../jobs/index.ts";
import type { QueueDepth } from "../metrics.ts";

/** A recurring job: one per source (its `schedule`) and the health check. */
export interface ScheduleSpec {
  /** Stable across restarts and hosts: `run-source:<source id>`, `check-health`. */
  id: string;
  job: string;
  payload: Record<string, unknown>;
  /** Five-field cron expression, UTC. */
  cron: string;
}

export interface ReconcileReport {
  added: string[];
  changed: string[];
  removed: string[];
  kept: string[];
}

/** Runs jobs: BullMQ over Redis (many workers on many hosts), or in this process. */
export interface Runner {
  kind: "bullmq" | "in-process";
  /** Makes the registered schedules exactly `specs`: new ones added, changed ones updated, others removed. */
  reconcile(specs: readonly ScheduleSpec[]): Promise<ReconcileReport>;
  /** Starts taking jobs from these queues. */
  startWorkers(queues: readonly QueueName[]): Promise<void>;
  /** Queues a job now, unless the same work (same key) is already waiting. */
  enqueue(job: string, payload: Record<string, unknown>): Promise<{ queued: boolean; id: string | null }>;
  depth(): Promise<QueueDepth[]>;
  /** What an admin sees of the queues: counts by state and the most recent jobs. Reads only. */
  inspect(): Promise<RunnerInspection>;
  /** Whether the runner can reach what it runs on (Redis), for /health. */
  ping(): Promise<{ ok: boolean; detail: string }>;
  /** Stops taking jobs, lets the jobs in progress finish (the runtime's stop has cut their fetches short), closes connections. */
  close(): Promise<void>;
}

export type { JobState, JobView, QueueCounts, RunnerInspection } from "@regwatch/core/job-views";

// Recent jobs an inspection lists: enough for "what ran in the last hours" on one page.
export const RECENT_JOBS = 100;

/** The time a job last did something: when it ended, else started, else was queued. */
export function lastMoment(job: JobView): number {
  return (job.finishedAt ?? job.startedAt ?? job.queuedAt)?.getTime() ?? 0;
}

export class JobTimeoutError extends Error {
  override name = "JobTimeoutError";
}

/** Runs one job with its time limit. The work itself cannot be cut off; the runner stops waiting for it. */
export async function runWithTimeout<P>(
  def: JobDefinition<P>,
  run: () => Promise<JobResult>,
  timers: Pick<Clock, "setTimeout"> = realClock,
): Promise<JobResult> {
  let cancel = () => {};
  const timeout = new Promise<never>((_, reject) => {
    cancel = timers.setTimeout(
      () => reject(new JobTimeoutError(`${def.name} took longer than ${def.timeoutMs / 1000} s`)),
      def.timeoutMs,
    );
  });
  try {
    return await Promise.race([run(), timeout]);
  } finally {
    cancel();
  }
}

/** Time as the runner sees it: the real clock, or a fake one that tests move by hand. */
export interface Clock {
  now(): number;
  /** Calls `fn` once `ms` have passed on this clock; the function returned cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}

// setTimeout's longest delay; a later fire time is reached in steps.
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, Math.min(ms, LONGEST_TIMER_MS));
    return () => clearTimeout(timer);
  },
};

/** Exponential backoff: the first step, doubled for each attempt already spent. */
export function backoffDelay(def: JobDefinition<unknown>, attemptsMade: number): number {
  return def.retry.backoffMs * 2 ** Math.max(0, attemptsMade - 1);
}

export const QUEUE_STATES = ["waiting", "active", "delayed", "failed"] as const;
