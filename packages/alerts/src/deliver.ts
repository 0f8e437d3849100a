import type { ChangeRecord } from "@regwatch/core/schemas";
import { listChanges } from "@regwatch/db/queries/changes";
import { listSourceRows } from "@regwatch/db/queries/sources";
import {
  type DeliveryRow,
  getSubscription,
  pendingDeliveries,
  recordBounce,
  recordDeliveryAttempt,
  type SubscriptionRow,
} from "@regwatch/db/queries/subscriptions";
import { PermanentMailError } from "@regwatch/mail/mailer";
import { createDigestReader } from "./digests.ts";
import { type Links, subscriptionLinks, unsubscribeHeaders } from "./links.ts";
import { alertMessage, type SourceStatus } from "./messages/alert.ts";
import { digestMessage } from "./messages/digest.ts";
import { operatorMessageFor } from "./operator.ts";
import type { AlertDeps } from "./subscribe.ts";
import { type WebhookFormat, webhookBody } from "./webhook/payloads.ts";
import { postWebhook, WebhookDeliveryError } from "./webhook/post-webhook.ts";
import { signatureHeaders, webhookSecret } from "./webhook/sign.ts";

// Refused deliveries (5xx, a webhook answering 4xx) a subscription may have before it is paused.
export const BOUNCES_BEFORE_PAUSE = 3;
// Attempts at one message before it is given up: with the backoff below, about two hours of retries.
export const ATTEMPTS_PER_MESSAGE = 8;
// The wait after the n-th failed attempt: 1, 2, 4 … minutes, at most an hour.
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 3_600_000;

export type DeliveryKind = "immediate" | "digest" | "operator";
export const DELIVERY_KINDS: readonly DeliveryKind[] = ["immediate", "digest", "operator"];

export interface DeliveryReport {
  sent: number;
  failed: number;
  /** Messages that hit a temporary failure and wait for their next attempt. */
  deferred: number;
  /** Not sent on purpose: the subscription stopped, or an empty digest the subscriber turned off. */
  skipped: number;
}

/** What goes out for one group of outbox rows, whatever the channel. */
interface Content {
  subject: string;
  text: string;
  html: string;
  changes: ChangeRecord[];
  period: { start: Date; end: Date } | null;
}

export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

/**
 * Sends what the outbox holds: one message per group (a subscriber's changes
 * from one snapshot, one digest, one operator notice), by email or webhook as
 * the row says, with the Message-ID fixed when the rows were written, so a
 * retry is the same message to the receiver. A row is marked sent only after
 * the server accepted it: a crash in between can at most send it once more,
 * with the same Message-ID. Failures wait out a growing delay before the next
 * attempt; refusals count as bounces and pause the subscription after three.
 */
export async function deliverPending(
  deps: AlertDeps,
  options: { kinds?: readonly DeliveryKind[] } = {},
): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, failed: 0, deferred: 0, skipped: 0 };
  const pending = await pendingDeliveries(deps.db, options.kinds ?? DELIVERY_KINDS, deps.now());
  const groups = new Map<string, DeliveryRow[]>();
  for (const row of pending) groups.set(row.groupKey, [...(groups.get(row.groupKey) ?? []), row]);
  if (!groups.size) return report;
  const composer = createComposer(deps);
  for (const rows of groups.values()) {
    const outcome = await deliverGroup(deps, composer, rows);
    report[outcome]++;
  }
  return report;
}

type Outcome = keyof DeliveryReport;

async function deliverGroup(
  deps: AlertDeps,
  composer: ReturnType<typeof createComposer>,
  rows: DeliveryRow[],
): Promise<Outcome> {
  const ids = rows.map((r) => r.id);
  const first = rows[0]!;
  if (first.kind === "operator") {
    const message = await operatorMessageFor(deps.db, deps.publicUrl, first.healthEventId!);
    if (!message || !first.recipient) {
      await recordDeliveryAttempt(deps.db, ids, { skipped: "the health transition is gone" });
      return "skipped";
    }
    return attempt(deps, rows, null, () =>
      deps.mailer.send({ to: first.recipient!, ...message, messageId: first.messageId }),
    );
  }
  const subscription = first.subscriptionId
    ? await getSubscription(deps.db, first.subscriptionId)
    : undefined;
  if (subscription?.status !== "active") {
    // Unsubscribed (or paused) since the row was written: nothing more reaches it.
    await recordDeliveryAttempt(deps.db, ids, { skipped: `subscription ${subscription?.status ?? "gone"}` });
    return "skipped";
  }
  const links = subscriptionLinks(deps.publicUrl, deps.secret, subscription.id, deps.now());
  const content = await composer.compose(subscription, rows, links);
  if (!content) {
    await recordDeliveryAttempt(deps.db, ids, { skipped: "no changes, and empty digests are turned off" });
    return "skipped";
  }
  if (first.channel === "webhook") {
    return attempt(deps, rows, subscription, () => sendWebhook(deps, subscription, first, content, links));
  }
  return attempt(deps, rows, subscription, () =>
    deps.mailer.send({
      to: subscription.email,
      subject: content.subject,
      text: content.text,
      html: content.html,
      messageId: first.messageId,
      headers: unsubscribeHeaders(links, null),
    }),
  );
}

/** One send, and what it means for the rows: sent, deferred with backoff, failed (and a bounce counted). */
async function attempt(
  deps: AlertDeps,
  rows: DeliveryRow[],
  subscription: SubscriptionRow | null,
  send: () => Promise<unknown>,
): Promise<Outcome> {
  const ids = rows.map((r) => r.id);
  try {
    await send();
  } catch (err) {
    const reason = (err as Error).message;
    const permanent =
      err instanceof PermanentMailError || (err instanceof WebhookDeliveryError && err.permanent);
    deps.log.warn(
      { subscriptionId: subscription?.id ?? null, kind: rows[0]!.kind, channel: rows[0]!.channel },
      `not delivered: ${reason}`,
    );
    if (permanent) {
      await recordDeliveryAttempt(deps.db, ids, { error: reason, final: true });
      if (subscription)
        await recordBounce(deps.db, subscription.id, reason, BOUNCES_BEFORE_PAUSE, deps.now());
      return "failed";
    }
    const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
    const final = attempts >= ATTEMPTS_PER_MESSAGE;
    const retryAt = new Date(deps.now().getTime() + retryDelayMs(attempts));
    await recordDeliveryAttempt(deps.db, ids, { error: reason, final, retryAt });
    return final ? "failed" : "deferred";
  }
  await recordDeliveryAttempt(deps.db, ids, { sentAt: deps.now() });
  return "sent";
}

async function sendWebhook(
  deps: AlertDeps,
  subscription: SubscriptionRow,
  row: DeliveryRow,
  content: Content,
  links: Links,
) {
  const base = deps.publicUrl.replace(/\/+$/, "");
  const body = webhookBody((subscription.webhookFormat ?? "json") as WebhookFormat, {
    kind: row.kind === "digest" ? "digest" : "immediate",
    deliveryId: row.messageId.replace(/^<|>$/g, ""),
    subject: content.subject,
    changes: content.changes,
    period: content.period,
    changeUrl: (id) => `${base}/changes/${encodeURIComponent(id)}`,
    manageUrl: links.manage,
    unsubscribeUrl: links.unsubscribe,
  });
  const secret = webhookSecret(deps.secret, subscription.id);
  await postWebhook(subscription.webhookUrl!, body, {
    headers: {
      ...signatureHeaders(secret, body, deps.now()),
      // Receivers dedupe on it: a retry after a lost reply carries the same id.
      "X-Regwatch-Delivery": row.messageId.replace(/^<|>$/g, ""),
    },
    allowPrivate: deps.allowPrivateWebhooks ?? false,
  });
}

/** Builds the content of each group; what several groups share (sources, a period's changes) is read once. */
function createComposer(deps: AlertDeps) {
  const readDigest = createDigestReader(deps.db);
  let sources: Promise<Record<string, SourceStatus>> | null = null;
  const base = deps.publicUrl.replace(/\/+$/, "");

  async function sourceStatus() {
    sources ??= listSourceRows(deps.db).then((rows) =>
      Object.fromEntries(
        rows.map((s) => [
          s.id,
          { title: s.title, health: s.health, lastSuccessAt: s.lastSuccessAt?.toISOString() ?? null },
        ]),
      ),
    );
    return sources;
  }

  return {
    /** Null: nothing to send (an empty digest its subscriber turned off). */
    async compose(subscription: SubscriptionRow, rows: DeliveryRow[], links: Links): Promise<Content | null> {
      const first = rows[0]!;
      if (first.kind === "digest") {
        const period = { start: first.periodStart!, end: first.periodEnd! };
        const facts = await readDigest(subscription, period);
        if (!facts.changes.length && !subscription.sendEmptyDigests) return null;
        const query = new URLSearchParams({
          from: period.start.toISOString(),
          to: period.end.toISOString(),
        });
        const message = digestMessage({
          cadence: subscription.cadence === "daily" ? "daily" : "weekly",
          period,
          timeZone: subscription.timeZone,
          changes: facts.changes,
          sources: facts.sources,
          links,
          changeUrl: (id) => `${base}/changes/${encodeURIComponent(id)}`,
          allChangesUrl: `${base}/changes?${query}`,
        });
        return { ...message, changes: facts.changes, period };
      }
      const changes = await listChanges(deps.db, {
        ids: rows.map((r) => r.changeId!).filter(Boolean),
      });
      const message = alertMessage({ changes, links, sources: await sourceStatus() });
      return { ...message, changes, period: null };
    },
  };
}
