import type { ChangeRecord } from "@regwatch/core/schemas";
import type { Db } from "@regwatch/db/open-database";
import { enqueueDeliveries } from "@regwatch/db/queries/subscriptions";
import type { SubscriptionMatcher } from "./matcher.ts";
import { messageIdFor } from "./subscribe.ts";

/**
 * Writes the immediate alerts a set of new records calls for, in the caller's
 * transaction (the store step, under the source's lock): one outbox row per
 * (subscription, change), grouped per subscriber and snapshot so that the
 * changes of one instrument in one run go out as one message. Only records a
 * subscriber should be told about (`alert`) are matched.
 */
export function alertOutbox(matcher: SubscriptionMatcher, publicUrl: string) {
  return async (tx: Db, records: readonly ChangeRecord[], context: { snapshotId: number; at: Date }) => {
    const alertable = records.filter((r) => r.alert);
    if (!alertable.length) return 0;
    const matches = await matcher.match(tx, alertable, "immediate");
    const rows = matches.flatMap((m) =>
      m.channels.map((channel) => {
        // A webhook delivery is its own row: the email may go out while the webhook is down, and neither resends the other.
        const prefix = channel === "email" ? "" : `${channel}:`;
        return {
          subscriptionId: m.subscriptionId,
          kind: "immediate",
          channel,
          key: `${prefix}immediate:${m.changeId}`,
          changeId: m.changeId,
          groupKey: `${prefix}immediate:${m.subscriptionId}:${context.snapshotId}`,
          messageId: messageIdFor(
            publicUrl,
            `${prefix.replace(":", ".")}alert.${m.subscriptionId}.${context.snapshotId}`,
          ),
          createdAt: context.at,
        };
      }),
    );
    return (await enqueueDeliveries(tx, rows)).length;
  };
}

export type AlertOutbox = ReturnType<typeof alertOutbox>;
