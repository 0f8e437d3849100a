import type { DashboardDeps } from "../dashboard.ts";
import type { Route } from "../router.ts";

/** Placeholder: the alignment matrix (/matrix). */
export function matrixRoutes(_deps: DashboardDeps): Route[] {
  return [];
}
