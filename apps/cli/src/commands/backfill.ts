import { parseArgs } from "node:util";
import { backfillSource } from "@regwatch/pipeline/run-source";
import type { CommandRun } from "../command.ts";
import { expectPositionals, isoDateArg, usage } from "../io.ts";
import { describeOutcome } from "./run.ts";
import { sourceArg } from "./source-arg.ts";

export const run: CommandRun = async (args, { io, runtime }) => {
  const { values, positionals } = parseArgs({
    args,
    options: { since: { type: "string" }, at: { type: "string" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, ["<source>"]);
  if (values.since === undefined) usage("missing --since <date>");
  const source = sourceArg(positionals[0]!);
  const since = isoDateArg(values.since, "--since")!.toISOString().slice(0, 10);
  const runAt = isoDateArg(values.at, "--at") ?? new Date();
  if (!source.backfill) {
    io.err(`regwatch: ${source.id} publishes no point-in-time history that regwatch can read\n`);
    return 1;
  }
  const { deps } = await runtime();
  const outcome = await backfillSource(deps, source, {
    since,
    runAt,
    onProgress: (p) =>
      io.err(
        `[${p.index}/${p.total}] ${p.outcome.status}${p.outcome.records.length ? `, ${p.outcome.records.length} records` : ""}\n`,
      ),
  });
  io.out(`${describeOutcome(outcome)}\n`);
  return outcome.status === "failed" ? 1 : 0;
};
