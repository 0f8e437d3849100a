import type { DashboardDeps } from "../dashboard.ts";
import type { Route } from "../router.ts";

/** Placeholder: the sources pages (/sources, /sources/:id). */
export function sourcePageRoutes(_deps: DashboardDeps): Route[] {
  return [];
}
