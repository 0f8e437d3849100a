import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
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

/** Another process holds the embedded database. */
export class DatabaseBusyError extends Error {
  override name = "DatabaseBusyError";
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`the database in ${dataDir} is open in another process (pid ${pid})`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite's files must only ever be opened by one process. The lock file holds
 * the owner's pid; a lock left by a process that died is taken over.
 */
function takeLock(dataDir: string): () => void {
  const path = join(dataDir, "db.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, "utf8") === String(process.pid)) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) throw new DatabaseBusyError(dataDir, pid);
      unlinkSync(path);
    }
  }
  throw new Error(`could not lock ${path}`);
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
  /** Directory for PGlite's files (under it: pgdata/, db.lock). */
  dataDir?: string;
  /** Embedded and in memory: nothing on disk, no lock (tests). */
  memory?: boolean;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
    // Fail now, with the server's own words, rather than at the first query.
    const client = await pool.connect().catch(async (err: Error) => {
      await pool.end();
      throw new Error(`cannot connect to ${redactUrl(options.databaseUrl!)}: ${err.message}`);
    });
    client.release();
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return {
      db,
      kind: "postgres",
      location: redactUrl(options.databaseUrl),
      migrate: () => migratePg(db as never, { migrationsFolder: MIGRATIONS_FOLDER }),
      close: () => pool.end(),
    };
  }
  let release = () => {};
  let pglite: PGlite;
  let location = "memory";
  if (options.memory) {
    pglite = new PGlite();
  } else {
    const dataDir = resolve(options.dataDir ?? "./.regwatch");
    mkdirSync(dataDir, { recursive: true });
    release = takeLock(dataDir);
    try {
      pglite = new PGlite(join(dataDir, "pgdata"));
      await pglite.waitReady;
    } catch (err) {
      release();
      throw err;
    }
    location = dataDir;
  }
  const db = drizzlePglite(pglite, { schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    location,
    pglite,
    migrate: () => migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER }),
    async close() {
      await pglite.close();
      release();
    },
  };
}
