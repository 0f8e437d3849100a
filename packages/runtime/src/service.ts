import type { Server } from "node:http";
import type { Logger } from "@regwatch/core/http";
import { ensureSource, type Health, listSourceRows } from "@regwatch/db/queries/sources";
import { createAppServer } from "@regwatch/server/app";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { alertDeps } from "./alerts.ts";
import {
  CHECK_HEALTH_SCHEDULE,
  DELIVER_ALERTS_SCHEDULE,
  type JobContext,
  QUEUES,
  type QueueName,
  runSourceScheduleId,
  SEND_DIGESTS_SCHEDULE,
} from "./jobs/index.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { inProcessRunner } from "./runners/in-process.ts";
import type { ReconcileReport, Runner, ScheduleSpec } from "./runners/runner.ts";
import { type Clock, realClock } from "./runners/runner.ts";
import type { Runtime } from "./runtime.ts";
import { describeCadence } from "./schedule.ts";

export interface ServiceOptions {
  runtime: Runtime;
  sources: readonly SourceDefinition[];
  /**
   * The sources kept in the database (watched pages), read at start and again
   * on every health check; absent: the registered sources only.
   */
  watched?: () => Promise<SourceDefinition[]>;
  log: Logger;
  /** Serve HTTP (health, metrics, source health) on config's HOST and PORT. */
  web: boolean;
  /** Take jobs from these queues (none: a web-only node). */
  queues: readonly QueueName[];
  /** Register the schedules (every `start` does; a worker-only node does not). */
  schedule: boolean;
  /** The in-process runner's clock (tests). */
  clock?: Clock;
}

export interface Service {
  runner: Runner;
  metrics: Metrics;
  server: Server | null;
  port: number | null;
  schedules: ReconcileReport | null;
  /** Every source run now (live). */
  sources: readonly SourceDefinition[];
  /** Reads the watched pages again, registers and schedules the new ones, unschedules the removed ones. */
  syncSources(): Promise<void>;
  /** Stops taking jobs, cuts fetches short, lets the jobs in progress end, closes the server and the runner. */
  stop(): Promise<void>;
}

/** Replaces an array's contents in place: every holder of the array sees the new list. */
function replaceContents<T>(target: T[], items: readonly T[]): void {
  target.splice(0, target.length, ...items);
}

/** The recurring work: every source on its own schedule, and the health check. */
export function scheduleSpecs(sources: readonly SourceDefinition[]): ScheduleSpec[] {
  return [
    ...sources.map((s) => ({
      id: runSourceScheduleId(s.id),
      job: "run-source",
      payload: { sourceId: s.id },
      cron: s.schedule,
    })),
    { id: "check-health", job: "check-health", payload: {}, cron: CHECK_HEALTH_SCHEDULE },
    { id: "deliver-alerts", job: "deliver-alerts", payload: {}, cron: DELIVER_ALERTS_SCHEDULE },
    { id: "send-digests", job: "send-digests", payload: {}, cron: SEND_DIGESTS_SCHEDULE },
  ];
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") reject(new Error(`port ${port} on ${host} is already in use`));
      else if (err.code === "EACCES") reject(new Error(`not allowed to listen on port ${port} on ${host}`));
      else if (err.code === "EADDRNOTAVAIL")
        reject(new Error(`cannot listen on ${host}: not an address of this host`));
      else reject(err);
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === "object" && address ? address.port : port;
}

/** What the web shows of a source. */
function infoOf(s: SourceDefinition) {
  return {
    id: s.id,
    schedule: s.schedule,
    cadence: describeCadence(s.schedule),
    title: s.title,
    jurisdiction: s.jurisdiction,
  };
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive connections go at once; a request being answered gets a moment to finish.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}

/**
 * The service: HTTP, schedules and workers over one runtime, in any mix. With
 * `REDIS_URL` the jobs go through BullMQ (web nodes and workers on many
 * hosts); without it, through the in-process runner.
 */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { runtime, log } = options;
  const { config, database, deps } = runtime;
  // Live lists: the registered sources and the watched pages. The job context,
  // the web routes and the schedule all hold these same arrays, so a page
  // watched while the service runs is run, listed and served without a restart.
  const sources: SourceDefinition[] = [...options.sources, ...((await options.watched?.()) ?? [])];
  const sourceIds: string[] = sources.map((s) => s.id);
  const sourceInfo = sources.map(infoOf);
  const clock = options.clock ?? realClock;
  // Subscribing and delivering need a signing key; without one (a server database and no SECRET_KEY) the rest still runs.
  let alerts: ReturnType<typeof alertDeps> | null = null;
  try {
    alerts = alertDeps(runtime);
  } catch (err) {
    log.warn({}, `subscriptions are off: ${(err as Error).message}`);
  }
  const metrics = createMetrics();
  let syncSources = async () => {};
  const ctx: JobContext = {
    config,
    database,
    deps,
    sources,
    metrics,
    alerts,
    log,
    now: () => new Date(clock.now()),
    syncSources: () => syncSources(),
  };
  // Every source has its row (and its schedule) before anything runs, so health lists sources that never ran.
  for (const source of sources) await ensureSource(database.db, source);
  // The gauge starts from what is stored, not from nothing until the first run.
  for (const row of await listSourceRows(database.db)) {
    if (sources.some((s) => s.id === row.id)) metrics.setSourceHealth(row.id, row.health as Health);
  }
  const runner: Runner = config.redisUrl
    ? (await import("./runners/bullmq.ts")).bullmqRunner({
        redisUrl: config.redisUrl,
        ctx,
        log,
        lockMs: config.jobs.lockMs,
        concurrency: config.jobs.concurrency,
        prefix: config.jobs.redisPrefix,
      })
    : inProcessRunner({ ctx, log, clock, concurrency: config.jobs.concurrency });
  metrics.setQueueDepthProvider(() => runner.depth());
  ctx.enqueue = (job, payload) => runner.enqueue(job, payload);
  let server: Server | null = null;
  try {
    let port: number | null = null;
    let schedules: ReconcileReport | null = null;
    if (options.web) {
      server = createAppServer({
        database,
        sourceIds,
        startedAt: new Date(),
        log,
        metrics,
        sources: sourceInfo,
        // Without a signing key there are no subscriptions, and so no links to serve.
        ...(alerts ? { subscriptions: { alerts, sourceIds }, auth: alerts } : {}),
        artifacts: { database, files: deps.artifacts ?? null },
        changes: { database, sourceIds },
        publicUrl: config.publicUrl,
        publicRead: config.publicRead,
        dashboard: {
          database,
          sources: sourceInfo,
          chromiumPath: config.chromiumPath || null,
          queues: () => runner.inspect(),
        },
        components: async () => ({
          runner: await runner.ping(),
          scheduler: schedules
            ? {
                ok: true,
                detail: `${schedules.added.length + schedules.changed.length + schedules.kept.length} schedules (${runner.kind})`,
              }
            : { ok: true, detail: "schedules kept by other nodes" },
          workers: {
            ok: true,
            detail: options.queues.length ? options.queues.join(", ") : "none on this node",
          },
        }),
      });
      port = await listen(server, config.host, config.port);
    }
    // After listening: a port that is taken fails before anything is registered.
    schedules = options.schedule ? await runner.reconcile(scheduleSpecs(sources)) : null;
    if (schedules) {
      log.info(
        {
          added: schedules.added.length,
          changed: schedules.changed.length,
          removed: schedules.removed.length,
          kept: schedules.kept.length,
        },
        `schedules reconciled (${runner.kind})`,
      );
    }
    syncSources = async () => {
      if (!options.watched) return;
      const next = [...options.sources, ...(await options.watched())];
      const rescheduled =
        next.length !== sources.length ||
        next.some((s, i) => s.id !== sources[i]!.id || s.schedule !== sources[i]!.schedule);
      const known = new Set(sourceIds);
      for (const source of next) if (!known.has(source.id)) await ensureSource(database.db, source);
      // Always the new definitions: a page watched again with other settings runs with them.
      replaceContents(sources, next);
      replaceContents(
        sourceIds,
        next.map((s) => s.id),
      );
      replaceContents(sourceInfo, next.map(infoOf));
      if (!rescheduled) return;
      if (options.schedule) schedules = await runner.reconcile(scheduleSpecs(sources));
      log.info({ sources: sourceIds.length }, "sources synced with the watched pages");
    };
    await runner.startWorkers(options.queues);
    const web = server;
    return {
      runner,
      metrics,
      sources,
      syncSources: () => syncSources(),
      server,
      port,
      // The last reconcile's report: the start's, or the last sync's that changed the schedule.
      get schedules() {
        return schedules;
      },
      async stop() {
        // Fetches in flight end now, so the jobs in progress finish quickly.
        runtime.stop();
        await runner.close();
        if (web) await closeServer(web);
        await alerts?.mailer.close();
        // The unit of work in progress finishes before the database closes.
        await deps.exclusive(async () => {});
      },
    };
  } catch (err) {
    if (server) await closeServer(server);
    await runner.close();
    await alerts?.mailer.close();
    throw err;
  }
}

export { QUEUES };
