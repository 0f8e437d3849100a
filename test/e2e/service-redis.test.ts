// `regwatch start` and `regwatch worker` on BullMQ, against a private Redis
// (started here, so the test can own its keys) and, when DATABASE_URL is set,
// a scratch database on the PostgreSQL server that workers share.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SOURCES } from "@regwatch/sources/registry";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchPostgres } from "../support/databases.ts";
import { freePort, launch, privateRedis } from "../support/processes.ts";

const bin = join(import.meta.dirname, "../../apps/cli/bin/regwatch.mjs");
const require = process.env.REGWATCH_REQUIRE_SERVICES === "1";

let redis: Awaited<ReturnType<typeof privateRedis>>;
let dataDir: string;
let database: { url: string; drop(): Promise<void> } | null = null;
let baseEnv: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "regwatch-redis-"));
  // Persistent, as in production (infra/compose.yaml): a restart keeps the queues and schedulers.
  redis = await privateRedis({ dir: dataDir });
  if (process.env.DATABASE_URL)
    database = await scratchPostgres(process.env.DATABASE_URL, "regwatch_service");
  const closed = `http://127.0.0.1:${await freePort()}`;
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
  baseEnv = {
    ...rest,
    REGWATCH_DATA_DIR: dataDir,
    PORT: "0",
    HOST: "127.0.0.1",
    REGWATCH_HOST_INTERVAL_MS: "0",
    REGWATCH_ORIGIN_MAP: JSON.stringify({ "*": closed }),
    ...(redis ? { REDIS_URL: redis.url } : {}),
    ...(database ? { DATABASE_URL: database.url } : {}),
  };
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await redis?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function schedulers(url: string) {
  const connection = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const counts: Record<string, string[]> = {};
    for (const name of ["sources", "maintenance", "alerts"]) {
      const queue = new Queue(name, { connection, prefix: "regwatch" });
      counts[name] = (await queue.getJobSchedulers(0, -1)).map((s) => `${s.key} ${s.pattern} ${s.tz}`).sort();
      await queue.close();
    }
    return counts;
  } finally {
    connection.disconnect();
  }
}

describe.skipIf(!require && !process.env.REDIS_URL)("the service on BullMQ", () => {
  it("registers one job scheduler per source, the same after a restart, serves health and metrics, and stops on SIGTERM", async () => {
    if (!redis) throw new Error("no redis-server on this machine");
    const start = await launch(["start", "--no-run"], baseEnv, /listening on (http:\/\/[\d.]+:\d+)/);
    children.push(start.child);
    const base = start.match[1]!;
    const health = (await (await fetch(`${base}/health`)).json()) as {
      status: string;
      components: Record<string, { ok: boolean; detail: string }>;
    };
    expect(health.status).toBe("ok");
    expect(health.components.runner).toEqual({ ok: true, detail: "redis PONG" });
    // One per source, and three of the service's own (alerts, digests, health).
    expect(health.components.scheduler?.detail).toBe(`${SOURCES.length + 3} schedules (bullmq)`);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^regwatch_queue_jobs\{queue="sources",state="waiting"\} \d+$/m);
    const first = await schedulers(redis.url);
    expect(first.sources).toHaveLength(SOURCES.length);
    expect([...(first.alerts ?? [])].sort()).toEqual([
      expect.stringMatching(/^deliver-alerts \d{1,2} \* \* \* \* \* UTC$/),
      expect.stringMatching(/^send-digests \d{1,2} \*\/5 \* \* \* \* UTC$/),
    ]);
    expect(first.maintenance).toEqual([
      expect.stringMatching(/^check-health \d{1,2} \*\/15 \* \* \* \* UTC$/),
    ]);
    expect(first.sources!.every((s) => / UTC$/.test(s))).toBe(true);

    start.child.kill("SIGTERM");
    const stopped = await start.exited(15_000);
    expect(stopped.code).toBe(0);

    // A restart: the same schedulers, no duplicates.
    const again = await launch(["start", "--no-run"], baseEnv, /listening on (http:\/\/[\d.]+:\d+)/);
    children.push(again.child);
    expect(await schedulers(redis.url)).toEqual(first);
    again.child.kill("SIGTERM");
    expect((await again.exited(15_000)).code).toBe(0);
  }, 120_000);

  it.skipIf(!process.env.DATABASE_URL)(
    "runs a worker on its own that stops on SIGTERM",
    async () => {
      if (!redis) throw new Error("no redis-server on this machine");
      const worker = await launch(
        ["worker"],
        baseEnv,
        /regwatch worker \(pid \d+; jobs: sources, maintenance, alerts via bullmq/,
      );
      children.push(worker.child);
      worker.child.kill("SIGTERM");
      const stopped = await worker.exited(15_000);
      expect(stopped.code).toBe(0);
      expect(worker.output()).toMatch(/regwatch stopping: SIGTERM/);
    },
    120_000,
  );

  it.skipIf(!process.env.DATABASE_URL)(
    "keeps working through a Redis restart: the worker reconnects and takes the next job",
    async () => {
      if (!redis) throw new Error("no redis-server on this machine");
      const worker = await launch(
        ["worker"],
        baseEnv,
        /regwatch worker \(pid \d+; jobs: sources, maintenance, alerts via bullmq/,
      );
      children.push(worker.child);
      await redis.stop("SIGTERM");
      await new Promise((r) => setTimeout(r, 1500));
      expect(worker.child.exitCode).toBeNull();
      await redis.restart();
      const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      const queue = new Queue("maintenance", { connection, prefix: "regwatch" });
      try {
        await queue.add("check-health", {}, { jobId: "after-restart" });
        let state = "";
        for (let i = 0; i < 150 && state !== "completed" && state !== "failed"; i++) {
          await new Promise((r) => setTimeout(r, 200));
          state = await queue.getJobState("after-restart");
        }
        expect(state, worker.output()).toBe("completed");
        expect((await queue.getJob("after-restart"))?.returnvalue.summary).toMatch(/sources checked|stale:/);
      } finally {
        await queue.close();
        connection.disconnect();
      }
      worker.child.kill("SIGTERM");
      expect((await worker.exited(15_000)).code).toBe(0);
    },
    120_000,
  );

  it("refuses to run a worker without Redis, saying why", async () => {
    const { REDIS_URL: _r, ...noRedis } = baseEnv;
    const child = spawn(process.execPath, [bin, "worker"], {
      env: noRedis,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr!.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(err).toMatch(/a worker takes its jobs from Redis: set REDIS_URL/);
  }, 60_000);
});
