import { parseArgs } from "node:util";
import type { QueueName } from "@regwatch/runtime/jobs";
import type { Service } from "@regwatch/runtime/service";
import { SOURCES } from "@regwatch/sources/registry";
import type { CommandEnv, CommandRun } from "../command.ts";
import { serveControl } from "../control.ts";
import { expectPositionals, type Io } from "../io.ts";
import { watchedSources } from "../watched.ts";

// What a shell reports for a process that a signal ended: 128 + the signal's number.
const SIGNAL_EXIT_CODE = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT_CODE;

// A terminal's Ctrl-C reaches every process of the foreground group, and npm
// forwards it to its child once more: a second signal this soon after the
// first is the same request delivered twice, not a person asking again.
const SAME_REQUEST_MS = 1000;

// How often the service looks for the process that started it.
const PARENT_CHECK_MS = 500;

interface StopRequest {
  /** Resolves with what asked the service to stop. */
  requested: Promise<string>;
  /** Stops listening for stop requests (the service did not start). */
  dispose(): void;
}

/**
 * SIGTERM and SIGINT ask the service to stop; a second one, once the first
 * is being handled, ends the process at once.
 *
 * npm runs a script as `sh -c "<script>"` and forwards SIGTERM and SIGINT
 * to that shell only. dash (Debian's and Ubuntu's /bin/sh) does not exec the
 * command: on SIGTERM it dies without passing the signal on and leaves the
 * service running, orphaned; SIGINT it holds until its child exits. The
 * `start` script therefore execs (package.json), so npm's child is this
 * process. For the other ways through npm (`npx regwatch start`,
 * `npm run regwatch -- start`) the service also stops when the process that
 * started it goes away.
 */
function listenForStop(io: Io, startedByNpm: boolean): StopRequest {
  let first: number | undefined;
  let resolveRequest: (why: string) => void = () => {};
  const requested = new Promise<string>((resolve) => {
    resolveRequest = resolve;
  });
  const request = (why: string) => {
    first ??= Date.now();
    resolveRequest(why);
  };
  const onSignal = (signal: StopSignal) => {
    if (first !== undefined && Date.now() - first >= SAME_REQUEST_MS) {
      io.err(`regwatch: ${signal} again, stopping at once\n`);
      process.exit(SIGNAL_EXIT_CODE[signal]);
    }
    request(signal);
  };
  const handlers = (Object.keys(SIGNAL_EXIT_CODE) as StopSignal[]).map(
    (signal) => [signal, () => onSignal(signal)] as const,
  );
  for (const [signal, handler] of handlers) process.on(signal, handler);

  let parentCheck: NodeJS.Timeout | undefined;
  if (startedByNpm) {
    const parent = process.ppid;
    parentCheck = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(parentCheck);
      request(`its parent (pid ${parent}) is gone: the npm script that started it has ended`);
    }, PARENT_CHECK_MS);
    parentCheck.unref();
  }
  void requested.then(() => clearInterval(parentCheck));
  return {
    requested,
    dispose() {
      clearInterval(parentCheck);
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}

export const run: CommandRun = async (args, env) => {
  const { values, positionals } = parseArgs({
    args,
    options: { "no-run": { type: "boolean" }, "no-worker": { type: "boolean" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, []);
  if (values["no-worker"] && !env.config.redisUrl) {
    env.io.err(
      "regwatch: --no-worker leaves the jobs to `regwatch worker` processes, which take them from Redis: set REDIS_URL\n",
    );
    return 1;
  }
  return serve(env, { web: true, worker: !values["no-worker"], runNow: !values["no-run"] });
};

/**
 * `start` (web, schedules, workers), `start --no-worker` (web and schedules)
 * and `worker` (jobs only): one service in different mixes, until a signal.
 */
export async function serve(
  env: CommandEnv,
  mode: { web: boolean; worker: boolean; runNow: boolean; queues?: readonly QueueName[] },
): Promise<number> {
  const { io, config, log } = env;
  // From the start, so that a signal during start-up stops the service as soon as it is up.
  const stop = listenForStop(io, config.startedByNpm);
  let control: Awaited<ReturnType<typeof serveControl>> | null = null;
  let service: Service | undefined;
  try {
    const runtime = await env.runtime();
    const { database } = runtime;
    const { startService, QUEUES } = await import("@regwatch/runtime/service");
    service = await startService({
      runtime,
      sources: SOURCES,
      // The pages users watch, read now and again at every health check.
      watched: () => watchedSources(database.db, config, log),
      log,
      web: mode.web,
      queues: mode.worker ? (mode.queues ?? QUEUES) : [],
      schedule: mode.web,
    });
    if (mode.web && database.kind === "pglite")
      control = await serveControl(config.dataDir, (argv, cwd) => env.forward(argv, cwd));
    const where = service.port !== null ? `listening on http://${config.host}:${service.port}` : "worker";
    const jobs = mode.worker
      ? `jobs: ${(mode.queues ?? QUEUES).join(", ")} via ${service.runner.kind}`
      : "no worker";
    io.err(
      `regwatch ${where} (pid ${process.pid}; ${jobs}; database: ${database.kind} ${database.location}${service.port !== null ? "; health: /health, metrics: /metrics" : ""})\n`,
    );
    // Every source once at start, as before the scheduler: a fresh install shows data at once.
    if (mode.runNow && mode.worker) {
      for (const source of service.sources)
        await service.runner.enqueue("run-source", { sourceId: source.id });
    }
    const why = await stop.requested;
    io.err(`regwatch stopping: ${why}\n`);
    return 0;
  } catch (err) {
    stop.dispose();
    throw err;
  } finally {
    // The database and the browser are the runtime's: `execute` closes them when this returns.
    await service?.stop();
    await control?.close();
  }
}
