// Who may see what. Roles rank viewer < reviewer < admin. "read" is what a
// viewer may do, open to anyone on a public instance (REGWATCH_PUBLIC_READ=1).
// Pages send the signed-out to /login (and back after); the API answers 401
// and 403 in JSON.

import type { Role, UserRow } from "@regwatch/db/queries/users";
import { seeOther } from "./forms.ts";
import { json, type RouteContext } from "./router.ts";
import { statusPage } from "./views/layout.ts";

export type Need = "read" | Role;

const RANK: Record<Role, number> = { viewer: 0, reviewer: 1, admin: 2 };

export function hasRole(user: UserRow | null, role: Role): boolean {
  return !!user && (RANK[user.role as Role] ?? -1) >= RANK[role];
}

function granted(c: RouteContext, need: Need): "yes" | "sign-in" | "forbidden" {
  const user = c.get("user") ?? null;
  if (need === "read") return user || c.get("site").publicRead ? "yes" : "sign-in";
  if (!user) return "sign-in";
  return hasRole(user, need) ? "yes" : "forbidden";
}

/** For a page: null when the request may go on, else the redirect to /login or a 403 page. */
export function pageGate(c: RouteContext, need: Need): Response | null {
  const verdict = granted(c, need);
  if (verdict === "yes") return null;
  if (verdict === "sign-in") {
    const url = new URL(c.req.url);
    const next = `${url.pathname}${url.search}`;
    return seeOther(`/login?next=${encodeURIComponent(next)}`);
  }
  return statusPage(c, 403, "Not allowed", `This page needs the ${need} role; ask an admin.`);
}

/** For the JSON API: null when the request may go on, else 401 or 403. */
export function apiGate(c: RouteContext, need: Need): Response | null {
  const verdict = granted(c, need);
  if (verdict === "yes") return null;
  if (verdict === "sign-in")
    return json(
      401,
      { error: "sign-in or an API token required (or REGWATCH_PUBLIC_READ=1 on a public instance)" },
      { "www-authenticate": 'Bearer realm="regwatch"' },
    );
  return json(403, { error: `needs the ${need} role` });
}
