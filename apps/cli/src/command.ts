import type { Config } from "@regwatch/config";
import type { Logger } from "@regwatch/core/http";
import type { Runtime } from "@regwatch/runtime/runtime";
import type { ForwardedResult } from "./control.ts";
import type { Io } from "./io.ts";

export interface CommandEnv {
  io: Io;
  config: Config;
  log: Logger;
  /** Opens (once) or hands over the database-backed runtime. */
  runtime(): Promise<Runtime>;
  /** Runs a command line in this process on this runtime, output captured: how `start` serves other processes. */
  forward(argv: string[], cwd: string): Promise<ForwardedResult>;
}

/** What a command does: the `run` its module in `commands/` exports. */
export type CommandRun = (args: string[], env: CommandEnv) => Promise<number>;

export interface Command {
  name: string;
  /** One line for `regwatch --help`. */
  summary: string;
  usage: string;
  /** Needs the database: forwarded to a running `regwatch start` when that owns the embedded one. */
  db: boolean;
  /** Needs the database for these arguments only (`parse` and `diff` of a watched page). */
  dbFor?(args: readonly string[]): boolean;
  /**
   * The command's module, imported only when the command runs: `--help`,
   * `parse` and `diff` never load the database stack, `changes` never loads
   * the server.
   */
  load(): Promise<{ run: CommandRun }>;
}
