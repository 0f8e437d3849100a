import type { ChangeRecord } from "@regwatch/core/schemas";
import type { Db } from "@regwatch/db/open-database";
import { activeSubscriptions, activeSubscriptionsVersion } from "@regwatch/db/queries/subscriptions";
import { SubscriptionIndex } from "./match.ts";

export interface Match {
  subscriptionId: string;
  changeId: string;
  /** Where its alerts go: the address, the webhook, or both. */
  channels: Channel[];
}

export type Channel = "email" | "webhook";

/** A subscription's delivery channels: email unless turned off, the webhook when it has one. */
export function channelsOf(row: { emailAlerts: boolean; webhookUrl: string | null }): Channel[] {
  return [...(row.emailAlerts ? ["email" as const] : []), ...(row.webhookUrl ? ["webhook" as const] : [])];
}

/**
 * The active subscriptions as an index, kept in this process and rebuilt only
 * when they changed (one cheap read tells): matching a change never scans
 * every subscription, and a busy service does not reload them per change.
 */
export function createSubscriptionMatcher() {
  let index = new SubscriptionIndex();
  let targets = new Map<string, { cadence: string; channels: Channel[] }>();
  let version: string | null = null;

  async function refresh(db: Db) {
    const now = await activeSubscriptionsVersion(db);
    if (now === version) return;
    const rows = await activeSubscriptions(db);
    const next = new SubscriptionIndex();
    for (const row of rows) next.add(row.id, row.filters);
    index = next;
    targets = new Map(rows.map((r) => [r.id, { cadence: r.cadence, channels: channelsOf(r) }]));
    version = now;
  }

  return {
    /**
     * Which subscriptions of a cadence each change reaches. `db` may be the
     * caller's transaction (the embedded database has one connection: a read
     * outside the transaction would wait for it forever).
     */
    async match(db: Db, changes: readonly ChangeRecord[], cadence?: string): Promise<Match[]> {
      await refresh(db);
      const out: Match[] = [];
      for (const change of changes) {
        for (const subscriptionId of index.match(change)) {
          const target = targets.get(subscriptionId)!;
          if (!cadence || target.cadence === cadence)
            out.push({ subscriptionId, changeId: change.id, channels: target.channels });
        }
      }
      return out;
    },
  };
}

export type SubscriptionMatcher = ReturnType<typeof createSubscriptionMatcher>;
