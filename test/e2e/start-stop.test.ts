import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SOURCES } from "@regwatch/sources/registry";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// `regwatch start` as a process, started the ways people start it, stopped
// while a fetch hangs, and started on a port that is taken.

const repo = join(import.meta.dirname, "../..");
const bin = join(repo, "apps/cli/bin/regwatch.mjs");
const run = promisify(execFile);

// The bugs these guard against take 40 s to forever; the machine has 2 cores.
const STOP_WITHIN_MS = 10_000;

/** A source that takes every connection and never answers: a fetch stays in flight. */
let hanging: Server;
let hangingOrigin: string;
const held = new Set<Socket>();
let connected: () => void = () => {};

beforeAll(async () => {
  hanging = createServer((socket) => {
    held.add(socket);
    socket.on("close", () => held.delete(socket));
    connected();
  });
  await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", () => r()));
  hangingOrigin = `http://127.0.0.1:${(hanging.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise<void>((r) => hanging.close(() => r()));
});

const dataDirs: string[] = [];
const children: ChildProcess[] = [];
const servicePids: number[] = [];

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "regwatch-stop-"));
  dataDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const pid of servicePids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone, as it should be.
    }
  }
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function env(dataDir: string, port = 0): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
  return {
    ...rest,
    REGWATCH_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    REGWATCH_HOST_INTERVAL_MS: "0",
    // Each attempt would wait two minutes for the source that never answers.
    REGWATCH_HTTP_TIMEOUT_MS: "120000",
    // Every source, the browser's too, waits on the origin that never answers.
    REGWATCH_ORIGIN_MAP: JSON.stringify({ "*": hangingOrigin }),
  };
}

function track(child: ChildProcess): { child: ChildProcess; output: () => string } {
  children.push(child);
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  return { child, output: () => output };
}

/** Starts listening for the next connection to the hanging source. */
function nextConnection(): Promise<void> {
  return new Promise<void>((resolve) => {
    connected = resolve;
  });
}

/** Waits for the service's listening line; returns the service's own pid. */
async function listening(started: ReturnType<typeof track>): Promise<number> {
  for (let waited = 0; waited < 90_000; waited += 100) {
    const m = /regwatch listening on http:\/\/[\d.]+:\d+ \(pid (\d+);/.exec(started.output());
    if (m) {
      servicePids.push(Number(m[1]));
      return Number(m[1]);
    }
    if (started.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the service did not start listening:\n${started.output()}`);
}

function exited(
  child: ChildProcess,
  withinMs: number,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return resolve({ code: child.exitCode, signal: child.signalCode });
    const timer = setTimeout(() => reject(new Error(`still running after ${withinMs} ms`)), withinMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // An exited process that its parent has not reaped yet is gone too.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true; // No /proc here: signal 0 found it.
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  for (let waited = 0; waited < withinMs; waited += 100) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/** The data directory is free again: nothing holds the lock or serves the control socket. */
async function expectReleased(dataDir: string) {
  expect(existsSync(join(dataDir, "db.lock.sock"))).toBe(false);
  expect(existsSync(join(dataDir, "control.json"))).toBe(false);
  const sources = await run(process.execPath, [bin, "sources", "--json"], { env: env(dataDir) });
  expect(JSON.parse(sources.stdout).sources).toHaveLength(SOURCES.length);
}

describe("regwatch start stopping with a fetch in flight", () => {
  it("exits 0 within seconds of SIGTERM", { timeout: 180_000 }, async () => {
    const dataDir = newDataDir();
    const asked = nextConnection();
    const service = track(
      spawn(process.execPath, [bin, "start"], { env: env(dataDir), stdio: ["ignore", "pipe", "pipe"] }),
    );
    await listening(service);
    await asked;
    service.child.kill("SIGTERM");
    expect(await exited(service.child, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
    expect(service.output()).toContain("regwatch stopping: SIGTERM");
    await expectReleased(dataDir);
  });

  it("stops within seconds when `npm start` gets SIGTERM, and npm exits 0", {
    timeout: 180_000,
  }, async () => {
    const dataDir = newDataDir();
    const asked = nextConnection();
    const npm = track(
      spawn("npm", ["start"], { cwd: repo, env: env(dataDir), stdio: ["ignore", "pipe", "pipe"] }),
    );
    const pid = await listening(npm);
    expect(pid).not.toBe(npm.child.pid);
    await asked;
    // To npm alone, as a process manager would send it; not to the process group.
    npm.child.kill("SIGTERM");
    expect(await gone(pid, STOP_WITHIN_MS)).toBe(true);
    expect(await exited(npm.child, STOP_WITHIN_MS)).toEqual({ code: 0, signal: null });
    expect(npm.output()).toContain("regwatch stopping: SIGTERM");
    await expectReleased(dataDir);
  });

  it("stops when npm's shell goes away under it (`npx regwatch start`)", { timeout: 180_000 }, async () => {
    const dataDir = newDataDir();
    const asked = nextConnection();
    const npx = track(
      spawn("npx", ["regwatch", "start"], {
        cwd: repo,
        env: env(dataDir),
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    const pid = await listening(npx);
    await asked;
    npx.child.kill("SIGTERM");
    expect(await gone(pid, STOP_WITHIN_MS)).toBe(true);
    expect(npx.output()).toMatch(/regwatch stopping: its parent \(pid \d+\) is gone/);
    await expectReleased(dataDir);
  });
});

describe("regwatch start on a port that is taken", () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    port = (taken.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((r) => taken.close(() => r())));

  it("exits 1 with one line naming the port, and releases the data directory", {
    timeout: 180_000,
  }, async () => {
    const dataDir = newDataDir();
    const service = track(
      spawn(process.execPath, [bin, "start"], { env: env(dataDir, port), stdio: ["ignore", "pipe", "pipe"] }),
    );
    // Generous: the embedded database is created and migrated first.
    expect(await exited(service.child, 90_000)).toEqual({ code: 1, signal: null });
    expect(service.output().trim().split("\n")).toEqual([
      `regwatch: port ${port} on 127.0.0.1 is already in use`,
    ]);
    await expectReleased(dataDir);
  });
});
