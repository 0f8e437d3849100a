import { parseArgs } from "node:util";
import { unsubscribe } from "@regwatch/db/queries/subscriptions";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";
import { expectPositionals } from "../io.ts";

/** `regwatch unsubscribe <email|subscription id>`: stops one subscription, or every one of an address. */
export const run: CommandRun = async (args, { io, runtime }) => {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  expectPositionals(positionals, ["<email|id>"]);
  const target = positionals[0]!.trim();
  const stopped = await unsubscribe(
    (await runtime()).database.db,
    target.includes("@") ? { email: target.toLowerCase() } : { id: target },
    new Date(),
  );
  if (!stopped.length) {
    io.err(`${safeLine(`regwatch: no active subscription for ${target}`)}\n`);
    return 1;
  }
  for (const row of stopped) io.out(`${safeLine(`unsubscribed ${row.id} (${row.email})`)}\n`);
  return 0;
};
