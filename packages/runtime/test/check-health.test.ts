// The health check notices what no run reports: a source whose scheduled
// runs keep not succeeding becomes stale, once, with the reason; a source
// already failing keeps the health that says why.
import { loadConfig } from "@regwatch/config";
import { classifyError, SourceUnavailableError } from "@regwatch/core/errors";
import type { Database } from "@regwatch/db/open-database";
import {
  ensureSource,
  getSource,
  healthEvents,
  recordFailure,
  recordSuccess,
} from "@regwatch/db/queries/sources";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../../../test/support/databases.ts";
import { checkHealthJob } from "../src/jobs/check-health.ts";
import type { JobContext } from "../src/jobs/define-job.ts";
import { createMetrics } from "../src/metrics.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
// Every 6 hours at :41 (and a second of jitter); three missed runs plus 15 minutes of grace make it stale.
const ccl = findSource("us.ecfr.ccl")!;
const ca = findSource("ca.export-control-list")!;

describe.each(testDatabases())("check-health on $name", (testDb) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDb.open();
  });
  afterAll(() => database?.close());

  function context(now: string, sources: SourceDefinition[]): JobContext {
    return {
      config: loadConfig({}),
      database,
      deps: {} as never,
      sources,
      metrics: createMetrics({ collectProcess: false }),
      log: silent,
      now: () => new Date(now),
    };
  }

  it("marks a healthy source stale once three of its scheduled runs passed without a success, and only then", async () => {
    await ensureSource(database.db, ccl);
    await recordSuccess(database.db, ccl.id, { at: new Date("2025-03-03T00:00:00Z") });
    // Runs due at 00:41, 06:41, 12:41: the third plus the grace is 12:56.
    let result = await checkHealthJob.run(context("2025-03-03T12:50:00Z", [ccl]), {});
    expect(result.data).toEqual({ overdue: [] });
    expect((await getSource(database.db, ccl.id))?.health).toBe("healthy");

    result = await checkHealthJob.run(context("2025-03-03T13:00:00Z", [ccl]), {});
    expect(result.data).toEqual({ overdue: [ccl.id] });
    const row = await getSource(database.db, ccl.id);
    expect(row?.health).toBe("stale");
    expect(row?.healthReason).toMatch(
      /no successful run since 2025-03-03T00:00:00\.000Z: 3 scheduled runs \(every 6 h\) missed/,
    );
    expect((await healthEvents(database.db, ccl.id))[0]).toMatchObject({
      fromHealth: "healthy",
      toHealth: "stale",
    });

    // Checked again: still stale, no second transition.
    await checkHealthJob.run(context("2025-03-03T13:15:00Z", [ccl]), {});
    expect((await healthEvents(database.db, ccl.id)).filter((e) => e.toHealth === "stale")).toHaveLength(1);

    // A success brings it back.
    await recordSuccess(database.db, ccl.id, { at: new Date("2025-03-03T13:20:00Z") });
    await checkHealthJob.run(context("2025-03-03T13:30:00Z", [ccl]), {});
    expect((await getSource(database.db, ccl.id))?.health).toBe("healthy");
  });

  it("leaves a failing source with the health that says why", async () => {
    await ensureSource(database.db, ca);
    await recordFailure(database.db, ca.id, {
      at: new Date("2025-03-01T06:17:00Z"),
      failure: classifyError(new SourceUnavailableError("laws-lois.justice.gc.ca: 503")),
    });
    const result = await checkHealthJob.run(context("2025-03-10T00:00:00Z", [ca]), {});
    expect(result.data).toEqual({ overdue: [] });
    expect(await getSource(database.db, ca.id)).toMatchObject({
      health: "unreachable",
      lastErrorKind: "unreachable",
    });
  });
});
