import type { AlertDeps } from "@regwatch/alerts/subscribe";
import type { Config } from "@regwatch/config";
import type { RetryPolicy } from "@regwatch/core/errors";
import type { Logger } from "@regwatch/core/http";
import type { Database } from "@regwatch/db/open-database";
import type { PipelineDeps } from "@regwatch/pipeline/deps";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import type { z } from "zod";
import type { Metrics } from "../metrics.ts";

/** Kinds of work, one queue each: a slow source never holds up a health check or an alert. */
export type QueueName = "sources" | "maintenance" | "alerts";

/** What a job needs from the process it runs in. */
export interface JobContext {
  config: Config;
  database: Database;
  deps: PipelineDeps;
  /** Every source run now: the registered ones and the watched pages (live: it grows and shrinks while the service runs). */
  sources: readonly SourceDefinition[];
  /** Reads the watched pages again and schedules what changed (the health check calls it). */
  syncSources?: () => Promise<void>;
  metrics: Metrics;
  /** Subscriptions and mail; null when there is no key to sign links with. */
  alerts?: AlertDeps | null;
  /** Queues another job through the runner that runs this one (none outside a runner). */
  enqueue?: (job: string, payload: Record<string, unknown>) => Promise<unknown>;
  log: Logger;
  /** The runner's clock: a fake one in tests. */
  now(): Date;
}

/**
 * How a job ended. `retry` asks the runner to run it again under the policy
 * `classifyError` chose: with backoff (an attempt spent), after a delay (none
 * spent), or never (done, and the outcome says why).
 */
export type JobResult = {
  summary: string;
  retry?: RetryPolicy;
  /** Anything worth keeping with the finished job (BullMQ keeps it as the return value). */
  data?: Record<string, unknown>;
};

export interface JobDefinition<Payload = unknown> {
  /** The job's name: also its file in jobs/ and its symbol (`run-source` → `runSourceJob`). */
  name: string;
  queue: QueueName;
  payload: z.ZodType<Payload>;
  /** Two jobs with the same key are the same work: the second is not queued while the first waits. */
  key(payload: Payload): string;
  /** Attempts in all, and the first backoff step (doubled each time). */
  retry: { attempts: number; backoffMs: number };
  /** Longest a run may take before the runner gives up on it and counts a failed attempt. */
  timeoutMs: number;
  run(ctx: JobContext, payload: Payload): Promise<JobResult>;
}

export function defineJob<Payload>(job: JobDefinition<Payload>): JobDefinition<Payload> {
  return job;
}
