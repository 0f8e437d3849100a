// The public subscribe form. It posts to `POST /subscriptions` with exactly
// the fields `parseSubscriptionInput` reads (that endpoint refuses any other
// field, so there is no CSRF field here: subscribing is public, and the
// confirmation link mailed to the address is what makes it count).

import { CADENCES, type SUBSCRIPTION_FIELDS, WEBHOOK_FORMATS } from "@regwatch/alerts/subscription-input";
import { isCountryCode } from "@regwatch/core/countries";
import { JURISDICTION_CODES, JURISDICTIONS } from "@regwatch/core/jurisdictions";
import { changeKindSchema } from "@regwatch/core/schemas";
import { TECHNOLOGIES, TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import { type Fragment, type Html, html } from "../html.ts";
import type { Route, RouteContext } from "../router.ts";
import { renderPage } from "../views/layout.ts";
import type { SubscriptionDeps } from "./subscriptions.ts";

type Field = (typeof SUBSCRIPTION_FIELDS)[number];

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const CADENCE_LABELS: Record<string, string> = {
  immediate: "Immediately, one message per change",
  daily: "Daily digest",
  weekly: "Weekly digest",
};
// Digests go out at this local hour unless the subscriber picks another (parseSubscriptionInput's default).
const DEFAULT_HOUR = 8;

function checkbox(name: Field, value: string, label: Fragment, checked: boolean): Html {
  return html`<label class="c"><input type="checkbox" name="${name}" value="${value}"${checked ? html` checked` : ""}> ${label}</label> `;
}

function option(value: string, label: string, selected = false): Html {
  return html`<option value="${value}"${selected ? html` selected` : ""}>${label}</option>`;
}

function group(legend: string, hint: Fragment, controls: Fragment): Html {
  return html`<fieldset><legend>${legend}</legend>${hint ? html`<p class="muted">${hint}</p>` : ""}${controls}</fieldset>`;
}

/** Values a link may preset (the changes page's filter names, so a view subscribes as it is), kept only when known. */
function presets(c: RouteContext, sourceIds: readonly string[]) {
  const many = (name: string) =>
    (c.req.queries(name) ?? []).flatMap((v) => v.split(",")).map((v) => v.trim());
  return {
    technologies: new Set(
      many("technology").filter((t) => (TECHNOLOGY_IDS as readonly string[]).includes(t)),
    ),
    jurisdictions: new Set(
      many("jurisdiction")
        .map((j) => j.toUpperCase())
        .filter((j) => (JURISDICTION_CODES as readonly string[]).includes(j)),
    ),
    countries: many("country")
      .map((code) => code.toUpperCase())
      .filter((code) => /^[A-Z]{2}$/.test(code) && isCountryCode(code)),
    sources: new Set(many("source").filter((s) => sourceIds.includes(s))),
    kinds: new Set(many("kind").filter((k) => (changeKindSchema.options as readonly string[]).includes(k))),
  };
}

function subscribeForm(c: RouteContext, deps: SubscriptionDeps): Html {
  const preset = presets(c, deps.sourceIds);
  return html`<form method="post" action="/subscriptions" class="subscribe">
<p><label>Email address <input type="email" name="email" required maxlength="254" autocomplete="email" size="40"></label></p>
${group(
  "Technologies",
  "None ticked: every technology.",
  TECHNOLOGY_IDS.map((id) => checkbox("technologies", id, TECHNOLOGIES[id], preset.technologies.has(id))),
)}
${group(
  "Issuing jurisdictions",
  "Who publishes the control. None ticked: every jurisdiction.",
  JURISDICTION_CODES.map((code) =>
    checkbox(
      "jurisdictions",
      code,
      html`${JURISDICTIONS[code]} <span class="muted">(${code})</span>`,
      preset.jurisdictions.has(code),
    ),
  ),
)}
${group(
  "Affected countries",
  "Destinations a change names, as ISO 3166-1 codes separated by commas (CN, RU). Empty: any.",
  html`<input type="text" name="countries" value="${preset.countries.join(", ")}" size="40" aria-label="Affected countries">`,
)}
<details${preset.sources.size || preset.kinds.size ? html` open` : ""}><summary>More filters: control entries, kinds of change, sources, keywords</summary>
${group(
  "Control entries",
  "Entry numbers separated by commas: 3B001 (and its paragraphs), 3B* (every key starting so), 5506(2)(c).",
  html`<input type="text" name="entries" size="40" aria-label="Control entries">`,
)}
${group(
  "Kinds of change",
  "None ticked: every kind.",
  changeKindSchema.options.map((k) => checkbox("kinds", k, k, preset.kinds.has(k))),
)}
${group(
  "Sources",
  "None ticked: every source.",
  deps.sourceIds.map((id) => checkbox("sources", id, html`<code>${id}</code>`, preset.sources.has(id))),
)}
${group(
  "Keywords",
  "Words or phrases, separated by commas, looked for in titles and entry text.",
  html`<input type="text" name="keywords" size="40" aria-label="Keywords">`,
)}
</details>
${group(
  "When",
  "",
  html`<p><label>Cadence <select name="cadence">${CADENCES.map((cadence) =>
    option(cadence, CADENCE_LABELS[cadence] ?? cadence, cadence === "immediate"),
  )}</select></label></p>
<p><label>Weekly digest on <select name="weekday">${WEEKDAYS.map((day, i) => option(String(i + 1), day, i === 0))}</select></label>
<label>at <input type="number" name="hour" min="0" max="23" value="${DEFAULT_HOUR}" aria-label="Hour of the digest"></label>:00
<label>time zone <input type="text" name="timeZone" value="UTC" size="20"></label></p>
<p><label>Send a digest even when nothing changed <select name="sendEmptyDigests">${option("true", "yes (it attests the sources were watched)", true)}${option("false", "no")}</select></label></p>`,
)}
${group(
  "Delivery",
  "Alerts by email, to a webhook, or both. The confirmation always goes to the email address.",
  html`<p><label>Alerts by email <select name="emailAlerts">${option("true", "yes", true)}${option("false", "no, webhook only")}</select></label></p>
<p><label>Webhook URL (optional) <input type="url" name="webhookUrl" size="50" placeholder="https://hooks.example.org/regwatch"></label>
<label>format <select name="webhookFormat">${option("", "JSON (regwatch's payload)", true)}${WEBHOOK_FORMATS.filter(
    (f) => f !== "json",
  ).map((f) =>
    option(f, f === "slack" ? "Slack" : f === "teams" ? "Microsoft Teams" : f),
  )}</select></label></p>`,
)}
<p><button type="submit">Subscribe</button></p>
</form>`;
}

/** `GET /subscribe`: the public form (links may preset `technology`, `jurisdiction`, `country`, `source`, `kind`). */
export function subscribePageRoutes(deps: SubscriptionDeps): Route[] {
  return [
    {
      path: "/subscribe",
      methods: {
        GET(c) {
          return renderPage(c, {
            title: "Subscribe to changes",
            section: "subscribe",
            lede: "Get an email (or a webhook call) when export controls you care about change. A confirmation message comes first; nothing else is sent until you follow its link, and every message has a link to stop.",
            main: subscribeForm(c, deps),
          });
        },
      },
    },
  ];
}
