import { parseArgs } from "node:util";
import type { Command } from "../command.ts";
import { expectPositionals } from "../io.ts";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "create or upgrade the database schema",
  usage: "regwatch migrate",
  db: true,
  async run(args, { io, runtime }) {
    expectPositionals(parseArgs({ args, options: {}, allowPositionals: true }).positionals, []);
    // Opening the runtime runs the migrations.
    const { database } = await runtime();
    io.out(`database up to date (${database.kind}: ${database.location})\n`);
    return 0;
  },
};
