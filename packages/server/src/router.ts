import type { HttpBindings } from "@hono/node-server";
import type { Logger } from "@regwatch/core/http";
import type { UserRow } from "@regwatch/db/queries/users";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { AuthDeps } from "./auth.ts";

/** What a route's handlers see: Hono's context, with node's request and response when served over node:http, and who is signed in. */
export type AppEnv = {
  Bindings: Partial<HttpBindings>;
  Variables: {
    user: UserRow | null;
    sessionId: string | null;
    /** How the request was authenticated: a session cookie, an API token, or not at all. */
    via: "session" | "token" | null;
    site: Site;
  };
};

/** What every page needs to know of the instance. */
export interface Site {
  /** Where links point (`PUBLIC_URL`), without a trailing slash. */
  publicUrl: string;
  /** `REGWATCH_PUBLIC_READ=1`: changes, sources and the matrix readable by anyone. */
  publicRead: boolean;
  /** Sign-in (the signing key, the database): no accounts without it. */
  auth: AuthDeps | null;
}
export type RouteContext = Context<AppEnv>;
export type RouteHandler = (c: RouteContext) => Response | Promise<Response>;

export interface Route {
  /** The path served (Hono's syntax: `/changes/:id`). */
  path: string;
  /** GET also answers HEAD: the same headers, no body. */
  methods: Partial<Record<"GET" | "POST", RouteHandler>>;
}

/** A JSON answer, never cached. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  return new Response(text, {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/**
 * The URL a request target asks for, or null when the target is not one we
 * serve. Origin-form (`/health?x`) is read as a path on a fixed origin;
 * absolute-form (`http://host/health`, what proxies send) is accepted for
 * http and https and served by its path. Asterisk- and authority-form, and
 * anything else, are not.
 */
export function requestUrl(target: string | undefined): URL | null {
  // A target that begins with `//` is a scheme-relative URL to every URL
  // parser (`//[` took the process down as one): refused, not guessed at.
  if (!target || target.startsWith("//")) return null;
  try {
    if (target.startsWith("/")) return new URL(`http://localhost${target}`);
    if (/^https?:\/\//i.test(target)) return new URL(target);
  } catch {
    // Not a URL at all (`http://`, `http://[`): a bad request, below.
  }
  return null;
}

function allowed(route: Route): string {
  const methods: string[] = Object.keys(route.methods);
  if (methods.includes("GET")) methods.splice(methods.indexOf("GET") + 1, 0, "HEAD");
  return methods.join(", ");
}

/**
 * The app over a list of routes: one typed handler per method and path, 404
 * for a path nobody serves, 405 with `Allow` for a method a path does not
 * take, and an error boundary that turns whatever a handler throws into a
 * 500 (logged), so nothing a request does reaches the process.
 */
export function createRouter(
  routes: readonly Route[],
  log?: Logger,
  middleware: readonly MiddlewareHandler<AppEnv>[] = [],
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const m of middleware) app.use(m);
  for (const route of routes) {
    for (const [method, handler] of Object.entries(route.methods)) {
      app.on(method, route.path, async (c) => {
        const res = await handler(c);
        // Through the context, so that what it set (cookies) goes out with the response.
        return c.newResponse(res.body, res);
      });
    }
    // After the methods it takes: whatever else comes to this path.
    const allow = allowed(route);
    app.all(route.path, () => json(405, { error: "method not allowed" }, { allow }));
  }
  app.notFound(() => json(404, { error: "not found" }));
  app.onError((err, c) => {
    log?.error({ err, method: c.req.method, url: c.req.url }, "request failed");
    return json(500, { error: "internal error" });
  });
  return app;
}
