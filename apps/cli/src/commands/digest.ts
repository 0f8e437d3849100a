import { parseArgs } from "node:util";
import { UsageError } from "@regwatch/core/errors";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";
import { expectPositionals } from "../io.ts";

/**
 * `regwatch digest --cadence daily|weekly [--now <instant>] [--json]`: decides
 * which digests are due at that moment and sends them, as the service's
 * sweep does. Running it twice for the same moment sends nothing the second
 * time: for tests, and for cron on a host that runs no service.
 */
export const run: CommandRun = async (args, { io, runtime }) => {
  const { values, positionals } = parseArgs({
    args,
    options: { cadence: { type: "string" }, now: { type: "string" }, json: { type: "boolean" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, []);
  const cadences = values.cadence === undefined ? ["daily", "weekly"] : [values.cadence];
  for (const c of cadences) {
    if (c !== "daily" && c !== "weekly")
      throw new UsageError(`--cadence: expected daily or weekly, not "${safeLine(c)}"`);
  }
  const at = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(at.getTime())) {
    throw new UsageError(
      `--now: expected a date or an instant (2026-11-23T08:00:00Z), not "${safeLine(values.now!)}"`,
    );
  }
  const [{ planDigests }, { deliverPending }, { alertDeps }] = await Promise.all([
    import("@regwatch/alerts/digests"),
    import("@regwatch/alerts/deliver"),
    import("@regwatch/runtime/alerts"),
  ]);
  const deps = alertDeps(await runtime());
  try {
    const plans: Record<string, Awaited<ReturnType<typeof planDigests>>> = {};
    for (const c of cadences) plans[c] = await planDigests(deps, c as "daily" | "weekly", at);
    const report = await deliverPending(deps, { kinds: ["digest"] });
    if (values.json) {
      io.out(`${JSON.stringify({ at: at.toISOString(), plans, delivery: report }, null, 2)}\n`);
    } else {
      for (const [c, p] of Object.entries(plans)) {
        io.out(
          `${c}: ${p.subscriptions} subscriptions, ${p.due} digests due at ${at.toISOString()}, ${p.written} new (${p.due - Math.min(p.due, p.written)} already decided)\n`,
        );
      }
      io.out(
        `sent ${report.sent}, deferred ${report.deferred}, failed ${report.failed}, skipped ${report.skipped}${deps.mailer.kind === "file" ? " (written to the outbox directory: SMTP_URL is not set)" : ""}\n`,
      );
    }
    return report.failed || report.deferred ? 1 : 0;
  } finally {
    await deps.mailer.close();
  }
};
