import type { Config } from "@regwatch/config";
import { createLogger } from "@regwatch/runtime/logger";
import type { Runtime } from "@regwatch/runtime/runtime";
import type { Command, CommandEnv } from "./command.ts";
import { type ForwardedResult, forwardCommand, readControlInfo } from "./control.ts";
import { asUsageError, type Io, processIo } from "./io.ts";

// Commands that run until stopped: they log at info and are never handed to a running service.
const SERVICES = new Set(["start", "worker"]);

// Only the table is loaded up front: a command's module, and with it the
// database, the pipeline or the server, is imported when that command runs.
/** Whether the command line names a watched page (`page.…`) as its source. */
const namesWatchedPage = (args: readonly string[]) =>
  args.find((a) => !a.startsWith("-"))?.startsWith("page.") ?? false;

export const COMMANDS: readonly Command[] = [
  {
    name: "start",
    summary: "run the service: HTTP on PORT (health, metrics, source health), every source on its schedule",
    usage: "regwatch start [--no-run] [--no-worker]",
    db: true,
    load: () => import("./commands/start.ts"),
  },
  {
    name: "worker",
    summary: "take jobs from Redis (REDIS_URL) until stopped: more workers on more hosts",
    usage: "regwatch worker [--queues sources,maintenance,alerts]",
    db: true,
    load: () => import("./commands/worker.ts"),
  },
  {
    name: "migrate",
    summary: "create or upgrade the database schema",
    usage: "regwatch migrate",
    db: true,
    load: () => import("./commands/migrate.ts"),
  },
  {
    name: "sources",
    summary: "list the sources and their health",
    usage: "regwatch sources [--json]",
    db: true,
    load: () => import("./commands/sources.ts"),
  },
  {
    name: "parse",
    summary: "parse a local file as a source's document and print the snapshot",
    usage: "regwatch parse <source> <file> [--json]",
    db: false,
    // A watched page's settings are in the database.
    dbFor: namesWatchedPage,
    load: () => import("./commands/parse.ts"),
  },
  {
    name: "diff",
    summary: "diff two local versions of a source's document into change records",
    usage: "regwatch diff <source> <old> <new> [--json] [--at <iso-date>]",
    db: false,
    // A watched page's settings are in the database.
    dbFor: namesWatchedPage,
    load: () => import("./commands/diff.ts"),
  },
  {
    name: "ingest",
    summary: "run the whole pipeline on a local file as the source's newest document",
    usage: "regwatch ingest <source> <file> [--at <iso-date>] [--as-of <version-date>] [--force]",
    db: true,
    load: () => import("./commands/ingest.ts"),
  },
  {
    name: "run",
    summary: "fetch sources now (all when none named) and store what changed",
    usage: "regwatch run [<source>...] [--at <iso-date>]",
    db: true,
    load: () => import("./commands/run.ts"),
  },
  {
    name: "changes",
    summary: "list stored change records",
    usage:
      "regwatch changes [--since <date>] [--jurisdiction <code>] [--technology <id>] [--country <code>] [--source <id>] [--alerts] [--json|--csv]",
    db: true,
    load: () => import("./commands/changes.ts"),
  },
  {
    name: "subscribe",
    summary: "subscribe an address to changes (a confirmation message is sent first)",
    usage:
      "regwatch subscribe <email> [--technology ...] [--jurisdiction ...] [--country ...] [--entry ...] [--kind ...] [--source ...] [--keyword ...] [--cadence immediate|daily|weekly] [--weekday mon] [--hour 8] [--tz Europe/Paris] [--webhook <url> [--webhook-format json|slack|teams]] [--no-email] [--no-empty-digests] [--json]",
    db: true,
    load: () => import("./commands/subscribe.ts"),
  },
  {
    name: "subscriptions",
    summary: "list subscriptions and what each receives",
    usage: "regwatch subscriptions [--email <address>] [--all] [--json]",
    db: true,
    load: () => import("./commands/subscriptions.ts"),
  },
  {
    name: "unsubscribe",
    summary: "stop a subscription, or every subscription of an address",
    usage: "regwatch unsubscribe <email|id>",
    db: true,
    load: () => import("./commands/unsubscribe.ts"),
  },
  {
    name: "deliver",
    summary:
      "send the alerts and operator messages waiting in the outbox now (the service does it every minute)",
    usage: "regwatch deliver [--json]",
    db: true,
    load: () => import("./commands/deliver.ts"),
  },
  {
    name: "digest",
    summary: "send the daily or weekly digests due at a moment (each once, however often it runs)",
    usage: "regwatch digest [--cadence daily|weekly] [--now <instant>] [--json]",
    db: true,
    load: () => import("./commands/digest.ts"),
  },
  {
    name: "users",
    summary: "accounts that sign in to the dashboard (by emailed link): add the first admin, list, disable",
    usage:
      "regwatch users [--json] | regwatch users add [--admin|--reviewer|--viewer] <email> | regwatch users disable <email>",
    db: true,
    load: () => import("./commands/users.ts"),
  },
  {
    name: "tokens",
    summary:
      "API tokens for programs (Authorization: Bearer): make one for a user (shown once), list, revoke",
    usage:
      "regwatch tokens [--json] | regwatch tokens add <email> [--name NAME] [--json] | regwatch tokens revoke <id>",
    db: true,
    load: () => import("./commands/tokens.ts"),
  },
  {
    name: "watch",
    summary:
      "watch a page with no feed: its blocks diffed like a list, its linked documents kept; run on its schedule like any source",
    usage:
      "regwatch watch <url> --jurisdiction XX [--selector CSS] [--browser] [--technology ID]... [--schedule CRON] [--id page.SLUG] [--title T] [--json]",
    db: true,
    load: () => import("./commands/watch.ts"),
  },
  {
    name: "unwatch",
    summary: "stop running a watched page (its history stays)",
    usage: "regwatch unwatch <id>",
    db: true,
    load: () => import("./commands/unwatch.ts"),
  },
  {
    name: "backfill",
    summary: "build history from the source's official versions since a date, alerting nobody",
    usage: "regwatch backfill <source> --since <date> [--at <iso-date>]",
    db: true,
    load: () => import("./commands/backfill.ts"),
  },
];

function help(): string {
  const lines = COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`);
  return `regwatch: export-control change tracking\n\nusage:\n${lines.join("\n")}\n`;
}

/** One line, no stack: what the user needs to act on. */
function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]!;
}

/**
 * Runs one command line. `shared` is a runtime owned by the caller (the
 * running server); otherwise the command opens and closes its own.
 */
export async function execute(argv: string[], io: Io, shared?: Runtime): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    io.out(help());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`regwatch: ${name ? `unknown command ${JSON.stringify(name)}` : "missing <command>"}\n${help()}`);
    return 2;
  }
  const options = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (options.includes("--help") || options.includes("-h")) {
    io.out(`usage: ${command.usage}\n  ${command.summary}\n`);
    return 0;
  }
  let config: Config;
  try {
    const { loadConfig } = await import("@regwatch/config");
    config = loadConfig(io.env);
  } catch (err) {
    io.err(`regwatch: ${reason(err)}\n`);
    return 1;
  }
  const log = createLogger(
    (line) => io.err(line),
    config.logLevel ?? (SERVICES.has(command.name) ? "info" : "warn"),
  );

  // While `regwatch start` owns the embedded database, hand it the command.
  const usesDatabase = command.db || (command.dbFor?.(args) ?? false);
  if (!shared && usesDatabase && !SERVICES.has(command.name) && !config.databaseUrl) {
    const control = await readControlInfo(config.dataDir);
    if (control) {
      try {
        const result = await forwardCommand(control, argv, io.cwd);
        io.out(result.stdout);
        io.err(result.stderr);
        return result.code;
      } catch (err) {
        io.err(`regwatch: the running regwatch (pid ${control.pid}) did not answer: ${reason(err)}\n`);
        return 1;
      }
    }
  }

  let owned: Runtime | undefined;
  const env: CommandEnv = {
    io,
    config,
    log,
    async runtime() {
      if (shared) return shared;
      if (!owned) {
        const { createRuntime, openConfiguredDatabase } = await import("@regwatch/runtime/runtime");
        const database = await openConfiguredDatabase(config, log);
        owned = await createRuntime(config, database, log);
      }
      return owned;
    },
    async forward(forwardedArgv: string[], cwd: string): Promise<ForwardedResult> {
      let stdout = "";
      let stderr = "";
      const captured: Io = {
        out: (t) => {
          stdout += t;
        },
        err: (t) => {
          stderr += t;
        },
        cwd,
        env: io.env,
      };
      const runtime = await env.runtime();
      const [forwardedName] = forwardedArgv;
      if (SERVICES.has(forwardedName ?? ""))
        return {
          code: 1,
          stdout,
          stderr: `regwatch: already running; ${forwardedName} is a service of its own\n`,
        };
      const code = await execute(forwardedArgv, captured, runtime);
      return { code, stdout, stderr };
    },
  };
  try {
    // `start` serves every command for as long as it runs: all loaded now, so that a rebuild under it
    // (npm install while the service runs) cannot take away a module it has yet to import.
    if (command.name === "start" && !shared) await Promise.all(COMMANDS.map((c) => c.load()));
    const { run } = await command.load();
    return await run(args, env);
  } catch (err) {
    const usageError = asUsageError(err);
    if (usageError) {
      io.err(`regwatch: ${usageError.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    // The database module only for a command that opened it (and so has loaded it already).
    const db = usesDatabase ? await import("@regwatch/db/open-database") : null;
    if (db && err instanceof db.DatabaseBusyError) {
      io.err(`regwatch: ${err.message}; stop it or set DATABASE_URL to share a Postgres server\n`);
      return 1;
    }
    // A full disk or a damaged database surfaces as a driver's "Failed query…": say which, and where.
    // A command without the database has no server to blame; a full disk under the data directory it may.
    const { describeDatabaseError } = await import("@regwatch/db/database-errors");
    const location = config.databaseUrl ? (db?.redactUrl(config.databaseUrl) ?? null) : config.dataDir;
    io.err(`regwatch: ${(location && describeDatabaseError(err, location)) ?? reason(err)}\n`);
    if (config.debug) io.err(`${(err as Error).stack}\n`);
    return 1;
  } finally {
    if (owned) await owned.close();
  }
}

/** The `regwatch` executable: process arguments in, exit code out. */
export async function main(): Promise<void> {
  process.exitCode = await execute(process.argv.slice(2), processIo());
}
