import type { Route } from "../router.ts";
import type { SubscriptionDeps } from "./subscriptions.ts";

/** Placeholder: the public subscribe form (/subscribe). */
export function subscribePageRoutes(_deps: SubscriptionDeps): Route[] {
  return [];
}
