import { parseArgs } from "node:util";
import type { Runtime } from "@regwatch/runtime/runtime";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";
import { expectPositionals } from "../io.ts";

export interface DeliverySummary {
  sent: number;
  failed: number;
  deferred: number;
  skipped: number;
  operator: number;
  via: "smtp" | "file";
}

/**
 * Sends what the outbox holds now (alerts and operator messages; digests have
 * their own command), as the service's minute sweep does. Safe beside a
 * running service: rows are leased to one sender. Null when subscriptions
 * are off (no key to sign links with).
 */
export async function deliverNow(runtime: Runtime): Promise<DeliverySummary | null> {
  const [{ deliverPending }, { planOperatorAlerts }, { alertDeps }] = await Promise.all([
    import("@regwatch/alerts/deliver"),
    import("@regwatch/alerts/operator"),
    import("@regwatch/runtime/alerts"),
  ]);
  let deps: ReturnType<typeof alertDeps>;
  try {
    deps = alertDeps(runtime);
  } catch {
    return null;
  }
  try {
    const operator = await planOperatorAlerts(deps, deps.now());
    const report = await deliverPending(deps, { kinds: ["immediate", "operator"] });
    return { ...report, operator, via: deps.mailer.kind };
  } finally {
    await deps.mailer.close();
  }
}

export function describeDelivery(d: DeliverySummary): string {
  const where = d.via === "file" ? " (written to the outbox directory: SMTP_URL is not set)" : "";
  return `alerts: ${d.sent} sent, ${d.deferred} deferred, ${d.failed} failed, ${d.skipped} skipped${where}`;
}

/** `regwatch deliver [--json]`: send the alerts the outbox holds now. */
export const run: CommandRun = async (args, { io, runtime }) => {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: "boolean" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, []);
  const summary = await deliverNow(await runtime());
  if (!summary) {
    io.err("regwatch: subscriptions are off: set SECRET_KEY (at least 32 characters)\n");
    return 1;
  }
  io.out(values.json ? `${JSON.stringify(summary, null, 2)}\n` : `${safeLine(describeDelivery(summary))}\n`);
  return summary.failed || summary.deferred ? 1 : 0;
};
