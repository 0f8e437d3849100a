// The job queues as an admin sees them: what a runner reports (`Runner.inspect()`
// in @regwatch/runtime) and the queues page shows (@regwatch/server), defined once.

/** Where a job is: BullMQ's states, which the in-process runner follows too. */
export type JobState = "waiting" | "active" | "delayed" | "completed" | "failed";

/** One queue's jobs by state. */
export interface QueueCounts {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

/** One job as an admin sees it: what it is, where it is, how it went. */
export interface JobView {
  queue: string;
  name: string;
  id: string;
  state: JobState;
  /** Attempts started so far, the running one included (a delay the publisher asked for spends none). */
  attempts: number;
  /** Attempts its retry policy allows. */
  maxAttempts: number;
  payload: Record<string, unknown>;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** How it ended, in the job's words (completed or delayed). */
  summary: string | null;
  /** Why the last attempt failed (failed, or waiting for its retry). */
  failedReason: string | null;
}

/** The runner as admins see it: counts per queue and recent jobs, newest first. */
export interface RunnerInspection {
  kind: "bullmq" | "in-process";
  queues: QueueCounts[];
  jobs: JobView[];
  /** What the numbers cover (BullMQ keeps finished jobs for a while; this process counts since it started). */
  note: string;
}
