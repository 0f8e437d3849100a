// npm run bench, alert latency (with REDIS_URL only): from a new version of a
// list being in place on the publisher's side to the alert accepted by the
// mail server, for 1,000 matching active subscribers, on the BullMQ runner.
//
// The real service (createRuntime + startService, queues sources and alerts,
// concurrency 1 as configured by default) on a private Redis key prefix and a
// fresh embedded PGlite in a temp dir (always PGlite, DATABASE_URL or not:
// the same database every run). A local stand-in serves the Export Control
// List (200 entries, built with ecl-builder.ts); each round changes the text of
// entry 5111, which every subscriber filters on, and moves the consolidation
// date. The clock starts when run-source is enqueued, the new version already
// served (the poll interval is left out), and stops when the SMTP server has
// accepted the 1,000th message: fetch, parse, diff, store with the outbox rows,
// then the deliver-alerts job the run queues, sending one message per
// subscriber. The SMTP server is the draining one of deliver.ts, in a child
// process (smtp-child.ts): receiving is the relay's work, not regwatch's. Up to 10 rounds after one warm-up, fewer (at least 3) once the
// measured ones pass 30 s together. Target: p95 ≤ 2 s.
//
// Alone, from the repository root:
//   REDIS_URL=redis://127.0.0.1:6379 node --expose-gc --import tsx -e 'import("./test/bench/alert-latency.ts").then(m => m.benchAlertLatency())'
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "@regwatch/config";
import { activeSubscriptions } from "@regwatch/db/queries/subscriptions";
import { subscriptionsTable } from "@regwatch/db/schema";
import { createRuntime, openConfiguredDatabase } from "@regwatch/runtime/runtime";
import { startService } from "@regwatch/runtime/service";
import { findSource } from "@regwatch/sources/registry";
import { type Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { buildEcl, eclItems } from "../support/ecl-builder.ts";
import { startSourceServer } from "../support/source-server.ts";
import { silentLog } from "../support/test-http.ts";
import { startDrainSmtpServerInChild } from "./smtp-child.ts";

const SUBSCRIBERS = 1000;
const ROUNDS = 10;
// Rounds stop early once the measured ones have taken this long (at least
// MIN_ROUNDS run): at ~10 s a round today, ten would not fit the bench's two
// minutes; at the target's 2 s, all ten do.
const ROUNDS_BUDGET_MS = 30_000;
const MIN_ROUNDS = 3;
const WARMUP_ROUNDS = 1;
const TARGET_P95_MS = 2000;
// A round that has not delivered by then is broken, not slow.
const ROUND_TIMEOUT_MS = 60_000;
const CHANGED_ENTRY = "5111";
const SOURCE_ID = "ca.export-control-list";

const items = eclItems(200);
/** The list as published in round `n`: entry 5111 reworded, the consolidation a day later each time. */
function version(n: number): Buffer {
  const date = new Date(Date.UTC(2025, 0, 1 + n)).toISOString().slice(0, 10);
  const list = items.map((item) =>
    item.label === CHANGED_ENTRY && n > 0
      ? { ...item, text: `Quantum computers of revision ${n}, as described in the Guide. (All destinations)` }
      : item,
  );
  return Buffer.from(buildEcl(list, { lastAmended: date, amendments: [[`SOR/2025-${100 + n}`, date]] }));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}
const median = (values: number[]) => percentile(values, 0.5);

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

interface Round {
  /** Enqueueing run-source to the 1,000th message accepted. */
  allMs: number;
  /** Enqueueing run-source to the first message accepted. */
  firstMs: number;
  /** Enqueued until a worker took run-source. */
  sourcePickupMs: number;
  /** run-source's own run: fetch, parse, diff, store with the outbox rows. */
  sourceRunMs: number;
  /** Queued by run-source (as it ends) until a worker took deliver-alerts. */
  deliverPickupMs: number;
  /** deliver-alerts's run, until it returned (its last row marked sent). */
  deliverRunMs: number;
}

export interface AlertLatencyResult {
  subscribers: number;
  rounds: number;
  database: string;
  runner: string;
  p50Ms: number;
  p95Ms: number;
  firstP50Ms: number;
  firstP95Ms: number;
  breakdownMedianMs: Omit<Round, "allMs" | "firstMs">;
  /** Messages per second through the outbox: 1,000 over deliver-alerts's run. */
  outboxMessagesPerSecond: number;
  subscriptionsInsertMs: number;
  meetsTarget: boolean;
  perRound: Round[];
}

export async function benchAlertLatency(): Promise<AlertLatencyResult | null> {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    console.log("\nalert latency, new version to 1,000 alerts over SMTP: skipped (REDIS_URL is not set)");
    return null;
  }
  const source = findSource(SOURCE_ID)!;
  const prefix = `regwatch-bench-${randomBytes(6).toString("hex")}`;
  const dataDir = mkdtempSync(join(tmpdir(), "regwatch-alert-latency-"));
  const smtp = await startDrainSmtpServerInChild();
  let published = version(0);
  const standIn = await startSourceServer({
    "/eng/XML/SOR-89-202.xml": () => ({ body: published, headers: { "content-type": "application/xml" } }),
  });
  const inspect = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const sourcesQueue = new Queue("sources", { connection: inspect, prefix });
  const alertsQueue = new Queue("alerts", { connection: inspect, prefix });
  let runtime: Awaited<ReturnType<typeof createRuntime>> | null = null;
  let service: Awaited<ReturnType<typeof startService>> | null = null;
  try {
    // The environment the service reads, given here rather than taken from this process's
    // (no ADMIN_EMAIL: the subscribers' messages are the only mail a round sends).
    const config = loadConfig({
      REDIS_URL: redisUrl,
      REGWATCH_REDIS_PREFIX: prefix,
      SMTP_URL: smtp.url,
      SECRET_KEY: "b".repeat(64),
      PUBLIC_URL: "https://regwatch.example",
      REGWATCH_MAIL_FROM: "regwatch <alerts@regwatch.example>",
      REGWATCH_DATA_DIR: dataDir,
      REGWATCH_HOST_INTERVAL_MS: "0",
      REGWATCH_ORIGIN_MAP: JSON.stringify({ "https://laws-lois.justice.gc.ca": standIn.origin }),
      PORT: "0",
    });
    runtime = await createRuntime(config, await openConfiguredDatabase(config), silentLog);
    const inserted = performance.now();
    const at = new Date();
    // One multi-row insert, already confirmed (createSubscription + confirmSubscription
    // a thousand times is 2,000 statements, seconds on PGlite, and not what is measured).
    const filters = {
      technologies: [],
      jurisdictions: [],
      countries: [],
      entries: [CHANGED_ENTRY],
      kinds: [],
      sources: [],
      keywords: [],
    };
    await runtime.database.db.insert(subscriptionsTable).values(
      Array.from({ length: SUBSCRIBERS }, (_, n) => ({
        id: `bench-${n}`,
        email: `subscriber-${n}@example.org`,
        filters,
        cadence: "immediate",
        weekday: null,
        hour: 8,
        timeZone: "UTC",
        status: "active",
        createdAt: at,
        updatedAt: at,
        confirmedAt: at,
      })),
    );
    if ((await activeSubscriptions(runtime.database.db)).length !== SUBSCRIBERS)
      throw new Error("the subscriptions are not all active");
    const subscriptionsInsertMs = performance.now() - inserted;
    // No schedules: every run here is enqueued by hand, as a scheduler firing would.
    service = await startService({
      runtime,
      sources: [source],
      log: silentLog,
      web: false,
      queues: ["sources", "alerts"],
      schedule: false,
    });
    const runner = service.runner;

    const finished = async (queue: Queue, id: string): Promise<Job> => {
      const deadline = Date.now() + ROUND_TIMEOUT_MS;
      for (;;) {
        const job = await queue.getJob(id);
        if (job?.finishedOn) {
          if (job.failedReason) throw new Error(`${job.name} failed: ${job.failedReason}`);
          return job;
        }
        if (Date.now() > deadline) throw new Error(`${queue.name} job ${id} not finished`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    // The first version: a baseline, which tells nobody.
    const baseline = await runner.enqueue("run-source", { sourceId: SOURCE_ID });
    const first = await finished(sourcesQueue, baseline.id!);
    if (first.returnvalue?.status !== "baseline")
      throw new Error(`first run: ${JSON.stringify(first.returnvalue)}`);

    const seenDeliveries = new Set<string>();
    const round = async (n: number): Promise<Round> => {
      published = version(n);
      const before = smtp.accepted();
      const firstAccepted = smtp.waitFor(before + 1, ROUND_TIMEOUT_MS);
      const allAccepted = smtp.waitFor(before + SUBSCRIBERS, ROUND_TIMEOUT_MS);
      globalThis.gc?.();
      const wall = Date.now();
      const t = performance.now();
      const queued = await runner.enqueue("run-source", { sourceId: SOURCE_ID });
      const [firstAt, allAt] = await Promise.all([firstAccepted, allAccepted]);
      if (!queued.queued || !queued.id) throw new Error("run-source was not queued");
      const run = await finished(sourcesQueue, queued.id);
      if (run.returnvalue?.status !== "changed")
        throw new Error(`round ${n}: ${JSON.stringify(run.returnvalue)}`);
      // The deliver-alerts job this run queued: the one added after it started.
      let deliver: Job | undefined;
      for (let i = 0; !deliver && i < ROUND_TIMEOUT_MS / 20; i++) {
        const jobs = await alertsQueue.getJobs(["completed", "failed", "active", "waiting"]);
        deliver = jobs.find((j) => !seenDeliveries.has(j.id!) && j.timestamp >= wall);
        if (!deliver) await new Promise((r) => setTimeout(r, 20));
      }
      if (!deliver) throw new Error(`round ${n}: no deliver-alerts job`);
      seenDeliveries.add(deliver.id!);
      deliver = await finished(alertsQueue, deliver.id!);
      const report = deliver.returnvalue as { sent?: number };
      // Exactly one message per subscriber, none left over, none twice.
      if (report.sent !== SUBSCRIBERS || smtp.accepted() - before !== SUBSCRIBERS)
        throw new Error(
          `round ${n}: deliver-alerts sent ${report.sent}, the server accepted ${smtp.accepted() - before}`,
        );
      return {
        allMs: allAt - t,
        firstMs: firstAt - t,
        sourcePickupMs: run.processedOn! - wall,
        sourceRunMs: run.finishedOn! - run.processedOn!,
        deliverPickupMs: deliver.processedOn! - deliver.timestamp,
        deliverRunMs: deliver.finishedOn! - deliver.processedOn!,
      };
    };

    for (let n = 1; n <= WARMUP_ROUNDS; n++) await round(n);
    const rounds: Round[] = [];
    const measuring = performance.now();
    for (let n = WARMUP_ROUNDS + 1; rounds.length < ROUNDS; n++) {
      if (rounds.length >= MIN_ROUNDS && performance.now() - measuring > ROUNDS_BUDGET_MS) break;
      rounds.push(await round(n));
    }

    const pick = (key: keyof Round) => rounds.map((r) => r[key]);
    const all = pick("allMs");
    const firsts = pick("firstMs");
    const breakdownMedianMs = {
      sourcePickupMs: median(pick("sourcePickupMs")),
      sourceRunMs: median(pick("sourceRunMs")),
      deliverPickupMs: median(pick("deliverPickupMs")),
      deliverRunMs: median(pick("deliverRunMs")),
    };
    const result: AlertLatencyResult = {
      subscribers: SUBSCRIBERS,
      rounds: rounds.length,
      database: "pglite (temp dir)",
      runner: "bullmq",
      p50Ms: median(all),
      p95Ms: percentile(all, 0.95),
      firstP50Ms: median(firsts),
      firstP95Ms: percentile(firsts, 0.95),
      breakdownMedianMs,
      outboxMessagesPerSecond: SUBSCRIBERS / (breakdownMedianMs.deliverRunMs / 1000),
      subscriptionsInsertMs,
      meetsTarget: percentile(all, 0.95) <= TARGET_P95_MS,
      perRound: rounds,
    };
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    console.log(
      `\nalert latency, a new ECL version to ${SUBSCRIBERS} matching immediate subscribers, alerts accepted by a local SMTP server in a child process (BullMQ runner, private prefix; embedded PGlite in a temp dir; ${rounds.length} rounds after ${WARMUP_ROUNDS} warm-up${rounds.length < ROUNDS ? `, cut from ${ROUNDS} by the ${ROUNDS_BUDGET_MS / 1000} s budget` : ""}; from enqueueing run-source, poll interval excluded):`,
    );
    console.log(
      `  all ${SUBSCRIBERS} accepted   p50 ${ms(result.p50Ms)}, p95 ${ms(result.p95Ms)}; target p95 ≤ ${TARGET_P95_MS} ms: ${result.meetsTarget ? "met" : "missed"}`,
    );
    console.log(`  first accepted     p50 ${ms(result.firstP50Ms)}, p95 ${ms(result.firstP95Ms)}`);
    console.log(
      `  median breakdown: run-source picked up after ${ms(breakdownMedianMs.sourcePickupMs)}, ran ${ms(breakdownMedianMs.sourceRunMs)} (fetch, parse, diff, store, match, outbox rows); deliver-alerts, queued by the run, picked up after ${ms(breakdownMedianMs.deliverPickupMs)}, ran ${ms(breakdownMedianMs.deliverRunMs)} (${result.outboxMessagesPerSecond.toFixed(0)} messages/s through the outbox)`,
    );
    console.log(JSON.stringify({ alertLatency: result }));
    return result;
  } finally {
    await service?.stop();
    await runtime?.close();
    await sourcesQueue.close();
    await alertsQueue.close();
    inspect.disconnect();
    await deleteKeys(redisUrl, prefix);
    await smtp.close();
    await standIn.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
