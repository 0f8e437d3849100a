// Processes a test starts: a private redis-server, and `regwatch` commands
// that run until stopped (ready when their output says so).
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";

const bin = join(import.meta.dirname, "../../apps/cli/bin/regwatch.mjs");

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

export interface PrivateRedis {
  url: string;
  /** Stops the server: SIGTERM saves its append-only file first, SIGKILL does not. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (and data directory, so persisted data comes back). */
  restart(): Promise<void>;
}

/**
 * A redis-server of this test's own; null when the machine has none (then the
 * suite is skipped, unless required). With `dir`, an append-only file there
 * keeps its data across a restart, as a production Redis would.
 */
export async function privateRedis(options: { dir?: string } = {}): Promise<PrivateRedis | null> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", ""];
  args.push(...(options.dir ? ["--appendonly", "yes", "--dir", options.dir] : ["--appendonly", "no"]));
  let child: ChildProcess;
  const up = async (): Promise<boolean> => {
    child = spawn("redis-server", args, { stdio: "ignore" });
    const failed = await new Promise<boolean>((resolve) => {
      child.once("error", () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    if (failed) return false;
    const probe = new Redis(url, { maxRetriesPerRequest: 1 });
    probe.on("error", () => {});
    for (let i = 0; i < 50 && (await probe.ping().catch(() => "")) !== "PONG"; i++)
      await new Promise((r) => setTimeout(r, 100));
    probe.disconnect();
    return true;
  };
  if (!(await up())) {
    if (process.env.REGWATCH_REQUIRE_SERVICES === "1")
      throw new Error("REGWATCH_REQUIRE_SERVICES=1 but redis-server could not be started");
    return null;
  }
  return {
    url,
    async stop(signal = "SIGKILL") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill(signal);
      });
    },
    async restart() {
      if (!(await up())) throw new Error("redis-server did not start again");
    },
  };
}

export interface Running {
  child: ChildProcess;
  output(): string;
  exited(timeoutMs: number): Promise<{ code: number | null; signal: string | null; ms: number }>;
}

export function launch(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<Running & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const running: Running = {
    child,
    output: () => output,
    exited(timeoutMs) {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        if (child.exitCode !== null) return resolve({ code: child.exitCode, signal: null, ms: 0 });
        const timer = setTimeout(
          () => reject(new Error(`still running after ${timeoutMs} ms:\n${output}`)),
          timeoutMs,
        );
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, ms: Date.now() - started });
        });
      });
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(" ")} not ready:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ ...running, match });
      }
    };
    child.stderr!.on("data", onData);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}
