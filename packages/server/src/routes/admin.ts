import type { DashboardDeps } from "../dashboard.ts";
import type { Route } from "../router.ts";

/** The job runner as admins see it. */
export interface QueuesView {
  kind: "bullmq" | "in-process";
}

/** Placeholder: the admin pages (users, tokens, subscriptions, queues). */
export function adminRoutes(_deps: DashboardDeps): Route[] {
  return [];
}
