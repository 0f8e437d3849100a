import { parseArgs } from "node:util";
import { UsageError } from "@regwatch/core/errors";
import { SOURCES } from "@regwatch/sources/registry";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";
import { expectPositionals } from "../io.ts";

/** `regwatch subscribe <email> [filters] [--cadence …]`: a pending subscription and its confirmation message. */
export const run: CommandRun = async (args, { io, config, runtime }) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      technology: { type: "string", multiple: true },
      jurisdiction: { type: "string", multiple: true },
      country: { type: "string", multiple: true },
      entry: { type: "string", multiple: true },
      kind: { type: "string", multiple: true },
      source: { type: "string", multiple: true },
      keyword: { type: "string", multiple: true },
      cadence: { type: "string" },
      weekday: { type: "string" },
      hour: { type: "string" },
      tz: { type: "string" },
      webhook: { type: "string" },
      "webhook-format": { type: "string" },
      "no-email": { type: "boolean" },
      "no-empty-digests": { type: "boolean" },
      json: { type: "boolean" },
    },
    allowPositionals: true,
  });
  expectPositionals(positionals, ["<email>"]);
  const [
    { parseSubscriptionInput, SubscriptionInputError },
    { subscribe },
    { alertDeps },
    { describeSubscription },
    { webhookSecret },
  ] = await Promise.all([
    import("@regwatch/alerts/subscription-input"),
    import("@regwatch/alerts/subscribe"),
    import("@regwatch/runtime/alerts"),
    import("@regwatch/alerts/messages/confirm"),
    import("@regwatch/alerts/webhook/sign"),
  ]);
  let input: ReturnType<typeof parseSubscriptionInput>;
  try {
    input = parseSubscriptionInput(
      {
        email: positionals[0],
        technologies: values.technology ?? [],
        jurisdictions: values.jurisdiction ?? [],
        countries: values.country ?? [],
        entries: values.entry ?? [],
        kinds: values.kind ?? [],
        sources: values.source ?? [],
        keywords: values.keyword ?? [],
        ...(values.cadence !== undefined ? { cadence: values.cadence } : {}),
        ...(values.weekday !== undefined ? { weekday: values.weekday } : {}),
        ...(values.hour !== undefined ? { hour: values.hour } : {}),
        ...(values.tz !== undefined ? { timeZone: values.tz } : {}),
        ...(values.webhook !== undefined ? { webhookUrl: values.webhook } : {}),
        ...(values["webhook-format"] !== undefined ? { webhookFormat: values["webhook-format"] } : {}),
        ...(values["no-email"] ? { emailAlerts: false } : {}),
        ...(values["no-empty-digests"] ? { sendEmptyDigests: false } : {}),
      },
      { sourceIds: SOURCES.map((s) => s.id), allowPrivateWebhooks: config.allowPrivateWebhooks },
    );
  } catch (err) {
    if (err instanceof SubscriptionInputError)
      throw new UsageError(`${optionFor(err.field)}: ${err.message}`);
    throw err;
  }
  const deps = alertDeps(await runtime());
  try {
    // A refusal (too many confirmations to the address) is an error with its reason: exit 1.
    const result = await subscribe(deps, input);
    // The receiver checks X-Regwatch-Signature with it; derived from SECRET_KEY, so shown again on the manage page.
    const secret = input.webhookUrl ? webhookSecret(deps.secret, result.subscription.id) : null;
    if (values.json) {
      io.out(
        `${JSON.stringify({ subscription: result.subscription, confirmationSent: result.sent, error: result.error, webhookSecret: secret }, null, 2)}\n`,
      );
    } else {
      io.out(
        `${safeLine(`subscription ${result.subscription.id} for ${input.email}: pending confirmation`)}\n`,
      );
      for (const line of describeSubscription(result.subscription)) io.out(`  ${safeLine(line)}\n`);
      if (secret) io.out(`  webhook signing secret (X-Regwatch-Signature): ${secret}\n`);
      io.out(
        result.sent
          ? `confirmation sent (${deps.mailer.kind === "file" ? "written to the outbox directory: SMTP_URL is not set" : "by SMTP"})\n`
          : `${safeLine(`confirmation not sent yet: ${result.error}`)}\n`,
      );
    }
    return result.sent ? 0 : 1;
  } finally {
    await deps.mailer.close();
  }
};

/** The command-line option for a field of the subscription input. */
function optionFor(field: string): string {
  const options: Record<string, string> = {
    email: "<email>",
    technologies: "--technology",
    jurisdictions: "--jurisdiction",
    countries: "--country",
    entries: "--entry",
    kinds: "--kind",
    sources: "--source",
    keywords: "--keyword",
    cadence: "--cadence",
    weekday: "--weekday",
    hour: "--hour",
    timeZone: "--tz",
    webhookUrl: "--webhook",
    webhookFormat: "--webhook-format",
    emailAlerts: "--no-email",
    sendEmptyDigests: "--no-empty-digests",
  };
  return options[field] ?? field;
}
