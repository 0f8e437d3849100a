import { parseArgs } from "node:util";
import type { RunOutcome } from "@regwatch/pipeline/run-source";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";
import { isoDateArg } from "../io.ts";
import { allSources } from "../watched.ts";
import { sourceIn } from "./source-arg.ts";

export function describeOutcome(o: RunOutcome): string {
  const n = o.records.length;
  const what =
    o.status === "baseline"
      ? `baseline stored${n ? ` (${n} document record${n === 1 ? "" : "s"}, not alerted)` : ""}`
      : o.status === "changed"
        ? `${n} change${n === 1 ? "" : "s"}`
        : o.status === "unchanged"
          ? o.artifacts
            ? "nothing new"
            : "not modified"
          : `${o.status}: ${o.reason}`;
  return safeLine(`${o.sourceId}: ${what}`);
}

export const run: CommandRun = async (args, { io, runtime, config: env, log }) => {
  const { values, positionals } = parseArgs({
    args,
    options: { at: { type: "string" } },
    allowPositionals: true,
  });
  const runAt = isoDateArg(values.at, "--at") ?? new Date();
  const { config, database, deps } = await runtime();
  // The registered sources and the watched pages.
  const all = await allSources(database.db, env, log);
  const sources = positionals.length ? positionals.map((id) => sourceIn(all, id)) : all;
  // The run-source job's own code, without a runner: no schedule, no retries.
  const [{ runSourceOnce }, { createMetrics }] = await Promise.all([
    import("@regwatch/runtime/jobs"),
    import("@regwatch/runtime/metrics"),
  ]);
  const ctx = {
    config,
    database,
    deps,
    sources: all,
    metrics: createMetrics({ collectProcess: false }),
    log: deps.log,
    now: () => runAt,
  };
  let failed = 0;
  let alerts = false;
  for (const source of sources) {
    io.err(`running ${source.id}…\n`);
    const { outcome } = await runSourceOnce(ctx, source);
    if (outcome.status === "failed" || outcome.status === "quarantined") failed++;
    alerts ||= outcome.records.some((r) => r.alert);
    io.out(`${describeOutcome(outcome)}\n`);
  }
  // Subscribers hear of it now, not at the service's next sweep.
  if (alerts) {
    const { deliverNow, describeDelivery } = await import("./deliver.ts");
    const delivery = await deliverNow(await runtime());
    // Said only when there was someone to tell.
    if (delivery && delivery.sent + delivery.deferred + delivery.failed + delivery.skipped > 0)
      io.out(`${describeDelivery(delivery)}\n`);
  }
  return failed ? 1 : 0;
};
