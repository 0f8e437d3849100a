import type { Db } from "@regwatch/db/open-database";
import { quarantinedSnapshotAt } from "@regwatch/db/queries/snapshots";
import { getHealthEvent, getSource, healthEventsAfter } from "@regwatch/db/queries/sources";
import { enqueueDeliveries, lastOperatorEventId } from "@regwatch/db/queries/subscriptions";
import { type OperatorNotice, operatorMessage, operatorTransition } from "./messages/operator.ts";
import { messageIdFor } from "./subscribe.ts";

// On the first plan (no operator message written yet), transitions older than
// this are history, not news: an operator who sets ADMIN_EMAIL on a running
// service is not sent its past.
const FIRST_LOOKBACK_MS = 24 * 3_600_000;
// Later plans carry on from the last transition written; a service down longer
// than this does not email about transitions that old either.
const LOOKBACK_MS = 7 * 24 * 3_600_000;
// The refused snapshot is taken in the run that stored the transition, on the
// run's clock; a broken source with no snapshot that recent failed before
// parsing (at fetch), and has no kept bytes to show.
const REFUSED_WITHIN_MS = 10 * 60_000;

/**
 * Writes one outbox row per source-health transition worth telling
 * (failing, stale, quarantined, recovered) to `ADMIN_EMAIL`. The key is the
 * stored transition, so planning again writes nothing: one email per
 * transition, never one per failed attempt (a source failing again stays in
 * the same state and stores no new transition).
 */
export async function planOperatorAlerts(
  deps: { db: Db; publicUrl: string; adminEmail?: string | null },
  now: Date,
): Promise<number> {
  if (!deps.adminEmail) return 0;
  const afterId = await lastOperatorEventId(deps.db);
  const since = new Date(now.getTime() - (afterId === null ? FIRST_LOOKBACK_MS : LOOKBACK_MS));
  const events = await healthEventsAfter(deps.db, { afterId: afterId ?? undefined, since });
  const rows = events
    .filter((e) => operatorTransition(e.fromHealth, e.toHealth))
    .map((e) => ({
      subscriptionId: null,
      kind: "operator",
      channel: "email",
      key: `operator:${e.id}`,
      groupKey: `operator:${e.id}`,
      healthEventId: e.id,
      recipient: deps.adminEmail,
      messageId: messageIdFor(deps.publicUrl, `operator.${e.id}`),
      createdAt: now,
    }));
  return (await enqueueDeliveries(deps.db, rows)).length;
}

/** The message for one stored transition; null if it is gone. */
export async function operatorMessageFor(
  db: Db,
  publicUrl: string,
  healthEventId: number,
): Promise<ReturnType<typeof operatorMessage> | null> {
  const event = await getHealthEvent(db, healthEventId);
  if (!event) return null;
  const transition = operatorTransition(event.fromHealth, event.toHealth);
  if (!transition) return null;
  const source = await getSource(db, event.sourceId);
  const base = publicUrl.replace(/\/+$/, "");
  // A quarantine, or a parse failure (broken), refused a snapshot and kept its bytes.
  const refused =
    transition === "quarantined" || event.toHealth === "broken"
      ? await quarantinedSnapshotAt(
          db,
          event.sourceId,
          event.at,
          new Date(event.at.getTime() - REFUSED_WITHIN_MS),
        )
      : undefined;
  const notice: OperatorNotice = {
    transition,
    sourceId: event.sourceId,
    sourceTitle: source?.title ?? event.sourceId,
    fromHealth: event.fromHealth,
    toHealth: event.toHealth,
    at: event.at,
    reason: event.reason,
    kept: refused
      ? {
          sha256: refused.artifactSha256,
          url: refused.url,
          takenAt: refused.takenAt,
          reason: refused.reason,
          link: `${base}/artifacts?sha256=${refused.artifactSha256}`,
        }
      : null,
    sourcesLink: `${base}/sources/${encodeURIComponent(event.sourceId)}`,
  };
  return operatorMessage(notice);
}
