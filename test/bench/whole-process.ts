// The whole `regwatch` process, as a person at a terminal pays for it:
// start-up (`regwatch --help` against `node -e 0`), and `regwatch diff` of the
// two full-size CCL versions against a Python script doing an ElementTree
// parse and a difflib line diff of the same two files (peer_diff.py), with
// the peak memory of `regwatch diff`. Each a fresh process, interleaved.
//
// From bench.ts (on its full-size CCL pair), or alone on two files:
//   node --import tsx test/bench/whole-process.ts <old.xml> <new.xml>
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const REPO = resolve(import.meta.dirname, "../..");
const BIN = join(REPO, "apps/cli/bin/regwatch.mjs");
const PEER = join(import.meta.dirname, "peer_diff.py");
// Whole processes take seconds each: at most 9 runs, fewer when BENCH_RUNS asks for fewer.
const RUNS = Math.min(9, Number(process.env.BENCH_RUNS ?? 9));
const WARMUP = 2;
// GNU time's "%M": the child's peak RSS in KiB.
const GNU_TIME = "/usr/bin/time";

interface Job {
  name: string;
  command: string;
  args: string[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time from spawn to exit, output discarded (a terminal or a pipe would cost the same to both sides). */
function timeOnce(job: Job): Promise<number> {
  return new Promise((done, fail) => {
    const t = process.hrtime.bigint();
    const child = spawn(job.command, job.args, { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", fail);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (code === 0) done(ms);
      else fail(new Error(`${job.name} exited with ${code}: ${stderr}`));
    });
  });
}

/** Peak RSS in MB: GNU time when the machine has it, else the child reports its own at exit. */
function peakRssMb(job: Job): number {
  if (existsSync(GNU_TIME)) {
    const r = spawnSync(GNU_TIME, ["-f", "%M", job.command, ...job.args], {
      cwd: REPO,
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    const kib = Number(r.stderr.trim().split("\n").at(-1));
    if (r.status !== 0 || !Number.isFinite(kib)) throw new Error(`${job.name}: ${r.stderr}`);
    return kib / 1024;
  }
  if (job.command !== process.execPath) return Number.NaN;
  const report = `data:text/javascript,process.on("exit",()=>process.stderr.write("\\npeak-rss-kib "+process.resourceUsage().maxRSS+"\\n"))`;
  const r = spawnSync(job.command, ["--import", report, ...job.args], {
    cwd: REPO,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const kib = Number(/peak-rss-kib (\d+)/.exec(r.stderr)?.[1]);
  return kib / 1024;
}

/** Which code the bin runs: the compiled build, or the sources through tsx when the build is missing or stale. */
async function binMode(): Promise<string> {
  const freshness = join(REPO, "apps/cli/bin/build-freshness.mjs");
  if (!existsSync(freshness)) return "TypeScript through tsx (no build step)";
  const { buildIsFresh } = (await import(pathToFileURL(freshness).href)) as {
    buildIsFresh(): boolean;
  };
  return buildIsFresh() ? "compiled build" : "TypeScript through tsx (build missing or stale)";
}

export async function benchWholeProcess(oldPath: string, newPath: string) {
  const jobs = {
    node: { name: "node -e 0", command: process.execPath, args: ["-e", "0"] },
    help: { name: "regwatch --help", command: process.execPath, args: [BIN, "--help"] },
    diff: {
      name: "regwatch diff --json",
      command: process.execPath,
      args: [BIN, "diff", "us.ecfr.ccl", oldPath, newPath, "--json"],
    },
    peer: { name: "python3 peer_diff.py", command: "python3", args: [PEER, oldPath, newPath] },
  } satisfies Record<string, Job>;
  const times: Record<keyof typeof jobs, number[]> = { node: [], help: [], diff: [], peer: [] };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Interleaved so that all see the same machine state.
    for (const key of Object.keys(jobs) as (keyof typeof jobs)[]) {
      const ms = await timeOnce(jobs[key]);
      if (i >= WARMUP) times[key].push(ms);
    }
  }
  const ms = {
    node: median(times.node),
    help: median(times.help),
    diff: median(times.diff),
    peer: median(times.peer),
  };
  const rss = {
    node: peakRssMb(jobs.node),
    help: peakRssMb(jobs.help),
    diff: peakRssMb(jobs.diff),
    peer: peakRssMb(jobs.peer),
  };
  const result = {
    mode: await binMode(),
    runs: RUNS,
    ms,
    peakRssMb: rss,
    helpVsNode: ms.help / ms.node,
    diffVsPeer: ms.diff / ms.peer,
  };
  const row = (label: string, t: number, m: number) =>
    `  ${label.padEnd(26)} ${t.toFixed(0).padStart(6)} ms   peak RSS ${m.toFixed(0).padStart(4)} MB`;
  console.log(
    `\nwhole process (median of ${RUNS} runs after ${WARMUP} warm-up; the bin runs ${result.mode}):`,
  );
  console.log(row("node -e 0", ms.node, rss.node));
  console.log(row("regwatch --help", ms.help, rss.help));
  console.log(row("regwatch diff (full CCL)", ms.diff, rss.diff));
  console.log(row("python3 peer_diff.py", ms.peer, rss.peer));
  console.log(`  regwatch --help vs node -e 0:     ${result.helpVsNode.toFixed(2)}× (target ≤ 2×)`);
  console.log(`  regwatch diff vs the Python peer: ${result.diffVsPeer.toFixed(2)}× (target < 1×)`);
  console.log(`  regwatch diff peak RSS:           ${rss.diff.toFixed(0)} MB (target ≤ 128 MB)`);
  console.log(JSON.stringify({ wholeProcess: result }));
  return result;
}

/** bench.ts's full-size pair, written to files for the child processes. */
export async function benchWholeProcessOn(pair: readonly [Uint8Array, Uint8Array]) {
  const dir = mkdtempSync(join(tmpdir(), "regwatch-bench-"));
  try {
    const [a, b] = [join(dir, "a.xml"), join(dir, "b.xml")];
    writeFileSync(a, pair[0]);
    writeFileSync(b, pair[1]);
    return await benchWholeProcess(a, b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [oldPath, newPath] = process.argv.slice(2);
  if (!oldPath || !newPath) {
    console.error("usage: node --import tsx test/bench/whole-process.ts <old.xml> <new.xml>");
    process.exit(2);
  }
  await benchWholeProcess(resolve(oldPath), resolve(newPath));
}
