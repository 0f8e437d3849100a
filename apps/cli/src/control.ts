import { createHash } from "node:crypto";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// While `regwatch start` owns the embedded database, other regwatch processes
// on the host hand it their command over a local socket instead of opening
// the files themselves (docs/decisions/0002-one-process-owns-pglite.md).

export interface ControlInfo {
  pid: number;
  socket: string;
}

export interface ForwardedResult {
  code: number;
  stdout: string;
  stderr: string;
}

const controlFile = (dataDir: string) => join(dataDir, "control.json");

/** Unix socket paths are limited to about 100 bytes, so the socket lives in the temp dir, named for the data dir. */
export function controlSocketPath(dataDir: string): string {
  const id = createHash("sha256").update(dataDir).digest("hex").slice(0, 16);
  return join(tmpdir(), `regwatch-${id}.sock`);
}

// A local socket answers at once: far longer means a starved machine, not an answer.
const PROBE_WAIT_MS = 5000;

/** Whether something listens on the socket: a refused or missing socket means its owner is gone. */
function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socket);
    const done = (answers: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(answers);
    };
    // Could not tell: taken as running, so the command is handed over and says what went wrong.
    const timer = setTimeout(() => done(true), PROBE_WAIT_MS);
    probe.once("connect", () => done(true));
    probe.once("error", (err: NodeJS.ErrnoException) =>
      done(err.code !== "ECONNREFUSED" && err.code !== "ENOENT"),
    );
  });
}

/**
 * The running `regwatch start` to hand commands to, or null. It runs when its
 * control socket answers; a pid proves nothing (a container restarted after a
 * crash is pid 1 again, and so was the crashed one).
 */
export async function readControlInfo(dataDir: string): Promise<ControlInfo | null> {
  const path = controlFile(dataDir);
  let written: bigint;
  let info: ControlInfo;
  try {
    written = statSync(path, { bigint: true }).mtimeNs;
    info = JSON.parse(readFileSync(path, "utf8")) as ControlInfo;
  } catch {
    return null; // Absent, or being written this instant: open the database, which is locked if it runs.
  }
  if (typeof info.socket === "string" && (await socketAnswers(info.socket))) return info;
  // Left by a `regwatch start` that died without closing (kill -9, a crash, a container restart).
  // Removed only if not rewritten since (its content may well be the same: pid 1, the same socket),
  // so a `start` that has just begun keeps its file.
  try {
    if (statSync(path, { bigint: true }).mtimeNs === written) rmSync(path, { force: true });
  } catch {
    // Gone already.
  }
  return null;
}

export async function serveControl(
  dataDir: string,
  run: (argv: string[], cwd: string) => Promise<ForwardedResult>,
): Promise<{ server: Server; close: () => Promise<void> }> {
  const socket = controlSocketPath(dataDir);
  rmSync(socket, { force: true });
  const server = createServer((req, res) => {
    if (req.method !== "POST" || req.url !== "/run") {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      try {
        const { argv, cwd } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          argv: string[];
          cwd: string;
        };
        const result = await run(argv, cwd);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
      } catch (err) {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ code: 1, stdout: "", stderr: `regwatch: ${(err as Error).message}\n` }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socket, () => resolve());
  });
  writeFileSync(controlFile(dataDir), JSON.stringify({ pid: process.pid, socket } satisfies ControlInfo));
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        rmSync(controlFile(dataDir), { force: true });
        server.close(() => {
          rmSync(socket, { force: true });
          resolve();
        });
      }),
  };
}

export function forwardCommand(info: ControlInfo, argv: string[], cwd: string): Promise<ForwardedResult> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: info.socket, path: "/run", method: "POST" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as ForwardedResult);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on("error", reject);
    req.end(JSON.stringify({ argv, cwd }));
  });
}
