import type { Logger } from "@regwatch/core/http";
import { JOBS, type JobContext, type JobDefinition, QUEUES, type QueueName } from "../jobs/index.ts";
import { nextRuns } from "../schedule.ts";
import {
  backoffDelay,
  type Clock,
  type JobView,
  lastMoment,
  QUEUE_STATES,
  RECENT_JOBS,
  type ReconcileReport,
  type Runner,
  realClock,
  runWithTimeout,
  type ScheduleSpec,
} from "./runner.ts";

interface QueuedJob {
  // biome-ignore lint/suspicious/noExplicitAny: jobs of every payload share the queue
  def: JobDefinition<any>;
  payload: Record<string, unknown>;
  key: string;
  /** Attempts spent so far (a delay does not spend one). */
  attemptsMade: number;
  /** When it became due: latency is measured from here. */
  dueAt: number;
  /** What admins see of it, updated as it goes (and kept among the recent jobs). */
  view: JobView;
}

/**
 * The zero-setup runner (no `REDIS_URL`): the same schedules, jobs and retry
 * policy as BullMQ, inside this process. One job at a time per queue, up to
 * `concurrency`; a job whose key is waiting or running is not queued twice.
 */
export type { Clock };

export function inProcessRunner(options: {
  ctx: JobContext;
  log: Logger;
  clock?: Clock;
  concurrency?: number;
  /** The jobs it knows (tests bring their own). */
  // biome-ignore lint/suspicious/noExplicitAny: jobs of every payload
  jobs?: readonly JobDefinition<any>[];
}): Runner & { idle(): Promise<void> } {
  const { ctx, log } = options;
  const jobs = options.jobs ?? JOBS;
  const findJob = (name: string) => jobs.find((j) => j.name === name);
  const clock = options.clock ?? realClock;
  const concurrency = options.concurrency ?? 1;
  const schedules = new Map<string, { spec: ScheduleSpec; cancel: () => void }>();
  const waiting = new Map<QueueName, QueuedJob[]>(QUEUES.map((q) => [q, []]));
  const running = new Map<QueueName, Set<Promise<void>>>(QUEUES.map((q) => [q, new Set()]));
  const keys = new Set<string>();
  const retries = new Set<() => void>();
  /** Keys of jobs waiting to be retried: the same work is not queued again meanwhile. */
  const retrying = new Set<string>();
  const delayed = new Map<QueueName, number>(QUEUES.map((q) => [q, 0]));
  const failed = new Map<QueueName, number>(QUEUES.map((q) => [q, 0]));
  const bump = (counts: Map<QueueName, number>, queue: QueueName, by: number) =>
    counts.set(queue, (counts.get(queue) ?? 0) + by);
  const completed = new Map<QueueName, number>(QUEUES.map((q) => [q, 0]));
  const working = new Set<QueueName>();
  let closed = false;
  // The last RECENT_JOBS jobs queued, oldest first: the admin's queues page reads them.
  const recent: JobView[] = [];
  let sequence = 0;
  const at = (ms: number) => new Date(ms);

  function arm(spec: ScheduleSpec, after = clock.now()) {
    const [next] = nextRuns(spec.cron, new Date(after), 1, spec.id);
    const fireAt = next!.getTime();
    const step = () => {
      if (closed) return;
      if (clock.now() < fireAt) {
        // A fire time beyond one timer's reach: wait again.
        schedules.set(spec.id, { spec, cancel: clock.setTimeout(step, fireAt - clock.now()) });
        return;
      }
      // The next fire time is armed whatever happens to this one.
      arm(spec, fireAt);
      try {
        add(spec.job, spec.payload, fireAt);
      } catch (err) {
        log.error({ schedule: spec.id }, `scheduled job not queued: ${(err as Error).message}`);
      }
    };
    schedules.set(spec.id, { spec, cancel: clock.setTimeout(step, fireAt - clock.now()) });
  }

  function add(
    name: string,
    payload: Record<string, unknown>,
    dueAt: number,
    attemptsMade = 0,
    /** A retry: the same job, seen by admins as one. */
    view?: JobView,
  ): QueuedJob | null {
    const def = findJob(name);
    if (!def) throw new Error(`no job named ${name}`);
    const parsed = def.payload.parse(payload) as Record<string, unknown>;
    const key = def.key(parsed as never);
    if (keys.has(key)) {
      log.debug({ job: name, key }, "the same work is already waiting or running; not queued again");
      return null;
    }
    const job: QueuedJob = {
      def,
      payload: parsed,
      key,
      attemptsMade,
      dueAt,
      view: view ?? track(def, parsed),
    };
    job.view.state = "waiting";
    keys.add(key);
    waiting.get(def.queue)!.push(job);
    pump(def.queue);
    return job;
  }

  function track(def: QueuedJob["def"], payload: Record<string, unknown>): JobView {
    const view: JobView = {
      queue: def.queue,
      name: def.name,
      id: String(++sequence),
      state: "waiting",
      attempts: 0,
      maxAttempts: def.retry.attempts,
      payload,
      queuedAt: at(clock.now()),
      startedAt: null,
      finishedAt: null,
      summary: null,
      failedReason: null,
    };
    recent.push(view);
    if (recent.length > RECENT_JOBS) recent.shift();
    return view;
  }

  function later(job: QueuedJob, ms: number, attemptsMade: number) {
    job.view.state = "delayed";
    bump(delayed, job.def.queue, 1);
    retrying.add(job.key);
    const cancel = clock.setTimeout(() => {
      retries.delete(cancel);
      retrying.delete(job.key);
      keys.delete(job.key);
      bump(delayed, job.def.queue, -1);
      if (closed) return;
      add(job.def.name, job.payload, clock.now(), attemptsMade, job.view);
    }, ms);
    retries.add(cancel);
  }

  function pump(queue: QueueName) {
    if (closed || !working.has(queue)) return;
    const active = running.get(queue)!;
    const list = waiting.get(queue)!;
    while (active.size < concurrency && list.length) {
      const job = list.shift()!;
      const done = execute(job).finally(() => {
        active.delete(done);
        if (!retrying.has(job.key)) keys.delete(job.key);
        pump(queue);
      });
      active.add(done);
    }
  }

  async function execute(job: QueuedJob): Promise<void> {
    const { def } = job;
    const started = clock.now();
    const attempt = job.attemptsMade + 1;
    const { view } = job;
    view.state = "active";
    view.attempts = attempt;
    view.startedAt = at(started);
    let outcome: "completed" | "failed" | "retried" | "delayed" = "completed";
    try {
      const result = await runWithTimeout(def, () => def.run(ctx, job.payload), clock);
      const retry = result.retry?.kind ?? "never";
      view.summary = result.summary;
      if (retry === "delay" && result.retry?.kind === "delay") {
        outcome = "delayed";
        // Not an attempt: the next run is the same attempt again.
        view.attempts = job.attemptsMade;
        // Keys are released when this returns; the job comes back after the delay.
        if (!closed) later(job, result.retry.ms ?? def.retry.backoffMs, job.attemptsMade);
      } else if (retry === "backoff") {
        outcome = retryOrFail(job, attempt, result.summary);
      } else {
        bump(completed, def.queue, 1);
        view.state = "completed";
        view.finishedAt = at(clock.now());
        view.failedReason = null;
        log.info({ job: def.name, attempt }, result.summary);
      }
    } catch (err) {
      outcome = retryOrFail(job, attempt, (err as Error).message);
    }
    ctx.metrics.observeJob({
      queue: def.queue,
      job: def.name,
      outcome,
      seconds: (clock.now() - started) / 1000,
      latencySeconds: (started - job.dueAt) / 1000,
    });
  }

  function retryOrFail(job: QueuedJob, attempt: number, why: string): "retried" | "failed" | "delayed" {
    job.view.failedReason = why;
    if (closed) {
      // Not the job's failure: the next start schedules it again.
      log.info({ job: job.def.name, attempt }, `${why}; not retried, the service is stopping`);
      return "delayed";
    }
    if (attempt < job.def.retry.attempts) {
      const wait = backoffDelay(job.def, attempt);
      log.warn({ job: job.def.name, attempt, retryInMs: wait }, `${why}; retrying`);
      later(job, wait, attempt);
      return "retried";
    }
    bump(failed, job.def.queue, 1);
    job.view.state = "failed";
    job.view.finishedAt = at(clock.now());
    log.error({ job: job.def.name, attempt }, `${why}; giving up after ${attempt} attempts`);
    return "failed";
  }

  return {
    kind: "in-process",
    async reconcile(specs) {
      const report: ReconcileReport = { added: [], changed: [], removed: [], kept: [] };
      for (const spec of specs) {
        const def = findJob(spec.job);
        if (!def) throw new Error(`schedule ${spec.id}: no job named ${spec.job}`);
        def.payload.parse(spec.payload);
      }
      const wanted = new Map(specs.map((s) => [s.id, s]));
      const changed = new Set<string>();
      for (const [id, { spec, cancel }] of schedules) {
        const next = wanted.get(id);
        const same =
          next?.cron === spec.cron &&
          next.job === spec.job &&
          JSON.stringify(next.payload) === JSON.stringify(spec.payload);
        if (same) continue;
        cancel();
        schedules.delete(id);
        if (next) changed.add(id);
        else report.removed.push(id);
      }
      for (const spec of specs) {
        if (schedules.has(spec.id)) {
          report.kept.push(spec.id);
          continue;
        }
        arm(spec);
        (changed.has(spec.id) ? report.changed : report.added).push(spec.id);
      }
      return report;
    },
    async startWorkers(queues) {
      for (const q of queues) {
        working.add(q);
        pump(q);
      }
    },
    async enqueue(name, payload) {
      const job = add(name, payload, clock.now());
      const def = findJob(name)!;
      return { queued: job !== null, id: job?.key ?? def.key(def.payload.parse(payload)) };
    },
    async depth() {
      return QUEUES.flatMap((queue) =>
        QUEUE_STATES.map((state) => ({
          queue,
          state,
          count: {
            waiting: waiting.get(queue)!.length,
            active: running.get(queue)!.size,
            delayed: delayed.get(queue) ?? 0,
            failed: failed.get(queue) ?? 0,
          }[state],
        })),
      );
    },
    async inspect() {
      return {
        kind: "in-process" as const,
        queues: QUEUES.map((queue) => ({
          queue,
          waiting: waiting.get(queue)!.length,
          active: running.get(queue)!.size,
          delayed: delayed.get(queue) ?? 0,
          failed: failed.get(queue) ?? 0,
          completed: completed.get(queue) ?? 0,
        })),
        // Copies: the page renders a moment, not jobs changing under it.
        jobs: recent
          .map((view) => ({ ...view }))
          .reverse()
          .sort((a, b) => lastMoment(b) - lastMoment(a)),
        note: `jobs of this process since it started (the last ${RECENT_JOBS} listed); ${
          working.size ? `working on ${[...working].join(", ")}` : "no workers on this node"
        }`,
      };
    },
    async ping() {
      return { ok: !closed, detail: closed ? "stopped" : `${schedules.size} schedules in this process` };
    },
    async idle() {
      for (;;) {
        const active = [...running.values()].flatMap((s) => [...s]);
        if (!active.length) return;
        await Promise.all(active);
      }
    },
    async close() {
      closed = true;
      for (const { cancel } of schedules.values()) cancel();
      schedules.clear();
      for (const cancel of retries) cancel();
      retries.clear();
      retrying.clear();
      for (const q of QUEUES) delayed.set(q, 0);
      for (const list of waiting.values()) list.length = 0;
      await Promise.all([...running.values()].flatMap((s) => [...s]));
    },
  };
}
