import type { Server } from "node:http";
import { parseArgs } from "node:util";
import type { Logger } from "@regwatch/core/http";
import { runSource } from "@regwatch/pipeline/run-source";
import { createAppServer } from "@regwatch/server/app";
import { SOURCES } from "@regwatch/sources/registry";
import type { CommandRun } from "../command.ts";
import { serveControl } from "../control.ts";
import { expectPositionals, type Io } from "../io.ts";
import type { Runtime } from "../runtime.ts";
import { describeOutcome } from "./run.ts";

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

/** Why `listen` failed, in the words the operator needs. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code === "EADDRINUSE") return new Error(`port ${port} on ${host} is already in use`);
  if (err.code === "EACCES") return new Error(`not allowed to listen on port ${port} on ${host}`);
  if (err.code === "EADDRNOTAVAIL") return new Error(`cannot listen on ${host}: not an address of this host`);
  return err;
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(listenError(err, host, port));
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === "object" && address ? address.port : port;
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive connections go at once; a request being answered gets a moment to finish.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}

async function runEverySource(runtime: Runtime, log: Logger, stopping: () => boolean): Promise<void> {
  for (const source of SOURCES) {
    if (stopping()) break;
    const outcome = await runSource(runtime.deps, source, { runAt: new Date() });
    log.info({ sourceId: source.id, status: outcome.status }, describeOutcome(outcome));
  }
}

export const run: CommandRun = async (args, env) => {
  const { values, positionals } = parseArgs({
    args,
    options: { "no-run": { type: "boolean" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, []);
  const { io, config, log } = env;
  // From the start, so that a signal during start-up stops the service as soon as it is up.
  const stop = listenForStop(io, config.startedByNpm);
  let server: Server | undefined;
  let control: Awaited<ReturnType<typeof serveControl>> | null = null;
  try {
    const runtime = await env.runtime();
    const { database, deps } = runtime;
    server = createAppServer({ database, sourceIds: SOURCES.map((s) => s.id), startedAt: new Date(), log });
    const port = await listen(server, config.host, config.port);
    if (database.kind === "pglite")
      control = await serveControl(config.dataDir, (argv, cwd) => env.forward(argv, cwd));
    io.err(
      `regwatch listening on http://${config.host}:${port} (pid ${process.pid}; health: /health; database: ${database.kind} ${database.location})\n`,
    );

    let stopping = false;
    const runs = values["no-run"]
      ? Promise.resolve()
      : runEverySource(runtime, log, () => stopping).catch((err: Error) =>
          log.error({ err }, "source run failed"),
        );
    const why = await stop.requested;
    stopping = true;
    io.err(`regwatch stopping: ${why}\n`);
    // Fetches in flight end now; the unit of work in progress then finishes before the database closes.
    runtime.stop();
    await runs;
    await deps.exclusive(async () => {});
    return 0;
  } catch (err) {
    stop.dispose();
    throw err;
  } finally {
    // The database and the browser are the runtime's: `execute` closes them when this returns.
    if (server) await closeServer(server);
    await control?.close();
  }
};
