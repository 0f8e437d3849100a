import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { runSource } from "@regwatch/pipeline/run-source";
import { createApp } from "@regwatch/server/app";
import { SOURCES } from "@regwatch/sources/registry";
import type { Command } from "../command.ts";
import { serveControl } from "../control.ts";
import { usage } from "../io.ts";
import { describeOutcome } from "./run.ts";

export const startCommand: Command = {
  name: "start",
  summary: "run the service: health endpoint on PORT, every source once (the scheduler comes later)",
  usage: "regwatch start [--no-run]",
  db: true,
  async run(args, env) {
    const { values, positionals } = parseArgs({
      args,
      options: { "no-run": { type: "boolean" } },
      allowPositionals: true,
    });
    if (positionals.length) usage(this.usage);
    const { io, config, log } = env;
    const { database, deps } = await env.runtime();
    const control =
      database.kind === "pglite"
        ? await serveControl(config.dataDir, (argv, cwd) => env.forward(argv, cwd))
        : null;
    const server = createServer(
      createApp({ database, sourceIds: SOURCES.map((s) => s.id), startedAt: new Date() }),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    io.err(
      `regwatch listening on http://${config.host}:${port} (health: /health; database: ${database.kind} ${database.location})\n`,
    );

    const stopped = new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    let stopping = false;
    if (!values["no-run"]) {
      void (async () => {
        for (const source of SOURCES) {
          if (stopping) break;
          const outcome = await runSource(deps, source, { runAt: new Date() });
          log.info({ sourceId: source.id, status: outcome.status }, describeOutcome(outcome));
        }
      })().catch((err: Error) => log.error({ err }, "source run failed"));
    }
    await stopped;
    stopping = true;
    io.err("regwatch stopping\n");
    // Let the unit of work in progress finish before the database closes.
    await deps.exclusive(async () => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await control?.close();
    return 0;
  },
};
