import { listChanges } from "@regwatch/db/queries/changes";
import { listSourceRows } from "@regwatch/db/queries/sources";
import {
  type DeliveryRow,
  getSubscription,
  pendingDeliveries,
  recordBounce,
  recordDeliveryAttempt,
} from "@regwatch/db/queries/subscriptions";
import { PermanentMailError } from "@regwatch/mail/mailer";
import { subscriptionLinks, unsubscribeHeaders } from "./links.ts";
import { alertMessage } from "./messages/alert.ts";
import type { AlertDeps } from "./subscribe.ts";

// Refused deliveries (5xx) an address may have before its subscription is paused.
export const BOUNCES_BEFORE_PAUSE = 3;
// Attempts at one message before it is given up (temporary failures).
export const ATTEMPTS_PER_MESSAGE = 8;

export interface DeliveryReport {
  sent: number;
  failed: number;
  /** Messages that hit a temporary failure and wait for the next attempt. */
  deferred: number;
  skipped: number;
}

/**
 * Sends what the outbox holds for immediate alerts: one message per group
 * (a subscriber's changes from one snapshot), with the Message-ID fixed when
 * the rows were written, so a retry is the same message to the receiver. A
 * row is marked sent only after the server accepted it: a crash in between
 * can at most send it once more, with the same Message-ID.
 */
export async function deliverPending(deps: AlertDeps): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, failed: 0, deferred: 0, skipped: 0 };
  const pending = await pendingDeliveries(deps.db, "immediate");
  const groups = new Map<string, DeliveryRow[]>();
  for (const row of pending) groups.set(row.groupKey, [...(groups.get(row.groupKey) ?? []), row]);
  if (!groups.size) return report;
  const sources = Object.fromEntries(
    (await listSourceRows(deps.db)).map((s) => [
      s.id,
      { title: s.title, health: s.health, lastSuccessAt: s.lastSuccessAt?.toISOString() ?? null },
    ]),
  );
  for (const rows of groups.values()) {
    const ids = rows.map((r) => r.id);
    const subscription = await getSubscription(deps.db, rows[0]!.subscriptionId);
    if (!subscription || subscription.status !== "active") {
      // Unsubscribed (or paused) since the alert was written: nothing more reaches it.
      await recordDeliveryAttempt(deps.db, ids, {
        error: `subscription ${subscription?.status ?? "gone"}`,
        final: true,
      });
      report.skipped++;
      continue;
    }
    const changes = await listChanges(deps.db, { ids: rows.map((r) => r.changeId!).filter(Boolean) });
    const links = subscriptionLinks(deps.publicUrl, deps.secret, subscription.id, deps.now());
    const message = alertMessage({ changes, links, sources });
    try {
      await deps.mailer.send({
        to: subscription.email,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: rows[0]!.messageId,
        headers: unsubscribeHeaders(links, null),
      });
      await recordDeliveryAttempt(deps.db, ids, { sentAt: deps.now() });
      report.sent++;
    } catch (err) {
      const reason = (err as Error).message;
      if (err instanceof PermanentMailError) {
        await recordDeliveryAttempt(deps.db, ids, { error: reason, final: true });
        await recordBounce(deps.db, subscription.id, reason, BOUNCES_BEFORE_PAUSE, deps.now());
        report.failed++;
      } else {
        const final = Math.max(...rows.map((r) => r.attempts)) + 1 >= ATTEMPTS_PER_MESSAGE;
        await recordDeliveryAttempt(deps.db, ids, { error: reason, final });
        if (final) report.failed++;
        else report.deferred++;
      }
      deps.log.warn({ subscriptionId: subscription.id }, `alert not delivered: ${reason}`);
    }
  }
  return report;
}
