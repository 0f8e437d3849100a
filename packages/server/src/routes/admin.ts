// The admin pages: accounts (add, change role, disable), API tokens (made
// here and shown once), every subscription, and the job runner's queues.
// Only admins open them; every form carries the CSRF value, and an admin
// cannot lock themselves out (disable their own account, drop their own
// admin role): another admin must do that, so an instance keeps one.

import { randomUUID } from "node:crypto";
import type { JobView as JobRunView, JobState, RunnerInspection } from "@regwatch/core/job-views";
import { createApiToken, listApiTokens, revokeApiToken } from "@regwatch/db/queries/api-tokens";
import {
  type AdminSubscription,
  type SubscriptionCursor as Cursor,
  type SubscriptionRow,
  type SubscriptionStatus,
  subscriptionCounts,
  subscriptionsPage,
} from "@regwatch/db/queries/subscriptions";
import {
  disableUser,
  listUsers,
  ROLES,
  type Role,
  type UserRow,
  upsertUser,
  userByEmail,
} from "@regwatch/db/queries/users";
import { pageGate } from "../access.ts";
import type { DashboardDeps } from "../dashboard.ts";
import { postedForm, seeOther } from "../forms.ts";
import { type Fragment, type Html, html } from "../html.ts";
import type { Route, RouteContext } from "../router.ts";
import { when } from "../views/change-parts.ts";
import { csrfField, renderPage, statusPage } from "../views/layout.ts";

// --- the queues, as a runner reports them ------------------------------------

/** The job runner as admins see it (`Runner.inspect()` in @regwatch/runtime). */
export type QueuesView = RunnerInspection;

// --- shared bits ---------------------------------------------------------------

const BODY_LIMIT = 8 * 1024;
const PAGE_SIZE = 100;
// RFC 5321: 254 characters in a path. The shape check is the CLI's: one address, no display name.
const MAX_EMAIL = 254;
const EMAIL = /^[^@\s"<>,;:()[\]\\]+@[^@\s"<>,;:()[\]\\]+\.[^@\s"<>,;:()[\]\\]+$/;
const MAX_TOKEN_NAME = 100;
const STATUSES: readonly SubscriptionStatus[] = ["pending", "active", "paused", "unsubscribed"];
const JOB_STATES: readonly JobState[] = ["active", "waiting", "delayed", "failed", "completed"];
// Pending waits on the subscriber, paused on bounces; unsubscribed is over.
const STATUS_CLASS: Record<string, string> = {
  pending: "status-stale",
  active: "status-ok",
  paused: "status-degraded",
  unsubscribed: "muted",
};
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
// Long enough to tell two runs apart; a payload is ids and dates, rarely longer.
const PAYLOAD_SHOWN = 200;

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);
const field = (value: unknown): string => (typeof value === "string" ? value.trim() : "");

function adminNav(current: string): Html {
  const links: [string, string][] = [
    ["/admin", "Users"],
    ["/admin/tokens", "API tokens"],
    ["/admin/subscriptions", "Subscriptions"],
    ["/admin/queues", "Queues"],
  ];
  return html`<nav class="actions" aria-label="Admin">${links.map(
    ([href, label]) =>
      html`<a href="${href}"${href === current ? html` aria-current="page"` : ""}>${label}</a>`,
  )}</nav>`;
}

function notices(options: { notice?: Fragment; error?: Fragment }): Html {
  return html`${options.error ? html`<p class="notice" role="alert"><strong>Not done:</strong> ${options.error}</p>` : ""}${
    options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ""
  }`;
}

// --- users ---------------------------------------------------------------------

function roleSelect(selected: string): Html {
  return html`<select name="role" aria-label="Role">${ROLES.map(
    (r) => html`<option value="${r}"${r === selected ? html` selected` : ""}>${r}</option>`,
  )}</select>`;
}

function userRow(user: UserRow, me: UserRow, csrf: Html): Html {
  const self = user.id === me.id;
  const actions = self
    ? html`<span class="muted">your own account: another admin changes it</span>`
    : html`<div class="actions"><form method="post" action="/admin/users">${csrf}<input type="hidden" name="action" value="role"><input type="hidden" name="email" value="${user.email}">${roleSelect(user.role)} <button type="submit" class="secondary">${user.disabledAt ? "Enable as" : "Change role"}</button></form>${
        user.disabledAt
          ? ""
          : html`<form method="post" action="/admin/users">${csrf}<input type="hidden" name="action" value="disable"><input type="hidden" name="email" value="${user.email}"><button type="submit" class="secondary">Disable</button></form>`
      }</div>`;
  return html`<tr${user.disabledAt ? html` class="muted"` : ""}><td>${user.email}${self ? html` <span class="tag">you</span>` : ""}</td><td>${user.role}</td><td class="date">${when(user.createdAt)}</td><td class="date">${user.lastSignInAt ? when(user.lastSignInAt) : "never"}</td><td class="date">${user.disabledAt ? when(user.disabledAt) : "—"}</td><td>${actions}</td></tr>`;
}

async function usersPage(
  c: RouteContext,
  deps: DashboardDeps,
  options: { status?: number; notice?: Fragment; error?: Fragment } = {},
): Promise<Response> {
  const me = c.get("user")!;
  const users = await listUsers(deps.database.db);
  const csrf = csrfField(c);
  const main = html`${adminNav("/admin")}${notices(options)}
<h2>Add a user</h2>
<form method="post" action="/admin/users" class="filters">${csrf}<input type="hidden" name="action" value="add"><label>Email <input type="email" name="email" required maxlength="${MAX_EMAIL}" autocomplete="off"></label><label>Role ${roleSelect("viewer")}</label><button type="submit">Add user</button></form>
<h2>Users (${users.length})</h2>
<table><thead><tr><th>Email</th><th>Role</th><th>Created (UTC)</th><th>Last sign-in</th><th>Disabled</th><th>Actions</th></tr></thead>
<tbody>${users.map((u) => userRow(u, me, csrf))}</tbody></table>`;
  return renderPage(c, {
    title: "Admin",
    section: "admin",
    status: options.status,
    lede: "Accounts sign in with a link emailed to their address. Viewers read, reviewers also review, admins also manage accounts, API tokens and subscriptions.",
    main,
  });
}

const USER_NOTICES: Record<string, (email: string) => string> = {
  added: (email) => `${email}: account added. They sign in at /login with a link sent to that address.`,
  role: (email) => `${email}: role changed.`,
  enabled: (email) => `${email}: enabled again, with the role chosen.`,
  disabled: (email) => `${email}: disabled. Their sessions and API tokens no longer work.`,
};

async function changeUser(c: RouteContext, deps: DashboardDeps): Promise<Response> {
  const body = await postedForm(c, BODY_LIMIT);
  if (body instanceof Response) return body;
  const db = deps.database.db;
  const me = c.get("user")!;
  const refuse = (status: number, error: string) => usersPage(c, deps, { status, error });
  const action = field(body.action);
  if (!["add", "role", "disable"].includes(action)) return refuse(400, "action: one of add, role, disable.");
  const email = field(body.email).toLowerCase();
  if (email.length > MAX_EMAIL || !EMAIL.test(email))
    return refuse(400, "email: give one address, like analyst@example.org.");
  const role = field(body.role);
  if (action !== "disable" && !isRole(role)) return refuse(400, `role: one of ${ROLES.join(", ")}.`);
  const existing = await userByEmail(db, email);
  const now = deps.now?.() ?? new Date();
  const done = (what: string) => seeOther(`/admin?done=${what}&email=${encodeURIComponent(email)}`);

  if (action === "add") {
    if (existing)
      return refuse(
        409,
        `${email} already has an account (${existing.role}${existing.disabledAt ? ", disabled" : ""}): change it in the table.`,
      );
    await upsertUser(db, { id: randomUUID(), email, role: role as Role }, now);
    return done("added");
  }
  if (!existing) return refuse(404, `no account for ${email}.`);
  if (action === "role") {
    if (existing.id === me.id && role !== "admin")
      return refuse(409, "you cannot drop your own admin role: another admin must do it.");
    await upsertUser(db, { id: existing.id, email, role: role as Role }, now);
    return done(existing.disabledAt ? "enabled" : "role");
  }
  if (existing.id === me.id)
    return refuse(409, "you cannot disable your own account: another admin must do it.");
  if (!(await disableUser(db, email, now))) return refuse(409, `${email} is disabled already.`);
  return done("disabled");
}

// --- API tokens ----------------------------------------------------------------

async function tokensPage(
  c: RouteContext,
  deps: DashboardDeps,
  options: { status?: number; notice?: Fragment; error?: Fragment } = {},
): Promise<Response> {
  const db = deps.database.db;
  const me = c.get("user")!;
  const tokens = await listApiTokens(db);
  const users = await listUsers(db);
  const csrf = csrfField(c);
  const enabled = users.filter((u) => !u.disabledAt);
  const rows = tokens.map(
    (t) =>
      html`<tr${t.revokedAt ? html` class="muted"` : ""}><td>${t.name}</td><td>${t.email}</td><td><code>${t.id}</code></td><td class="date">${when(t.createdAt)}</td><td class="date">${t.lastUsedAt ? when(t.lastUsedAt) : "never"}</td><td>${
        t.revokedAt
          ? html`revoked ${when(t.revokedAt)}`
          : html`<form method="post" action="/admin/tokens">${csrf}<input type="hidden" name="action" value="revoke"><input type="hidden" name="id" value="${t.id}"><button type="submit" class="secondary">Revoke</button></form>`
      }</td></tr>`,
  );
  const main = html`${adminNav("/admin/tokens")}${notices(options)}
<h2>Create a token</h2>
<form method="post" action="/admin/tokens" class="filters">${csrf}<input type="hidden" name="action" value="create"><label>User <select name="email">${enabled.map(
    (u) =>
      html`<option value="${u.email}"${u.id === me.id ? html` selected` : ""}>${u.email} (${u.role})</option>`,
  )}</select></label><label>Name <input type="text" name="name" required maxlength="${MAX_TOKEN_NAME}" placeholder="compliance-export script"></label><button type="submit">Create token</button></form>
<h2>Tokens (${tokens.length})</h2>
${
  tokens.length
    ? html`<table><thead><tr><th>Name</th><th>User</th><th>ID</th><th>Created (UTC)</th><th>Last used</th><th>Status</th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p class="muted">No tokens yet.</p>`
}`;
  return renderPage(c, {
    title: "API tokens",
    section: "admin",
    status: options.status,
    lede: html`A token lets a program use the JSON API as its user, with that user's role: <code>Authorization: Bearer rwt_…</code>. regwatch keeps only a hash of each token.`,
    main,
  });
}

async function changeTokens(c: RouteContext, deps: DashboardDeps): Promise<Response> {
  const body = await postedForm(c, BODY_LIMIT);
  if (body instanceof Response) return body;
  const db = deps.database.db;
  const now = deps.now?.() ?? new Date();
  const refuse = (status: number, error: string) => tokensPage(c, deps, { status, error });
  const action = field(body.action);
  if (action === "revoke") {
    const id = field(body.id);
    if (!id || !(await revokeApiToken(db, id, now)))
      return refuse(404, `no live token with id ${id || "(none given)"}.`);
    return seeOther(`/admin/tokens?done=revoked&id=${encodeURIComponent(id)}`);
  }
  if (action !== "create") return refuse(400, "action: one of create, revoke.");
  const email = field(body.email).toLowerCase();
  const user = email ? await userByEmail(db, email) : undefined;
  if (!user) return refuse(404, `no account for ${email || "(none given)"}.`);
  if (user.disabledAt) return refuse(409, `${email} is disabled: enable the account first.`);
  const name = field(body.name);
  if (!name || name.length > MAX_TOKEN_NAME || /\p{Cc}/u.test(name))
    return refuse(400, `name: say what uses the token, in 1–${MAX_TOKEN_NAME} characters.`);
  const { token, row } = await createApiToken(db, { userId: user.id, name }, now);
  const site = c.get("site");
  const main = html`${adminNav("/admin/tokens")}
<p class="notice" role="alert"><strong>Copy this token now: it will not be shown again.</strong> regwatch keeps only its hash; if it is lost, revoke it and make another.</p>
<dl class="facts"><dt>Token</dt><dd><code>${token}</code></dd><dt>Name</dt><dd>${row.name}</dd><dt>User</dt><dd>${user.email} (${user.role})</dd><dt>ID</dt><dd><code>${row.id}</code></dd></dl>
<p>Use it as <code>curl -H "Authorization: Bearer ${token}" ${site.publicUrl}/api/changes</code></p>
<p><a href="/admin/tokens">Back to the tokens</a></p>`;
  return renderPage(c, { title: "API token created", section: "admin", status: 201, main });
}

// --- subscriptions -------------------------------------------------------------

const cursorParam = (cursor: Cursor) => `${cursor.createdAt.toISOString()}_${cursor.id}`;

function parseCursor(value: string): Cursor | null {
  const at = value.indexOf("_");
  if (at < 0) return null;
  const createdAt = new Date(value.slice(0, at));
  const id = value.slice(at + 1);
  return Number.isNaN(createdAt.getTime()) || !id ? null : { createdAt, id };
}

function cadence(sub: SubscriptionRow): string {
  const hour = `${String(sub.hour).padStart(2, "0")}:00 ${sub.timeZone}`;
  if (sub.cadence === "daily") return `daily at ${hour}`;
  if (sub.cadence === "weekly") return `weekly, ${WEEKDAYS[(sub.weekday ?? 1) - 1] ?? "Mon"} ${hour}`;
  return sub.cadence;
}

/** The host alone: Slack and Teams webhook URLs carry their credential in the path. */
function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(unreadable URL)";
  }
}

function filtersCell(sub: SubscriptionRow): Html {
  const f = sub.filters;
  const facets: [string, readonly string[]][] = [
    ["technologies", f.technologies ?? []],
    ["jurisdictions", f.jurisdictions ?? []],
    ["countries", f.countries ?? []],
    ["entries", f.entries ?? []],
    ["kinds", f.kinds ?? []],
    ["sources", f.sources ?? []],
    ["keywords", f.keywords ?? []],
  ];
  const used = facets.filter(([, values]) => values.length);
  if (!used.length) return html`<span class="muted">everything</span>`;
  return html`${used.map(
    ([label, values]) =>
      html`<div><span class="muted">${label}:</span> ${values.map((v) => html`<span class="tag">${v}</span>`)}</div>`,
  )}`;
}

function subscriptionRow(sub: AdminSubscription): Html {
  const address = html`${sub.emailAlerts ? sub.email : html`<span class="muted">${sub.email} (confirmations only)</span>`}${
    sub.webhookUrl
      ? html`<div>webhook → <code>${webhookHost(sub.webhookUrl)}</code> (${sub.webhookFormat ?? "json"})</div>`
      : ""
  }<div class="muted"><code>${sub.id}</code></div>`;
  const status = html`<span class="${STATUS_CLASS[sub.status] ?? "muted"}">${sub.status}</span>${
    sub.statusReason ? html`<div class="muted">${sub.statusReason}</div>` : ""
  }${sub.bounces ? html`<div class="muted">${sub.bounces} bounces</div>` : ""}`;
  return html`<tr><td>${address}</td><td>${status}</td><td>${filtersCell(sub)}</td><td>${cadence(sub)}</td><td class="date">${when(sub.createdAt)}</td><td class="date">${sub.confirmedAt ? when(sub.confirmedAt) : "—"}</td><td class="date">${sub.lastSentAt ? when(sub.lastSentAt) : "never"}</td></tr>`;
}

async function subscriptionsList(c: RouteContext, deps: DashboardDeps): Promise<Response> {
  const db = deps.database.db;
  const statusParam = c.req.query("status") ?? "";
  const status = STATUSES.find((s) => s === statusParam) ?? null;
  if (statusParam && !status)
    return statusPage(c, 400, "Not understood", `status: one of ${STATUSES.join(", ")}, or none for all.`);
  const afterParam = c.req.query("after");
  const after = afterParam ? parseCursor(afterParam) : null;
  if (afterParam && !after)
    return statusPage(
      c,
      400,
      "Not understood",
      "after: not a page link from this site; start again from the list.",
    );
  const page = await subscriptionsPage(db, { status, after, limit: PAGE_SIZE });
  const counts = await subscriptionCounts(db);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const link = (s: SubscriptionStatus | null, label: string, n: number) =>
    html`<a href="${s ? `/admin/subscriptions?status=${s}` : "/admin/subscriptions"}"${s === status ? html` aria-current="page"` : ""}>${label} (${n})</a>`;
  const nextHref = page.next
    ? `/admin/subscriptions?${new URLSearchParams({ ...(status ? { status } : {}), after: cursorParam(page.next) })}`
    : null;
  const main = html`${adminNav("/admin/subscriptions")}
<nav class="actions" aria-label="Status">${link(null, "all", total)}${STATUSES.map((s) => link(s, s, counts.get(s) ?? 0))}</nav>
${
  page.rows.length
    ? html`<table><thead><tr><th>Address</th><th>Status</th><th>Filters</th><th>Cadence</th><th>Created (UTC)</th><th>Confirmed</th><th>Last sent</th></tr></thead><tbody>${page.rows.map(subscriptionRow)}</tbody></table>`
    : html`<p class="muted">No subscriptions${status ? html` with status ${status}` : ""}${after ? " after this point" : ""}.</p>`
}
<p class="pager">${after ? html`<a href="${status ? `/admin/subscriptions?status=${status}` : "/admin/subscriptions"}">First page</a> ` : ""}${
    nextHref ? html`<a href="${nextHref}" rel="next">Next ${PAGE_SIZE}</a>` : ""
  }</p>`;
  return renderPage(c, {
    title: "Subscriptions",
    section: "admin",
    lede: "Every subscription, newest first. Pending ones wait for their address to confirm; paused ones bounced.",
    main,
  });
}

// --- queues --------------------------------------------------------------------

function payloadText(payload: Record<string, unknown>): string {
  const text = JSON.stringify(payload) ?? "";
  return text.length > PAYLOAD_SHOWN ? `${text.slice(0, PAYLOAD_SHOWN)}…` : text;
}

const STATE_CLASS: Record<JobState, string> = {
  active: "status-ok",
  waiting: "muted",
  delayed: "status-degraded",
  failed: "status-failing",
  completed: "status-ok",
};

function jobRow(job: JobRunView): Html {
  return html`<tr><td>${job.name}</td><td><code>${job.id}</code></td><td>${job.queue}</td><td><span class="${STATE_CLASS[job.state]}">${job.state}</span></td><td class="num">${job.attempts}/${job.maxAttempts}</td><td><code>${payloadText(job.payload)}</code></td><td class="date">${when(job.queuedAt)}</td><td class="date">${when(job.startedAt)}</td><td class="date">${when(job.finishedAt)}</td><td>${
    job.failedReason ? html`<span class="status-failing">${job.failedReason}</span>` : (job.summary ?? "")
  }</td></tr>`;
}

async function queuesPage(c: RouteContext, deps: DashboardDeps): Promise<Response> {
  const page = (main: Html, status?: number) =>
    renderPage(c, {
      title: "Queues",
      section: "admin",
      status,
      main: html`${adminNav("/admin/queues")}${main}`,
    });
  if (!deps.queues)
    return page(
      html`<p class="notice">No job runner on this web node: its jobs run elsewhere, and their queues are not visible from here.</p>`,
    );
  let view: QueuesView;
  try {
    view = await deps.queues();
  } catch (err) {
    return page(
      html`<p class="notice" role="alert">The queues could not be read: ${(err as Error).message}</p>`,
      503,
    );
  }
  const stateParam = c.req.query("state") ?? "";
  const state = JOB_STATES.find((s) => s === stateParam) ?? null;
  const jobs = state ? view.jobs.filter((j) => j.state === state) : view.jobs;
  const filter = (s: JobState | null, label: string) =>
    html`<a href="${s ? `/admin/queues?state=${s}` : "/admin/queues"}"${s === state ? html` aria-current="page"` : ""}>${label}</a>`;
  return page(html`<p class="lede">Runner: <strong>${view.kind === "bullmq" ? "BullMQ over Redis" : "in-process"}</strong> — ${view.note}.</p>
<table><thead><tr><th>Queue</th><th>Waiting</th><th>Active</th><th>Delayed</th><th>Failed</th><th>Completed</th></tr></thead><tbody>${view.queues.map(
    (q) =>
      html`<tr><td>${q.queue}</td><td class="num">${q.waiting}</td><td class="num">${q.active}</td><td class="num">${q.delayed}</td><td class="num${q.failed ? " status-failing" : ""}">${q.failed}</td><td class="num">${q.completed}</td></tr>`,
  )}</tbody></table>
<h2>Recent jobs</h2>
<nav class="actions" aria-label="State">${filter(null, "all")}${JOB_STATES.map((s) => filter(s, s))}</nav>
${
  jobs.length
    ? html`<table><thead><tr><th>Job</th><th>ID</th><th>Queue</th><th>State</th><th>Attempts</th><th>Payload</th><th>Queued (UTC)</th><th>Started</th><th>Finished</th><th>Outcome</th></tr></thead><tbody>${jobs.map(jobRow)}</tbody></table>`
    : html`<p class="muted">No jobs${state ? html` ${state}` : ""} to show.</p>`
}`);
}

// --- routes --------------------------------------------------------------------

/**
 * `/admin` (users), `/admin/tokens`, `/admin/subscriptions` (`status`,
 * `after`), `/admin/queues` (`state`); POST `/admin/users` (add, role,
 * disable) and `/admin/tokens` (create, revoke). Admins only.
 */
export function adminRoutes(deps: DashboardDeps): Route[] {
  const admin =
    (handler: (c: RouteContext) => Promise<Response>) =>
    (c: RouteContext): Promise<Response> | Response =>
      pageGate(c, "admin") ?? handler(c);
  return [
    {
      path: "/admin",
      methods: {
        GET: admin((c) => {
          const done = USER_NOTICES[c.req.query("done") ?? ""];
          const email = c.req.query("email") ?? "";
          return usersPage(c, deps, done && email ? { notice: done(email) } : {});
        }),
      },
    },
    { path: "/admin/users", methods: { POST: admin((c) => changeUser(c, deps)) } },
    {
      path: "/admin/tokens",
      methods: {
        GET: admin((c) => {
          const id = c.req.query("id");
          return tokensPage(
            c,
            deps,
            c.req.query("done") === "revoked" && id
              ? { notice: html`Token <code>${id}</code> revoked: programs using it now get 401.` }
              : {},
          );
        }),
        POST: admin((c) => changeTokens(c, deps)),
      },
    },
    { path: "/admin/subscriptions", methods: { GET: admin((c) => subscriptionsList(c, deps)) } },
    { path: "/admin/queues", methods: { GET: admin((c) => queuesPage(c, deps)) } },
  ];
}
