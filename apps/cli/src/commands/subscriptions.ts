import { parseArgs } from "node:util";
import { listSubscriptions } from "@regwatch/db/queries/subscriptions";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";
import { expectPositionals } from "../io.ts";

/** `regwatch subscriptions [--email <address>] [--all] [--json]`: who is told what. */
export const run: CommandRun = async (args, { io, runtime }) => {
  const { values, positionals } = parseArgs({
    args,
    options: { email: { type: "string" }, all: { type: "boolean" }, json: { type: "boolean" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, []);
  const { describeSubscription } = await import("@regwatch/alerts/messages/confirm");
  const rows = await listSubscriptions((await runtime()).database.db, {
    email: values.email?.trim(),
    includeUnsubscribed: values.all ?? false,
  });
  if (values.json) {
    io.out(`${JSON.stringify({ subscriptions: rows }, null, 2)}\n`);
    return 0;
  }
  if (!rows.length) io.out("no subscriptions\n");
  for (const row of rows) {
    io.out(`${safeLine(`${row.id}  ${row.email}  ${row.status}  ${row.cadence}`)}\n`);
    for (const line of describeSubscription(row)) io.out(`  ${safeLine(line)}\n`);
  }
  return 0;
};
