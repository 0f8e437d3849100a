import type { Logger } from "@regwatch/core/http";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob } from "../src/jobs/define-job.ts";
import type { JobContext, JobDefinition, JobResult, QueueName } from "../src/jobs/index.ts";
import { createMetrics, type Metrics } from "../src/metrics.ts";
import { inProcessRunner } from "../src/runners/in-process.ts";
import type { ScheduleSpec } from "../src/runners/runner.ts";
import { jitterSeconds, nextRuns } from "../src/schedule.ts";
import { fakeClock, settle } from "./fake-clock.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const START = new Date("2024-03-04T00:00:00Z").getTime();
const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Run {
  job: string;
  key: string;
  at: number;
}

/** A promise the test settles by hand: a job that runs until the test lets it end. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * One world per test: a fake clock, fresh metrics, a log of every run, and a
 * runner over jobs built with `job()`. `behave` gets the n-th call (1-based)
 * for the payload's key.
 */
function world() {
  const clock = fakeClock(START);
  const metrics = createMetrics({ collectProcess: false });
  const runs: Run[] = [];
  const calls = new Map<string, number>();
  // biome-ignore lint/suspicious/noExplicitAny: jobs of every payload
  const jobs: JobDefinition<any>[] = [];
  const ctx: JobContext = {
    config: {} as never,
    database: {} as never,
    deps: {} as never,
    sources: [],
    metrics,
    log: silent,
    now: () => new Date(clock.now()),
  };

  function job(
    name: string,
    options: {
      queue?: QueueName;
      attempts?: number;
      backoffMs?: number;
      timeoutMs?: number;
      behave?: (call: number, key: string) => JobResult | Promise<JobResult>;
    } = {},
  ) {
    const def = defineJob({
      name,
      queue: options.queue ?? "sources",
      payload: z.object({ sourceId: z.string() }),
      key: (p) => `${name}:${p.sourceId}`,
      retry: { attempts: options.attempts ?? 1, backoffMs: options.backoffMs ?? SECOND },
      timeoutMs: options.timeoutMs ?? HOUR,
      async run(_ctx, payload) {
        const key = `${name}:${payload.sourceId}`;
        const call = (calls.get(key) ?? 0) + 1;
        calls.set(key, call);
        runs.push({ job: name, key, at: clock.now() });
        return options.behave ? options.behave(call, key) : { summary: "done" };
      },
    });
    jobs.push(def);
    return def;
  }

  let runner: ReturnType<typeof inProcessRunner> | null = null;
  const start = async (queues: readonly QueueName[] = ["sources", "maintenance"]) => {
    runner = inProcessRunner({ ctx, log: silent, clock, jobs });
    await runner.startWorkers(queues);
    return runner;
  };
  const depthOf = async (queue: QueueName) =>
    Object.fromEntries(
      (await runner!.depth()).filter((d) => d.queue === queue).map((d) => [d.state, d.count]),
    );
  const timesOf = (key: string) => runs.filter((r) => r.key === key).map((r) => r.at);
  return { clock, metrics, runs, job, start, depthOf, timesOf, close: () => runner?.close() };
}

let current: ReturnType<typeof world> | null = null;
const setup = () => {
  current = world();
  return current;
};
afterEach(async () => {
  await current?.close();
  current = null;
});

/** The sample value of `name{labels}` in the exposition text, or undefined. */
async function sample(metrics: Metrics, series: string): Promise<number | undefined> {
  const line = (await metrics.text()).split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const CRON = "41 */6 * * *";
const spec = (id: string, job: string, sourceId: string, cron: string): ScheduleSpec => ({
  id,
  job,
  payload: { sourceId },
  cron,
});

describe("inProcessRunner schedules", () => {
  it("fires a schedule at its jittered fire times and not a millisecond before", async () => {
    const w = setup();
    w.job("probe");
    const runner = await w.start();
    const expected = nextRuns(CRON, new Date(START), 4, "run-source:a").map((d) => d.getTime());
    // The jitter second is the schedule id's, as BullMQ would fire withJitter(cron, id).
    expect(expected.map((t) => new Date(t).getUTCSeconds())).toEqual(
      Array(4).fill(jitterSeconds("run-source:a")),
    );

    await runner.reconcile([spec("run-source:a", "probe", "a", CRON)]);
    await w.clock.advanceTo(expected[0]! - 1);
    expect(w.runs).toEqual([]);
    await w.clock.advanceTo(expected[0]!);
    expect(w.timesOf("probe:a")).toEqual([expected[0]]);
    await w.clock.advanceTo(expected[1]! - 1);
    expect(w.timesOf("probe:a")).toEqual([expected[0]]);
    await w.clock.advanceTo(START + DAY);
    expect(w.timesOf("probe:a")).toEqual(expected);
  });

  it("runs a six-hourly schedule exactly 4 times a day, day after day", async () => {
    const w = setup();
    w.job("probe");
    const runner = await w.start();
    await runner.reconcile([spec("run-source:a", "probe", "a", CRON)]);
    await w.clock.advance(DAY);
    expect(w.runs).toHaveLength(4);
    await w.clock.advance(DAY);
    expect(w.runs).toHaveLength(8);
    expect(w.timesOf("probe:a")).toEqual(
      nextRuns(CRON, new Date(START), 8, "run-source:a").map((d) => d.getTime()),
    );
  });

  it("reconciles: adds new schedules, keeps unchanged ones, re-arms a changed cron, removes the rest", async () => {
    const w = setup();
    w.job("probe");
    const runner = await w.start();
    const a = spec("run-source:a", "probe", "a", CRON);
    const b = spec("run-source:b", "probe", "b", "0 * * * *");
    expect(await runner.reconcile([a, b])).toEqual({
      added: ["run-source:a", "run-source:b"],
      changed: [],
      removed: [],
      kept: [],
    });
    await w.clock.advance(3 * HOUR);
    const hourly = nextRuns("0 * * * *", new Date(START), 3, "run-source:b").map((d) => d.getTime());
    expect(w.timesOf("probe:b")).toEqual(hourly);

    // b moves to half past; c is new.
    const b2 = { ...b, cron: "30 * * * *" };
    const c = spec("run-source:c", "probe", "c", "0 12 * * *");
    const at = w.clock.now();
    const report = await runner.reconcile([a, b2, c]);
    expect(report.kept).toEqual(["run-source:a"]);
    expect(report.removed).toEqual([]);
    // Which of added/changed b lands in is the known bug below; between them they hold b and c.
    expect([...report.added, ...report.changed].sort()).toEqual(["run-source:b", "run-source:c"]);

    await w.clock.advance(DAY);
    const after = (key: string) => w.timesOf(key).filter((t) => t > at);
    // Only the new half-past times, none of the old full hours.
    expect(after("probe:b")).toEqual(
      nextRuns("30 * * * *", new Date(at), 24, "run-source:b").map((d) => d.getTime()),
    );
    expect(after("probe:b").every((t) => new Date(t).getUTCMinutes() === 30)).toBe(true);
    expect(after("probe:c")).toEqual(
      nextRuns("0 12 * * *", new Date(at), 1, "run-source:c").map((d) => d.getTime()),
    );
    // a kept its timer: its runs went on as before.
    expect(w.timesOf("probe:a")).toEqual(
      nextRuns(CRON, new Date(START), 8, "run-source:a")
        .map((d) => d.getTime())
        .filter((t) => t <= w.clock.now()),
    );

    expect(await runner.reconcile([a])).toEqual({
      added: [],
      changed: [],
      removed: ["run-source:b", "run-source:c"],
      kept: ["run-source:a"],
    });
    const removedAt = w.clock.now();
    await w.clock.advance(2 * DAY);
    expect(w.runs.filter((r) => r.at > removedAt).map((r) => r.key)).toEqual(Array(8).fill("probe:a"));
  });

  // Known bug (in-process.ts, reconcile): a schedule whose cron changed is
  // deleted from the map without being recorded, so the second loop files it
  // under `added`. BullMQ's runner reports it as `changed`.
  it("reports a schedule whose cron changed as changed, not added", async () => {
    const w = setup();
    w.job("probe");
    const runner = await w.start();
    await runner.reconcile([spec("run-source:b", "probe", "b", "0 * * * *")]);
    expect(await runner.reconcile([spec("run-source:b", "probe", "b", "30 * * * *")])).toEqual({
      added: [],
      changed: ["run-source:b"],
      removed: [],
      kept: [],
    });
  });

  // Known bug (in-process.ts, reconcile): only cron and job are compared, so a
  // new payload is `kept` and the old payload goes on running. BullMQ's runner
  // compares the payload too and updates the scheduler.
  it("re-arms a schedule whose payload changed and runs it with the new payload", async () => {
    const w = setup();
    w.job("probe");
    const runner = await w.start();
    await runner.reconcile([spec("run-source:a", "probe", "a", CRON)]);
    const report = await runner.reconcile([spec("run-source:a", "probe", "a2", CRON)]);
    await w.clock.advance(DAY);
    expect({ report, keys: [...new Set(w.runs.map((r) => r.key))] }).toEqual({
      report: { added: [], changed: ["run-source:a"], removed: [], kept: [] },
      keys: ["probe:a2"],
    });
  });
});

describe("inProcessRunner retries", () => {
  it("backs off backoffMs × 2^(n-1) after the n-th failed attempt and gives up after `attempts`", async () => {
    const w = setup();
    w.job("flaky", {
      attempts: 4,
      backoffMs: 10 * SECOND,
      behave: () => ({ summary: "down", retry: { kind: "backoff" } }),
    });
    const runner = await w.start();
    const t0 = w.clock.now();
    expect(await runner.enqueue("flaky", { sourceId: "x" })).toEqual({ queued: true, id: "flaky:x" });
    await settle();
    expect(w.timesOf("flaky:x")).toEqual([t0]);
    expect(await w.depthOf("sources")).toEqual({ waiting: 0, active: 0, delayed: 1, failed: 0 });

    // 10 s, 20 s, 40 s: each retry lands on its time exactly, never a millisecond early.
    const expected = [t0, t0 + 10_000, t0 + 30_000, t0 + 70_000];
    for (const [i, at] of expected.entries()) {
      if (i === 0) continue;
      await w.clock.advanceTo(at - 1);
      expect(w.timesOf("flaky:x")).toEqual(expected.slice(0, i));
      await w.clock.advanceTo(at);
      expect(w.timesOf("flaky:x")).toEqual(expected.slice(0, i + 1));
    }
    expect(await w.depthOf("sources")).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 1 });
    await w.clock.advance(DAY);
    expect(w.timesOf("flaky:x")).toEqual(expected);
    expect(w.clock.pending()).toBe(0);
  });

  it("treats a thrown error like a backoff", async () => {
    const w = setup();
    w.job("throws", {
      attempts: 3,
      backoffMs: 5 * SECOND,
      behave: () => {
        throw new Error("boom");
      },
    });
    const runner = await w.start();
    const t0 = w.clock.now();
    await runner.enqueue("throws", { sourceId: "x" });
    await w.clock.advanceTo(t0 + 4_999);
    expect(w.timesOf("throws:x")).toEqual([t0]);
    expect(await w.depthOf("sources")).toMatchObject({ delayed: 1, failed: 0 });
    await w.clock.advance(DAY);
    expect(w.timesOf("throws:x")).toEqual([t0, t0 + 5_000, t0 + 15_000]);
    expect(await w.depthOf("sources")).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 1 });
  });

  it("spends no attempt on a delay: a one-attempt job delayed 3 times still runs a 4th time", async () => {
    const w = setup();
    w.job("polite", {
      attempts: 1,
      backoffMs: 2 * SECOND,
      behave: (call) =>
        call === 2
          ? // null: the job's own backoffMs.
            { summary: "slow down", retry: { kind: "delay", ms: null } }
          : call <= 3
            ? { summary: "slow down", retry: { kind: "delay", ms: 60_000 } }
            : { summary: "done" },
    });
    const runner = await w.start();
    const t0 = w.clock.now();
    await runner.enqueue("polite", { sourceId: "x" });
    await w.clock.advanceTo(t0 + 59_999);
    expect(w.timesOf("polite:x")).toEqual([t0]);
    expect(await w.depthOf("sources")).toMatchObject({ delayed: 1 });
    await w.clock.advance(DAY);
    expect(w.timesOf("polite:x")).toEqual([t0, t0 + 60_000, t0 + 62_000, t0 + 122_000]);
    expect(await w.depthOf("sources")).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(
      await sample(w.metrics, 'regwatch_jobs_total{queue="sources",job="polite",outcome="delayed"}'),
    ).toBe(3);
    expect(
      await sample(w.metrics, 'regwatch_jobs_total{queue="sources",job="polite",outcome="completed"}'),
    ).toBe(1);
  });

  it("does not retry a job that asks never to be retried", async () => {
    const w = setup();
    w.job("broken", { attempts: 5, behave: () => ({ summary: "shape changed", retry: { kind: "never" } }) });
    const runner = await w.start();
    await runner.enqueue("broken", { sourceId: "x" });
    await w.clock.advance(DAY);
    expect(w.timesOf("broken:x")).toHaveLength(1);
    expect(await w.depthOf("sources")).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(w.clock.pending()).toBe(0);
  });

  it("counts a job that outlives timeoutMs as a failed attempt, on the runner's clock", async () => {
    const w = setup();
    w.job("hangs", {
      attempts: 2,
      backoffMs: SECOND,
      timeoutMs: 30 * SECOND,
      behave: () => new Promise<JobResult>(() => {}),
    });
    const runner = await w.start();
    const t0 = w.clock.now();
    await runner.enqueue("hangs", { sourceId: "x" });
    await w.clock.advanceTo(t0 + 29_999);
    expect(await w.depthOf("sources")).toEqual({ waiting: 0, active: 1, delayed: 0, failed: 0 });
    await w.clock.advanceTo(t0 + 30_000);
    expect(await w.depthOf("sources")).toEqual({ waiting: 0, active: 0, delayed: 1, failed: 0 });
    // Retried a backoff step after the time limit, then timed out again: given up.
    await w.clock.advanceTo(t0 + 31_000);
    expect(w.timesOf("hangs:x")).toEqual([t0, t0 + 31_000]);
    await w.clock.advanceTo(t0 + 60_999);
    expect(await w.depthOf("sources")).toMatchObject({ active: 1, failed: 0 });
    await w.clock.advanceTo(t0 + 61_000);
    expect(await w.depthOf("sources")).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 1 });
    expect(
      await sample(w.metrics, 'regwatch_jobs_total{queue="sources",job="hangs",outcome="retried"}'),
    ).toBe(1);
    expect(await sample(w.metrics, 'regwatch_jobs_total{queue="sources",job="hangs",outcome="failed"}')).toBe(
      1,
    );
    expect(await sample(w.metrics, 'regwatch_job_duration_seconds_sum{queue="sources",job="hangs"}')).toBe(
      60,
    );
  });
});

describe("inProcessRunner queues", () => {
  it("does not queue the same key twice while it waits or runs", async () => {
    const w = setup();
    const gates = new Map<string, ReturnType<typeof gate>>();
    w.job("slow", {
      behave: async (_call, key) => {
        const g = gate();
        gates.set(key, g);
        await g.opened;
        return { summary: "done" };
      },
    });
    const runner = await w.start();
    expect(await runner.enqueue("slow", { sourceId: "x" })).toEqual({ queued: true, id: "slow:x" });
    await settle();
    // x runs; y waits behind it on the same queue.
    expect(await runner.enqueue("slow", { sourceId: "x" })).toEqual({ queued: false, id: "slow:x" });
    expect(await runner.enqueue("slow", { sourceId: "y" })).toEqual({ queued: true, id: "slow:y" });
    expect(await runner.enqueue("slow", { sourceId: "y" })).toEqual({ queued: false, id: "slow:y" });
    expect(await w.depthOf("sources")).toMatchObject({ waiting: 1, active: 1 });

    gates.get("slow:x")!.open();
    await settle();
    gates.get("slow:y")!.open();
    await settle();
    expect(w.runs.map((r) => r.key)).toEqual(["slow:x", "slow:y"]);
    // Done: the key is free again.
    expect(await runner.enqueue("slow", { sourceId: "x" })).toEqual({ queued: true, id: "slow:x" });
    await settle();
    gates.get("slow:x")!.open();
  });

  it("runs one job at a time per queue, and the two queues side by side", async () => {
    const w = setup();
    const active = new Map<QueueName, number>();
    const most = new Map<QueueName, number>();
    const gates: ReturnType<typeof gate>[] = [];
    const tracked = (queue: QueueName) => async () => {
      active.set(queue, (active.get(queue) ?? 0) + 1);
      most.set(queue, Math.max(most.get(queue) ?? 0, active.get(queue)!));
      const g = gate();
      gates.push(g);
      await g.opened;
      active.set(queue, active.get(queue)! - 1);
      return { summary: "done" };
    };
    w.job("fetch", { queue: "sources", behave: tracked("sources") });
    w.job("check", { queue: "maintenance", behave: tracked("maintenance") });
    const runner = await w.start();
    await runner.enqueue("fetch", { sourceId: "a" });
    await runner.enqueue("fetch", { sourceId: "b" });
    await runner.enqueue("check", { sourceId: "all" });
    await settle();
    expect(w.runs.map((r) => r.key)).toEqual(["fetch:a", "check:all"]);
    expect(Object.fromEntries(active)).toEqual({ sources: 1, maintenance: 1 });

    gates[0]!.open();
    await settle();
    expect(w.runs.map((r) => r.key)).toEqual(["fetch:a", "check:all", "fetch:b"]);
    for (const g of gates) g.open();
    await settle();
    expect(Object.fromEntries(most)).toEqual({ sources: 1, maintenance: 1 });
    expect(Object.fromEntries(active)).toEqual({ sources: 0, maintenance: 0 });
  });

  it("holds jobs until a worker takes their queue", async () => {
    const w = setup();
    w.job("probe");
    const runner = await w.start(["maintenance"]);
    await runner.enqueue("probe", { sourceId: "a" });
    await settle();
    expect(w.runs).toEqual([]);
    expect(await w.depthOf("sources")).toMatchObject({ waiting: 1, active: 0 });
    await runner.startWorkers(["sources"]);
    await settle();
    expect(w.timesOf("probe:a")).toHaveLength(1);
  });
});

describe("inProcessRunner close", () => {
  it("cancels schedules and retries, waits for the running job, and runs nothing afterwards", async () => {
    const w = setup();
    const g = gate();
    w.job("probe");
    w.job("flaky", {
      attempts: 5,
      backoffMs: SECOND,
      behave: () => ({ summary: "down", retry: { kind: "backoff" } }),
    });
    w.job("slow", {
      queue: "maintenance",
      behave: async () => {
        await g.opened;
        return { summary: "done" };
      },
    });
    const runner = await w.start();
    await runner.reconcile([spec("run-source:a", "probe", "a", "* * * * *")]);
    await runner.enqueue("flaky", { sourceId: "x" });
    await runner.enqueue("slow", { sourceId: "y" });
    await settle();
    expect(await w.depthOf("sources")).toMatchObject({ delayed: 1 });

    let closed = false;
    const closing = runner.close().then(() => {
      closed = true;
    });
    await settle();
    expect(closed).toBe(false);
    g.open();
    await closing;
    expect(await runner.ping()).toEqual({ ok: false, detail: "stopped" });

    const before = w.runs.length;
    await w.clock.advance(DAY);
    expect(w.runs).toHaveLength(before);
    expect(w.clock.pending()).toBe(0);
  });
});

describe("inProcessRunner metrics", () => {
  it("counts jobs by outcome and observes their latency from when they were due", async () => {
    const w = setup();
    const g = gate();
    w.job("slow", {
      behave: async () => {
        await g.opened;
        return { summary: "done" };
      },
    });
    w.job("flaky", {
      attempts: 2,
      backoffMs: SECOND,
      behave: () => ({ summary: "down", retry: { kind: "backoff" } }),
    });
    const runner = await w.start();
    await runner.enqueue("slow", { sourceId: "a" });
    // Due now, but it waits 5 s behind slow:a on the one sources worker.
    await runner.enqueue("flaky", { sourceId: "b" });
    await w.clock.advance(5 * SECOND);
    g.open();
    await w.clock.advance(DAY);

    const series = (name: string, labels: string) => sample(w.metrics, `${name}{${labels}}`);
    const flaky = 'queue="sources",job="flaky"';
    expect(await series("regwatch_jobs_total", `${flaky},outcome="retried"`)).toBe(1);
    expect(await series("regwatch_jobs_total", `${flaky},outcome="failed"`)).toBe(1);
    expect(await series("regwatch_jobs_total", 'queue="sources",job="slow",outcome="completed"')).toBe(1);
    expect(await series("regwatch_job_latency_seconds_count", flaky)).toBe(2);
    // 5 s behind the queue the first time, a retry that starts on its due time the second.
    expect(await series("regwatch_job_latency_seconds_sum", flaky)).toBe(5);
    expect(await series("regwatch_job_latency_seconds_count", 'queue="sources",job="slow"')).toBe(1);
    expect(await series("regwatch_job_duration_seconds_sum", 'queue="sources",job="slow"')).toBe(5);
  });
});
