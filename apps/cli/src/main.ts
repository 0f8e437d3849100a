import { loadConfig } from "@regwatch/config";
import { describeDatabaseError } from "@regwatch/db/database-errors";
import { DatabaseBusyError, redactUrl } from "@regwatch/db/open-database";
import type { Command, CommandEnv } from "./command.ts";
import { backfillCommand } from "./commands/backfill.ts";
import { changesCommand } from "./commands/changes.ts";
import { diffCommand } from "./commands/diff.ts";
import { ingestCommand } from "./commands/ingest.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { parseCommand } from "./commands/parse.ts";
import { runCommand } from "./commands/run.ts";
import { sourcesCommand } from "./commands/sources.ts";
import { startCommand } from "./commands/start.ts";
import { type ForwardedResult, forwardCommand, readControlInfo } from "./control.ts";
import { asUsageError, type Io, processIo } from "./io.ts";
import { createLogger, createRuntime, openConfiguredDatabase, type Runtime } from "./runtime.ts";

export const COMMANDS: readonly Command[] = [
  startCommand,
  migrateCommand,
  sourcesCommand,
  parseCommand,
  diffCommand,
  ingestCommand,
  runCommand,
  changesCommand,
  backfillCommand,
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
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    io.err(`regwatch: ${reason(err)}\n`);
    return 1;
  }
  const log = createLogger(io, config.logLevel ?? (command.name === "start" ? "info" : "warn"));

  // While `regwatch start` owns the embedded database, hand it the command.
  if (!shared && command.db && command.name !== "start" && !config.databaseUrl) {
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
        const database = await openConfiguredDatabase(config);
        owned = createRuntime(config, database, log);
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
      if (forwardedName === "start") return { code: 1, stdout, stderr: "regwatch: already running\n" };
      const code = await execute(forwardedArgv, captured, runtime);
      return { code, stdout, stderr };
    },
  };
  try {
    return await command.run(args, env);
  } catch (err) {
    const usageError = asUsageError(err);
    if (usageError) {
      io.err(`regwatch: ${usageError.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    if (err instanceof DatabaseBusyError) {
      io.err(`regwatch: ${err.message}; stop it or set DATABASE_URL to share a Postgres server\n`);
      return 1;
    }
    // A full disk or a damaged database surfaces as a driver's "Failed query…": say which, and where.
    const location = config.databaseUrl ? redactUrl(config.databaseUrl) : config.dataDir;
    io.err(`regwatch: ${describeDatabaseError(err, location) ?? reason(err)}\n`);
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
