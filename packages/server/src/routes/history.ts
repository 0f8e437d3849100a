import type { DashboardDeps } from "../dashboard.ts";
import type { Route } from "../router.ts";

/** Placeholder: entry history and snapshot comparison. */
export function historyRoutes(_deps: DashboardDeps): Route[] {
  return [];
}
