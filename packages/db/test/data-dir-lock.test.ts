import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseBusyError, openDatabase } from "../src/open-database.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const holder = join(import.meta.dirname, "hold-data-dir.ts");
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "regwatch-lock-"));
  dirs.push(dir);
  return dir;
}

// initdb takes seconds; every test starts from a copy of one database instead.
let template: string;
beforeAll(async () => {
  template = tempDir();
  await (await openDatabase({ dataDir: template })).close();
});

function freshDir(): string {
  const dir = tempDir();
  cpSync(join(template, "pgdata"), join(dir, "pgdata"), { recursive: true });
  return dir;
}

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A process of its own that opens `dataDir` with openDatabase; `lines` yields what it prints. */
function spawnHolder(dataDir: string, hold: string, waitForGo = false) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", holder, dataDir, hold, ...(waitForGo ? ["--wait-for-go"] : [])],
    { cwd: repoRoot, stdio: ["pipe", "pipe", "inherit"] },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`holder ${child.pid} exited without a word`);
    return line.value;
  };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, next, exited };
}

/** What a process killed while holding the lock leaves: a socket file nobody listens on. */
function leaveDeadSocket(path: string): void {
  const script = `require("node:net").createServer().listen(process.argv[1], () => process.kill(process.pid, "SIGKILL"))`;
  const result = spawnSync(process.execPath, ["-e", script, path]);
  expect(result.signal).toBe("SIGKILL");
  expect(existsSync(path)).toBe(true);
}

async function expectUsable(dataDir: string): Promise<void> {
  const database = await openDatabase({ dataDir });
  try {
    expect((await database.pglite!.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
  } finally {
    await database.close();
  }
}

describe("the data directory lock", () => {
  it("is taken over from a process killed with SIGKILL while it held the database", async () => {
    const dataDir = freshDir();
    const owner = spawnHolder(dataDir, "forever");
    expect(await owner.next()).toBe(`opened ${owner.child.pid}`);
    owner.child.kill("SIGKILL");
    await owner.exited;
    expect(existsSync(join(dataDir, "db.lock.sock"))).toBe(true); // left behind, nobody listening
    await expectUsable(dataDir);
  });

  it("refuses a data directory a live process holds, naming its pid", async () => {
    const dataDir = freshDir();
    const owner = spawnHolder(dataDir, "forever");
    expect(await owner.next()).toBe(`opened ${owner.child.pid}`);
    const refused = await openDatabase({ dataDir }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DatabaseBusyError);
    expect((refused as DatabaseBusyError).pid).toBe(owner.child.pid);
    expect((refused as Error).message).toContain(
      `the database in ${dataDir} is open in another process (pid ${owner.child.pid})`,
    );
    owner.child.kill("SIGKILL");
    await owner.exited;
  });

  // A container restarted after a crash runs regwatch as pid 1 again, and a pid from before a reboot
  // may belong to anyone now: neither says anything about who holds the directory.
  it.each([
    ["pid 1", "1"],
    ["this process's own pid", String(process.pid)],
  ])("takes over what a crashed previous run left, its db.lock naming %s", async (_, pid) => {
    const dataDir = freshDir();
    leaveDeadSocket(join(dataDir, "db.lock.sock"));
    writeFileSync(join(dataDir, "db.lock"), pid);
    await expectUsable(dataDir);
    expect(existsSync(join(dataDir, "db.lock"))).toBe(false);
    expect(existsSync(join(dataDir, "db.lock.sock"))).toBe(false);
  });

  it("takes over after a crash in the middle of a takeover, and clears what it left", async () => {
    const dataDir = freshDir();
    for (const name of ["db.lock.sock", "db.lock.takeover.sock", "db.lock.sock.4242.0badf00d"]) {
      leaveDeadSocket(join(dataDir, name));
    }
    const database = await openDatabase({ dataDir });
    try {
      expect(readdirSync(dataDir).filter((n) => n.startsWith("db.lock"))).toEqual(["db.lock.sock"]);
    } finally {
      await database.close();
    }
    expect(readdirSync(dataDir).filter((n) => n.startsWith("db.lock"))).toEqual([]);
  });

  it("refuses a second open of the same data directory in the same process, and reopens once closed", async () => {
    const dataDir = freshDir();
    const first = await openDatabase({ dataDir });
    try {
      const second = await openDatabase({ dataDir }).catch((err: unknown) => err);
      expect(second).toBeInstanceOf(DatabaseBusyError);
      expect((second as DatabaseBusyError).pid).toBe(process.pid);
    } finally {
      await first.close();
    }
    expect(existsSync(join(dataDir, "db.lock.sock"))).toBe(false);
    await expectUsable(dataDir);
  });

  // sun_path holds 108 bytes: a longer directory is reached through /proc/self/fd, on the same file.
  it.runIf(process.platform === "linux")(
    "locks a data directory whose path is too long for a socket",
    async () => {
      const dataDir = join(tempDir(), "a".repeat(60), "b".repeat(60));
      mkdirSync(dataDir, { recursive: true });
      cpSync(join(template, "pgdata"), join(dataDir, "pgdata"), { recursive: true });
      const first = await openDatabase({ dataDir });
      try {
        expect(existsSync(join(dataDir, "db.lock.sock"))).toBe(true);
        await expect(openDatabase({ dataDir })).rejects.toBeInstanceOf(DatabaseBusyError);
      } finally {
        await first.close();
      }
      expect(existsSync(join(dataDir, "db.lock.sock"))).toBe(false);
    },
  );

  it.each([
    ["a fresh directory", false],
    ["a lock left by a killed process", true],
  ])(
    "lets exactly one of several processes racing for %s win",
    async (_, stale) => {
      for (let round = 0; round < 3; round++) {
        const dataDir = freshDir();
        if (stale) {
          leaveDeadSocket(join(dataDir, "db.lock.sock"));
          writeFileSync(join(dataDir, "db.lock"), "1");
        }
        const racers = Array.from({ length: 4 }, () => spawnHolder(dataDir, "500", true));
        for (const racer of racers) expect(await racer.next()).toBe("loaded");
        for (const racer of racers) racer.child.stdin!.write("go\n");
        const outcomes = await Promise.all(racers.map((r) => r.next()));
        await Promise.all(racers.map((r) => r.exited));
        const winners = outcomes.filter((o) => o.startsWith("opened "));
        expect(winners, outcomes.join(", ")).toHaveLength(1);
        const winnerPid = winners[0]!.slice("opened ".length);
        expect(
          outcomes.filter((o) => o === `busy ${winnerPid}`),
          outcomes.join(", "),
        ).toHaveLength(3);
      }
    },
    120_000,
  );
});
