import { signToken } from "./tokens.ts";

const DAY_MS = 86_400_000;
// A confirm link is for now; an unsubscribe link must work from any old email.
const CONFIRM_FOR_MS = 7 * DAY_MS;
const UNSUBSCRIBE_FOR_MS = 400 * DAY_MS;
const MANAGE_FOR_MS = 30 * DAY_MS;

export interface Links {
  confirm: string;
  unsubscribe: string;
  manage: string;
}

/** The signed links of one subscription, on the service's public address. */
export function subscriptionLinks(
  publicUrl: string,
  secret: string,
  subscriptionId: string,
  now: Date,
): Links {
  const base = publicUrl.replace(/\/+$/, "");
  const link = (path: string, purpose: "confirm" | "manage" | "unsubscribe", forMs: number) =>
    `${base}${path}?token=${signToken(secret, { purpose, subject: subscriptionId, expiresAt: new Date(now.getTime() + forMs) })}`;
  return {
    confirm: link("/subscriptions/confirm", "confirm", CONFIRM_FOR_MS),
    unsubscribe: link("/unsubscribe", "unsubscribe", UNSUBSCRIBE_FOR_MS),
    manage: link("/subscriptions/manage", "manage", MANAGE_FOR_MS),
  };
}

/** RFC 2369 and RFC 8058 headers: one-click unsubscribe from the mail client, by mail or by POST. */
export function unsubscribeHeaders(links: Links, mailto: string | null): Record<string, string> {
  const targets = [...(mailto ? [`<mailto:${mailto}?subject=unsubscribe>`] : []), `<${links.unsubscribe}>`];
  return {
    "List-Unsubscribe": targets.join(", "),
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  };
}
