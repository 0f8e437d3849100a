import type { DashboardDeps } from "../dashboard.ts";
import type { Route } from "../router.ts";

/** Placeholder: the OpenAPI document (/api/openapi.json). */
export function openapiRoutes(_deps: DashboardDeps): Route[] {
  return [];
}
