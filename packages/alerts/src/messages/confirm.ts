import type { StoredFilters } from "@regwatch/db/schema";
import { escapeHtml } from "../escape.ts";
import type { Links } from "../links.ts";

const LABELS: [keyof StoredFilters, string][] = [
  ["technologies", "Technologies"],
  ["jurisdictions", "Issuing jurisdictions"],
  ["countries", "Affected countries"],
  ["entries", "Control entries"],
  ["kinds", "Kinds of change"],
  ["sources", "Sources"],
  ["keywords", "Keywords"],
];

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export interface SubscriptionSummary {
  email: string;
  filters: StoredFilters;
  cadence: string;
  weekday: number | null;
  hour: number;
  timeZone: string;
  emailAlerts?: boolean;
  sendEmptyDigests?: boolean;
  webhookUrl?: string | null;
  webhookFormat?: string | null;
}

/** What a subscription asks for, line by line: in the confirmation, the CLI and the manage page. */
export function describeSubscription(sub: SubscriptionSummary): string[] {
  const lines = LABELS.filter(([field]) => sub.filters[field].length).map(
    ([field, label]) => `${label}: ${sub.filters[field].join(", ")}`,
  );
  if (!lines.length) lines.push("Everything regwatch tracks");
  const hour = `${String(sub.hour).padStart(2, "0")}:00 ${sub.timeZone}`;
  lines.push(
    sub.cadence === "immediate"
      ? "As it happens: one email per instrument, when a change is detected"
      : sub.cadence === "daily"
        ? `Daily digest at ${hour}`
        : `Weekly digest on ${WEEKDAYS[(sub.weekday ?? 1) - 1]} at ${hour}`,
  );
  if (sub.cadence !== "immediate" && sub.sendEmptyDigests === false)
    lines.push("Digests with no changes are not sent");
  if (sub.webhookUrl) {
    lines.push(`Posted to a webhook (${sub.webhookFormat ?? "json"}): ${sub.webhookUrl}`);
    if (sub.emailAlerts === false)
      lines.push("Alerts by email are off: this address only manages the subscription");
  }
  return lines;
}

/** The double opt-in: nothing else is sent until the link in this message is followed. */
export function confirmationMessage(sub: SubscriptionSummary, links: Links) {
  const lines = describeSubscription(sub);
  const text = [
    "Someone (we hope you) asked regwatch to send export-control changes to this address:",
    "",
    ...lines.map((l) => `  ${l}`),
    "",
    "Confirm the subscription:",
    links.confirm,
    "",
    "If you did not ask for this, ignore this message: nothing will be sent. The link expires in 7 days.",
  ].join("\n");
  const html = `<!doctype html><html><body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1b1b1b;background:#ffffff">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px"><tr><td>
<p>Someone (we hope you) asked regwatch to send export-control changes to this address:</p>
<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>
<p><a href="${escapeHtml(links.confirm)}" style="display:inline-block;padding:10px 16px;background:#0b5394;color:#ffffff;text-decoration:none;border-radius:4px">Confirm the subscription</a></p>
<p style="color:#555555;font-size:13px">If you did not ask for this, ignore this message: nothing will be sent. The link expires in 7 days.</p>
</td></tr></table></body></html>`;
  return { subject: "Confirm your regwatch subscription", text, html };
}
