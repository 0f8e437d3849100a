import type { DashboardDeps } from "../dashboard.ts";
import type { Route } from "../router.ts";

/** Placeholder: the changes list and a change's page. */
export function changePageRoutes(_deps: DashboardDeps): Route[] {
  return [];
}
