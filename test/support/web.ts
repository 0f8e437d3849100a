// The dashboard as tests drive it: the app factory (no socket) with accounts,
// a cookie-keeping client, signed-in sessions of each role made directly in
// the database, and the CA list ingested through the real pipeline so pages
// have records to show.

import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import { signToken } from "@regwatch/alerts/tokens";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { createSession, type Role, type UserRow, upsertUser } from "@regwatch/db/queries/users";
import { createMailer, type Mailer } from "@regwatch/mail/mailer";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { ingestBytes } from "@regwatch/pipeline/run-source";
import { type AppDeps, createApp } from "@regwatch/server/app";
import type { DashboardDeps } from "@regwatch/server/dashboard";
import { findSource } from "@regwatch/sources/registry";
import { silentLog, testHttpClient } from "./test-http.ts";

export const SECRET = "s".repeat(64);
export const PUBLIC_URL = "https://regwatch.test";
export const WEB_SOURCES = ["us.federal-register", "us.ecfr.ccl", "ca.export-control-list"];

export type App = ReturnType<typeof createApp>;

/** A registered source as the service describes it to the app: its schedule, title and jurisdiction. */
export function sourceInfo(id: string) {
  const source = findSource(id);
  return {
    id,
    schedule: "0 */6 * * *",
    cadence: "every 6 h",
    title: source?.title,
    jurisdiction: source?.jurisdiction,
  };
}

/** A browser's cookies, kept from each answer's Set-Cookie. */
export class Browser {
  jar = new Map<string, string>();
  constructor(
    private app: App,
    cookies: Record<string, string> = {},
  ) {
    for (const [k, v] of Object.entries(cookies)) this.jar.set(k, v);
  }
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size) headers.set("cookie", [...this.jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await this.app.request(path, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = pair!.split("=");
      if (/max-age=0/i.test(line) || value === "") this.jar.delete(name!);
      else this.jar.set(name!, value!);
    }
    return res;
  }
  /** The CSRF value the page at `path` put in its forms. */
  async csrfFrom(path: string): Promise<string> {
    const html = await (await this.request(path)).text();
    const value = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!value) throw new Error(`no CSRF field on ${path}`);
    return value;
  }
  post(path: string, fields: Record<string, string>) {
    return this.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

export interface WebApp {
  app: App;
  database: Database;
  alerts: AlertDeps;
  /** A browser signed in as a new user of this role (session made directly in the database). */
  signedIn(role: Role, email?: string): Promise<{ browser: Browser; user: UserRow }>;
  anonymous(): Browser;
  close(): Promise<void>;
}

/** The whole app over `database`, with accounts and the dashboard; mail goes to an outbox directory. */
export async function webApp(
  database: Database,
  options: {
    publicRead?: boolean;
    sourceIds?: readonly string[];
    dashboard?: Partial<DashboardDeps>;
    now?: () => Date;
    extra?: Partial<AppDeps>;
  } = {},
): Promise<WebApp> {
  const now = options.now ?? (() => new Date());
  const mailer: Mailer = createMailer({
    smtpUrl: null,
    outboxDir: mkdtempSync(join(tmpdir(), "regwatch-web-outbox-")),
    from: "regwatch <alerts@regwatch.test>",
  });
  const alerts: AlertDeps = {
    db: database.db,
    mailer,
    secret: SECRET,
    publicUrl: PUBLIC_URL,
    log: silentLog,
    now,
  };
  const sourceIds = options.sourceIds ?? WEB_SOURCES;
  const app = createApp({
    database,
    sourceIds,
    startedAt: now(),
    log: silentLog,
    auth: alerts,
    publicUrl: PUBLIC_URL,
    publicRead: options.publicRead ?? false,
    sources: sourceIds.map(sourceInfo),
    changes: { database, sourceIds },
    subscriptions: { alerts, sourceIds },
    artifacts: { database, files: null },
    dashboard: {
      database,
      sources: sourceIds.map(sourceInfo),
      now,
      ...options.dashboard,
    },
    ...options.extra,
  });
  return {
    app,
    database,
    alerts,
    async signedIn(role, email) {
      const at = now();
      const user = await upsertUser(
        database.db,
        { id: randomUUID(), email: email ?? `${role}-${randomBytes(4).toString("hex")}@example.org`, role },
        at,
      );
      const sessionId = randomBytes(16).toString("hex");
      const expiresAt = new Date(at.getTime() + 3_600_000);
      await createSession(database.db, { id: sessionId, userId: user.id, expiresAt }, at);
      const cookie = signToken(SECRET, { purpose: "session", subject: sessionId, expiresAt });
      return { browser: new Browser(app, { regwatch_session: cookie }), user };
    },
    anonymous: () => new Browser(app),
    close: () => mailer.close(),
  };
}

/** The CA Export Control List ingested through the real pipeline, as a version of `eclVersion`'s shape. */
export async function ingestEcl(database: Database, body: Buffer, at: string): Promise<void> {
  const deps: PipelineDeps = {
    db: database.db,
    log: silentLog,
    exclusive: createExclusive(),
    http: testHttpClient({}),
  };
  await ingestBytes(
    deps,
    findSource("ca.export-control-list")!,
    { body, url: "https://laws-lois.justice.gc.ca/eng/XML/SOR-89-202.xml", sha256: sha256Hex(body) },
    { runAt: new Date(at) },
  );
}

/** The rows of the first table with this class in a page, each as its cells' markup. */
export function tableRows(page: string, tableClass: string): string[][] {
  const table = new RegExp(`<table class="${tableClass}">([\\s\\S]*?)</table>`).exec(page)?.[1];
  if (!table) return [];
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)?.[1] ?? "";
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!),
  );
}

/** What a fragment of markup reads as: tags dropped, character references decoded, spaces collapsed. */
export function textOf(markup: string): string {
  return markup
    .replace(/<br>/g, " ")
    .replace(/<[^>]*>/g, "")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}
