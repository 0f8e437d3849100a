// Who is asking: a session cookie (a signed token naming a `sessions` row,
// HttpOnly, SameSite=Lax, Secure on https) read on every request, and the
// CSRF check of every form this app renders (a random value in a cookie that
// the form must echo: a page on another site can make the browser post, but
// cannot read the cookie to put the value in the form).

import { randomBytes, timingSafeEqual } from "node:crypto";
import { signToken, TokenError, verifyToken } from "@regwatch/alerts/tokens";
import type { Db } from "@regwatch/db/open-database";
import { apiTokenUser } from "@regwatch/db/queries/api-tokens";
import { sessionUser, type UserRow } from "@regwatch/db/queries/users";
import type { MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv, RouteContext } from "./router.ts";

export const SESSION_COOKIE = "regwatch_session";
export const CSRF_COOKIE = "regwatch_csrf";
// A month: a reviewer signs in once for the weekly reviews of a month.
export const SESSION_MS = 30 * 24 * 3_600_000;

export interface AuthDeps {
  db: Db;
  /** Signs session cookies (SECRET_KEY). */
  secret: string;
  /** Cookies are Secure when this is https. */
  publicUrl: string;
  now(): Date;
}

const secure = (deps: AuthDeps) => deps.publicUrl.startsWith("https:");

/**
 * Who is asking: an API token (`Authorization: Bearer rwt_…`, for programs)
 * or the session cookie (browsers), put on the context as the user (or null).
 * A token that does not verify is refused outright (401), not read as anonymous:
 * a script with a revoked token should hear so, not get the public view.
 */
export function sessionMiddleware(deps: AuthDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("user", null);
    c.set("via", null);
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
      const user = token ? await apiTokenUser(deps.db, token, deps.now()) : undefined;
      if (!user)
        return c.json({ error: "API token not valid (revoked, mistyped, or its user disabled)" }, 401, {
          "www-authenticate": 'Bearer realm="regwatch"',
          "cache-control": "no-store",
        });
      c.set("user", user);
      c.set("via", "token");
      await next();
      return;
    }
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie) {
      try {
        const { subject } = verifyToken(deps.secret, cookie, "session", deps.now());
        const user = (await sessionUser(deps.db, subject, deps.now())) ?? null;
        c.set("user", user);
        c.set("sessionId", subject);
        if (user) c.set("via", "session");
      } catch (err) {
        // A forged, expired or stale cookie is no session: the request goes on signed out.
        if (!(err instanceof TokenError)) throw err;
      }
    }
    await next();
  };
}

export function currentUser(c: RouteContext): UserRow | null {
  return c.get("user") ?? null;
}

/** Sets the cookie of a new session. */
export function startSessionCookie(c: RouteContext, deps: AuthDeps, sessionId: string): void {
  const expiresAt = new Date(deps.now().getTime() + SESSION_MS);
  setCookie(
    c,
    SESSION_COOKIE,
    signToken(deps.secret, { purpose: "session", subject: sessionId, expiresAt }),
    {
      httpOnly: true,
      sameSite: "Lax",
      secure: secure(deps),
      path: "/",
      maxAge: Math.floor(SESSION_MS / 1000),
    },
  );
}

export function endSessionCookie(c: RouteContext): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

// The value issued to a request that came without one: a page's forms and the layout's sign-out form must all carry it.
const issued = new WeakMap<Request, string>();

/** The CSRF value for this browser, set in a cookie if it has none yet: put it in every form as `csrf`. */
export function csrfToken(c: RouteContext, deps: AuthDeps): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const already = issued.get(c.req.raw);
  if (already) return already;
  const value = randomBytes(32).toString("base64url");
  issued.set(c.req.raw, value);
  setCookie(c, CSRF_COOKIE, value, { httpOnly: true, sameSite: "Lax", secure: secure(deps), path: "/" });
  return value;
}

/** Whether a posted form carries this browser's CSRF value. */
export function csrfValid(c: RouteContext, posted: unknown): boolean {
  const cookie = getCookie(c, CSRF_COOKIE);
  if (!cookie || typeof posted !== "string" || posted.length !== cookie.length) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(posted));
}
