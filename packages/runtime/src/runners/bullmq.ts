import { randomUUID } from "node:crypto";
import type { Logger } from "@regwatch/core/http";
import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { JOBS, type JobContext, type JobDefinition, QUEUES, type QueueName } from "../jobs/index.ts";
import { withJitter } from "../schedule.ts";
import {
  type JobState,
  type JobView,
  lastMoment,
  QUEUE_STATES,
  RECENT_JOBS,
  type ReconcileReport,
  type Runner,
  runWithTimeout,
  type ScheduleSpec,
} from "./runner.ts";

const DAY_S = 86_400;
// Finished jobs are kept for a look afterwards, bounded by age and count.
const KEEP_COMPLETED = { age: 7 * DAY_S, count: 1000 };
const KEEP_FAILED = { age: 30 * DAY_S, count: 5000 };

// Jobs read per queue and state for an inspection: 3 queues × 5 states × 20 is at most 300 jobs a page view.
const INSPECT_PER_STATE = 20;
const INSPECT_STATES: readonly JobState[] = ["active", "waiting", "delayed", "failed", "completed"];

const moment = (ms: number | undefined) => (ms ? new Date(ms) : null);

/** A BullMQ job as admins see it; `state` is the list it was read from. */
function jobView(queue: string, job: Job, state: JobState): JobView {
  const returned = job.returnvalue as { summary?: unknown } | null | undefined;
  const data = job.data as unknown;
  return {
    queue,
    name: job.name,
    id: job.id ?? "",
    state,
    // BullMQ counts an attempt when it ends: the running one is not in attemptsMade yet.
    attempts: job.attemptsMade + (state === "active" ? 1 : 0),
    maxAttempts: job.opts.attempts ?? 1,
    payload: typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {},
    queuedAt: moment(job.timestamp),
    startedAt: moment(job.processedOn),
    finishedAt: moment(job.finishedOn),
    summary: typeof returned?.summary === "string" ? returned.summary : null,
    failedReason: job.failedReason || null,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: jobs of every payload
function jobOptions(def: JobDefinition<any>) {
  return {
    attempts: def.retry.attempts,
    backoff: { type: "exponential" as const, delay: def.retry.backoffMs },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

function pickRetry(opts: { attempts?: number; backoff?: unknown } | undefined) {
  const backoff = opts?.backoff as { type?: string; delay?: number } | number | undefined;
  return {
    attempts: opts?.attempts ?? null,
    backoff: typeof backoff === "object" ? { type: backoff.type, delay: backoff.delay } : (backoff ?? null),
  };
}

/**
 * BullMQ over Redis: one queue per kind of work, a job scheduler per source
 * (reconciled at start-up, no duplicates after restarts: the scheduler id is
 * the source id), workers on any number of hosts. The source's lock in the
 * database keeps two runs of one version from storing twice; BullMQ's job
 * lock hands a dead worker's job to another once `lockMs` passes.
 */
export function bullmqRunner(options: {
  redisUrl: string;
  ctx: JobContext;
  log: Logger;
  lockMs: number;
  concurrency: number;
  /** Key prefix in Redis: tests use their own. */
  prefix?: string;
  /** The jobs it knows (tests bring their own). */
  // biome-ignore lint/suspicious/noExplicitAny: jobs of every payload
  jobs?: readonly JobDefinition<any>[];
}): Runner {
  const { ctx, log, redisUrl } = options;
  const jobs = options.jobs ?? JOBS;
  const findJob = (name: string) => jobs.find((j) => j.name === name);
  const prefix = options.prefix ?? "regwatch";
  // Producers fail fast when Redis is away (a scrape, an enqueue); workers wait for it to come back.
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false });
  producer.on("error", (err) => log.debug({ err }, "redis (queues)"));
  const queues = new Map<QueueName, Queue>(
    QUEUES.map((name) => {
      const queue = new Queue(name, { connection: producer, prefix });
      // Without a listener BullMQ writes connection errors to the console.
      queue.on("error", (err) => log.debug({ err }, `queue ${name}`));
      return [name, queue];
    }),
  );
  const workers: Worker[] = [];
  const workerConnections: Redis[] = [];

  // Jobs running in this process now: closing waits for them, and only for them.
  let running = 0;

  async function processJob(job: Job, token?: string) {
    running++;
    try {
      return await processJobNow(job, token);
    } finally {
      running--;
    }
  }

  async function processJobNow(job: Job, token?: string) {
    const def = findJob(job.name);
    if (!def) throw new UnrecoverableError(`no job named ${job.name} in this version`);
    const parsed = def.payload.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad payload for ${job.name}: ${parsed.error.message}`);
    const result = await runWithTimeout(def, () => def.run(ctx, parsed.data as never));
    const retry = result.retry;
    if (retry?.kind === "backoff") throw new Error(result.summary);
    if (retry?.kind === "delay") {
      // Not an attempt: the publisher asked us to wait, or this worker is stopping.
      await job.moveToDelayed(Date.now() + (retry.ms ?? def.retry.backoffMs), token);
      // BullMQ emits nothing for a delayed job: counted here.
      observe(job, "delayed");
      throw new DelayedError();
    }
    log.info({ job: job.name, id: job.id }, result.summary);
    return { summary: result.summary, ...result.data };
  }

  function observe(job: Job | undefined, outcome: "completed" | "failed" | "retried" | "delayed") {
    if (!job?.processedOn) return;
    const def = findJob(job.name);
    if (!def) return;
    const finished = job.finishedOn ?? Date.now();
    const due = job.timestamp + (job.delay ?? 0);
    ctx.metrics.observeJob({
      queue: def.queue,
      job: def.name,
      outcome,
      seconds: Math.max(0, finished - job.processedOn) / 1000,
      latencySeconds: Math.max(0, job.processedOn - due) / 1000,
    });
  }

  return {
    kind: "bullmq",
    async reconcile(specs: readonly ScheduleSpec[]) {
      const report: ReconcileReport = { added: [], changed: [], removed: [], kept: [] };
      for (const spec of specs) {
        const def = findJob(spec.job);
        if (!def) throw new Error(`schedule ${spec.id}: no job named ${spec.job}`);
        def.payload.parse(spec.payload);
      }
      for (const [name, queue] of queues) {
        const wanted = specs.filter((s) => findJob(s.job)?.queue === name);
        const existing = await queue.getJobSchedulers(0, -1);
        for (const scheduler of existing) {
          if (!wanted.some((s) => s.id === scheduler.key)) {
            await queue.removeJobScheduler(scheduler.key);
            report.removed.push(scheduler.key);
          }
        }
        for (const spec of wanted) {
          const def = findJob(spec.job)!;
          const pattern = withJitter(spec.cron, spec.id);
          const before = existing.find((s) => s.key === spec.id);
          const same =
            before?.pattern === pattern &&
            before.tz === "UTC" &&
            before.name === spec.job &&
            JSON.stringify(before.template?.data ?? {}) === JSON.stringify(spec.payload) &&
            // A new version's retry policy reaches the scheduler too.
            JSON.stringify(pickRetry(before.template?.opts)) === JSON.stringify(pickRetry(jobOptions(def)));
          if (same) {
            report.kept.push(spec.id);
            continue;
          }
          // Cron in UTC: without tz, BullMQ's cron-parser reads the host's local time.
          await queue.upsertJobScheduler(
            spec.id,
            { pattern, tz: "UTC" },
            { name: spec.job, data: spec.payload, opts: jobOptions(def) },
          );
          (before ? report.changed : report.added).push(spec.id);
        }
      }
      return report;
    },
    async startWorkers(names) {
      for (const name of names) {
        const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
        connection.on("error", (err) => log.debug({ err }, "redis (worker)"));
        workerConnections.push(connection);
        const worker = new Worker(name, processJob, {
          connection,
          prefix,
          concurrency: options.concurrency,
          lockDuration: options.lockMs,
          // A dead worker's job is looked for this often, and handed on once its lock has expired.
          stalledInterval: Math.min(30_000, options.lockMs),
          maxStalledCount: 2,
        });
        worker.on("completed", (job) => observe(job, "completed"));
        worker.on("failed", (job, err) => {
          if (err instanceof DelayedError) return;
          const willRetry =
            job && job.attemptsMade < (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError);
          observe(job, willRetry ? "retried" : "failed");
          log.warn(
            { job: job?.name, id: job?.id, attempt: job?.attemptsMade },
            `${err.message}${willRetry ? "; retrying" : ""}`,
          );
        });
        worker.on("error", (err) => log.warn({ err }, `worker ${name}`));
        workers.push(worker);
      }
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    async enqueue(name, payload) {
      const def = findJob(name);
      if (!def) throw new Error(`no job named ${name}`);
      const data = def.payload.parse(payload) as Record<string, unknown>;
      const key = def.key(data as never);
      const queue = queues.get(def.queue)!;
      // The same work is not queued again while it waits or runs (BullMQ keeps the key until the job ends):
      // when it is, BullMQ hands back the job already there.
      const jobId = randomUUID();
      const job = await queue.add(name, data, { ...jobOptions(def), jobId, deduplication: { id: key } });
      return { queued: job.id === jobId, id: job.id ?? null };
    },
    async depth() {
      const rows = [];
      for (const [name, queue] of queues) {
        const counts = await queue.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) rows.push({ queue: name, state, count: counts[state] ?? 0 });
      }
      return rows;
    },
    async inspect() {
      const counts = [];
      const jobs: JobView[] = [];
      for (const [name, queue] of queues) {
        const c = await queue.getJobCounts(...INSPECT_STATES);
        counts.push({
          queue: name,
          waiting: c.waiting ?? 0,
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
          completed: c.completed ?? 0,
        });
        for (const state of INSPECT_STATES) {
          // Newest first, a bounded slice of each list: a queue with 5000 failed jobs costs 20 reads.
          const list = await queue.getJobs([state], 0, INSPECT_PER_STATE - 1, false);
          // A job removed between the range read and the hash read comes back empty.
          for (const job of list) if (job?.id) jobs.push(jobView(name, job as Job, state));
        }
      }
      jobs.sort((a, b) => lastMoment(b) - lastMoment(a));
      return {
        kind: "bullmq" as const,
        queues: counts,
        jobs: jobs.slice(0, RECENT_JOBS),
        note: `every node's jobs, from Redis: completed ones are kept ${KEEP_COMPLETED.age / DAY_S} days (at most ${KEEP_COMPLETED.count} a queue), failed ones ${KEEP_FAILED.age / DAY_S} days (at most ${KEEP_FAILED.count})`,
      };
    },
    async ping() {
      try {
        const pong = await producer.ping();
        return { ok: pong === "PONG", detail: `redis ${pong}` };
      } catch (err) {
        return { ok: false, detail: `redis unreachable: ${(err as Error).message}` };
      }
    },
    async close() {
      // Workers first: they stop taking jobs and finish (or hand back) the ones they hold.
      // Each step has a bound: after Redis went away and came back, a close can
      // wait on a connection that never answers, and a stopping node must stop.
      // A job cut short by the forced close is taken again once its lock expires.
      // With no job running there is nothing to wait for: BullMQ's graceful close
      // can itself wait on a blocking connection that a Redis restart left behind.
      const graceful =
        running > 0 && (await settlesWithin(Promise.all(workers.map((w) => w.close())), CLOSE_WORKERS_MS));
      if (!graceful) {
        if (running > 0)
          log.warn({}, `jobs still running after ${CLOSE_WORKERS_MS} ms: closing without waiting`);
        await settlesWithin(Promise.all(workers.map((w) => w.close(true))), CLOSE_STEP_MS);
      }
      await settlesWithin(Promise.all([...queues.values()].map((q) => q.close())), CLOSE_STEP_MS);
      const quit = (c: Redis) => settlesWithin(c.quit(), CLOSE_STEP_MS).then((ok) => ok || c.disconnect());
      await Promise.all([...workerConnections.map(quit), quit(producer)]);
    },
  };
}

// How long closing may take: the workers' own jobs end quickly once the
// service is stopping (fetches are cut short), so this is for a close stuck
// on a connection; the other steps are single round trips.
const CLOSE_WORKERS_MS = 8_000;
const CLOSE_STEP_MS = 2_000;

/** Whether the promise settled (either way) within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
