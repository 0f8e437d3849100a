// The admin pages against the app factory: only admins open them; accounts
// are added, re-roled and disabled through CSRF-checked forms (an admin never
// locks themselves out); API tokens made here work as Bearer until revoked;
// every subscription is listed with its status, escaped and paged; the job
// runner's queues show jobs a real runner ran.

import { randomBytes, randomUUID } from "node:crypto";
import { subscriptionLinks } from "@regwatch/alerts/links";
import { type Database, openDatabase } from "@regwatch/db/open-database";
import { listApiTokens } from "@regwatch/db/queries/api-tokens";
import { createSubscription, listSubscriptions } from "@regwatch/db/queries/subscriptions";
import { userByEmail } from "@regwatch/db/queries/users";
import type { JobContext, JobDefinition } from "@regwatch/runtime/jobs";
import { createMetrics } from "@regwatch/runtime/metrics";
import { bullmqRunner } from "@regwatch/runtime/runners/bullmq";
import { inProcessRunner } from "@regwatch/runtime/runners/in-process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { testDatabases } from "../support/databases.ts";
import { silentLog } from "../support/test-http.ts";
import { type Browser, PUBLIC_URL, SECRET, type WebApp, webApp } from "../support/web.ts";

const ADMIN_PAGES = ["/admin", "/admin/tokens", "/admin/subscriptions", "/admin/queues"];
const FAILURE = "<b>broke</b> & stopped";

/** A job of the maintenance queue that echoes its note, or fails with markup in its reason. */
const echoJob: JobDefinition<{ note: string }> = {
  name: "echo",
  queue: "maintenance",
  payload: z.object({ note: z.string() }),
  key: (p) => `echo:${p.note}`,
  // One attempt: a failure is final at once.
  retry: { attempts: 1, backoffMs: 1000 },
  timeoutMs: 10_000,
  async run(_ctx, p) {
    if (p.note === "fail") throw new Error(FAILURE);
    return { summary: `echoed ${p.note}` };
  },
};

function jobContext(database: Database): JobContext {
  return {
    config: {} as never,
    database,
    deps: {} as never,
    sources: [],
    metrics: createMetrics({ collectProcess: false }),
    log: silentLog,
    now: () => new Date(),
  };
}

/** The ids of the subscriptions a page lists (their ids are shown in `<code>`). */
const listedIds = (page: string, prefix: string) =>
  [...page.matchAll(new RegExp(`<code>(${prefix}[^<]*)</code>`, "g"))].map((m) => m[1]!);

describe.each(testDatabases())("admin pages on $name", (testDb) => {
  let database: Database;
  let web: WebApp;
  let runner: ReturnType<typeof inProcessRunner>;
  let admin: { browser: Browser; user: { id: string; email: string } };

  beforeAll(async () => {
    database = await testDb.open();
    runner = inProcessRunner({ ctx: jobContext(database), log: silentLog, jobs: [echoJob] });
    await runner.startWorkers(["maintenance"]);
    web = await webApp(database, { dashboard: { queues: () => runner.inspect() } });
    admin = await web.signedIn("admin");
  });
  afterAll(async () => {
    await runner.close();
    await web.close();
    await database.close();
  });

  it("sends the signed-out to sign in and refuses viewers and reviewers", async () => {
    for (const path of ADMIN_PAGES) {
      const res = await web.anonymous().request(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    for (const role of ["viewer", "reviewer"] as const) {
      const { browser } = await web.signedIn(role);
      for (const path of ADMIN_PAGES) expect((await browser.request(path)).status).toBe(403);
      // Even with this browser's own CSRF value (from the refusal page's sign-out form), nothing changes.
      const csrf = await browser.csrfFrom("/admin");
      const email = `sneaky-${role}@example.org`;
      const res = await browser.post("/admin/users", { csrf, action: "add", email, role: "admin" });
      expect(res.status).toBe(403);
      expect(await userByEmail(database.db, email)).toBeUndefined();
      const token = await browser.post("/admin/tokens", { csrf, action: "create", email, name: "x" });
      expect(token.status).toBe(403);
    }
  });

  it("lists the users to an admin, with role, dates and state", async () => {
    const other = await web.signedIn("reviewer");
    const res = await admin.browser.request("/admin");
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`<td>${admin.user.email} <span class="tag">you</span></td><td>admin</td>`);
    expect(page).toContain(`<td>${other.user.email}</td><td>reviewer</td>`);
    for (const path of ADMIN_PAGES.slice(1)) expect(page).toContain(`href="${path}"`);
  });

  it("adds a user, changes its role, and disables it: its session stops working", async () => {
    const csrf = await admin.browser.csrfFrom("/admin");
    const email = `new-${randomBytes(3).toString("hex")}@example.org`;
    const added = await admin.browser.post("/admin/users", {
      csrf,
      action: "add",
      email: email.toUpperCase(),
      role: "reviewer",
    });
    expect(added.status).toBe(303);
    const back = added.headers.get("location")!;
    expect(back).toBe(`/admin?done=added&email=${encodeURIComponent(email)}`);
    const listed = await (await admin.browser.request(back)).text();
    expect(listed).toContain(`${email}: account added.`);
    expect(listed).toContain(`<td>${email}</td><td>reviewer</td>`);
    expect((await userByEmail(database.db, email))?.role).toBe("reviewer");

    // The same address again is not a second account, nor a silent role change.
    const twice = await admin.browser.post("/admin/users", { csrf, action: "add", email, role: "admin" });
    expect(twice.status).toBe(409);
    expect(await twice.text()).toContain(`${email} already has an account (reviewer)`);
    expect((await userByEmail(database.db, email))?.role).toBe("reviewer");

    const changed = await admin.browser.post("/admin/users", { csrf, action: "role", email, role: "viewer" });
    expect(changed.status).toBe(303);
    expect((await userByEmail(database.db, email))?.role).toBe("viewer");
    expect(await (await admin.browser.request("/admin")).text()).toContain(
      `<td>${email}</td><td>viewer</td>`,
    );

    // A signed-in user loses their session when disabled.
    const victim = await web.signedIn("viewer");
    expect((await victim.browser.request("/api/changes")).status).toBe(200);
    const disabled = await admin.browser.post("/admin/users", {
      csrf,
      action: "disable",
      email: victim.user.email,
    });
    expect(disabled.status).toBe(303);
    expect((await userByEmail(database.db, victim.user.email))?.disabledAt).toBeInstanceOf(Date);
    expect((await victim.browser.request("/api/changes")).status).toBe(401);

    const unknown = await admin.browser.post("/admin/users", {
      csrf,
      action: "role",
      email: "nobody@example.org",
      role: "admin",
    });
    expect(unknown.status).toBe(404);
    expect(await userByEmail(database.db, "nobody@example.org")).toBeUndefined();
    const badRole = await admin.browser.post("/admin/users", {
      csrf,
      action: "add",
      email: "r@example.org",
      role: "root",
    });
    expect(badRole.status).toBe(400);
    expect(await userByEmail(database.db, "r@example.org")).toBeUndefined();
  });

  it("takes the forms of a first page view, in a browser that brings only its session cookie", async () => {
    const { browser } = await web.signedIn("admin");
    expect(browser.jar.has("regwatch_csrf")).toBe(false);
    const page = await (await browser.request("/admin")).text();
    const values = new Set([...page.matchAll(/name="csrf" value="([^"]+)"/g)].map((m) => m[1]));
    expect(values).toEqual(new Set([browser.jar.get("regwatch_csrf")]));
    const email = `first-view-${randomBytes(3).toString("hex")}@example.org`;
    const res = await browser.post("/admin/users", {
      csrf: [...values][0]!,
      action: "add",
      email,
      role: "viewer",
    });
    expect(res.status).toBe(303);
    expect((await userByEmail(database.db, email))?.role).toBe("viewer");
  });

  it("refuses to let an admin disable themselves or drop their own admin role", async () => {
    const csrf = await admin.browser.csrfFrom("/admin");
    const disable = await admin.browser.post("/admin/users", {
      csrf,
      action: "disable",
      email: admin.user.email,
    });
    expect(disable.status).toBe(409);
    expect(await disable.text()).toContain("you cannot disable your own account");
    const demote = await admin.browser.post("/admin/users", {
      csrf,
      action: "role",
      email: admin.user.email,
      role: "reviewer",
    });
    expect(demote.status).toBe(409);
    expect(await demote.text()).toContain("you cannot drop your own admin role");
    const me = await userByEmail(database.db, admin.user.email);
    expect(me?.role).toBe("admin");
    expect(me?.disabledAt).toBeNull();
    expect((await admin.browser.request("/admin")).status).toBe(200);
  });

  it("refuses forms without this browser's CSRF value and changes nothing", async () => {
    await admin.browser.csrfFrom("/admin");
    const email = "forged@example.org";
    const none = await admin.browser.post("/admin/users", { action: "add", email, role: "admin" });
    expect(none.status).toBe(403);
    const wrong = await admin.browser.post("/admin/users", {
      csrf: "x".repeat(43),
      action: "add",
      email,
      role: "admin",
    });
    expect(wrong.status).toBe(403);
    expect(await userByEmail(database.db, email)).toBeUndefined();
    const token = await admin.browser.post("/admin/tokens", {
      action: "create",
      email: admin.user.email,
      name: "forged",
    });
    expect(token.status).toBe(403);
    expect((await listApiTokens(database.db)).some((t) => t.name === "forged")).toBe(false);
  });

  it("makes an API token shown once, that works as Bearer on /api/changes until revoked", async () => {
    const owner = await web.signedIn("viewer");
    const csrf = await admin.browser.csrfFrom("/admin/tokens");
    const created = await admin.browser.post("/admin/tokens", {
      csrf,
      action: "create",
      email: owner.user.email,
      name: "nightly <export>",
    });
    expect(created.status).toBe(201);
    const page = await created.text();
    expect(page).toContain("it will not be shown again");
    expect(page).toContain("nightly &#60;export&#62;");
    const token = /rwt_[A-Za-z0-9_-]{43}/.exec(page)![0];
    const bearer = (value: string) =>
      web.app.request("/api/changes", { headers: { authorization: `Bearer ${value}` } });
    expect((await bearer(token)).status).toBe(200);

    const [row] = (await listApiTokens(database.db)).filter((t) => t.userId === owner.user.id);
    const list = await (await admin.browser.request("/admin/tokens")).text();
    expect(list).toContain(`<code>${row!.id}</code>`);
    expect(list).toContain(owner.user.email);
    expect(list).not.toContain(token);
    expect(list).not.toContain(row!.tokenSha256);

    const revoked = await admin.browser.post("/admin/tokens", { csrf, action: "revoke", id: row!.id });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get("location")).toBe(`/admin/tokens?done=revoked&id=${row!.id}`);
    expect((await bearer(token)).status).toBe(401);
    expect(await (await admin.browser.request(revoked.headers.get("location")!)).text()).toMatch(
      /revoked <time datetime="[^"]+">/,
    );
    const again = await admin.browser.post("/admin/tokens", { csrf, action: "revoke", id: row!.id });
    expect(again.status).toBe(404);

    expect((await bearer(`rwt_${"A".repeat(43)}`)).status).toBe(401);
    expect((await bearer("not-a-token")).status).toBe(401);
  });

  it("lists subscriptions made through POST /subscriptions with their status, escaped, filtered by status", async () => {
    // RFC 5322 allows & and ' before the @: unescaped, "&lt" would render as "<".
    const email = "o'neil&lt@example.org";
    const made = await web.anonymous().request("/subscriptions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email,
        technologies: ["quantum"],
        jurisdictions: ["NL"],
        countries: "CN",
        keywords: ["<script>alert(1)</script>"],
        cadence: "daily",
        webhookUrl: "https://hooks.slack.com/services/T000/B000/SECRETPART",
        webhookFormat: "slack",
      }),
    });
    expect(made.status).toBe(201);
    const { id } = (await made.json()) as { id: string };

    const res = await admin.browser.request("/admin/subscriptions");
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("o&#39;neil&#38;lt@example.org");
    expect(page).not.toContain(email);
    expect(page).not.toContain("<script>alert(1)</script>");
    expect(page).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
    // The webhook's host, never its path: Slack's carries the credential.
    expect(page).toContain("webhook → <code>hooks.slack.com</code> (slack)");
    expect(page).not.toContain("SECRETPART");
    const row = page.slice(page.indexOf(`<code>${id}</code>`));
    expect(row).toMatch(/^<code>[^<]+<\/code><\/div><\/td><td><span class="status-stale">pending<\/span>/);
    expect(row).toContain('<span class="tag">quantum</span>');
    expect(row).toContain("daily at 08:00 UTC");

    expect(await (await admin.browser.request("/admin/subscriptions?status=pending")).text()).toContain(id);
    expect(await (await admin.browser.request("/admin/subscriptions?status=active")).text()).not.toContain(
      id,
    );

    // Confirmed through its link: listed as active, with the confirmation's date.
    const confirm = new URL(subscriptionLinks(PUBLIC_URL, SECRET, id, new Date()).confirm);
    expect((await web.anonymous().request(`${confirm.pathname}${confirm.search}`)).status).toBe(200);
    const active = await (await admin.browser.request("/admin/subscriptions?status=active")).text();
    expect(active).toContain(`<code>${id}</code>`);
    expect(active.slice(active.indexOf(`<code>${id}</code>`))).toMatch(
      /^<code>[^<]+<\/code><\/div><\/td><td><span class="status-ok">active<\/span>/,
    );
    expect(await (await admin.browser.request("/admin/subscriptions?status=pending")).text()).not.toContain(
      id,
    );

    expect((await admin.browser.request("/admin/subscriptions?status=bogus")).status).toBe(400);
    expect((await admin.browser.request("/admin/subscriptions?after=nonsense")).status).toBe(400);
  });

  it("pages the subscriptions 100 at a time, newest first, none skipped or repeated", async () => {
    const at = new Date("2031-01-01T00:00:00Z");
    const ids: string[] = [];
    // One instant for all: the page boundary falls inside a tie, broken by id.
    for (let i = 0; i < 105; i++) {
      const id = `bulk-${String(i).padStart(3, "0")}-${randomUUID()}`;
      ids.push(id);
      await createSubscription(
        database.db,
        {
          id,
          email: `bulk${i}@example.org`,
          filters: {
            technologies: [],
            jurisdictions: [],
            countries: [],
            entries: [],
            kinds: [],
            sources: [],
            keywords: [],
          },
          cadence: "immediate",
          weekday: null,
          hour: 8,
          timeZone: "UTC",
        },
        at,
      );
    }
    const first = await (await admin.browser.request("/admin/subscriptions")).text();
    const firstIds = listedIds(first, "bulk-");
    expect(firstIds).toHaveLength(100);
    const next = /<a href="([^"]+)" rel="next">/.exec(first)![1]!.replaceAll("&#38;", "&");
    const second = await (await admin.browser.request(next)).text();
    const secondIds = listedIds(second, "bulk-");
    expect(secondIds).toHaveLength(5);
    expect([...firstIds, ...secondIds]).toEqual([...ids].sort().reverse());
    // The older subscriptions follow on the next page.
    expect(second).toContain("o&#39;neil&#38;lt@example.org");
    expect(second).not.toContain('rel="next"');
    expect((await listSubscriptions(database.db, { includeUnsubscribed: true })).length).toBeGreaterThan(105);
  });

  it("shows the in-process runner's queues and the jobs it ran, failure reasons escaped", async () => {
    expect((await runner.enqueue("echo", { note: "hello" })).queued).toBe(true);
    expect((await runner.enqueue("echo", { note: "fail" })).queued).toBe(true);
    await runner.idle();
    const res = await admin.browser.request("/admin/queues");
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("Runner: <strong>in-process</strong>");
    expect(page).toContain(
      '<tr><td>maintenance</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num status-failing">1</td><td class="num">1</td></tr>',
    );
    expect(page).toMatch(
      /<tr><td>echo<\/td><td><code>\d+<\/code><\/td><td>maintenance<\/td><td><span class="status-ok">completed<\/span><\/td><td class="num">1\/1<\/td><td><code>\{&#34;note&#34;:&#34;hello&#34;\}<\/code><\/td>(<td class="date"><time [^>]+>[^<]+<\/time><\/td>){3}<td>echoed hello<\/td><\/tr>/,
    );
    expect(page).toContain('<span class="status-failing">&#60;b&#62;broke&#60;/b&#62; &#38; stopped</span>');
    expect(page).not.toContain(FAILURE);

    const failed = await (await admin.browser.request("/admin/queues?state=failed")).text();
    expect(failed).toContain("broke");
    expect(failed).not.toContain("echoed hello");
  });

  it("says so when this web node has no runner", async () => {
    const bare = await webApp(database);
    try {
      const { browser } = await bare.signedIn("admin");
      const res = await browser.request("/admin/queues");
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("No job runner on this web node");
    } finally {
      await bare.close();
    }
  });
});

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.REGWATCH_REQUIRE_SERVICES === "1")
  throw new Error("REGWATCH_REQUIRE_SERVICES=1 but REDIS_URL is not set");

describe.skipIf(!redisUrl)("the queues page over BullMQ", () => {
  it("shows every node's jobs from Redis: counts, the completed job and the failed one's reason", async () => {
    const database = await openDatabase({ memory: true });
    await database.migrate();
    const prefix = `rwtest-admin-${randomBytes(6).toString("hex")}`;
    const bull = bullmqRunner({
      redisUrl: redisUrl!,
      ctx: jobContext(database),
      log: silentLog,
      lockMs: 30_000,
      concurrency: 1,
      prefix,
      jobs: [echoJob],
    });
    const web = await webApp(database, { dashboard: { queues: () => bull.inspect() } });
    const redis = new Redis(redisUrl!, { maxRetriesPerRequest: 1 });
    try {
      await bull.startWorkers(["maintenance"]);
      await bull.enqueue("echo", { note: "hello" });
      await bull.enqueue("echo", { note: "fail" });
      const deadline = Date.now() + 10_000;
      for (;;) {
        const view = await bull.inspect();
        const maintenance = view.queues.find((q) => q.queue === "maintenance")!;
        if (maintenance.completed === 1 && maintenance.failed === 1) break;
        if (Date.now() > deadline) throw new Error(`jobs did not finish: ${JSON.stringify(view.queues)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const { browser } = await web.signedIn("admin");
      const page = await (await browser.request("/admin/queues")).text();
      expect(page).toContain("Runner: <strong>BullMQ over Redis</strong>");
      expect(page).toContain(
        '<tr><td>maintenance</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num status-failing">1</td><td class="num">1</td></tr>',
      );
      expect(page).toMatch(/<span class="status-ok">completed<\/span><\/td><td class="num">1\/1<\/td>/);
      expect(page).toContain("<td>echoed hello</td>");
      expect(page).toContain(
        '<span class="status-failing">&#60;b&#62;broke&#60;/b&#62; &#38; stopped</span>',
      );
      expect(page).not.toContain(FAILURE);
    } finally {
      await bull.close();
      await web.close();
      await database.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  }, 120_000);
});
