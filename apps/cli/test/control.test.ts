import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { controlSocketPath, readControlInfo, serveControl } from "../src/control.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "regwatch-control-"));
  dirs.push(dir);
  return dir;
}

describe("finding a running regwatch start", () => {
  it("is not fooled by a control.json whose pid is alive but whose socket nobody serves", async () => {
    const dir = dataDir();
    // As a crashed `start` leaves it when the pid comes round again (pid 1 in a restarted container).
    writeFileSync(
      join(dir, "control.json"),
      JSON.stringify({ pid: process.pid, socket: join(dir, "never-served.sock") }),
    );
    expect(await readControlInfo(dir)).toBeNull();
    expect(existsSync(join(dir, "control.json"))).toBe(false);
  });

  it("is not fooled by a socket file its killed owner left behind", async () => {
    const dir = dataDir();
    const socket = join(dir, "left.sock");
    const script = `require("node:net").createServer().listen(process.argv[1], () => process.kill(process.pid, "SIGKILL"))`;
    expect(spawnSync(process.execPath, ["-e", script, socket]).signal).toBe("SIGKILL");
    expect(existsSync(socket)).toBe(true);
    writeFileSync(join(dir, "control.json"), JSON.stringify({ pid: 1, socket }));
    expect(await readControlInfo(dir)).toBeNull();
  });

  it("finds a start that serves its control socket", async () => {
    const dir = dataDir();
    const control = await serveControl(dir, async () => ({ code: 0, stdout: "", stderr: "" }));
    try {
      expect(await readControlInfo(dir)).toEqual({ pid: process.pid, socket: controlSocketPath(dir) });
    } finally {
      await control.close();
    }
    expect(await readControlInfo(dir)).toBeNull();
  });
});
