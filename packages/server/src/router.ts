import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@regwatch/core/http";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Answers one request; a thrown error or a rejected promise becomes a 500. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface Route {
  /** The exact pathname served. */
  path: string;
  /** GET also answers HEAD: node's response sends the same headers and drops the body. */
  methods: Partial<Record<string, RouteHandler>>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
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
  const methods = Object.keys(route.methods);
  if (methods.includes("GET") && !methods.includes("HEAD"))
    methods.splice(methods.indexOf("GET") + 1, 0, "HEAD");
  return methods.join(", ");
}

/**
 * The request listener over a list of routes: 400 for a target it cannot
 * read, 404, 405 with `Allow`, and an error boundary so that nothing a
 * handler does, however it fails, reaches the process.
 */
export function createRouter(routes: readonly Route[], log?: Logger): Handler {
  function failed(req: IncomingMessage, res: ServerResponse, err: unknown) {
    log?.error({ err, method: req.method, url: req.url }, "request failed");
    try {
      // Half a response cannot be repaired: hang up so the client sees it broke.
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: "internal error" });
    } catch {
      res.destroy();
    }
  }

  function dispatch(req: IncomingMessage, res: ServerResponse): void | Promise<void> {
    const url = requestUrl(req.url);
    if (!url) return sendJson(res, 400, { error: "bad request target" });
    const route = routes.find((r) => r.path === url.pathname);
    if (!route) return sendJson(res, 404, { error: "not found" });
    const handler = route.methods[req.method === "HEAD" ? "GET" : (req.method ?? "")];
    if (!handler) return sendJson(res, 405, { error: "method not allowed" }, { allow: allowed(route) });
    return handler(req, res, url);
  }

  return (req, res) => {
    let pending: void | Promise<void>;
    try {
      pending = dispatch(req, res);
    } catch (err) {
      failed(req, res, err);
      return;
    }
    pending?.catch((err: unknown) => failed(req, res, err));
  };
}
