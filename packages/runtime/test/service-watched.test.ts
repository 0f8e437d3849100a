// Pages watched while the service runs: the health check (or syncSources)
// registers, lists and schedules them without a restart, and drops unwatched ones.
import { loadConfig } from "@regwatch/config";
import type { Logger } from "@regwatch/core/http";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { pageSource } from "@regwatch/sources/page";
import { SOURCES } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../../../test/support/databases.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";
import { type Service, startService } from "../src/service.ts";
import { fakeClock } from "./fake-clock.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const page = pageSource({
  id: "page.bis-gov-iec",
  url: "https://www.bis.gov/iec",
  jurisdiction: "US",
  schedule: "37 6,14 * * *",
});

describe.each(testDatabases())("watched pages in a running service on $name", (testDb) => {
  let runtime: Runtime;
  let service: Service;
  let watched: SourceDefinition[] = [];

  beforeAll(async () => {
    const database = await testDb.open();
    const config = loadConfig({ PORT: "0", REGWATCH_PUBLIC_READ: "1", REGWATCH_HOST_INTERVAL_MS: "0" });
    runtime = await createRuntime(config, database, silent);
    service = await startService({
      runtime,
      sources: SOURCES,
      watched: async () => watched,
      log: silent,
      web: true,
      queues: [],
      schedule: true,
      clock: fakeClock(new Date("2026-12-01T00:00:00Z")),
    });
  });
  afterAll(async () => {
    await service?.stop();
    await runtime?.close();
  });

  const listed = async () =>
    (
      (await (await fetch(`http://127.0.0.1:${service.port}/api/sources`)).json()) as {
        sources: { id: string }[];
      }
    ).sources.map((s) => s.id);

  it("takes a page watched after start: listed, served and scheduled without a restart", async () => {
    expect(await listed()).not.toContain(page.id);
    watched = [page as unknown as SourceDefinition];
    await service.syncSources();
    expect(service.sources.map((s) => s.id)).toContain(page.id);
    expect(await listed()).toContain(page.id);
    expect(service.schedules?.added).toContain(`run-source:${page.id}`);
  });

  it("drops an unwatched page from the list and the schedule", async () => {
    watched = [];
    await service.syncSources();
    expect(service.sources.map((s) => s.id)).not.toContain(page.id);
    expect(await listed()).not.toContain(page.id);
    expect(service.schedules?.removed).toContain(`run-source:${page.id}`);
  });
});
