import {
  closeSync,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { DrizzleQueryError } from "drizzle-orm/errors";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseUnusableError, describeDatabaseError } from "../src/database-errors.ts";
import { openDatabase } from "../src/open-database.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "regwatch-damage-"));
  dirs.push(dir);
  return dir;
}

// One migrated database with a table of rows, copied for each kind of damage.
let template: string;
let probeTableFile: string;
let catalogFile: string;
beforeAll(async () => {
  template = tempDir();
  const database = await openDatabase({ dataDir: template });
  await database.migrate();
  await database.pglite!.exec(
    "create table damage_probe (id int primary key, body text); insert into damage_probe select g, repeat('x', 100) from generate_series(1, 500) g",
  );
  const files = await database.pglite!.query<{ probe: string; catalog: string }>(
    "select pg_relation_filepath('damage_probe') as probe, pg_relation_filepath('pg_class') as catalog",
  );
  probeTableFile = files.rows[0]!.probe;
  catalogFile = files.rows[0]!.catalog;
  await database.close();
});

function copyOfTemplate(): string {
  const dir = tempDir();
  cpSync(join(template, "pgdata"), join(dir, "pgdata"), { recursive: true });
  return dir;
}

/** Overwrites the first page (8 KiB) of a file with bytes that are no page. */
function garbleFirstPage(file: string): void {
  const fd = openSync(file, "r+");
  writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, 0);
  closeSync(fd);
}

const advice = "restore it from a backup or move it aside and run regwatch migrate";

describe("opening a damaged embedded database", () => {
  it.each([
    [
      "an empty pg_control",
      (pgdata: string) => truncateSync(join(pgdata, "global/pg_control"), 0),
      'PANIC: could not read file "global/pg_control"',
    ],
    [
      "an empty WAL segment",
      (pgdata: string) => truncateSync(join(pgdata, "pg_wal/000000010000000000000001"), 0),
      "PANIC: could not locate a valid checkpoint record",
    ],
    [
      "a garbled system catalog page",
      (pgdata: string) => garbleFirstPage(join(pgdata, catalogFile)),
      'FATAL: invalid page in block 0 of relation "base/',
    ],
    [
      "no PG_VERSION (PGlite would run initdb over the remains)",
      (pgdata: string) => rmSync(join(pgdata, "PG_VERSION")),
      "pgdata/PG_VERSION is missing but pgdata/base holds databases",
    ],
  ])("says the database in the data directory is damaged: %s", async (_, damage, reason) => {
    const dataDir = copyOfTemplate();
    damage(join(dataDir, "pgdata"));
    const err = await openDatabase({ dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnusableError);
    expect((err as DatabaseUnusableError).kind).toBe("damaged");
    expect((err as Error).message).toContain(`the database in ${dataDir} is damaged (${reason}`);
    expect((err as Error).message).toMatch(new RegExp(`\\); ${advice}$`));
    // The lock went with the failure: the same error again, not "busy".
    await expect(openDatabase({ dataDir })).rejects.toBeInstanceOf(DatabaseUnusableError);
    if (reason.includes("PG_VERSION")) expect(existsSync(join(dataDir, "pgdata/PG_VERSION"))).toBe(false);
  });

  it("says a table is damaged when a query reads a garbled page, through drizzle's Failed query", async () => {
    const dataDir = copyOfTemplate();
    garbleFirstPage(join(dataDir, "pgdata", probeTableFile));
    const database = await openDatabase({ dataDir });
    try {
      const err = await database.db.execute(sql`select count(*) from damage_probe`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DrizzleQueryError);
      expect((err as Error).message).toMatch(/^Failed query/);
      expect(describeDatabaseError(err, dataDir)).toBe(
        `the database in ${dataDir} is damaged (invalid page in block 0 of relation "${probeTableFile}"); ${advice}`,
      );
    } finally {
      await database.close();
    }
  });
});

describe("describing storage and server failures", () => {
  it.runIf(existsSync("/dev/full"))("says no space is left for a real ENOSPC", () => {
    let enospc: unknown;
    try {
      writeFileSync("/dev/full", "a page of the database");
    } catch (err) {
      enospc = err;
    }
    expect((enospc as NodeJS.ErrnoException).code).toBe("ENOSPC");
    expect(describeDatabaseError(enospc, "/x/.regwatch")).toBe(
      "no space left on the device holding /x/.regwatch",
    );
  });

  /** The way node-postgres builds a server error, wrapped the way drizzle reports a failed query. */
  function serverError(code: string, message: string): DrizzleQueryError {
    const err = new pg.DatabaseError(message, message.length, "error");
    err.severity = "ERROR";
    err.code = code;
    return new DrizzleQueryError('insert into "raw_artifacts" ("sha256") values ($1)', ["ab12"], err);
  }

  it("says the disk is full for SQLSTATE 53100, for PGlite and for a server", () => {
    const err = serverError("53100", 'could not extend file "base/16384/16402": No space left on device');
    expect(describeDatabaseError(err, "/x/.regwatch")).toBe(
      "no space left on the device holding /x/.regwatch",
    );
    expect(describeDatabaseError(err, "postgres://regwatch:***@db.internal:5432/regwatch")).toBe(
      'the database server at postgres://regwatch:***@db.internal:5432/regwatch has no disk space left (could not extend file "base/16384/16402": No space left on device)',
    );
  });

  it.each([
    [
      "XX002",
      'index "entries_key_idx" contains unexpected zero page at block 3',
      "/x/.regwatch",
      "is damaged",
    ],
    ["53200", "out of memory", "/x/.regwatch", "ran out of resources (out of memory)"],
    ["53300", "sorry, too many clients already", "postgres://db:5432/r", "ran out of resources"],
    [
      "57P01",
      "terminating connection due to administrator command",
      "postgres://db:5432/r",
      "is not available",
    ],
    ["57P03", "the database system is starting up", "postgres://db:5432/r", "is not available"],
    ["08006", "connection failure", "postgres://db:5432/r", "is not available"],
  ])("names SQLSTATE %s for what it is", (code, message, location, wording) => {
    const line = describeDatabaseError(serverError(code, message), location);
    expect(line).toContain(wording);
    expect(line).toContain(location);
  });

  it("leaves other failures to their own messages", () => {
    expect(describeDatabaseError(serverError("23505", "duplicate key value"), "/x/.regwatch")).toBeNull();
    expect(describeDatabaseError(new Error("boom"), "/x/.regwatch")).toBeNull();
    const elsewhere = Object.assign(new Error("EACCES: permission denied, open '/home/me/list.xml'"), {
      code: "EACCES",
      syscall: "open",
      path: "/home/me/list.xml",
    });
    expect(describeDatabaseError(elsewhere, "/x/.regwatch")).toBeNull();
  });
});
