import { parseArgs } from "node:util";
import type { CommandRun } from "../command.ts";
import { expectPositionals } from "../io.ts";

export const run: CommandRun = async (args, { io, runtime }) => {
  expectPositionals(parseArgs({ args, options: {}, allowPositionals: true }).positionals, []);
  // Opening the runtime runs the migrations.
  const { database } = await runtime();
  io.out(`database up to date (${database.kind}: ${database.location})\n`);
  return 0;
};
