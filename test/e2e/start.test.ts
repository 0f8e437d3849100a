import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { findSource, SOURCES } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawExchange } from "../support/raw-http.ts";

const bin = join(import.meta.dirname, "../../apps/cli/bin/regwatch.mjs");
const run = promisify(execFile);

let dataDir: string;
let child: ChildProcess;
let baseUrl: string;
let stderr = "";
let closedPort = 0;

function env(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
  // Every official origin points at a closed port: a machine with no network.
  const closed = `http://127.0.0.1:${closedPort}`;
  return {
    ...rest,
    REGWATCH_DATA_DIR: dataDir,
    PORT: "0",
    HOST: "127.0.0.1",
    REGWATCH_HOST_INTERVAL_MS: "0",
    REGWATCH_PUBLIC_READ: "1",
    REGWATCH_ORIGIN_MAP: JSON.stringify({ "*": closed }),
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "regwatch-start-"));
  // A port that was free a moment ago and has nothing listening now.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  child = spawn(process.execPath, [bin, "start"], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
  baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start did not listen:\n${stderr}`)), 60_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on("exit", (code) => reject(new Error(`start exited with ${code}:\n${stderr}`)));
  });
});

const exchange = (url: string, request: string) => rawExchange(Number(new URL(url).port), request);

afterAll(() => {
  if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("regwatch start on a machine with no network", () => {
  it("serves health and marks every source unreachable without crashing", async () => {
    let health:
      | { status: string; database: string; sources: { id: string; health: string; reason: string | null }[] }
      | undefined;
    // Every source's first run, one after another, each retried with backoff before it is marked:
    // with eighteen sources (one starting Chromium) that is a minute or two.
    for (let i = 0; i < 400; i++) {
      health = (await (await fetch(`${baseUrl}/health`)).json()) as typeof health;
      if (health!.sources.every((s) => s.health !== "unknown")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(health).toMatchObject({ status: "ok", database: "pglite" });
    // Every registered source, each unreachable: none crashes the service or is left out.
    expect(health!.sources.map((s) => [s.id, s.health])).toEqual(SOURCES.map((s) => [s.id, "unreachable"]));
    // A source read through the browser is refused by Chromium (or, on a machine without Chromium, says so).
    for (const s of health!.sources)
      expect(s.reason, s.id).toMatch(
        findSource(s.id)?.needsBrowser ? /ERR_CONNECTION_REFUSED|no Chromium is installed/ : /ECONNREFUSED/,
      );
    expect(child.exitCode).toBeNull();
  }, 240_000);

  it("answers 400 to request targets it cannot read and keeps serving", async () => {
    const requests = [
      ...["//", "//[", "http://"].map((t) => `GET ${t} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      "GARBAGE\r\n\r\n",
    ];
    for (const request of requests) {
      expect(await exchange(baseUrl, request), JSON.stringify(request)).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
    const head = await fetch(`${baseUrl}/health`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect(child.exitCode).toBeNull();
  });

  it("lets other regwatch commands work while it owns the embedded database", async () => {
    const sources = await run(process.execPath, [bin, "sources", "--json"], { env: env() });
    const parsed = JSON.parse(sources.stdout) as {
      sources: {
        id: string;
        health: string;
        consecutiveFailures: number;
        lastError: { kind: string; message: string } | null;
        cadence: string;
      }[];
    };
    expect(parsed.sources.map((s) => s.id)).toEqual(SOURCES.map((s) => s.id));
    expect(parsed.sources.map((s) => s.health)).toEqual(SOURCES.map(() => "unreachable"));
    for (const s of parsed.sources) {
      expect(s.consecutiveFailures).toBeGreaterThanOrEqual(1);
      expect(s.lastError).toMatchObject({
        kind: "unreachable",
        message: expect.stringMatching(/ECONNREFUSED|ERR_CONNECTION_REFUSED|no Chromium is installed/),
      });
    }
    const cadence = Object.fromEntries(parsed.sources.map((s) => [s.id, s.cadence]));
    expect([
      cadence["us.federal-register"],
      cadence["us.ecfr.ccl"],
      cadence["ca.export-control-list"],
    ]).toEqual(["4 times a day, Mon–Fri", "every 6 h", "twice a day"]);
    for (const s of parsed.sources) expect(s.cadence, s.id).toMatch(/^(?:every|once|twice|\d+ times)/);
    const changes = await run(process.execPath, [bin, "changes", "--json"], { env: env() });
    expect(JSON.parse(changes.stdout)).toEqual({ changes: [] });
  });

  it("says a source is down: `regwatch run` exits 1 with the reason", async () => {
    const result = await run(process.execPath, [bin, "run", "ca.export-control-list"], { env: env() }).then(
      () => ({ code: 0, stdout: "" }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ca\.export-control-list: failed: .*ECONNREFUSED/m);
  });

  it("serves Prometheus metrics and every source's health in full", async () => {
    const metrics = await fetch(`${baseUrl}/metrics`);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toMatch(
      /^regwatch_source_fetches_total\{source="ca\.export-control-list",outcome="failed"\} [1-9]/m,
    );
    expect(text).toMatch(/^regwatch_source_health\{source="us\.ecfr\.ccl",status="unreachable"\} 1$/m);
    const api = (await (await fetch(`${baseUrl}/api/sources`)).json()) as {
      sources: { id: string; status: string; transitions: { from: string; to: string }[] }[];
    };
    expect(api.sources.map((s) => [s.id, s.status])).toEqual(SOURCES.map((s) => [s.id, "unreachable"]));
    expect(api.sources[0]!.transitions.at(-1)).toMatchObject({ from: "unknown", to: "unreachable" });
  });

  it("stops cleanly on SIGTERM and releases the database", async () => {
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, "control.json"))).toBe(false);
    expect(existsSync(join(dataDir, "db.lock.sock"))).toBe(false);
    // With nothing running, the CLI opens the database itself.
    const after = await run(process.execPath, [bin, "sources", "--json"], { env: env() });
    expect(JSON.parse(after.stdout).sources).toHaveLength(SOURCES.length);
  });
});
