import { parseArgs } from "node:util";
import { UsageError } from "@regwatch/core/errors";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";

/** `regwatch unwatch <id>`: stops running a watched page; what it found stays, as its history. */
export const run: CommandRun = async (args, { io, runtime }) => {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError("<id>: expected one watched page id (page.…)");
  const id = positionals[0]!;
  const { removeWatchedPage } = await import("@regwatch/db/queries/watched-pages");
  if (!(await removeWatchedPage((await runtime()).database.db, id, new Date()))) {
    io.err(`${safeLine(`regwatch: no watched page ${id} (see regwatch sources)`)}\n`);
    return 1;
  }
  io.out(`${safeLine(`${id} unwatched: no longer run; its changes and snapshots are kept`)}\n`);
  return 0;
};
