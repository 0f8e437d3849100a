import { and, asc, count, eq, gte, inArray, max, ne, sql } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import { deliveriesTable, type StoredFilters, subscriptionsTable } from "../schema/index.ts";

export type SubscriptionRow = typeof subscriptionsTable.$inferSelect;
export type DeliveryRow = typeof deliveriesTable.$inferSelect;
export type SubscriptionStatus = "pending" | "active" | "paused" | "unsubscribed";

export interface NewSubscription {
  id: string;
  email: string;
  filters: StoredFilters;
  cadence: "immediate" | "daily" | "weekly";
  weekday: number | null;
  hour: number;
  timeZone: string;
}

export async function createSubscription(db: Db, sub: NewSubscription, at: Date): Promise<SubscriptionRow> {
  const [row] = await db
    .insert(subscriptionsTable)
    .values({ ...sub, status: "pending", createdAt: at, updatedAt: at })
    .returning();
  return row!;
}

export async function getSubscription(db: Db, id: string): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(subscriptionsTable).where(eq(subscriptionsTable.id, id));
  return row;
}

/** Subscriptions, oldest first; of one address when given; unsubscribed ones only when asked for. */
export async function listSubscriptions(
  db: Db,
  options: { email?: string; includeUnsubscribed?: boolean } = {},
): Promise<SubscriptionRow[]> {
  const where = [
    ...(options.email ? [eq(subscriptionsTable.email, options.email)] : []),
    ...(options.includeUnsubscribed ? [] : [ne(subscriptionsTable.status, "unsubscribed")]),
  ];
  return db
    .select()
    .from(subscriptionsTable)
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(subscriptionsTable.createdAt), asc(subscriptionsTable.id));
}

/** The address confirmed: a pending subscription becomes active. Confirming twice is harmless. */
export async function confirmSubscription(
  db: Db,
  id: string,
  at: Date,
): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .update(subscriptionsTable)
    .set({ status: "active", confirmedAt: at, updatedAt: at })
    .where(and(eq(subscriptionsTable.id, id), eq(subscriptionsTable.status, "pending")))
    .returning();
  return row ?? (await getSubscription(db, id));
}

/** Stops one subscription, or every subscription of an address. Returns those it stopped. */
export async function unsubscribe(
  db: Db,
  target: { id: string } | { email: string },
  at: Date,
): Promise<SubscriptionRow[]> {
  const which =
    "id" in target ? eq(subscriptionsTable.id, target.id) : eq(subscriptionsTable.email, target.email);
  return db
    .update(subscriptionsTable)
    .set({ status: "unsubscribed", unsubscribedAt: at, updatedAt: at })
    .where(and(which, ne(subscriptionsTable.status, "unsubscribed")))
    .returning();
}

/** Every subscription that receives alerts now. */
export async function activeSubscriptions(db: Db): Promise<SubscriptionRow[]> {
  return db.select().from(subscriptionsTable).where(eq(subscriptionsTable.status, "active"));
}

export type NewDelivery = Omit<typeof deliveriesTable.$inferInsert, "id" | "status" | "attempts" | "sentAt">;

/** Writes outbox rows; a row for the same (subscription, key) is never written twice. Returns the new ones. */
export async function enqueueDeliveries(db: Db, rows: NewDelivery[]): Promise<DeliveryRow[]> {
  if (!rows.length) return [];
  return db.insert(deliveriesTable).values(rows).onConflictDoNothing().returning();
}

/** Outbox rows still to send, of one kind, oldest first. */
export async function pendingDeliveries(db: Db, kind: string): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(deliveriesTable)
    .where(and(eq(deliveriesTable.status, "pending"), eq(deliveriesTable.kind, kind)))
    .orderBy(asc(deliveriesTable.id));
}

/** After a send: sent, or one more failed attempt with the reason (failed for good when `final`). */
export async function recordDeliveryAttempt(
  db: Db,
  ids: readonly number[],
  result: { sentAt: Date } | { error: string; final: boolean },
): Promise<void> {
  await db
    .update(deliveriesTable)
    .set(
      "sentAt" in result
        ? {
            status: "sent",
            sentAt: result.sentAt,
            attempts: sql`${deliveriesTable.attempts} + 1`,
            lastError: null,
          }
        : {
            status: result.final ? "failed" : "pending",
            attempts: sql`${deliveriesTable.attempts} + 1`,
            lastError: result.error,
          },
    )
    .where(inArray(deliveriesTable.id, [...ids]));
}

/** Confirmation messages sent to an address since a moment: subscribing someone else's address over and over is refused. */
export async function confirmationsSince(db: Db, email: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(deliveriesTable)
    .innerJoin(subscriptionsTable, eq(deliveriesTable.subscriptionId, subscriptionsTable.id))
    .where(
      and(
        eq(subscriptionsTable.email, email),
        eq(deliveriesTable.kind, "confirm"),
        gte(deliveriesTable.createdAt, since),
      ),
    );
  return row?.n ?? 0;
}

/** The state of the active subscriptions in one cheap read: an index built from them is stale when it moves. */
export async function activeSubscriptionsVersion(db: Db): Promise<string> {
  const [row] = await db
    .select({ n: count(), latest: max(subscriptionsTable.updatedAt) })
    .from(subscriptionsTable)
    .where(eq(subscriptionsTable.status, "active"));
  return `${row?.n ?? 0}:${row?.latest?.toISOString() ?? ""}`;
}

/** A permanent refusal of an address: counted; after `limit` the subscription is paused, with the reason. */
export async function recordBounce(
  db: Db,
  id: string,
  reason: string,
  limit: number,
  at: Date,
): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .update(subscriptionsTable)
    .set({ bounces: sql`${subscriptionsTable.bounces} + 1`, updatedAt: at })
    .where(eq(subscriptionsTable.id, id))
    .returning();
  if (row && row.bounces >= limit && row.status === "active") {
    const [paused] = await db
      .update(subscriptionsTable)
      .set({
        status: "paused",
        statusReason: `paused after ${row.bounces} refused deliveries: ${reason}`,
        updatedAt: at,
      })
      .where(eq(subscriptionsTable.id, id))
      .returning();
    return paused;
  }
  return row;
}
