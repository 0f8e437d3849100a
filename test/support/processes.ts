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

/** A redis-server of this test's own; null when the machine has none (then the suite is skipped, unless required). */
export async function privateRedis(): Promise<{ url: string; stop(): void } | null> {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  const failed = await new Promise<boolean>((resolve) => {
    child.once("error", () => resolve(true));
    setTimeout(() => resolve(false), 300);
  });
  if (failed) {
    if (process.env.REGWATCH_REQUIRE_SERVICES === "1")
      throw new Error("REGWATCH_REQUIRE_SERVICES=1 but redis-server could not be started");
    return null;
  }
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { maxRetriesPerRequest: 1 });
  for (let i = 0; i < 50 && (await probe.ping().catch(() => "")) !== "PONG"; i++)
    await new Promise((r) => setTimeout(r, 100));
  probe.disconnect();
  return { url, stop: () => child.kill("SIGKILL") };
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
