// Many workers, one database: a worker killed mid-job hands its job on once
// its lock expires, and two workers fetching the same new version at once
// store one snapshot and one set of records. Needs Redis (a private one is
// started) and a PostgreSQL server (DATABASE_URL), which workers share.
import { type ChildProcess, execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Database, openDatabase } from "@regwatch/db/open-database";
import { listChanges } from "@regwatch/db/queries/changes";
import { listSnapshots } from "@regwatch/db/queries/snapshots";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchPostgres } from "../support/databases.ts";
import { buildEcl, eclItems } from "../support/ecl-builder.ts";
import { launch, privateRedis, type Running } from "../support/processes.ts";
import { startSourceServer } from "../support/source-server.ts";

const bin = join(import.meta.dirname, "../../apps/cli/bin/regwatch.mjs");
// Three consolidations of a list of realistic size (the source expects at least 120 entries).
const items = eclItems(150);
const versions = {
  2024: Buffer.from(
    buildEcl(items, { lastAmended: "2024-07-23", amendments: [["SOR/2024-100", "2024-07-23"]] }),
  ),
  2025: Buffer.from(
    buildEcl(
      [
        ...items.slice(0, 40),
        { label: "5141", text: "Quantum computers, as described in the Guide. (All destinations)" },
        ...items.slice(41),
        { label: "5999", text: "Cryogenic wafer probers. (All destinations)" },
      ],
      { lastAmended: "2025-07-24", amendments: [["SOR/2025-150", "2025-07-24"]] },
    ),
  ),
  2026: Buffer.from(
    buildEcl(items.slice(0, 140), { lastAmended: "2026-01-10", amendments: [["SOR/2026-7", "2026-01-10"]] }),
  ),
};
const SOURCE = "ca.export-control-list";
const required = process.env.REGWATCH_REQUIRE_SERVICES === "1";
const run = promisify(execFile);

/** What the stand-in for Justice Laws serves, and whether it holds requests until released. */
const standIn = {
  version: 2024 as keyof typeof versions,
  hold: false,
  held: [] as (() => void)[],
};

let redis: Awaited<ReturnType<typeof privateRedis>>;
let database: { url: string; drop(): Promise<void> } | null = null;
let db: Database;
let server: Awaited<ReturnType<typeof startSourceServer>>;
let env: NodeJS.ProcessEnv;
let dataDir: string;
let connection: Redis;
let queue: Queue;
const workers: Running[] = [];

beforeAll(async () => {
  if (!process.env.DATABASE_URL) return;
  redis = await privateRedis();
  database = await scratchPostgres(process.env.DATABASE_URL, "regwatch_workers");
  server = await startSourceServer((url) => {
    if (url.pathname !== "/eng/XML/SOR-89-202.xml") return undefined;
    return async () => {
      if (standIn.hold) await new Promise<void>((release) => standIn.held.push(release));
      return { body: versions[standIn.version], headers: { "content-type": "application/xml" } };
    };
  });
  dataDir = mkdtempSync(join(tmpdir(), "regwatch-workers-"));
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
  env = {
    ...rest,
    DATABASE_URL: database.url,
    REDIS_URL: redis!.url,
    REGWATCH_DATA_DIR: dataDir,
    REGWATCH_HOST_INTERVAL_MS: "0",
    // Short, so that a dead worker's job is handed on within seconds.
    REGWATCH_JOB_LOCK_MS: "2000",
    REGWATCH_ORIGIN_MAP: JSON.stringify({ "https://laws-lois.justice.gc.ca": server.origin }),
  };
  await run(process.execPath, [bin, "migrate"], { env });
  db = await openDatabase({ databaseUrl: database.url });
  connection = new Redis(redis!.url, { maxRetriesPerRequest: null });
  queue = new Queue("sources", { connection, prefix: "regwatch" });
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
  for (const release of standIn.held) release();
  await queue?.close();
  connection?.disconnect();
  await db?.close();
  await server?.close();
  await redis?.stop();
  await database?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function worker(): Promise<Running> {
  return launch(
    ["worker", "--queues", "sources"],
    env,
    /regwatch worker \(pid \d+; jobs: sources via bullmq/,
  ).then((w) => {
    workers.push(w);
    return w;
  });
}

/** Queues a run of the source as the scheduler would (each its own job id). */
function enqueue(id: string) {
  return queue.add(
    "run-source",
    { sourceId: SOURCE },
    { jobId: id, attempts: 4, backoff: { type: "exponential", delay: 1000 } },
  );
}

async function finished(id: string, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const state = await queue.getJobState(id);
    // Read after the state: a job read first may still be the running one, without its result.
    if (state === "completed" || state === "failed") return { state, job: (await queue.getJob(id))! };
    if (Date.now() > until) throw new Error(`job ${id} still ${state}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The records `regwatch diff` gives for the same two files: what one run must store, no more. */
async function expectedRecords(from: keyof typeof versions, to: keyof typeof versions): Promise<number> {
  const a = join(dataDir, `${from}.xml`);
  const b = join(dataDir, `${to}.xml`);
  writeFileSync(a, versions[from]);
  writeFileSync(b, versions[to]);
  const { stdout } = await run(process.execPath, [bin, "diff", SOURCE, a, b, "--json"], { env });
  return (JSON.parse(stdout) as { changes: unknown[] }).changes.length;
}

describe.skipIf(!required && !process.env.DATABASE_URL)("workers on many processes, one PostgreSQL", () => {
  it("takes up a killed worker's job once its lock expires: one snapshot, one set of records", async () => {
    if (!process.env.DATABASE_URL) throw new Error("REGWATCH_REQUIRE_SERVICES=1 but DATABASE_URL is not set");
    const a = await worker();
    standIn.version = 2024;
    await enqueue("baseline");
    expect((await finished("baseline")).state).toBe("completed");

    // The new version; worker A is killed while its request is held.
    standIn.version = 2025;
    standIn.hold = true;
    await enqueue("killed");
    await until("worker A to ask for the document", () => standIn.held.length === 1);
    a.child.kill("SIGKILL");
    await a.exited(10_000);
    standIn.hold = false;
    standIn.held.shift()?.();
    const b = await worker();
    const done = await finished("killed");
    expect(done.state).toBe("completed");
    expect(done.job.returnvalue, JSON.stringify(done.job.returnvalue)).toMatchObject({ status: "changed" });

    const accepted = (await listSnapshots(db.db, SOURCE)).filter((s) => s.status === "accepted");
    expect(accepted).toHaveLength(2);
    const records = await listChanges(db.db, { source: SOURCE });
    expect(records.length).toBe(await expectedRecords(2024, 2025));
    expect(records.length).toBeGreaterThan(0);
    b.child.kill("SIGTERM");
    expect((await b.exited(15_000)).code).toBe(0);
  }, 180_000);

  it("stores one snapshot and one set of records when two workers fetch the same new version at once", async () => {
    if (!process.env.DATABASE_URL) throw new Error("REGWATCH_REQUIRE_SERVICES=1 but DATABASE_URL is not set");
    const [b, c] = await Promise.all([worker(), worker()]);
    const before = (await listChanges(db.db, { source: SOURCE })).length;
    const snapshotsBefore = (await listSnapshots(db.db, SOURCE)).filter(
      (s) => s.status === "accepted",
    ).length;
    // A newer consolidation, fetched by both at the same moment.
    standIn.version = 2026;
    standIn.hold = true;
    await Promise.all([enqueue("twin-1"), enqueue("twin-2")]);
    await until("both workers to ask for the document", () => standIn.held.length === 2);
    standIn.hold = false;
    for (const release of standIn.held.splice(0)) release();
    const [one, two] = await Promise.all([finished("twin-1"), finished("twin-2")]);
    expect(
      [one.state, two.state],
      JSON.stringify([one.job.returnvalue, two.job.returnvalue, one.job.failedReason, two.job.failedReason]),
    ).toEqual(["completed", "completed"]);
    const statuses = [one.job.returnvalue.status, two.job.returnvalue.status].sort();
    // One stored the version; the other found the work done and says so.
    expect(statuses).toEqual(["changed", "unchanged"]);
    const accepted = (await listSnapshots(db.db, SOURCE)).filter((s) => s.status === "accepted");
    expect(accepted.length - snapshotsBefore).toBe(1);
    const records = await listChanges(db.db, { source: SOURCE });
    expect(records.length - before).toBe(await expectedRecords(2025, 2026));
    for (const w of [b, c] as Running[]) w.child.kill("SIGTERM");
    for (const w of [b, c] as Running[]) expect((await w.exited(15_000)).code).toBe(0);
  }, 180_000);
});

export type { ChildProcess };
