import type { DashboardDeps } from "../dashboard.ts";
import type { Route } from "../router.ts";

/** Placeholder: the weekly review (/review, /review.csv, marks, audit log). */
export function reviewRoutes(_deps: DashboardDeps): Route[] {
  return [];
}
