import { escapeHtml } from "@regwatch/alerts/escape";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import {
  CADENCES,
  parseSubscriptionInput,
  SubscriptionInputError,
  WEBHOOK_FORMATS,
} from "@regwatch/alerts/subscription-input";
import { TokenError, verifyToken } from "@regwatch/alerts/tokens";
import { webhookSecret } from "@regwatch/alerts/webhook/sign";
import { JURISDICTION_CODES, JURISDICTIONS } from "@regwatch/core/jurisdictions";
import { changeKindSchema } from "@regwatch/core/schemas";
import { TECHNOLOGIES, TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import {
  getSubscription,
  type SubscriptionRow,
  unsubscribe,
  updateSubscription,
} from "@regwatch/db/queries/subscriptions";
import { BodyError, parseBody, readBody } from "../body.ts";
import { page, tokenProblem } from "../page.ts";
import type { Route } from "../router.ts";

export interface ManageDeps {
  alerts: AlertDeps;
  sourceIds: readonly string[];
}

const BODY_LIMIT = 16 * 1024;
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const checkbox = (name: string, value: string, label: string, checked: boolean) =>
  `<label class="c"><input type="checkbox" name="${escapeHtml(name)}" value="${escapeHtml(value)}"${checked ? " checked" : ""}> ${escapeHtml(label)}</label>`;

const option = (value: string, label: string, selected: boolean) =>
  `<option value="${escapeHtml(value)}"${selected ? " selected" : ""}>${escapeHtml(label)}</option>`;

const yesNo = (name: string, value: boolean) =>
  `<select name="${name}">${option("true", "yes", value)}${option("false", "no", !value)}</select>`;

function field(label: string, control: string, hint = ""): string {
  return `<div class="f"><div class="l">${escapeHtml(label)}</div>${control}${hint ? `<div class="h">${escapeHtml(hint)}</div>` : ""}</div>`;
}

/** The preferences form, filled with the subscription's values. Every value escaped; no script. */
function manageForm(sub: SubscriptionRow, token: string, deps: ManageDeps, notice: string | null): string {
  const f = sub.filters;
  const action = `/subscriptions/manage?token=${encodeURIComponent(token)}`;
  const text = (name: string, values: readonly string[], hint: string) =>
    `<input type="text" name="${name}" value="${escapeHtml(values.join(", "))}" size="40"><div class="h">${escapeHtml(hint)}</div>`;
  const parts = [
    notice ? `<p class="n">${escapeHtml(notice)}</p>` : "",
    `<p>Subscription for <strong>${escapeHtml(sub.email)}</strong> — ${escapeHtml(sub.status)}${sub.statusReason ? ` (${escapeHtml(sub.statusReason)})` : ""}. Empty filters mean everything.</p>`,
    `<form method="post" action="${escapeHtml(action)}">`,
    field(
      "Technologies",
      TECHNOLOGY_IDS.map((id) =>
        checkbox(
          "technologies",
          id,
          (TECHNOLOGIES as Record<string, string>)[id] ?? id,
          f.technologies.includes(id),
        ),
      ).join(""),
    ),
    field(
      "Issuing jurisdictions",
      JURISDICTION_CODES.map((code) =>
        checkbox(
          "jurisdictions",
          code,
          `${JURISDICTIONS[code] ?? code} (${code})`,
          f.jurisdictions.includes(code),
        ),
      ).join(""),
    ),
    field("Affected countries", text("countries", f.countries, "ISO codes, comma-separated: CN, RU")),
    field("Control entries", text("entries", f.entries, "comma-separated: 3B001, 3B*, 5506")),
    field(
      "Kinds of change",
      changeKindSchema.options.map((k) => checkbox("kinds", k, k, f.kinds.includes(k))).join(""),
    ),
    field(
      "Sources",
      deps.sourceIds.map((id) => checkbox("sources", id, id, f.sources.includes(id))).join(""),
    ),
    field("Keywords", text("keywords", f.keywords, "comma-separated words or phrases")),
    field(
      "Cadence",
      `<select name="cadence">${CADENCES.map((c) => option(c, c, sub.cadence === c)).join("")}</select>`,
    ),
    field(
      "Weekly digest day",
      `<select name="weekday">${WEEKDAYS.map((d, i) => option(String(i + 1), d, (sub.weekday ?? 1) === i + 1)).join("")}</select>`,
    ),
    field(
      "Digest hour",
      `<input type="number" name="hour" min="0" max="23" value="${sub.hour}">`,
      "0–23, in your time zone",
    ),
    field(
      "Time zone",
      `<input type="text" name="timeZone" value="${escapeHtml(sub.timeZone)}">`,
      "e.g. Europe/Paris",
    ),
    field(
      "Send digests with no changes",
      yesNo("sendEmptyDigests", sub.sendEmptyDigests),
      "they attest the sources were watched",
    ),
    field("Alerts by email", yesNo("emailAlerts", sub.emailAlerts)),
    field(
      "Webhook URL",
      `<input type="url" name="webhookUrl" value="${escapeHtml(sub.webhookUrl ?? "")}" size="40">`,
      "https; leave empty for none",
    ),
    field(
      "Webhook format",
      `<select name="webhookFormat">${WEBHOOK_FORMATS.map((w) => option(w, w, (sub.webhookFormat ?? "json") === w)).join("")}</select>`,
    ),
    sub.webhookUrl
      ? `<p class="h">Webhook signing secret (checks <code>X-Regwatch-Signature</code>): <code>${escapeHtml(webhookSecret(deps.alerts.secret, sub.id))}</code></p>`
      : "",
    `<p><button type="submit">Save</button></p></form>`,
    `<form method="post" action="${escapeHtml(`/subscriptions/manage/unsubscribe?token=${encodeURIComponent(token)}`)}"><button type="submit">Unsubscribe</button></form>`,
  ];
  return parts.join("\n");
}

function sendManage(status: number, body: string): Response {
  return page(status, { title: "Manage your subscription", paragraphs: [], html: body });
}

/** The subscription a manage link names, or why not. */
async function subscriptionFor(deps: ManageDeps, token: string): Promise<SubscriptionRow | null> {
  const { subject } = verifyToken(deps.alerts.secret, token, "manage", deps.alerts.now());
  return (await getSubscription(deps.alerts.db, subject)) ?? null;
}

/**
 * `GET /subscriptions/manage?token=…` shows the preferences; `POST` saves
 * them (the signed token in the action is the credential, and what a forged
 * cross-site form cannot know), `POST /subscriptions/manage/unsubscribe`
 * stops it. GET changes nothing.
 */
export function manageRoutes(deps: ManageDeps): Route[] {
  return [
    {
      path: "/subscriptions/manage",
      methods: {
        async GET(c) {
          const token = c.req.query("token") ?? "";
          try {
            const sub = await subscriptionFor(deps, token);
            if (!sub || sub.status === "unsubscribed")
              return page(410, {
                title: "Unsubscribed",
                paragraphs: ["This subscription was stopped."],
              });
            return sendManage(200, manageForm(sub, token, deps, null));
          } catch (err) {
            if (err instanceof TokenError) return tokenProblem(err);
            throw err;
          }
        },
        async POST(c) {
          const token = c.req.query("token") ?? "";
          let sub: SubscriptionRow | null;
          try {
            sub = await subscriptionFor(deps, token);
          } catch (err) {
            if (err instanceof TokenError) return tokenProblem(err);
            throw err;
          }
          if (!sub || sub.status === "unsubscribed")
            return page(410, {
              title: "Unsubscribed",
              paragraphs: ["This subscription was stopped."],
            });
          let body: Record<string, unknown>;
          try {
            body = parseBody(c.req.header("content-type"), await readBody(c.req.raw, BODY_LIMIT));
          } catch (err) {
            if (err instanceof BodyError)
              return page(err.status, { title: "Not saved", paragraphs: [err.message] });
            throw err;
          }
          let input: ReturnType<typeof parseSubscriptionInput>;
          try {
            // The form always submits its format select; without a URL it means nothing.
            if (!body.webhookUrl) delete body.webhookFormat;
            // Lists absent from a form are unticked boxes: nothing chosen.
            input = parseSubscriptionInput(
              {
                technologies: [],
                jurisdictions: [],
                kinds: [],
                sources: [],
                ...body,
                email: sub.email,
              },
              { sourceIds: deps.sourceIds, allowPrivateWebhooks: deps.alerts.allowPrivateWebhooks },
            );
          } catch (err) {
            if (err instanceof SubscriptionInputError)
              return sendManage(
                400,
                manageForm(sub, token, deps, `Not saved — ${err.field}: ${err.message}`),
              );
            throw err;
          }
          const { email: _email, ...changes } = input;
          const saved = await updateSubscription(deps.alerts.db, sub.id, changes, deps.alerts.now());
          return sendManage(200, manageForm(saved ?? sub, token, deps, "Saved."));
        },
      },
    },
    {
      path: "/subscriptions/manage/unsubscribe",
      methods: {
        async POST(c) {
          await readBody(c.req.raw, BODY_LIMIT).catch(() => "");
          try {
            const sub = await subscriptionFor(deps, c.req.query("token") ?? "");
            if (sub) await unsubscribe(deps.alerts.db, { id: sub.id }, deps.alerts.now());
            return page(200, {
              title: "Unsubscribed",
              paragraphs: [
                sub ? `${sub.email} will receive nothing more from this subscription.` : "Nothing to stop.",
              ],
            });
          } catch (err) {
            if (err instanceof TokenError) return tokenProblem(err);
            throw err;
          }
        },
      },
    },
  ];
}
