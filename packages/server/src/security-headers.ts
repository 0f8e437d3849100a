import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./router.ts";

/**
 * Pages load only this site's stylesheet and script (`/assets/…`): no inline
 * script, no third party, no framing, forms post only here.
 */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// Everything else (JSON, CSV, feeds, raw documents) is never a page: nothing runs or loads from it.
const OTHER_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

const ALWAYS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

/** Security headers on every answer; a route's own value wins (a page's stricter CSP). */
export function securityHeaders(options: { https: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    for (const [name, value] of Object.entries(ALWAYS)) if (!headers.has(name)) headers.set(name, value);
    if (!headers.has("content-security-policy")) {
      const html = (headers.get("content-type") ?? "").startsWith("text/html");
      headers.set("content-security-policy", html ? PAGE_CSP : OTHER_CSP);
    }
    if (options.https && !headers.has("strict-transport-security"))
      headers.set("strict-transport-security", "max-age=31536000");
  };
}
