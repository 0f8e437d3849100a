// The public subscribe form, used as a browser uses it: the page's own
// controls, with their defaults, posted to POST /subscriptions; the
// confirmation arrives over real SMTP and its link confirms.

import type { AlertDeps } from "@regwatch/alerts/subscribe";
import { SUBSCRIPTION_FIELDS } from "@regwatch/alerts/subscription-input";
import { JURISDICTION_CODES } from "@regwatch/core/jurisdictions";
import { TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import type { Database } from "@regwatch/db/open-database";
import { listSubscriptions } from "@regwatch/db/queries/subscriptions";
import { createMailer, type Mailer } from "@regwatch/mail/mailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { silentLog } from "../support/test-http.ts";
import { PUBLIC_URL, SECRET, WEB_SOURCES, type WebApp, webApp } from "../support/web.ts";

const fromHtml = (text: string) =>
  text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? fromHtml(m[1]!) : null;
};

/** The subscribe form of a page: its action and the controls in it. */
function subscribeForm(page: string) {
  const form = /<form method="post" action="\/subscriptions"[^>]*>([\s\S]*?)<\/form>/.exec(page);
  if (!form) throw new Error("no form posting to /subscriptions");
  return form[1]!;
}

/** What a browser submits for a form left as it is: named inputs (ticked boxes only) and each select's chosen option. */
function browserDefaults(form: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, "name");
    if (!name) continue;
    const type = attr(tag, "type") ?? "text";
    if ((type === "checkbox" || type === "radio") && !/\schecked\b/.test(tag)) continue;
    out.push([name, attr(tag, "value") ?? (type === "checkbox" ? "on" : "")]);
  }
  for (const [, open, body] of form.matchAll(/(<select\b[^>]*>)([\s\S]*?)<\/select>/g)) {
    const options = [...body!.matchAll(/<option\b[^>]*>/g)].map(([tag]) => tag);
    const chosen = options.find((o) => /\sselected\b/.test(o)) ?? options[0];
    out.push([attr(open!, "name")!, chosen ? (attr(chosen, "value") ?? "") : ""]);
  }
  return out;
}

/** The form as a browser sends it after the user filled `set` in (replacing) and ticked `tick` (adding). */
function filled(form: string, set: Record<string, string>, tick: [string, string][]): string {
  const fields = browserDefaults(form).filter(([name]) => !(name in set));
  const controls = new Set(browserDefaults(form).map(([n]) => n));
  for (const [name, value] of tick) {
    // Only boxes the page has: a browser cannot tick what is not there.
    expect(form).toContain(`<input type="checkbox" name="${name}" value="${value}"`);
    fields.push([name, value]);
  }
  for (const [name, value] of Object.entries(set)) {
    expect(controls.has(name) || name === "email").toBe(true);
    fields.push([name, value]);
  }
  return new URLSearchParams(fields).toString();
}

describe.each(testDatabases())("the subscribe page on $name", (testDb) => {
  let database: Database;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let web: WebApp;

  beforeAll(async () => {
    database = await testDb.open();
    smtp = await startSmtpServer();
    mailer = createMailer({
      smtpUrl: smtp.url,
      outboxDir: "/nonexistent",
      from: "regwatch <alerts@regwatch.test>",
    });
    const alerts: AlertDeps = {
      db: database.db,
      mailer,
      secret: SECRET,
      publicUrl: PUBLIC_URL,
      log: silentLog,
      now: () => new Date(),
    };
    web = await webApp(database, { extra: { subscriptions: { alerts, sourceIds: WEB_SOURCES } } });
  });
  afterAll(async () => {
    await web.close();
    await mailer.close();
    await smtp.close();
    await database.close();
  });

  it("is public, with a box per technology and jurisdiction, and only fields POST /subscriptions reads", async () => {
    const res = await web.anonymous().request("/subscribe");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const form = subscribeForm(await res.text());
    for (const id of TECHNOLOGY_IDS)
      expect(form).toContain(`<input type="checkbox" name="technologies" value="${id}">`);
    for (const code of JURISDICTION_CODES)
      expect(form).toContain(`<input type="checkbox" name="jurisdictions" value="${code}">`);
    for (const id of WEB_SOURCES)
      expect(form).toContain(`<input type="checkbox" name="sources" value="${id}">`);
    const names = new Set(browserDefaults(form).map(([name]) => name));
    for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) names.add(attr(tag, "name")!);
    // POST /subscriptions refuses any field it does not know (a CSRF field included).
    for (const name of names) expect(SUBSCRIPTION_FIELDS).toContain(name);
    for (const name of ["email", "technologies", "jurisdictions", "countries", "cadence", "webhookUrl"])
      expect(names).toContain(name);
  });

  it("presets the filters a link names, ignoring unknown ones", async () => {
    const page = await (
      await web.anonymous().request("/subscribe?technology=quantum&jurisdiction=nl&country=cn,zz&source=nope")
    ).text();
    const form = subscribeForm(page);
    expect(form).toContain('<input type="checkbox" name="technologies" value="quantum" checked>');
    expect(form).toContain('<input type="checkbox" name="technologies" value="gaafet">');
    expect(form).toContain('<input type="checkbox" name="jurisdictions" value="NL" checked>');
    expect(form).toContain('<input type="text" name="countries" value="CN"');
    expect(form).not.toContain("nope");
  });

  it("subscribes with the form's own fields, mails the confirmation, and its link confirms", async () => {
    const browser = web.anonymous();
    const form = subscribeForm(await (await browser.request("/subscribe")).text());
    const email = "analyst@example.org";
    const before = smtp.messages.length;
    const res = await browser.request("/subscriptions", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: filled(form, { email, countries: "cn, RU", cadence: "weekly" }, [
        ["technologies", "quantum"],
        ["technologies", "gaafet"],
        ["jurisdictions", "US"],
        ["jurisdictions", "NL"],
      ]),
    });
    const answer = await res.text();
    expect(res.status, answer).toBe(201);
    expect(answer).toContain("Check your inbox");

    const [sub, ...others] = await listSubscriptions(database.db, { email });
    expect(others).toHaveLength(0);
    expect(sub).toMatchObject({
      status: "pending",
      cadence: "weekly",
      weekday: 1,
      hour: 8,
      timeZone: "UTC",
      emailAlerts: true,
      sendEmptyDigests: true,
      webhookUrl: null,
      filters: {
        technologies: ["quantum", "gaafet"],
        jurisdictions: ["US", "NL"],
        countries: ["CN", "RU"],
        entries: [],
        kinds: [],
        sources: [],
        keywords: [],
      },
    });

    await smtp.waitFor(before + 1);
    const mail = smtp.messages[before]!;
    expect(mail.to).toEqual([email]);
    expect(mail.parsed.subject).toBe("Confirm your regwatch subscription");
    const link = new RegExp(`${PUBLIC_URL.replace(/\./g, "\\.")}(/subscriptions/confirm\\?token=\\S+)`).exec(
      mail.parsed.text ?? "",
    )![1]!;
    const confirmed = await browser.request(link);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain("Subscription confirmed");
    expect((await listSubscriptions(database.db, { email }))[0]?.status).toBe("active");
  });

  it("takes a webhook-only subscription from the same form", async () => {
    const form = subscribeForm(await (await web.anonymous().request("/subscribe")).text());
    const email = "hooks@example.org";
    const res = await web.anonymous().request("/subscriptions", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: filled(
        form,
        {
          email,
          emailAlerts: "false",
          webhookUrl: "https://hooks.example.org/regwatch",
          webhookFormat: "slack",
          cadence: "daily",
          hour: "7",
          timeZone: "Europe/Paris",
        },
        [["technologies", "advanced-computing"]],
      ),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const [sub] = await listSubscriptions(database.db, { email });
    expect(sub).toMatchObject({
      status: "pending",
      cadence: "daily",
      weekday: null,
      hour: 7,
      timeZone: "Europe/Paris",
      emailAlerts: false,
      webhookUrl: "https://hooks.example.org/regwatch",
      webhookFormat: "slack",
    });
    expect(sub!.filters.technologies).toEqual(["advanced-computing"]);
  });
});
