import { randomUUID } from "node:crypto";
import type { Logger } from "@regwatch/core/http";
import type { Db } from "@regwatch/db/open-database";
import {
  confirmationsSince,
  confirmSubscription,
  createSubscription,
  enqueueDeliveries,
  getSubscription,
  recordDeliveryAttempt,
  type SubscriptionRow,
  unsubscribe,
} from "@regwatch/db/queries/subscriptions";
import type { Mailer } from "@regwatch/mail/mailer";
import { subscriptionLinks, unsubscribeHeaders } from "./links.ts";
import { confirmationMessage } from "./messages/confirm.ts";
import type { SubscriptionInput } from "./subscription-input.ts";
import { TokenError, verifyToken } from "./tokens.ts";

export interface AlertDeps {
  db: Db;
  mailer: Mailer;
  /** Signs and checks the links (`secretKey` in @regwatch/runtime). */
  secret: string;
  /** Where the links point: the service's public address. */
  publicUrl: string;
  log: Logger;
  now(): Date;
  /** Where operator messages (source-health transitions) go: `ADMIN_EMAIL`; none without it. */
  adminEmail?: string | null;
  /** `REGWATCH_ALLOW_PRIVATE_WEBHOOKS=1`: webhooks may point at loopback and private addresses (tests). */
  allowPrivateWebhooks?: boolean;
}

// Confirmation messages one address may be sent in an hour: subscribing someone else's address over and over does not flood them.
export const CONFIRMATIONS_PER_HOUR = 3;

export class SubscribeRefusedError extends Error {
  override name = "SubscribeRefusedError";
}

/** A stable Message-ID for a delivery: a retry is the same message to the receiving side. */
export function messageIdFor(publicUrl: string, key: string): string {
  const host = new URL(publicUrl).hostname || "regwatch.local";
  return `<${key.replace(/[^A-Za-z0-9._-]/g, "-")}@${host}>`;
}

/**
 * Takes a subscription (pending) and sends the confirmation: nothing else
 * reaches the address until its link is followed. The message is written to
 * the outbox first, so a failed send is retried, never lost.
 */
export async function subscribe(
  deps: AlertDeps,
  input: SubscriptionInput,
): Promise<{ subscription: SubscriptionRow; sent: boolean; error: string | null }> {
  const now = deps.now();
  const recent = await confirmationsSince(deps.db, input.email, new Date(now.getTime() - 3_600_000));
  if (recent >= CONFIRMATIONS_PER_HOUR) {
    throw new SubscribeRefusedError(
      `${input.email} was sent ${recent} confirmation messages in the last hour; try again later`,
    );
  }
  const id = randomUUID();
  const subscription = await createSubscription(
    deps.db,
    {
      id,
      email: input.email,
      filters: input.filters,
      cadence: input.cadence,
      weekday: input.weekday,
      hour: input.hour,
      timeZone: input.timeZone,
      emailAlerts: input.emailAlerts,
      sendEmptyDigests: input.sendEmptyDigests,
      webhookUrl: input.webhookUrl,
      webhookFormat: input.webhookFormat,
    },
    now,
  );
  const links = subscriptionLinks(deps.publicUrl, deps.secret, id, now);
  const message = confirmationMessage(subscription, links);
  const [delivery] = await enqueueDeliveries(deps.db, [
    {
      subscriptionId: id,
      kind: "confirm",
      key: "confirm",
      groupKey: `confirm:${id}`,
      messageId: messageIdFor(deps.publicUrl, `confirm.${id}`),
      createdAt: now,
    },
  ]);
  try {
    await deps.mailer.send({
      to: input.email,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId: delivery!.messageId,
      headers: unsubscribeHeaders(links, null),
    });
    await recordDeliveryAttempt(deps.db, [delivery!.id], { sentAt: deps.now() });
    return { subscription, sent: true, error: null };
  } catch (err) {
    const error = (err as Error).message;
    await recordDeliveryAttempt(deps.db, [delivery!.id], { error, final: false });
    deps.log.warn({ subscriptionId: id }, `confirmation not sent yet: ${error}`);
    return { subscription, sent: false, error };
  }
}

/** Follows a confirm link: the subscription becomes active. */
export async function confirmByToken(deps: AlertDeps, token: string): Promise<SubscriptionRow> {
  const { subject } = verifyToken(deps.secret, token, "confirm", deps.now());
  const row = await confirmSubscription(deps.db, subject, deps.now());
  if (!row) throw new TokenError("malformed", "this subscription no longer exists");
  return row;
}

/** Follows an unsubscribe link (or its one-click POST): that subscription stops. */
export async function unsubscribeByToken(
  deps: AlertDeps,
  token: string,
): Promise<SubscriptionRow | undefined> {
  const { subject } = verifyToken(deps.secret, token, "unsubscribe", deps.now());
  const [row] = await unsubscribe(deps.db, { id: subject }, deps.now());
  return row ?? (await getSubscription(deps.db, subject));
}
