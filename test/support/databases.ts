import { randomBytes } from "node:crypto";
import { type Database, openDatabase } from "@regwatch/db/open-database";
import pg from "pg";

export interface TestDatabase {
  name: string;
  open(): Promise<Database>;
}

/**
 * The databases a storage test runs on: embedded PGlite always, and the
 * Postgres server named by DATABASE_URL when set (required in CI, where
 * REGWATCH_REQUIRE_SERVICES=1). Each open gets a fresh, migrated database.
 */
export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [
    {
      name: "pglite",
      async open() {
        const db = await openDatabase({ memory: true });
        await db.migrate();
        return db;
      },
    },
  ];
  const url = process.env.DATABASE_URL;
  if (!url && process.env.REGWATCH_REQUIRE_SERVICES === "1") {
    throw new Error("REGWATCH_REQUIRE_SERVICES=1 but DATABASE_URL is not set");
  }
  if (url) {
    list.push({
      name: "postgres",
      async open() {
        const scratch = await scratchPostgres(url);
        const db = await openDatabase({ databaseUrl: scratch.url });
        await db.migrate();
        return {
          ...db,
          async close() {
            await db.close();
            await scratch.drop();
          },
        };
      },
    });
  }
  return list;
}

/** A database of its own on the server named by `url` (an admin connection), dropped when done. */
export async function scratchPostgres(url: string, prefix = "regwatch_test") {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
