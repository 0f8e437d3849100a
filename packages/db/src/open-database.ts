import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.ts";
import { damagedDatabaseError, diagnoseDatabaseError } from "./database-errors.ts";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** Where the data lives, for messages: a directory or a server URL with the password hidden. */
  location: string;
  /** The embedded engine, when there is one. */
  pglite?: PGlite;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), "../drizzle");

export { DatabaseBusyError } from "./data-dir-lock.ts";

/**
 * PGlite runs initdb over any pgdata without PG_VERSION, burying whatever
 * the directory held; a pgdata that already holds databases but lost that
 * one file is damaged, not empty (recreating PG_VERSION may be all it needs).
 */
function refuseWithoutVersion(pgdata: string, dataDir: string): void {
  if (existsSync(join(pgdata, "PG_VERSION"))) return;
  let databases: string[] = [];
  try {
    databases = readdirSync(join(pgdata, "base"));
  } catch {
    return; // no base/: a fresh directory, or an initdb that stopped early
  }
  if (databases.length) {
    throw damagedDatabaseError(dataDir, "pgdata/PG_VERSION is missing but pgdata/base holds databases");
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

export interface OpenDatabaseOptions {
  /** A Postgres server; when absent, embedded PGlite. */
  databaseUrl?: string | null;
  /** Directory for PGlite's files (under it: pgdata/ and the lock socket db.lock.sock). */
  dataDir?: string;
  /** Embedded and in memory: nothing on disk, no lock (tests). */
  memory?: boolean;
  /**
   * A server connection lost while idle (the server restarted, an
   * administrator ended it): the pool drops it and opens another at the next
   * query; this hears of it. Without it the loss goes to stderr.
   */
  onConnectionLost?: (err: Error) => void;
}

/** The last lines postgres wrote while PGlite started: its only account of why it would not. */
const STARTUP_LOG_LINES = 20;

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const location = redactUrl(options.databaseUrl);
    const readable = (err: unknown) => diagnoseDatabaseError(err, location) ?? err;
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
    // An idle connection's error is the pool's 'error' event: with no listener
    // Node throws it, and one server restart would end the process.
    pool.on("error", (err) => {
      if (options.onConnectionLost) options.onConnectionLost(err);
      else process.stderr.write(`regwatch: a database connection to ${location} was lost: ${err.message}\n`);
    });
    // pool.end() resolves once every connection has been asked to close, not
    // once it has: count them out, so close() returns with none left open.
    let open = 0;
    let allClosed: (() => void) | null = null;
    pool.on("connect", () => {
      open++;
    });
    pool.on("remove", () => {
      open--;
      if (open === 0) allClosed?.();
    });
    // Fail now, with the server's own words, rather than at the first query.
    const client = await pool.connect().catch(async (err: Error) => {
      await pool.end();
      throw (
        diagnoseDatabaseError(err, location) ?? new Error(`cannot connect to ${location}: ${err.message}`)
      );
    });
    client.release();
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return {
      db,
      kind: "postgres",
      location,
      migrate: () =>
        migratePg(db as never, { migrationsFolder: MIGRATIONS_FOLDER }).catch((err: unknown) => {
          throw readable(err);
        }),
      close: async () => {
        const closed = open === 0 ? Promise.resolve() : new Promise<void>((r) => (allClosed = r));
        await pool.end();
        await closed;
      },
    };
  }
  if (options.memory) {
    const pglite = new PGlite();
    const db = drizzlePglite(pglite, { schema }) as unknown as Db;
    return {
      db,
      kind: "pglite",
      location: "memory",
      pglite,
      migrate: () => migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER }),
      close: () => pglite.close(),
    };
  }
  const dataDir = resolve(options.dataDir ?? "./.regwatch");
  const pgdata = join(dataDir, "pgdata");
  const readable = (err: unknown, logLines?: readonly string[]) =>
    diagnoseDatabaseError(err, dataDir, logLines) ?? err;
  let lock: DataDirLock;
  try {
    mkdirSync(dataDir, { recursive: true });
    lock = await lockDataDir(dataDir);
  } catch (err) {
    throw readable(err); // DatabaseBusyError is not a storage problem: it comes back as it is
  }
  let pglite: PGlite;
  const startupLog: string[] = [];
  let starting = true;
  try {
    refuseWithoutVersion(pgdata, dataDir);
    pglite = new PGlite(pgdata, {
      onStderr: (line) => {
        if (starting) startupLog.push(line);
        if (startupLog.length > STARTUP_LOG_LINES) startupLog.shift();
        return false;
      },
    });
    await pglite.waitReady;
    starting = false;
  } catch (err) {
    await lock.release();
    throw readable(err, startupLog);
  }
  const db = drizzlePglite(pglite, { schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    location: dataDir,
    pglite,
    migrate: () =>
      migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER }).catch((err: unknown) => {
        throw readable(err);
      }),
    async close() {
      try {
        await pglite.close();
      } finally {
        await lock.release();
      }
    },
  };
}
