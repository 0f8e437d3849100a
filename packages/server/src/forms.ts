// The posted forms of the pages: the body read within a size limit, then the
// CSRF value checked, with the answers a browser gets when either fails; and
// the 303 that sends it on afterwards.

import { csrfValid } from "./auth.ts";
import { BodyError, parseBody, readBody } from "./body.ts";
import type { RouteContext } from "./router.ts";
import { statusPage } from "./views/layout.ts";

/** "See other": after a form, the browser GETs `location` (a reload does not post again). */
export function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
}

/** The form's fields, once its size, type and CSRF value are checked; else the page to answer with. */
export async function postedForm(
  c: RouteContext,
  limit: number,
): Promise<Record<string, unknown> | Response> {
  let body: Record<string, unknown>;
  try {
    body = parseBody(c.req.header("content-type"), await readBody(c.req.raw, limit));
  } catch (err) {
    if (err instanceof BodyError) return statusPage(c, err.status, "Not understood", err.message);
    throw err;
  }
  if (!csrfValid(c, body.csrf))
    return statusPage(
      c,
      403,
      "Form expired",
      "This form was not sent from this site's page, or the page is too old. Open it again and retry; nothing was changed.",
    );
  return body;
}
