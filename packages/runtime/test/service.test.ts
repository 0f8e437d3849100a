import { loadConfig } from "@regwatch/config";
import { classifyError, SourceUnavailableError } from "@regwatch/core/errors";
import type { Logger } from "@regwatch/core/http";
import type { Database } from "@regwatch/db/open-database";
import { ensureSource, recordFailure, recordSuccess } from "@regwatch/db/queries/sources";
import { SOURCES } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../../../test/support/databases.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";
import { type Service, startService } from "../src/service.ts";
import { fakeClock } from "./fake-clock.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

// A Monday: every source's schedule fires within the first day, weekday-only ones included.
const START = new Date("2024-03-04T00:00:00Z");
const DAY = 24 * 3_600_000;

// Nothing fetches here (no workers); should anything try, it reaches a closed local port, never a publisher.
const NOWHERE = "http://127.0.0.1:9";
const ORIGIN_MAP = {
  "https://www.ecfr.gov": NOWHERE,
  "https://www.federalregister.gov": NOWHERE,
  "https://laws-lois.justice.gc.ca": NOWHERE,
};

const CADENCES: Record<string, string> = {
  "us.federal-register": "4 times a day, Mon–Fri",
  "us.ecfr.ccl": "every 6 h",
  "ca.export-control-list": "twice a day",
  "ca.gazette.part-ii": "once a day",
  "us.bis.iec": "once a day, Mon–Fri",
  "es.boe.export-control": "twice a day",
  "gb.legislation.eco-schedules": "twice a day",
  "gb.legislation.eco-amendments": "twice a day",
  "eu.cellar.annex-i": "once a day, Mon–Fri",
  "eu.cellar.amending-acts": "twice a day, Mon–Fri",
  "fi.finlex.export-control": "twice a day, Mon–Fri",
  "gb.govuk.notices-to-exporters": "3 times a day, Mon–Fri",
  "fr.jorf.export-control": "once a day",
  "no.lovdata.export-control": "twice a day",
  "no.lovdata.export-control-regulation": "twice a day",
  "au.frl.dsgl": "once a day",
  "jp.egov.export-trade-control-order": "twice a day",
  "jp.egov.goods-ordinance": "twice a day",
  "wa.wassenaar.lists": "once a day",
  "nl.bwb.strategic-goods": "twice a day",
  "nl.staatscourant.export-control": "twice a day",
  "it.normattiva.export-control": "once a day, Mon–Sat",
  "it.gazzetta.export-control": "twice a day, Mon–Sat",
  "it.uama.national-list": "once a day, Mon–Fri",
};

interface SourceJson {
  id: string;
  title: string | null;
  status: string;
  schedule: string;
  cadence: string;
  consecutiveFailures: number;
  lastError: { kind: string; message: string | null; at: string | null } | null;
  transitions: { at: string; from: string; to: string; reason: string | null }[];
}

describe.each(testDatabases())("the service on $name", (testDb) => {
  let database: Database;
  let runtime: Runtime;
  let service: Service;
  let stopped = false;
  const clock = fakeClock(START);
  const url = (path: string) => `http://127.0.0.1:${service.port}${path}`;
  const getJson = async (path: string) => {
    const response = await fetch(url(path));
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const apiSources = async () => (await getJson("/api/sources")).body.sources as SourceJson[];

  beforeAll(async () => {
    database = await testDb.open();
    const config = loadConfig({
      PORT: "0",
      REGWATCH_HOST_INTERVAL_MS: "0",
      REGWATCH_ORIGIN_MAP: JSON.stringify(ORIGIN_MAP),
      // A public instance: the health views are read without signing in.
      REGWATCH_PUBLIC_READ: "1",
    });
    runtime = await createRuntime(config, database, silent);
    service = await startService({
      runtime,
      sources: SOURCES,
      log: silent,
      web: true,
      queues: [],
      schedule: true,
      clock,
    });
  });
  afterAll(async () => {
    if (service && !stopped) await service.stop();
    // Closes the database too (and drops a scratch Postgres database).
    await runtime?.close();
  });

  it("registers every source's schedule and the health check on first start", () => {
    expect(service.runner.kind).toBe("in-process");
    expect(service.port).toBeGreaterThan(0);
    expect(service.schedules).toEqual({
      added: [...SOURCES.map((s) => `run-source:${s.id}`), "check-health", "deliver-alerts", "send-digests"],
      changed: [],
      removed: [],
      kept: [],
    });
  });

  it("answers /health: ok, runner and scheduler up, every source listed as unknown", async () => {
    const { status, body } = await getJson("/health");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: "ok",
      database: database.kind,
      components: {
        runner: { ok: true, detail: `${SOURCES.length + 3} schedules in this process` },
        scheduler: { ok: true, detail: `${SOURCES.length + 3} schedules (in-process)` },
        workers: { ok: true, detail: "none on this node" },
      },
    });
    expect(body.sources).toEqual(
      SOURCES.map((s) => ({
        id: s.id,
        health: "unknown",
        reason: null,
        lastRunAt: null,
        lastSuccessAt: null,
      })),
    );
  });

  it("serves Prometheus text on /metrics: queue depth and prefixed process metrics", async () => {
    const response = await fetch(url("/metrics"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('regwatch_queue_jobs{queue="sources",state="waiting"} 0\n');
    expect(text).toContain('regwatch_queue_jobs{queue="maintenance",state="active"} 0\n');
    expect(text).toMatch(/^regwatch_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^regwatch_nodejs_heap_size_total_bytes \d/m);
  });

  it("lists every registered source on /api/sources with its schedule and cadence, never run", async () => {
    const { status, type, body } = await getJson("/api/sources");
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(body.sources).toHaveLength(SOURCES.length);
    expect(body.sources).toEqual(
      SOURCES.map((s) =>
        expect.objectContaining({
          id: s.id,
          title: s.title,
          status: "unknown",
          reason: null,
          schedule: s.schedule,
          cadence: CADENCES[s.id],
          lastAttemptAt: null,
          lastSuccessAt: null,
          lastChangeAt: null,
          consecutiveFailures: 0,
          lastError: null,
          transitions: [],
        }),
      ),
    );
  });

  it("queues each schedule's job when it fires, and leaves it waiting on a node without workers", async () => {
    await clock.advance(DAY);
    const depth = await service.runner.depth();
    const count = (queue: string, state: string) =>
      depth.find((d) => d.queue === queue && d.state === state)?.count;
    // One per source (a fire while one waits is the same work, not queued again), one health check.
    expect(count("sources", "waiting")).toBe(SOURCES.length);
    expect(count("maintenance", "waiting")).toBe(1);
    expect(count("sources", "active")).toBe(0);
    const text = await (await fetch(url("/metrics"))).text();
    expect(text).toContain(`regwatch_queue_jobs{queue="sources",state="waiting"} ${SOURCES.length}\n`);
  });

  it("shows a source's failures and recovery on /api/sources, transitions newest first", async () => {
    const source = SOURCES[0]!;
    await ensureSource(database.db, source);
    const failure = classifyError(new SourceUnavailableError("down"));
    expect(failure).toMatchObject({ kind: "unreachable", health: "unreachable", retry: { kind: "backoff" } });
    const byId = async () => (await apiSources()).find((s) => s.id === source.id)!;

    await recordFailure(database.db, source.id, { at: new Date("2024-03-04T06:41:00Z"), failure });
    expect(await byId()).toMatchObject({
      status: "unreachable",
      reason: "down",
      consecutiveFailures: 1,
      lastError: { kind: "unreachable", message: "down", at: "2024-03-04T06:41:00.000Z" },
      transitions: [{ at: "2024-03-04T06:41:00.000Z", from: "unknown", to: "unreachable", reason: "down" }],
    });

    await recordFailure(database.db, source.id, { at: new Date("2024-03-04T12:41:00Z"), failure });
    const again = await byId();
    expect(again).toMatchObject({
      status: "unreachable",
      consecutiveFailures: 2,
      lastError: { kind: "unreachable", at: "2024-03-04T12:41:00.000Z" },
    });
    // Still unreachable: no new transition.
    expect(again.transitions).toHaveLength(1);

    await recordSuccess(database.db, source.id, { at: new Date("2024-03-04T18:41:00Z") });
    const recovered = await byId();
    expect(recovered).toMatchObject({
      status: "healthy",
      reason: null,
      consecutiveFailures: 0,
      lastSuccessAt: "2024-03-04T18:41:00.000Z",
    });
    expect(recovered.transitions).toEqual([
      { at: "2024-03-04T18:41:00.000Z", from: "unreachable", to: "healthy", reason: null },
      { at: "2024-03-04T06:41:00.000Z", from: "unknown", to: "unreachable", reason: "down" },
    ]);
    // The other sources are untouched.
    expect((await apiSources()).filter((s) => s.id !== source.id).map((s) => s.status)).toEqual(
      SOURCES.slice(1).map(() => "unknown"),
    );
  });

  it("stops: stop() resolves and the port is closed", async () => {
    const health = url("/health");
    await service.stop();
    stopped = true;
    expect(await service.runner.ping()).toEqual({ ok: false, detail: "stopped" });
    await expect(fetch(health)).rejects.toThrow();
  });
});
