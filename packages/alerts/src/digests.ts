import type { ChangeRecord } from "@regwatch/core/schemas";
import type { Db } from "@regwatch/db/open-database";
import { listChanges } from "@regwatch/db/queries/changes";
import {
  listSourceRows,
  type SourceActivity,
  type SourceRow,
  sourceActivity,
} from "@regwatch/db/queries/sources";
import {
  activeSubscriptions,
  enqueueDeliveries,
  lastDigestEnds,
  type SubscriptionRow,
} from "@regwatch/db/queries/subscriptions";
import { type DigestCadence, type DigestPeriod, digestPeriod, periodKey } from "./digest-period.ts";
import { matchesFilters } from "./match.ts";
import { channelsOf } from "./matcher.ts";
import type { DigestSourceHealth } from "./messages/digest.ts";
import { messageIdFor } from "./subscribe.ts";

export interface DigestPlan {
  /** Active subscriptions of the cadence. */
  subscriptions: number;
  /** Digests whose moment has come (one per subscription, the latest moment at or before `now`). */
  due: number;
  /** Outbox rows written now; a moment already planned writes none. */
  written: number;
}

// How long after its moment a digest is still sent: a service down for a few
// hours sends it late; one down longer skips it, and the next digest covers
// the skipped period too (it starts where the last one sent ended), so no
// change goes unreported.
const GRACE_MS = { daily: 12 * 3_600_000, weekly: 3 * 24 * 3_600_000 } as const;

/**
 * Decides which digests are due at `now` and writes one outbox row per
 * (subscription, period, channel). The period's end is the key: deciding
 * again for the same moment (a second sweep, `regwatch digest` run twice)
 * writes nothing, so a digest is never sent twice. A subscription confirmed
 * since the latest moment gets that moment's digest (last week's news, at
 * once) rather than waiting a week for its first. A period starts where the
 * subscription's previous digest ended (the nominal day or week before the
 * moment for its first).
 */
export async function planDigests(
  deps: { db: Db; publicUrl: string },
  cadence: DigestCadence,
  now: Date,
): Promise<DigestPlan> {
  const subscriptions = await activeSubscriptions(deps.db, cadence);
  const lastEnds = await lastDigestEnds(
    deps.db,
    subscriptions.map((s) => s.id),
  );
  const rows = [];
  let due = 0;
  for (const sub of subscriptions) {
    const nominal = digestPeriod(
      { cadence, weekday: sub.weekday, hour: sub.hour, timeZone: sub.timeZone },
      now,
    );
    if (now.getTime() - nominal.moment.getTime() > GRACE_MS[cadence]) continue;
    const lastEnd = lastEnds.get(sub.id);
    // When the last digest ended at or after this period's end (already decided, or the schedule moved), the key makes the row a no-op.
    const period = {
      start: lastEnd && lastEnd < nominal.end ? lastEnd : nominal.start,
      end: nominal.end,
    };
    due++;
    const key = periodKey(period);
    for (const channel of channelsOf(sub)) {
      const prefix = channel === "email" ? "" : `${channel}:`;
      rows.push({
        subscriptionId: sub.id,
        kind: "digest",
        channel,
        key: `${prefix}digest:${cadence}:${key}`,
        groupKey: `${prefix}digest:${sub.id}:${key}`,
        messageId: messageIdFor(
          deps.publicUrl,
          `${prefix.replace(":", ".")}digest.${sub.id}.${key.replace(/[-:.]/g, "")}`,
        ),
        periodStart: period.start,
        periodEnd: period.end,
        createdAt: now,
      });
    }
  }
  const written = (await enqueueDeliveries(deps.db, rows)).length;
  return { subscriptions: subscriptions.length, due, written };
}

/** What a period's digests share, read once per period however many subscribers there are. */
interface PeriodFacts {
  changes: ChangeRecord[];
  activity: Map<string, SourceActivity>;
}

export interface DigestFacts {
  changes: ChangeRecord[];
  sources: DigestSourceHealth[];
}

/**
 * Gathers digests' contents: the period's alertable changes that pass the
 * subscriber's filters, and the health of the sources the subscription
 * covers. Digests are written from the stored records at send time, so a
 * retry says exactly what the first attempt said.
 */
export function createDigestReader(db: Db) {
  const periods = new Map<string, Promise<PeriodFacts>>();
  let sourceRows: Promise<SourceRow[]> | null = null;

  function facts(period: DigestPeriod): Promise<PeriodFacts> {
    const key = `${period.start.toISOString()}/${period.end.toISOString()}`;
    let found = periods.get(key);
    if (!found) {
      found = (async () => ({
        changes: await listChanges(db, {
          since: period.start.toISOString(),
          before: period.end.toISOString(),
          alertOnly: true,
        }),
        activity: await sourceActivity(db, period),
      }))();
      periods.set(key, found);
    }
    return found;
  }

  return async function read(sub: SubscriptionRow, period: DigestPeriod): Promise<DigestFacts> {
    const { changes, activity } = await facts(period);
    sourceRows ??= listSourceRows(db);
    const { sources: onlySources, jurisdictions } = sub.filters;
    const covered = (await sourceRows).filter(
      (s) =>
        (!onlySources.length || onlySources.includes(s.id)) &&
        (!jurisdictions.length || jurisdictions.includes(s.jurisdiction)),
    );
    return {
      changes: changes.filter((c) => matchesFilters(sub.filters, c)),
      sources: covered.map((s) => {
        const a = activity.get(s.id);
        return {
          id: s.id,
          title: s.title,
          jurisdiction: s.jurisdiction,
          checks: a?.checks ?? 0,
          failures: a?.failures ?? 0,
          changes: a?.changes ?? 0,
          lastChangeAt: s.lastChangeAt,
          registeredAt: s.registeredAt,
          health: s.health,
          healthReason: s.healthReason,
          unhealthyInPeriod: a?.unhealthy ?? false,
        };
      }),
    };
  };
}
