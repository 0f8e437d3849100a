import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../src/io.ts";
import { execute } from "../src/main.ts";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "../../..");
const cli = join(repo, "apps/cli");
const bin = join(cli, "bin/regwatch.mjs");
const dist = join(cli, "dist");
const fixtures = join(repo, "packages/sources/src");
const CA_2024 = join(fixtures, "ca/export-control-list/fixtures/ecl-small-2024.xml");
const CCL_A = join(fixtures, "us/ecfr-ccl/fixtures/ccl-small-2024-08-01.xml");
const CCL_B = join(fixtures, "us/ecfr-ccl/fixtures/ccl-small-2024-09-06.xml");

// build-freshness.mjs is plain JavaScript for the bin: imported by URL, typed here.
const { buildIsFresh } = (await import(pathToFileURL(join(cli, "bin/build-freshness.mjs")).href)) as {
  buildIsFresh(distDir?: string, repoDir?: string): boolean;
};

let scratch: string;
let hooks: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "regwatch-bin-"));
  // A module loader hook that writes down every module the process loads:
  // what a command costs, observed from outside, with nothing in the product for it.
  writeFileSync(
    join(scratch, "record-loads.mjs"),
    `import { appendFileSync } from "node:fs";
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) {
  appendFileSync(log, url + "\\n");
  return next(url, context);
}
`,
  );
  hooks = join(scratch, "register.mjs");
  writeFileSync(
    hooks,
    `import { register } from "node:module";
register("./record-loads.mjs", import.meta.url, { data: { log: process.env.RECORD_LOADS } });
`,
  );
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function env(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // The embedded database, as on a fresh machine.
  const { DATABASE_URL: _db, ...rest } = process.env;
  return { ...rest, REGWATCH_DATA_DIR: dataDir, REGWATCH_LOG_LEVEL: "silent", ...extra };
}

let runs = 0;
/**
 * Runs the bin with the recording hook. Returns its output and the files it
 * loaded, as repository paths: a module of the build counts as the sources
 * the build put in it (build-info.json), so the same question has the same
 * answer whether the bin ran the build or the TypeScript through tsx.
 */
async function runRecorded(argv: string[], extraEnv: Record<string, string> = {}) {
  const log = join(scratch, `loads-${++runs}.txt`);
  const dataDir = join(scratch, `data-${runs}`);
  mkdirSync(dataDir);
  writeFileSync(log, "");
  const { stdout } = await run(process.execPath, ["--import", pathToFileURL(hooks).href, bin, ...argv], {
    cwd: repo,
    env: env(dataDir, { RECORD_LOADS: log, ...extraEnv }),
    maxBuffer: 64 * 1024 * 1024,
  });
  const outputs = (): Record<string, string[]> =>
    JSON.parse(readFileSync(join(dist, "build-info.json"), "utf8")).outputs;
  const urls = readFileSync(log, "utf8").split("\n").filter(Boolean);
  const files = urls
    .filter((u) => u.startsWith("file:"))
    .flatMap((u) => {
      const path = relative(repo, fileURLToPath(u)).split("\\").join("/");
      return path.startsWith("apps/cli/dist/")
        ? (outputs()[path.slice("apps/cli/dist/".length)] ?? [])
        : [path];
    });
  return { stdout, urls, files };
}

async function inProcess(argv: string[]) {
  let stdout = "";
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    err: () => {},
    cwd: repo,
    env: { REGWATCH_DATA_DIR: scratch, REGWATCH_LOG_LEVEL: "silent" },
  };
  expect(await execute(argv, io)).toBe(0);
  return stdout;
}

// What the database commands need and the others must not load.
const DATABASE_STACK =
  /(^|\/)(packages\/(db|pipeline|fetch)\/|node_modules\/(@electric-sql|pg|drizzle-orm)\/)/;
const SERVER = /^apps\/server\//;

describe("the regwatch bin", () => {
  it("is built by npm install (or brought up to date here), and runs the build, not the TypeScript", async () => {
    // After `npm ci` (CI) the build is fresh and this does nothing; after an edit it rebuilds.
    await run(process.execPath, [join(cli, "build.mjs"), "--if-stale"], { cwd: repo });
    expect(buildIsFresh()).toBe(true);
    const argv = ["diff", "us.ecfr.ccl", CCL_A, CCL_B, "--json", "--at", "2024-09-07"];
    const { stdout, urls } = await runRecorded(argv);
    expect(urls).toContain(pathToFileURL(join(dist, "main.js")).href);
    expect(urls.filter((u) => u.endsWith(".ts"))).toEqual([]);
    expect(JSON.parse(stdout)).toEqual(JSON.parse(await inProcess(argv)));
  });

  it("finds the database migrations from the build", async () => {
    await run(process.execPath, [join(cli, "build.mjs"), "--if-stale"], { cwd: repo });
    const { stdout, urls } = await runRecorded(["migrate"]);
    expect(urls).toContain(pathToFileURL(join(dist, "main.js")).href);
    expect(stdout).toMatch(/^database up to date \(pglite: /);
  });

  it("loads no database, pipeline or fetch code for --help, parse and diff", async () => {
    for (const argv of [
      ["--help"],
      ["diff", "--help"],
      ["parse", "ca.export-control-list", CA_2024, "--json"],
      ["diff", "us.ecfr.ccl", CCL_A, CCL_B, "--json"],
    ]) {
      const { stdout, files } = await runRecorded(argv);
      expect(stdout).not.toBe("");
      expect(files.length).toBeGreaterThan(0);
      expect(
        files.filter((f) => DATABASE_STACK.test(f)),
        argv.join(" "),
      ).toEqual([]);
      expect(
        files.filter((f) => SERVER.test(f)),
        argv.join(" "),
      ).toEqual([]);
    }
  });

  it("loads no server code for changes", async () => {
    const { stdout, files } = await runRecorded(["changes", "--json"]);
    expect(JSON.parse(stdout)).toEqual({ changes: [] });
    expect(files.some((f) => f.startsWith("packages/db/"))).toBe(true);
    expect(files.filter((f) => SERVER.test(f))).toEqual([]);
  });
});

describe("the build's freshness", () => {
  it("is stale once a file the build read is newer than the build, or gone", () => {
    const root = mkdtempSync(join(tmpdir(), "regwatch-fresh-"));
    try {
      const out = join(root, "dist");
      mkdirSync(out);
      expect(buildIsFresh(out, root)).toBe(false); // never built
      writeFileSync(join(root, "a.ts"), "");
      const builtAt = Date.now();
      utimesSync(join(root, "a.ts"), new Date(builtAt - 60_000), new Date(builtAt - 60_000));
      writeFileSync(join(out, "build-info.json"), JSON.stringify({ startedAtMs: builtAt, inputs: ["a.ts"] }));
      expect(buildIsFresh(out, root)).toBe(true);
      utimesSync(join(root, "a.ts"), new Date(builtAt + 1000), new Date(builtAt + 1000));
      expect(buildIsFresh(out, root)).toBe(false); // edited since
      rmSync(join(root, "a.ts"));
      expect(buildIsFresh(out, root)).toBe(false); // removed since
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
