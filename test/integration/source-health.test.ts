// Source health through the job runner: a source that is down is retried
// with backoff and shows as failing with its last error; a document that
// changed shape is quarantined and never retried; every transition is kept.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "@regwatch/config";
import type { Database } from "@regwatch/db/open-database";
import { getValidators } from "@regwatch/db/queries/artifacts";
import { getSource, healthEvents } from "@regwatch/db/queries/sources";
import { createExclusive } from "@regwatch/pipeline/deps";
import { runSourceJob } from "@regwatch/runtime/jobs";
import { createMetrics } from "@regwatch/runtime/metrics";
import { type Clock, inProcessRunner } from "@regwatch/runtime/runners/in-process";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { startSourceServer } from "../support/source-server.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const fixture = readFileSync(
  join(import.meta.dirname, "../../packages/sources/src/ca/export-control-list/fixtures/ecl-small-2024.xml"),
);
const ca: SourceDefinition = (() => {
  const s = findSource("ca.export-control-list")!;
  return { ...s, expectations: { ...s.expectations, minEntries: 5 } };
})();

/** What the stand-in for Justice Laws answers next. */
let answer: "down" | "garbage" | "ok" = "down";
let requests = 0;
let server: Awaited<ReturnType<typeof startSourceServer>>;

beforeAll(async () => {
  server = await startSourceServer((url) => {
    if (url.pathname !== "/eng/XML/SOR-89-202.xml") return undefined;
    return () => {
      requests++;
      if (answer === "down") return { status: 503, body: "maintenance" };
      if (answer === "garbage")
        return {
          body: "<Regulation><unclosed></Regulation>",
          headers: { "content-type": "application/xml" },
        };
      return { body: fixture, headers: { "content-type": "application/xml" } };
    };
  });
});
afterAll(() => server?.close());

/**
 * A clock tests move by hand: timers fire in time order as it advances, and
 * after each one the work it started is awaited (`settle`) before time moves on.
 */
function fakeClock(
  start: number,
): Clock & { advance(ms: number): Promise<void>; settle: () => Promise<void> } {
  let now = start;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let ids = 0;
  const clock = {
    settle: async () => {},
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      const id = ids++;
      timers.push({ at: now + ms, fn, id });
      return () => {
        const i = timers.findIndex((t) => t.id === id);
        if (i >= 0) timers.splice(i, 1);
      };
    },
    async advance(ms: number) {
      const end = now + ms;
      await clock.settle();
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.id - b.id);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        now = next.at;
        next.fn();
        await clock.settle();
      }
      now = end;
      await clock.settle();
    },
  };
  return clock;
}

describe.each(testDatabases())("source health through the job runner on $name", (testDb) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDb.open();
  });
  afterAll(() => database?.close());

  it("retries an unreachable source with backoff, then keeps it failing with its last error, and records each transition", async () => {
    const clock = fakeClock(Date.parse("2025-03-03T10:00:00Z"));
    const config = loadConfig({});
    const deps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient(
        { "https://laws-lois.justice.gc.ca": server.origin },
        { validators: { get: (url) => getValidators(database.db, url) } },
      ),
    };
    const metrics = createMetrics({ collectProcess: false });
    const runner = inProcessRunner({
      ctx: {
        config,
        database,
        deps,
        sources: [ca],
        metrics,
        log: silentLog,
        now: () => new Date(clock.now()),
      },
      log: silentLog,
      clock,
      jobs: [runSourceJob],
    });
    clock.settle = () => runner.idle();
    try {
      await runner.startWorkers(["sources"]);
      answer = "down";
      requests = 0;
      await runner.enqueue("run-source", { sourceId: ca.id });
      await clock.advance(0);
      expect(requests).toBe(1);
      let row = await getSource(database.db, ca.id);
      expect(row).toMatchObject({
        health: "unreachable",
        consecutiveFailures: 1,
        lastErrorKind: "unreachable",
      });
      expect(row?.lastError).toMatch(/503/);

      // Backoff: 60 s, then 120 s, then 240 s (runSourceJob: 4 attempts, 60 s first step); nothing before.
      await clock.advance(59_000);
      expect(requests).toBe(1);
      await clock.advance(1_000);
      expect(requests).toBe(2);
      await clock.advance(120_000);
      expect(requests).toBe(3);
      await clock.advance(240_000);
      expect(requests).toBe(4);
      // Four attempts spent: no fifth.
      await clock.advance(3_600_000);
      expect(requests).toBe(4);
      row = await getSource(database.db, ca.id);
      expect(row).toMatchObject({ health: "unreachable", consecutiveFailures: 4 });
      expect(await metrics.text()).toMatch(
        /regwatch_jobs_total\{queue="sources",job="run-source",outcome="failed"\} 1/,
      );

      // The source comes back: healthy, the failures forgotten, the transitions kept (newest first).
      answer = "ok";
      await runner.enqueue("run-source", { sourceId: ca.id });
      await clock.advance(0);
      row = await getSource(database.db, ca.id);
      expect(row).toMatchObject({ health: "healthy", consecutiveFailures: 0, lastErrorKind: "unreachable" });
      const events = await healthEvents(database.db, ca.id);
      expect(events.map((e) => [e.fromHealth, e.toHealth])).toEqual([
        ["unreachable", "healthy"],
        ["unknown", "unreachable"],
      ]);

      // A document that changed shape: quarantined with its bytes, broken, and not retried.
      answer = "garbage";
      const before = requests;
      await runner.enqueue("run-source", { sourceId: ca.id });
      await clock.advance(3_600_000);
      expect(requests - before).toBe(1);
      row = await getSource(database.db, ca.id);
      expect(row).toMatchObject({ health: "broken", lastErrorKind: "shape-changed", consecutiveFailures: 1 });
      expect((await healthEvents(database.db, ca.id))[0]).toMatchObject({
        fromHealth: "healthy",
        toHealth: "broken",
      });
    } finally {
      await runner.close();
    }
  });
});
