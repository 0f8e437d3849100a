import { join } from "node:path";
import type { Config } from "@regwatch/config";
import type { Logger } from "@regwatch/core/http";
import type { ArtifactFiles } from "@regwatch/db/artifact-files";
import type { Database } from "@regwatch/db/open-database";
import type { PipelineDeps } from "@regwatch/pipeline/deps";

export interface Runtime {
  config: Config;
  database: Database;
  deps: PipelineDeps;
  /**
   * The service is stopping: every fetch in flight, backoff sleep and
   * politeness wait ends at once with AbortedError, and so does every later
   * request. The unit of work in progress then finishes quickly.
   */
  stop(): void;
  /** Stops, then closes the browser (if a source started one) and the database. */
  close(): Promise<void>;
}

/** The database a command works on: the server named by DATABASE_URL, else PGlite under REGWATCH_DATA_DIR. */
export async function openConfiguredDatabase(config: Config, log?: Logger): Promise<Database> {
  // Imported here, as are the clients below: this module is loaded by every command for its logger.
  const { openDatabase } = await import("@regwatch/db/open-database");
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    ...(log
      ? {
          onConnectionLost: (err: Error) =>
            log.warn({ err: err.message }, "a database connection was lost; the next query opens another"),
        }
      : {}),
  });
  try {
    await database.migrate();
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/**
 * Raw bytes of an embedded database live as files beside it (PGlite holds a
 * bytea at ~100 bytes of memory per byte); a PostgreSQL server keeps them in
 * the table, where every worker on every host can read them.
 */
async function artifactStore(database: Database): Promise<ArtifactFiles | null> {
  if (database.kind !== "pglite" || database.location === "memory") return null;
  const { artifactFiles } = await import("@regwatch/db/artifact-files");
  return artifactFiles(join(database.location, "artifacts"));
}

export async function createRuntime(
  config: Config,
  database: Database,
  log: Logger,
  exclusive?: PipelineDeps["exclusive"],
): Promise<Runtime> {
  const [
    { getValidators },
    { createBrowserClient },
    { createHttpClient },
    { createExclusive },
    { createSubscriptionMatcher },
    { alertOutbox },
  ] = await Promise.all([
    import("@regwatch/db/queries/artifacts"),
    import("@regwatch/fetch/browser"),
    import("@regwatch/fetch/http-client"),
    import("@regwatch/pipeline/deps"),
    import("@regwatch/alerts/matcher"),
    import("@regwatch/alerts/outbox"),
  ]);
  const stopping = new AbortController();
  // With Redis, the turns at each publisher are shared by every worker on every host.
  const redis = config.redisUrl
    ? new (await import("ioredis")).Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
    : null;
  redis?.on("error", (err) => log.debug({ err }, "redis (host turns)"));
  const hostSlots = redis
    ? (await import("./host-slots.ts")).redisHostSlots(redis, log, config.jobs.redisPrefix)
    : undefined;
  const http = createHttpClient({
    userAgent: config.http.userAgent,
    timeoutMs: config.http.timeoutMs,
    maxBytes: config.http.maxResponseBytes,
    hostIntervalMs: config.http.hostIntervalMs,
    hostSlots,
    originMap: config.originMap,
    validators: { get: (url) => getValidators(database.db, url) },
    log,
    signal: stopping.signal,
  });
  // Chromium starts only when a source that needs it renders its first page.
  const browser = createBrowserClient({
    executablePath: config.chromiumPath,
    originMap: config.originMap,
    userAgent: config.http.userAgent,
    timeoutMs: config.http.timeoutMs,
  });
  return {
    config,
    database,
    deps: {
      db: database.db,
      artifacts: await artifactStore(database),
      http,
      browser,
      secrets: config.sourceSecrets,
      log,
      exclusive: exclusive ?? createExclusive(),
      // Alerts for new records are written with them: matched against the active subscriptions.
      outbox: alertOutbox(createSubscriptionMatcher(), config.publicUrl),
    },
    stop() {
      stopping.abort();
    },
    async close() {
      stopping.abort();
      await browser.close();
      redis?.disconnect();
      await database.close();
    },
  };
}
