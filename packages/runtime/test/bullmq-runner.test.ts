import { randomBytes } from "node:crypto";
import type { Logger } from "@regwatch/core/http";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob, type JobContext, type JobDefinition, type QueueName } from "../src/jobs/define-job.ts";
import { createMetrics, type JobOutcome, type Metrics } from "../src/metrics.ts";
import { bullmqRunner } from "../src/runners/bullmq.ts";
import type { Runner, ScheduleSpec } from "../src/runners/runner.ts";
import { withJitter } from "../src/schedule.ts";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.REGWATCH_REQUIRE_SERVICES === "1") {
  throw new Error("REGWATCH_REQUIRE_SERVICES=1 but REDIS_URL is not set");
}

// Long enough that no job in these tests is handed on as stalled while it runs.
const LOCK_MS = 30_000;

const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Polls until `check` holds; the error names what was awaited. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The value of `regwatch_jobs_total` for one job and outcome, 0 when the series does not exist. */
async function jobCount(metrics: Metrics, job: string, outcome: JobOutcome, queue: QueueName = "sources") {
  const line = `regwatch_jobs_total{queue="${queue}",job="${job}",outcome="${outcome}"} `;
  const found = (await metrics.text()).split("\n").find((l) => l.startsWith(line));
  return found ? Number(found.slice(line.length)) : 0;
}

/**
 * The test jobs, closing over what they record: runs by key, and which
 * runner's context ran them. None needs a database or the network.
 */
function testJobs() {
  const runs = new Map<string, number>();
  const runsByContext = new Map<JobContext, number>();
  const gates = new Map<string, { started: () => void; release: Promise<void> }>();
  const finished: string[] = [];
  const record = (ctx: JobContext, key: string) => {
    runs.set(key, (runs.get(key) ?? 0) + 1);
    runsByContext.set(ctx, (runsByContext.get(ctx) ?? 0) + 1);
    return runs.get(key)!;
  };
  const keyed = z.object({ key: z.string() });

  const echoJob = defineJob({
    name: "echo",
    queue: "sources",
    payload: z.object({ key: z.string(), sleepMs: z.number().int().nonnegative().optional() }),
    key: (p) => p.key,
    // One attempt: a failure here is a failure of the test.
    retry: { attempts: 1, backoffMs: 50 },
    timeoutMs: 5000,
    async run(ctx, p) {
      record(ctx, p.key);
      const gate = gates.get(p.key);
      if (gate) {
        gate.started();
        await gate.release;
      }
      if (p.sleepMs) await sleep(p.sleepMs);
      finished.push(p.key);
      return { summary: `echoed ${p.key}`, data: { key: p.key } };
    },
  });
  const unavailableJob = defineJob({
    name: "always-unavailable",
    queue: "sources",
    payload: keyed,
    key: (p) => p.key,
    // Three attempts with a 50 ms first step: 50 + 100 ms of waiting in all.
    retry: { attempts: 3, backoffMs: 50 },
    timeoutMs: 5000,
    async run(ctx, p) {
      const n = record(ctx, p.key);
      return { summary: `source unavailable (run ${n})`, retry: { kind: "backoff" } };
    },
  });
  const rateLimitedOnceJob = defineJob({
    name: "rate-limited-once",
    queue: "sources",
    payload: keyed,
    key: (p) => p.key,
    // One attempt: a delay must not spend it, or the second run would never happen.
    retry: { attempts: 1, backoffMs: 50 },
    timeoutMs: 5000,
    async run(ctx, p) {
      const n = record(ctx, p.key);
      if (n === 1) return { summary: "publisher asked us to wait", retry: { kind: "delay", ms: 100 } };
      return { summary: `fetched on run ${n}` };
    },
  });
  const shapeChangedJob = defineJob({
    name: "shape-changed",
    queue: "sources",
    payload: keyed,
    key: (p) => p.key,
    // Attempts to spare, so that a retry would show.
    retry: { attempts: 3, backoffMs: 50 },
    timeoutMs: 5000,
    async run(ctx, p) {
      record(ctx, p.key);
      return { summary: "page shape changed; not retrying", retry: { kind: "never" } };
    },
  });
  const tidyJob = defineJob({
    name: "tidy",
    queue: "maintenance",
    payload: z.object({}),
    key: () => "tidy",
    retry: { attempts: 1, backoffMs: 50 },
    timeoutMs: 5000,
    async run() {
      return { summary: "tidied" };
    },
  });

  return {
    // biome-ignore lint/suspicious/noExplicitAny: jobs of every payload, as the runner takes them
    jobs: [echoJob, unavailableJob, rateLimitedOnceJob, shapeChangedJob, tidyJob] as JobDefinition<any>[],
    runs,
    runsByContext,
    finished,
    /** Holds the echo job with this key once it has started, until `release` is called. */
    gate(key: string) {
      let started = () => {};
      let release = () => {};
      const startedPromise = new Promise<void>((resolve) => {
        started = resolve;
      });
      gates.set(key, { started, release: new Promise<void>((resolve) => (release = resolve)) });
      return { started: startedPromise, release: () => release() };
    },
  };
}

/** One test's prefix, runners and queues; `cleanup` closes them all and deletes the prefix's keys. */
function harness() {
  const prefix = `rwtest-${randomBytes(6).toString("hex")}`;
  const jobs = testJobs();
  const closers: (() => Promise<void>)[] = [];
  const connection = new Redis(redisUrl!, { maxRetriesPerRequest: 1 });

  function context(metrics = createMetrics({ collectProcess: false })): JobContext {
    return {
      config: {} as never,
      database: {} as never,
      deps: {} as never,
      sources: [],
      metrics,
      log: silentLog,
      now: () => new Date(),
    };
  }

  function runner(options: { ctx?: JobContext; redisUrl?: string; concurrency?: number } = {}) {
    const ctx = options.ctx ?? context();
    const inner = bullmqRunner({
      redisUrl: options.redisUrl ?? redisUrl!,
      ctx,
      log: silentLog,
      lockMs: LOCK_MS,
      concurrency: options.concurrency ?? 1,
      prefix,
      jobs: jobs.jobs,
    });
    // Closed once, whether by the test or by the cleanup.
    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= inner.close();
      return closing;
    };
    closers.push(close);
    const wrapped: Runner = { ...inner, close };
    return { runner: wrapped, ctx, metrics: ctx.metrics };
  }

  function queue(name: QueueName) {
    const q = new Queue(name, { connection, prefix });
    closers.push(() => q.close());
    return q;
  }

  async function cleanup() {
    await Promise.allSettled(closers.map((close) => close()));
    const keys = await connection.keys(`${prefix}:*`);
    if (keys.length > 0) await connection.del(...keys);
    await connection.quit();
  }

  return { prefix, jobs, runner, queue, context, cleanup };
}

describe.skipIf(!redisUrl)("bullmq runner against Redis", { timeout: 20_000 }, () => {
  let current: ReturnType<typeof harness> | undefined;
  const setup = () => {
    current = harness();
    return current;
  };

  beforeAll(async () => {
    // Fail at once, with the reason, rather than as twenty timeouts.
    const probe = new Redis(redisUrl!, { maxRetriesPerRequest: 1, lazyConnect: true });
    probe.on("error", () => {});
    try {
      await probe.connect();
      expect(await probe.ping()).toBe("PONG");
    } catch (err) {
      throw new Error(`REDIS_URL is set but Redis at ${redisUrl} does not answer: ${(err as Error).message}`);
    } finally {
      probe.disconnect();
    }
  });

  afterEach(async () => {
    const done = current;
    current = undefined;
    await done?.cleanup();
  });

  it("reconciles schedules: adds once, keeps them across a restart, updates a changed cron, removes a dropped one", async () => {
    const h = setup();
    const specs: ScheduleSpec[] = [
      { id: "run-source:a", job: "echo", payload: { key: "a" }, cron: "41 */6 * * *" },
      { id: "run-source:b", job: "echo", payload: { key: "b" }, cron: "17 6,18 * * *" },
      { id: "run-source:c", job: "echo", payload: { key: "c" }, cron: "5 11,14,18,22 * * 1-5" },
    ];
    const sources = h.queue("sources");
    const schedulers = async () =>
      (await sources.getJobSchedulers(0, -1))
        .map((s) => ({ key: s.key, name: s.name, pattern: s.pattern, tz: s.tz, data: s.template?.data }))
        .sort((x, y) => x.key.localeCompare(y.key));
    const expected = (list: ScheduleSpec[]) =>
      list.map((s) => ({
        key: s.id,
        name: s.job,
        pattern: withJitter(s.cron, s.id),
        tz: "UTC",
        data: s.payload,
      }));

    const first = h.runner().runner;
    expect(await first.reconcile(specs)).toEqual({
      added: ["run-source:a", "run-source:b", "run-source:c"],
      changed: [],
      removed: [],
      kept: [],
    });
    expect(await schedulers()).toEqual(expected(specs));
    for (const s of await schedulers()) expect(s.pattern!.split(" ")).toHaveLength(6);
    expect(await h.queue("maintenance").getJobSchedulers(0, -1)).toEqual([]);
    await first.close();

    const restarted = h.runner().runner;
    expect(await restarted.reconcile(specs)).toEqual({
      added: [],
      changed: [],
      removed: [],
      kept: ["run-source:a", "run-source:b", "run-source:c"],
    });
    expect(await schedulers()).toEqual(expected(specs));

    const rescheduled = specs.map((s) => (s.id === "run-source:b" ? { ...s, cron: "17 7,19 * * *" } : s));
    expect(await restarted.reconcile(rescheduled)).toEqual({
      added: [],
      changed: ["run-source:b"],
      removed: [],
      kept: ["run-source:a", "run-source:c"],
    });
    expect(await schedulers()).toEqual(expected(rescheduled));
    expect((await schedulers())[1]!.pattern).toBe(withJitter("17 7,19 * * *", "run-source:b"));

    const dropped = rescheduled.filter((s) => s.id !== "run-source:c");
    expect(await restarted.reconcile(dropped)).toEqual({
      added: [],
      changed: [],
      removed: ["run-source:c"],
      kept: ["run-source:a", "run-source:b"],
    });
    expect(await schedulers()).toEqual(expected(dropped));
  });

  // Known bug: with no scheduler field for the job options, a job whose retry policy
  // changes in a new version keeps the old one in its scheduler's template after a
  // restart. Remove `.fails` once reconcile compares the template's options too.
  it("updates a scheduler whose job's retry policy changed", async () => {
    const h = setup();
    const specs: ScheduleSpec[] = [
      { id: "run-source:a", job: "always-unavailable", payload: { key: "a" }, cron: "41 */6 * * *" },
    ];
    const first = h.runner().runner;
    await first.reconcile(specs);
    await first.close();
    const def = h.jobs.jobs.find((j) => j.name === "always-unavailable")!;
    def.retry = { attempts: 5, backoffMs: 1000 };

    const upgraded = h.runner().runner;
    expect((await upgraded.reconcile(specs)).changed).toEqual(["run-source:a"]);
    const [scheduler] = await h.queue("sources").getJobSchedulers(0, -1);
    expect(scheduler!.template?.opts).toMatchObject({
      attempts: 5,
      backoff: { type: "exponential", delay: 1000 },
    });
  });

  it("runs an enqueued job on a started worker, keeps its summary as the return value and counts it", async () => {
    const h = setup();
    const { runner, metrics } = h.runner();
    await runner.startWorkers(["sources"]);
    const { queued, id } = await runner.enqueue("echo", { key: "us-ccl" });
    expect(queued).toBe(true);
    const sources = h.queue("sources");
    await waitFor("the job to complete", async () => (await sources.getJobState(id!)) === "completed");
    const job = await sources.getJob(id!);
    expect(job!.returnvalue).toEqual({ summary: "echoed us-ccl", key: "us-ccl" });
    await waitFor(
      "the completion to be counted",
      async () => (await jobCount(metrics, "echo", "completed")) === 1,
    );
    const text = await metrics.text();
    expect(text).toContain('regwatch_jobs_total{queue="sources",job="echo",outcome="completed"} 1');
    expect(text).not.toContain('outcome="failed"');
    expect(h.jobs.runs.get("us-ccl")).toBe(1);
  });

  it("does not queue the same work twice while the first is waiting, and queues it again once it has run", async () => {
    const h = setup();
    const { runner } = h.runner();
    const first = await runner.enqueue("echo", { key: "eu-annex-i" });
    const second = await runner.enqueue("echo", { key: "eu-annex-i" });
    expect(first.queued).toBe(true);
    expect(second).toEqual({ queued: false, id: first.id });
    const depth = await runner.depth();
    expect(depth).toContainEqual({ queue: "sources", state: "waiting", count: 1 });
    expect(depth.filter((row) => row.count > 0)).toEqual([{ queue: "sources", state: "waiting", count: 1 }]);

    await runner.startWorkers(["sources"]);
    const sources = h.queue("sources");
    await waitFor("the job to complete", async () => (await sources.getJobState(first.id!)) === "completed");
    const third = await runner.enqueue("echo", { key: "eu-annex-i" });
    expect(third.queued).toBe(true);
    expect(third.id).not.toBe(first.id);
  });

  // Known bug: two enqueues racing past the getDeduplicationJobId check both report
  // `queued: true`, though BullMQ's deduplication kept one job. Remove `.fails` once
  // enqueue tells from `queue.add`'s answer whether it added a job.
  it("reports the second of two concurrent enqueues of the same work as not queued", async () => {
    const h = setup();
    const { runner } = h.runner();
    const results = await Promise.all([
      runner.enqueue("echo", { key: "us-entity-list" }),
      runner.enqueue("echo", { key: "us-entity-list" }),
    ]);
    expect(await runner.depth()).toContainEqual({ queue: "sources", state: "waiting", count: 1 });
    expect(results.map((r) => r.queued).sort()).toEqual([false, true]);
  });

  it("retries a job asking for backoff until its attempts are spent, then fails it", async () => {
    const h = setup();
    const { runner, metrics } = h.runner();
    await runner.startWorkers(["sources"]);
    const { id } = await runner.enqueue("always-unavailable", { key: "uk-strategic" });
    await waitFor(
      "the failure to be counted",
      async () => (await jobCount(metrics, "always-unavailable", "failed")) === 1,
    );
    const failed = await h.queue("sources").getFailed();
    expect(failed.map((j) => j.id)).toEqual([id]);
    expect(failed[0]!.attemptsMade).toBe(3);
    expect(failed[0]!.failedReason).toBe("source unavailable (run 3)");
    expect(h.jobs.runs.get("uk-strategic")).toBe(3);
    expect(await jobCount(metrics, "always-unavailable", "retried")).toBe(2);
    expect(await jobCount(metrics, "always-unavailable", "completed")).toBe(0);
  });

  it("runs a job asking for a delay again after it without spending an attempt", async () => {
    const h = setup();
    const { runner, metrics } = h.runner();
    await runner.startWorkers(["sources"]);
    const { id } = await runner.enqueue("rate-limited-once", { key: "jp-meti" });
    const sources = h.queue("sources");
    await waitFor("the job to complete", async () => (await sources.getJobState(id!)) === "completed");
    const job = (await sources.getJob(id!))!;
    // One attempt allowed and one made: the delayed run did not count.
    expect(job.attemptsMade).toBe(1);
    expect(job.returnvalue).toEqual({ summary: "fetched on run 2" });
    expect(job.processedOn! - job.timestamp).toBeGreaterThanOrEqual(100);
    expect(h.jobs.runs.get("jp-meti")).toBe(2);
    await waitFor(
      "the completion to be counted",
      async () => (await jobCount(metrics, "rate-limited-once", "completed")) === 1,
    );
    expect(await jobCount(metrics, "rate-limited-once", "retried")).toBe(0);
    expect(await jobCount(metrics, "rate-limited-once", "failed")).toBe(0);
  });

  // Known bug: BullMQ's Worker.handleFailed returns before emitting "failed" for a
  // DelayedError, so bullmq.ts never reaches observe(job, "delayed"). Remove
  // `.fails` once the runner counts the delay where it moves the job.
  it("counts a delayed run once as outcome delayed", async () => {
    const h = setup();
    const { runner, metrics } = h.runner();
    await runner.startWorkers(["sources"]);
    await runner.enqueue("rate-limited-once", { key: "jp-meti" });
    await waitFor(
      "the completion to be counted",
      async () => (await jobCount(metrics, "rate-limited-once", "completed")) === 1,
    );
    expect(await jobCount(metrics, "rate-limited-once", "delayed")).toBe(1);
  });

  it("completes a job asking never to be retried, after one run", async () => {
    const h = setup();
    const { runner, metrics } = h.runner();
    await runner.startWorkers(["sources"]);
    const { id } = await runner.enqueue("shape-changed", { key: "nl-dual-use" });
    const sources = h.queue("sources");
    await waitFor("the job to complete", async () => (await sources.getJobState(id!)) === "completed");
    // Time for a retry (50 ms backoff) to have happened if there were one.
    await sleep(300);
    const job = (await sources.getJob(id!))!;
    expect(await sources.getJobState(id!)).toBe("completed");
    expect(job.attemptsMade).toBe(1);
    expect(job.returnvalue).toEqual({ summary: "page shape changed; not retrying" });
    expect(h.jobs.runs.get("nl-dual-use")).toBe(1);
    expect(await jobCount(metrics, "shape-changed", "completed")).toBe(1);
    expect(await jobCount(metrics, "shape-changed", "retried")).toBe(0);
  });

  it("fails a job of an unknown name or with a bad payload at once, without retries", async () => {
    const h = setup();
    const { runner, metrics } = h.runner();
    const sources = h.queue("sources");
    // Attempts to spare, as an older or newer version of the runner might have queued them.
    const opts = { attempts: 3, backoff: { type: "fixed" as const, delay: 50 } };
    const unknown = await sources.add("no-such-job", { key: "x" }, opts);
    const badPayload = await sources.add("echo", { key: 42 }, opts);
    await runner.startWorkers(["sources"]);
    await waitFor("both jobs to fail", async () => (await sources.getFailedCount()) === 2);
    await waitFor("the failure to be counted", async () => (await jobCount(metrics, "echo", "failed")) === 1);
    await sleep(200);

    const u = (await sources.getJob(unknown.id!))!;
    expect(await u.getState()).toBe("failed");
    expect(u.attemptsMade).toBe(1);
    expect(u.failedReason).toBe("no job named no-such-job in this version");
    const b = (await sources.getJob(badPayload.id!))!;
    expect(await b.getState()).toBe("failed");
    expect(b.attemptsMade).toBe(1);
    expect(b.failedReason).toMatch(/^bad payload for echo: /);
    expect(h.jobs.runs.size).toBe(0);
    expect(await jobCount(metrics, "echo", "retried")).toBe(0);
  });

  it("runs each job exactly once across two runners' workers on the same queue", async () => {
    const h = setup();
    const one = h.runner({ concurrency: 2 });
    const two = h.runner({ concurrency: 2 });
    await one.runner.startWorkers(["sources"]);
    await two.runner.startWorkers(["sources"]);
    const keys = Array.from({ length: 20 }, (_, i) => `source-${i}`);
    for (const key of keys) {
      // Long enough that one worker cannot drain the queue before the other takes a job.
      expect((await one.runner.enqueue("echo", { key, sleepMs: 50 })).queued).toBe(true);
    }
    const sources = h.queue("sources");
    await waitFor("all 20 jobs to complete", async () => (await sources.getCompletedCount()) === 20, 10_000);
    // Time for a duplicate run, if any, to show.
    await sleep(200);

    expect([...h.jobs.runs.keys()].sort()).toEqual([...keys].sort());
    expect([...h.jobs.runs.values()].every((n) => n === 1)).toBe(true);
    const byOne = h.jobs.runsByContext.get(one.ctx) ?? 0;
    const byTwo = h.jobs.runsByContext.get(two.ctx) ?? 0;
    expect(byOne + byTwo).toBe(20);
    expect(byOne).toBeGreaterThan(0);
    expect(byTwo).toBeGreaterThan(0);
    await waitFor(
      "every completion to be counted",
      async () =>
        (await jobCount(one.metrics, "echo", "completed")) +
          (await jobCount(two.metrics, "echo", "completed")) ===
        20,
    );
    expect(await jobCount(one.metrics, "echo", "completed")).toBe(byOne);
    expect(await jobCount(two.metrics, "echo", "completed")).toBe(byTwo);
  });

  it("pings Redis, and answers not ok within seconds when nothing listens", async () => {
    const h = setup();
    expect(await h.runner().runner.ping()).toEqual({ ok: true, detail: "redis PONG" });

    const away = h.runner({ redisUrl: "redis://127.0.0.1:1" }).runner;
    const started = Date.now();
    const result = await away.ping();
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^redis unreachable: /);
    expect(Date.now() - started).toBeLessThan(5000);
    const closing = Date.now();
    await away.close();
    expect(Date.now() - closing).toBeLessThan(5000);
  });

  it("lets the running job finish before close resolves, and takes no new job", async () => {
    const h = setup();
    const { runner } = h.runner({ concurrency: 1 });
    const gate = h.jobs.gate("running");
    await runner.startWorkers(["sources"]);
    const running = await runner.enqueue("echo", { key: "running" });
    await gate.started;
    const next = await runner.enqueue("echo", { key: "next" });

    // One log of what ended, in order: the job's own end and close's.
    const ended = h.jobs.finished;
    const closed = runner.close().then(() => ended.push("closed"));
    await sleep(200);
    expect(ended).toEqual([]);
    gate.release();
    await closed;

    expect(ended).toEqual(["running", "closed"]);
    const sources = h.queue("sources");
    expect(await sources.getJobState(running.id!)).toBe("completed");
    await sleep(200);
    expect(await sources.getJobState(next.id!)).toBe("waiting");
    expect(h.jobs.runs.get("next")).toBeUndefined();
  });
});
