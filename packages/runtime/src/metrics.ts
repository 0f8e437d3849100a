import type { Health } from "@regwatch/db/queries/sources";
import type { RunOutcome } from "@regwatch/pipeline/run-source";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type RunStatus = RunOutcome["status"];
export type JobOutcome = "completed" | "failed" | "retried" | "delayed";
export type SourceHealth = Health;

/** Every health a source can be in: the `source_health` gauge reports 0 for all but the current one. */
export const SOURCE_HEALTH_STATES = [
  "healthy",
  "unreachable",
  "stale",
  "quarantined",
  "broken",
  "unknown",
] as const satisfies readonly SourceHealth[];
// A health added to the database's type but not to the list above fails to compile here.
type AssertNone<T extends never> = T;
export type UnlistedHealth = AssertNone<Exclude<SourceHealth, (typeof SOURCE_HEALTH_STATES)[number]>>;

export interface QueueDepth {
  queue: string;
  /** BullMQ's job state: waiting, active, delayed, failed (others are reported as given). */
  state: string;
  count: number;
}

export type QueueDepthProvider = () => Promise<QueueDepth[]>;

export interface MetricsOptions {
  /** Prepended to every metric name, process metrics included. */
  prefix?: string;
  /** Node process metrics (CPU, memory, event loop, GC); on unless false. */
  collectProcess?: boolean;
  /** How long a scrape waits for the queue-depth provider before counting an error. */
  queueDepthTimeoutMs?: number;
}

// Fetches span a cached HEAD answered in tens of milliseconds to a large
// document through a slow government server (minutes); 300 s is the longest
// fetch we let run.
const FETCH_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
// Jobs are a fetch plus storing and diffing, or a digest mail: the same range.
const JOB_SECONDS_BUCKETS = FETCH_SECONDS_BUCKETS;
// From due to started: milliseconds on an idle worker, up to an hour behind a
// long backlog (a missed schedule is noticed well before the next daily run).
const JOB_LATENCY_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600];

// Well under Prometheus' default 10 s scrape timeout: with Redis down, BullMQ's
// connection queues commands indefinitely, and /metrics must still answer then.
const QUEUE_DEPTH_WAIT_MS = 2000;

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The service's Prometheus instruments on a registry of their own (never
 * prom-client's global one), so several instances and tests do not share values.
 */
export function createMetrics(options: MetricsOptions = {}) {
  const prefix = options.prefix ?? "regwatch_";
  const queueDepthTimeoutMs = options.queueDepthTimeoutMs ?? QUEUE_DEPTH_WAIT_MS;
  const registry = new Registry();
  const registers = [registry];

  const fetches = new Counter({
    name: `${prefix}source_fetches_total`,
    help: "Source runs, by source and outcome.",
    labelNames: ["source", "outcome"] as const,
    registers,
  });
  const fetchSeconds = new Histogram({
    name: `${prefix}source_fetch_duration_seconds`,
    help: "Duration of a source run, fetch to stored result, in seconds.",
    labelNames: ["source", "outcome"] as const,
    buckets: FETCH_SECONDS_BUCKETS,
    registers,
  });
  const changes = new Counter({
    name: `${prefix}changes_detected_total`,
    help: "Change records detected, by source and change kind.",
    labelNames: ["source", "kind"] as const,
    registers,
  });
  const jobs = new Counter({
    name: `${prefix}jobs_total`,
    help: "Queue jobs finished, by queue, job name and outcome.",
    labelNames: ["queue", "job", "outcome"] as const,
    registers,
  });
  const jobSeconds = new Histogram({
    name: `${prefix}job_duration_seconds`,
    help: "Time a job ran, in seconds.",
    labelNames: ["queue", "job"] as const,
    buckets: JOB_SECONDS_BUCKETS,
    registers,
  });
  const jobLatencySeconds = new Histogram({
    name: `${prefix}job_latency_seconds`,
    help: "Time from when a job was due to when it started, in seconds.",
    labelNames: ["queue", "job"] as const,
    buckets: JOB_LATENCY_SECONDS_BUCKETS,
    registers,
  });

  let queueDepthProvider: QueueDepthProvider | null = null;
  // The read of the scrape in progress: the error counter waits for it, so a failure shows in the same scrape.
  let queueDepthRead: Promise<void> = Promise.resolve();

  const readQueueDepth = async (): Promise<void> => {
    const provider = queueDepthProvider;
    if (!provider) {
      queueDepth.reset();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const rows = await Promise.race([
        provider(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("queue depth timed out")), queueDepthTimeoutMs);
          timer.unref();
        }),
      ]);
      if (!Array.isArray(rows) || !rows.every(isQueueDepth)) throw new TypeError("malformed queue depth");
      // Replaced in one synchronous step, so an overlapping scrape never sees half of it.
      queueDepth.reset();
      for (const row of rows) queueDepth.set({ queue: row.queue, state: row.state }, row.count);
    } catch {
      // Counts that cannot be read are not reported at all: old ones would pass for current.
      queueDepth.reset();
      queueDepthErrors.inc();
    } finally {
      clearTimeout(timer);
    }
  };

  // Registered before the error counter: the registry starts collecting in registration order.
  const queueDepth = new Gauge({
    name: `${prefix}queue_jobs`,
    help: "Jobs in each queue, by state, read at scrape time.",
    labelNames: ["queue", "state"] as const,
    registers,
    collect() {
      queueDepthRead = readQueueDepth();
      return queueDepthRead;
    },
  });
  const queueDepthErrors = new Counter({
    name: `${prefix}queue_depth_errors_total`,
    help: "Scrapes at which the queue depth could not be read.",
    registers,
    collect: () => queueDepthRead,
  });

  const sourceHealth = new Gauge({
    name: `${prefix}source_health`,
    help: "1 for each source's current health, 0 for the others.",
    labelNames: ["source", "status"] as const,
    registers,
  });

  if (options.collectProcess ?? true) collectDefaultMetrics({ register: registry, prefix });

  return {
    registry,
    contentType: registry.contentType as string,
    fetches,
    fetchSeconds,
    changes,
    jobs,
    jobSeconds,
    jobLatencySeconds,
    queueDepth,
    queueDepthErrors,
    sourceHealth,

    /** The exposition text of every instrument, read now. */
    text(): Promise<string> {
      return registry.metrics();
    },

    /** Read at every scrape; null stops reporting queue depth. */
    setQueueDepthProvider(provider: QueueDepthProvider | null): void {
      queueDepthProvider = provider;
    },

    setSourceHealth(source: string, status: SourceHealth): void {
      for (const state of SOURCE_HEALTH_STATES) sourceHealth.set({ source, status: state }, 0);
      sourceHealth.set({ source, status }, 1);
    },

    /** One source run: its outcome, how long it took and the change records it produced. */
    observeRun(
      outcome: { sourceId: string; status: RunStatus; records: readonly { kind: string }[] },
      seconds: number,
    ): void {
      const labels = { source: outcome.sourceId, outcome: outcome.status };
      fetches.inc(labels);
      fetchSeconds.observe(labels, seconds);
      const byKind = new Map<string, number>();
      for (const record of outcome.records) byKind.set(record.kind, (byKind.get(record.kind) ?? 0) + 1);
      for (const [kind, count] of byKind) changes.inc({ source: outcome.sourceId, kind }, count);
    },

    /** One job attempt that ran: how it ended, how long it ran and how late it started. */
    observeJob(job: {
      queue: string;
      job: string;
      outcome: JobOutcome;
      seconds: number;
      latencySeconds?: number;
    }): void {
      const labels = { queue: job.queue, job: job.job };
      jobs.inc({ ...labels, outcome: job.outcome });
      jobSeconds.observe(labels, job.seconds);
      // Clocks of the host that scheduled and the one that ran can disagree: early is not negative latency.
      if (job.latencySeconds !== undefined)
        jobLatencySeconds.observe(labels, Math.max(0, job.latencySeconds));
    },
  };
}

function isQueueDepth(row: unknown): row is QueueDepth {
  if (typeof row !== "object" || row === null) return false;
  const { queue, state, count } = row as Record<string, unknown>;
  return typeof queue === "string" && typeof state === "string" && Number.isFinite(count);
}
