import type { Config } from "@regwatch/config";
import type { Logger } from "@regwatch/core/http";
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
  /** Closes the browser (if a source started one) and the database. */
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

export function createRuntime(
  config: Config,
  database: Database,
  log: Logger,
  exclusive = createExclusive(),
): Runtime {
  const http = createHttpClient({
    userAgent: config.http.userAgent,
    timeoutMs: config.http.timeoutMs,
    maxBytes: config.http.maxResponseBytes,
    hostIntervalMs: config.http.hostIntervalMs,
    originMap: config.originMap,
    validators: { get: (url) => getValidators(database.db, url) },
    log,
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
    deps: { db: database.db, http, browser, log, exclusive },
    async close() {
      await browser.close();
      await database.close();
    },
  };
}
