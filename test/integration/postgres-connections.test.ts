// Connections to a PostgreSQL server that the server ends: one lost while
// idle (a restart, an administrator) is heard of and replaced, never thrown
// out of the process; close() returns with every connection gone, so the
// database can be dropped at once. Needs DATABASE_URL (required in CI).

import { type Database, openDatabase } from "@regwatch/db/open-database";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { scratchPostgres } from "../support/databases.ts";

const url = process.env.DATABASE_URL;
const required = process.env.REGWATCH_REQUIRE_SERVICES === "1";

/** Runs `text` on a connection of its own to `target`. */
async function admin<T extends pg.QueryResultRow>(target: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** The server's own count of connections to `name` other than this query's. */
async function backendsOf(name: string): Promise<number> {
  const [row] = await admin<{ n: string }>(
    url!,
    `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
  );
  return Number(row!.n);
}

describe.skipIf(!required && !url)("connections the server ends", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function scratch() {
    if (!url) throw new Error("REGWATCH_REQUIRE_SERVICES=1 but DATABASE_URL is not set");
    const made = await scratchPostgres(url, "regwatch_conn");
    cleanups.push(made.drop);
    return { ...made, name: new URL(made.url).pathname.slice(1) };
  }

  it("hears of an idle connection the server ended, and the next query opens another", async () => {
    const target = await scratch();
    const lost: Error[] = [];
    const database: Database = await openDatabase({
      databaseUrl: target.url,
      onConnectionLost: (err) => lost.push(err),
    });
    cleanups.unshift(() => database.close());
    await database.db.execute(sql`SELECT 1`);
    expect(await backendsOf(target.name)).toBe(1);

    // What a restart or an administrator does to the idle connection.
    const ended = await admin<{ pg_terminate_backend: boolean }>(
      url!,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${target.name}' AND pid <> pg_backend_pid()`,
    );
    expect(ended).toEqual([{ pg_terminate_backend: true }]);
    for (let i = 0; i < 100 && lost.length === 0; i++) await new Promise((r) => setTimeout(r, 20));

    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(lost[0]!.message).toMatch(/terminat/i);
    const result = (await database.db.execute(sql`SELECT 41 + 1 AS answer`)) as unknown as pg.QueryResult;
    expect(result.rows).toEqual([{ answer: 42 }]);
  });

  it("closes with no connection left, so the database drops at once", async () => {
    const target = await scratch();
    const lost: Error[] = [];
    const database = await openDatabase({
      databaseUrl: target.url,
      onConnectionLost: (err) => lost.push(err),
    });
    // Four connections busy at once: the pool's whole size.
    await Promise.all([1, 2, 3, 4].map(() => database.db.execute(sql`SELECT pg_sleep(0.05)`)));
    expect(await backendsOf(target.name)).toBe(4);

    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    const before = sockets();
    expect(before).toBeGreaterThanOrEqual(4);

    await database.close();
    // Looked at before anything else can run: the pool's four sockets are already closed.
    expect(sockets()).toBe(before - 4);
    expect(await backendsOf(target.name)).toBe(0);
    await admin(url!, `DROP DATABASE ${target.name}`); // no FORCE: it fails if anything is still connected
    cleanups.splice(0);
    expect(lost).toEqual([]);
  });
});
