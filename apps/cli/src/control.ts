import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
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

export function readControlInfo(dataDir: string): ControlInfo | null {
  const path = controlFile(dataDir);
  if (!existsSync(path)) return null;
  try {
    const info = JSON.parse(readFileSync(path, "utf8")) as ControlInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return null; // Unreadable, or its process is gone: not running.
  }
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
