// npm run bench, the job layer:
//
//  1. An unchanged poll of each real source, as a scheduled job pays for it:
//     runSource against a local stand-in that answers If-None-Match /
//     If-Modified-Since with 304, on embedded PGlite. Per poll: CPU and wall
//     time, the requests the server saw, bodies it sent, parses that ran.
//     Target: one conditional request, no parse, ≤ 5 ms CPU. The stand-in runs
//     in a child process, so that answering the request is not counted as the
//     poll's CPU (PGlite is in this process, and counted: it is the poll's work
//     on the embedded database).
//  2. With REDIS_URL: jobs per second of a no-op job through regwatch's BullMQ
//     runner, beside bare BullMQ running an empty processor, in the same run.
//
// From bench.ts, or alone:
//   REDIS_URL=redis://127.0.0.1:6379 node --import tsx test/bench/jobs.ts
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sha256Hex } from "@regwatch/core/text";
import { openDatabase } from "@regwatch/db/open-database";
import { getValidators } from "@regwatch/db/queries/artifacts";
import { listSnapshots } from "@regwatch/db/queries/snapshots";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { runSource } from "@regwatch/pipeline/run-source";
import type { JobContext, JobDefinition } from "@regwatch/runtime/jobs";
import { createMetrics } from "@regwatch/runtime/metrics";
import { bullmqRunner } from "@regwatch/runtime/runners/bullmq";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import { buildEcl, eclItems } from "../support/ecl-builder.ts";
import { type Reply, startSourceServer } from "../support/source-server.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const POLLS = Math.max(10, Number(process.env.BENCH_RUNS ?? 50));
const POLL_WARMUP = 5;
const JOBS = 500;
const CPU_TARGET_MS = 5;
const SERVER_FLAG = "--jobs-stand-in";

const fixtures = join(import.meta.dirname, "../../packages/sources/src");
const fixture = (path: string) => readFileSync(join(fixtures, path));

interface ServedCounts {
  requests: number;
  bodies: number;
  notModified: number;
}

/** The stand-in's documents by path: what pipeline.test.ts serves, with a CA list of realistic size. */
function standInDocuments(): Record<string, { body: Buffer; type: string }> {
  const versions = {
    content_versions: [
      {
        date: "2024-08-01",
        identifier: "Supplement No. 1 to Part 774",
        name: "Supplement No. 1 to Part 774—The Commerce Control List",
        part: "774",
        substantive: true,
      },
    ],
  };
  return {
    // 200 entries: the real list has 190–330, the source expects at least 120.
    "/eng/XML/SOR-89-202.xml": {
      body: Buffer.from(
        buildEcl(eclItems(200), { lastAmended: "2024-07-23", amendments: [["SOR/2024-100", "2024-07-23"]] }),
      ),
      type: "application/xml",
    },
    "/api/versioner/v1/versions/title-15.json": {
      body: Buffer.from(JSON.stringify(versions)),
      type: "application/json",
    },
    "/api/versioner/v1/full/2024-08-01/title-15.xml": {
      body: fixture("us/ecfr-ccl/fixtures/ccl-small-2024-08-01.xml"),
      type: "application/xml",
    },
    "/api/v1/documents.json": {
      body: fixture("us/federal-register/fixtures/fr-search-bis-2024.json"),
      type: "application/json",
    },
    "/api/v1/public-inspection-documents/current.json": {
      body: fixture("us/federal-register/fixtures/fr-public-inspection-2025-01-14.json"),
      type: "application/json",
    },
  };
}

/** The child process: serves the documents, answers "counts" and "close" over IPC. */
async function serveStandIn() {
  const documents = standInDocuments();
  const counts: ServedCounts = { requests: 0, bodies: 0, notModified: 0 };
  const lastModified = "Tue, 23 Jul 2024 00:00:00 GMT";
  const server = await startSourceServer((url) => {
    const doc = documents[url.pathname];
    if (!doc) return undefined;
    const etag = `"${sha256Hex(doc.body).slice(0, 16)}"`;
    return (req: IncomingMessage): Reply => {
      counts.requests++;
      const ifNoneMatch = req.headers["if-none-match"];
      const ifModifiedSince = req.headers["if-modified-since"];
      // If-None-Match wins when both are sent (RFC 9110 §13.2.2).
      const fresh =
        ifNoneMatch !== undefined
          ? ifNoneMatch === etag
          : ifModifiedSince !== undefined && Date.parse(ifModifiedSince) >= Date.parse(lastModified);
      if (fresh) {
        counts.notModified++;
        return { status: 304, headers: { etag, "last-modified": lastModified } };
      }
      counts.bodies++;
      return { body: doc.body, headers: { etag, "last-modified": lastModified, "content-type": doc.type } };
    };
  });
  process.on("message", (message) => {
    if (message === "counts") process.send!({ ...counts });
    if (message === "close") void server.close().then(() => process.exit(0));
  });
  process.send!({ origin: server.origin });
}

/** The stand-in in a child process, and a way to ask it what it served. */
async function startStandIn() {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [SERVER_FLAG], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  // One reply per message sent, in order; the child's exit fails whatever still waits.
  const waiting: { resolve(m: unknown): void; reject(e: Error): void }[] = [];
  child.on("message", (m) => waiting.shift()?.resolve(m));
  child.on("exit", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`stand-in server exited with ${code}`));
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ resolve: (m) => resolve(m as T), reject });
    });
  const { origin } = await next<{ origin: string }>();
  return {
    origin,
    counts() {
      const reply = next<ServedCounts>();
      child.send("counts");
      return reply;
    },
    close() {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.send("close");
      return exited;
    },
  };
}

/** A copy of the source that counts the parses the pipeline starts. */
function counted(source: SourceDefinition) {
  const calls = { parses: 0 };
  const { parse, parseSteps } = source;
  const copy: SourceDefinition = {
    ...source,
    parse(input) {
      calls.parses++;
      return parse(input);
    },
    parseSteps: parseSteps
      ? function* (input) {
          calls.parses++;
          return yield* parseSteps(input);
        }
      : undefined,
  };
  return { source: copy, calls };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
}

interface PollResult {
  sourceId: string;
  polls: number;
  cpuMsMedian: number;
  cpuMsP90: number;
  wallMsMedian: number;
  requestsPerPoll: number;
  notModified: number;
  bodies: number;
  parses: number;
  snapshotsAdded: number;
  statuses: string[];
  /** The first poll after the baseline, which can still differ from the steady state. */
  firstPoll: { requests: number; bodies: number; parses: number; status: string };
  meetsTarget: boolean;
}

export async function benchUnchangedPolls(): Promise<PollResult[]> {
  const standIn = await startStandIn();
  const database = await openDatabase({ memory: true });
  try {
    await database.migrate();
    const deps: PipelineDeps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient(
        {
          "https://www.ecfr.gov": standIn.origin,
          "https://www.federalregister.gov": standIn.origin,
          "https://laws-lois.justice.gc.ca": standIn.origin,
        },
        { validators: { get: (url) => getValidators(database.db, url) } },
      ),
    };
    // The small CCL fixture holds 14 entries; the real expectations are sized for the real list.
    const ccl = findSource("us.ecfr.ccl")!;
    const sources = [
      findSource("us.federal-register")!,
      { ...ccl, expectations: { ...ccl.expectations, minEntries: 5 } },
      findSource("ca.export-control-list")!,
    ];
    const results: PollResult[] = [];
    // The run's clock moves a minute per poll, from a day when the fixtures were current.
    let clock = Date.parse("2024-12-20T12:00:00Z");
    const runAt = () => {
      clock += 60_000;
      return { runAt: new Date(clock) };
    };
    for (const definition of sources) {
      const { source, calls } = counted(definition);
      const baseline = await runSource(deps, source, runAt());
      if (baseline.status !== "baseline") throw new Error(`${source.id}: baseline run ${baseline.status}`);
      const poll = async () => {
        const before = await standIn.counts();
        const parsesBefore = calls.parses;
        const cpu = process.cpuUsage();
        const t = process.hrtime.bigint();
        const outcome = await runSource(deps, source, runAt());
        const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
        const used = process.cpuUsage(cpu);
        const after = await standIn.counts();
        return {
          status: outcome.status,
          cpuMs: (used.user + used.system) / 1000,
          wallMs,
          requests: after.requests - before.requests,
          bodies: after.bodies - before.bodies,
          notModified: after.notModified - before.notModified,
          parses: calls.parses - parsesBefore,
        };
      };
      const first = await poll();
      for (let i = 1; i < POLL_WARMUP; i++) await poll();
      const snapshotsBefore = (await listSnapshots(database.db, source.id, 10_000)).length;
      const polls: Awaited<ReturnType<typeof poll>>[] = [];
      for (let i = 0; i < POLLS; i++) polls.push(await poll());
      const snapshotsAdded = (await listSnapshots(database.db, source.id, 10_000)).length - snapshotsBefore;
      const sum = (key: "requests" | "bodies" | "notModified" | "parses") =>
        polls.reduce((n, p) => n + p[key], 0);
      const cpu = polls.map((p) => p.cpuMs);
      const requestsPerPoll = sum("requests") / POLLS;
      const result: PollResult = {
        sourceId: source.id,
        polls: POLLS,
        cpuMsMedian: median(cpu),
        cpuMsP90: percentile(cpu, 0.9),
        wallMsMedian: median(polls.map((p) => p.wallMs)),
        requestsPerPoll,
        notModified: sum("notModified"),
        bodies: sum("bodies"),
        parses: sum("parses"),
        snapshotsAdded,
        statuses: [...new Set(polls.map((p) => p.status))],
        firstPoll: {
          requests: first.requests,
          bodies: first.bodies,
          parses: first.parses,
          status: first.status,
        },
        meetsTarget: false,
      };
      result.meetsTarget =
        requestsPerPoll === 1 &&
        result.notModified === POLLS &&
        result.bodies === 0 &&
        result.parses === 0 &&
        snapshotsAdded === 0 &&
        result.cpuMsMedian <= CPU_TARGET_MS;
      results.push(result);
    }
    return results;
  } finally {
    await database.close();
    await standIn.close();
  }
}

/** Why a source's requests per poll are what they are: said in the output, not hidden. */
const REQUESTS_NOTE: Record<string, string> = {
  "us.federal-register": "two endpoints, each asked conditionally: the BIS search and public inspection",
  "us.ecfr.ccl": "the versions list only, asked with the ETag kept in the source's cursor",
  "ca.export-control-list": "the consolidation itself, asked conditionally",
};

function printPolls(results: PollResult[]) {
  console.log(
    `\nunchanged poll of each source (runSource against a local stand-in answering 304, embedded PGlite; median of ${POLLS} polls after ${POLL_WARMUP} warm-up; CPU is this process's user + system, stand-in excluded, PGlite included):`,
  );
  for (const r of results) {
    console.log(`  ${r.sourceId}`);
    console.log(
      `    CPU ${r.cpuMsMedian.toFixed(2)} ms median, ${r.cpuMsP90.toFixed(2)} ms p90; wall ${r.wallMsMedian.toFixed(2)} ms median`,
    );
    console.log(
      `    ${r.requestsPerPoll.toFixed(2)} requests per poll (${REQUESTS_NOTE[r.sourceId] ?? "?"}); ${r.notModified} answered 304, ${r.bodies} bodies downloaded, ${r.parses} parses, ${r.snapshotsAdded} snapshots added; status ${r.statuses.join(", ")}`,
    );
    if (r.firstPoll.bodies || r.firstPoll.parses || r.firstPoll.requests !== r.requestsPerPoll)
      console.log(
        `    first poll after the baseline (not in the figures): ${r.firstPoll.requests} requests, ${r.firstPoll.bodies} bodies, ${r.firstPoll.parses} parses (${r.firstPoll.status})`,
      );
    const misses = [
      r.requestsPerPoll !== 1 ? `${r.requestsPerPoll} requests, not one` : "",
      r.bodies || r.notModified !== r.requestsPerPoll * r.polls ? "bodies downloaded" : "",
      r.parses || r.snapshotsAdded ? "a parse ran" : "",
      r.cpuMsMedian > CPU_TARGET_MS ? `median CPU above ${CPU_TARGET_MS} ms` : "",
    ].filter(Boolean);
    console.log(
      `    target "one conditional request, no parse, ≤ ${CPU_TARGET_MS} ms CPU": ${r.meetsTarget ? "met" : `missed (${misses.join("; ")})`}`,
    );
  }
}

// A no-op job for the runner, written as a job file would write it (defineJob
// is the identity; @regwatch/runtime exports the type, not the helper).
const noopJob = {
  name: "bench-noop",
  queue: "sources",
  payload: z.object({ n: z.number().int() }),
  // Each job its own key: the runner deduplicates on it.
  key: (payload) => `bench-noop:${payload.n}`,
  // One attempt: a no-op that fails is a bug in the bench, not something to retry.
  retry: { attempts: 1, backoffMs: 1000 },
  // Far above a no-op's run: only the timer's cost is measured, never the timeout.
  timeoutMs: 10_000,
  async run() {
    return { summary: "ok" };
  },
} satisfies JobDefinition<{ n: number }>;

/** Bare BullMQ: an empty processor, concurrency 1, the jobs added in one addBulk. */
async function bareBullmq(redisUrl: string, prefix: string): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue("bare", { connection, prefix });
  const worker = new Worker("bare", async () => {}, { connection: workerConnection, prefix, concurrency: 1 });
  try {
    await worker.waitUntilReady();
    let completed = 0;
    const all = new Promise<void>((resolve, reject) => {
      worker.on("completed", () => {
        if (++completed === JOBS) resolve();
      });
      worker.on("failed", (_job, err) => reject(err));
    });
    const t = process.hrtime.bigint();
    await queue.addBulk(Array.from({ length: JOBS }, (_, n) => ({ name: "noop", data: { n } })));
    await all;
    return Number(process.hrtime.bigint() - t) / 1e6;
  } finally {
    await worker.close();
    await queue.close();
    connection.disconnect();
    workerConnection.disconnect();
  }
}

/** regwatch's runner: the no-op job enqueued JOBS times with distinct payloads, counted as the runner reports it. */
async function regwatchRunner(redisUrl: string, prefix: string): Promise<number> {
  const metrics = createMetrics({ collectProcess: false });
  let completed = 0;
  let done = () => {};
  let fail = (_: Error) => {};
  const all = new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  const ctx: JobContext = {
    config: {} as never,
    database: {} as never,
    deps: {} as never,
    sources: [],
    // The real metrics, with a count of the completions the runner reports through them.
    metrics: {
      ...metrics,
      observeJob(job) {
        metrics.observeJob(job);
        if (job.outcome === "completed" && ++completed === JOBS) done();
        if (job.outcome !== "completed") fail(new Error(`bench-noop ${job.outcome}`));
      },
    },
    log: silentLog,
    now: () => new Date(),
  };
  const runner = bullmqRunner({
    redisUrl,
    ctx,
    log: silentLog,
    // Far above a no-op: no job is handed on as stalled during the bench.
    lockMs: 30_000,
    concurrency: 1,
    prefix,
    jobs: [noopJob],
  });
  try {
    await runner.startWorkers(["sources"]);
    const t = process.hrtime.bigint();
    const queued = await Promise.all(
      Array.from({ length: JOBS }, (_, n) => runner.enqueue(noopJob.name, { n })),
    );
    if (!queued.every((q) => q.queued)) throw new Error("a bench-noop job was deduplicated");
    await all;
    return Number(process.hrtime.bigint() - t) / 1e6;
  } finally {
    await runner.close();
  }
}

async function deleteKeys(redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

interface RunnerResult {
  jobs: number;
  rounds: number;
  bareMs: number;
  regwatchMs: number;
  bareJobsPerSecond: number;
  regwatchJobsPerSecond: number;
  ratio: number;
}

export async function benchRunner(redisUrl: string): Promise<RunnerResult> {
  const prefix = `regwatch-bench-${randomBytes(6).toString("hex")}`;
  const bare: number[] = [];
  const ours: number[] = [];
  try {
    // Interleaved, each round on queues of its own; the better of two rounds is kept.
    for (let round = 0; round < 2; round++) {
      bare.push(await bareBullmq(redisUrl, `${prefix}:${round}`));
      ours.push(await regwatchRunner(redisUrl, `${prefix}:${round}`));
    }
  } finally {
    await deleteKeys(redisUrl, prefix);
  }
  const bareMs = Math.min(...bare);
  const regwatchMs = Math.min(...ours);
  const bareJobsPerSecond = JOBS / (bareMs / 1000);
  const regwatchJobsPerSecond = JOBS / (regwatchMs / 1000);
  return {
    jobs: JOBS,
    rounds: 2,
    bareMs,
    regwatchMs,
    bareJobsPerSecond,
    regwatchJobsPerSecond,
    ratio: regwatchJobsPerSecond / bareJobsPerSecond,
  };
}

export async function benchJobs(): Promise<void> {
  const polls = await benchUnchangedPolls();
  printPolls(polls);
  const redisUrl = process.env.REDIS_URL;
  let runner: RunnerResult | null = null;
  if (!redisUrl) {
    console.log("\njobs per second through the BullMQ runner: skipped (REDIS_URL is not set)");
  } else {
    runner = await benchRunner(redisUrl);
    console.log(
      `\njobs per second, ${runner.jobs} no-op jobs at concurrency 1 (better of ${runner.rounds} interleaved rounds; first add to last completion):`,
    );
    console.log(
      `  bare BullMQ, empty processor, addBulk      ${runner.bareJobsPerSecond.toFixed(0).padStart(6)} jobs/s (${runner.bareMs.toFixed(0)} ms)`,
    );
    console.log(
      `  regwatch bullmqRunner, enqueue + defineJob ${runner.regwatchJobsPerSecond.toFixed(0).padStart(6)} jobs/s (${runner.regwatchMs.toFixed(0)} ms)`,
    );
    console.log(`  regwatch / bare: ${runner.ratio.toFixed(2)}×`);
  }
  console.log(JSON.stringify({ jobs: { unchangedPoll: polls, runner } }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes(SERVER_FLAG)) await serveStandIn();
  else await benchJobs();
}
