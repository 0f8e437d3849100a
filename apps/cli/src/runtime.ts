import { join } from "node:path";
import type { Config } from "@regwatch/config";
import type { Logger } from "@regwatch/core/http";
import { type ArtifactFiles, artifactFiles } from "@regwatch/db/artifact-files";
import { type Database, openDatabase } from "@regwatch/db/open-database";
import { getValidators } from "@regwatch/db/queries/artifacts";
import { createBrowserClient } from "@regwatch/fetch/browser";
import { createHttpClient } from "@regwatch/fetch/http-client";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import pino from "pino";
import type { Io } from "./io.ts";

export function createLogger(io: Io, level: string): Logger {
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    { write: (line: string) => io.err(line) },
  ) as unknown as Logger;
}

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
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
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
function artifactStore(database: Database): ArtifactFiles | null {
  return database.kind === "pglite" && database.location !== "memory"
    ? artifactFiles(join(database.location, "artifacts"))
    : null;
}

export function createRuntime(
  config: Config,
  database: Database,
  log: Logger,
  exclusive = createExclusive(),
): Runtime {
  const stopping = new AbortController();
  const http = createHttpClient({
    userAgent: config.http.userAgent,
    timeoutMs: config.http.timeoutMs,
    maxBytes: config.http.maxResponseBytes,
    hostIntervalMs: config.http.hostIntervalMs,
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
    deps: { db: database.db, artifacts: artifactStore(database), http, browser, log, exclusive },
    stop() {
      stopping.abort();
    },
    async close() {
      stopping.abort();
      await browser.close();
      await database.close();
    },
  };
}
