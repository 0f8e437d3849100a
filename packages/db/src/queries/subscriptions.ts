import { and, asc, count, desc, eq, gte, inArray, isNull, lt, lte, max, ne, or, sql } from "drizzle-orm";
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
  sendEmptyDigests?: boolean;
  emailAlerts?: boolean;
  webhookUrl?: string | null;
  webhookFormat?: string | null;
}

/** What the manage page may change: filters, cadence and delivery, never the address. */
export type SubscriptionChanges = Partial<Omit<NewSubscription, "id" | "email">>;

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

/** Several subscriptions by id, in one read. */
export async function getSubscriptions(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, SubscriptionRow>> {
  const out = new Map<string, SubscriptionRow>();
  // Postgres takes at most 65,535 parameters a statement.
  for (let i = 0; i < ids.length; i += 5000) {
    const slice = ids.slice(i, i + 5000);
    for (const row of await db
      .select()
      .from(subscriptionsTable)
      .where(inArray(subscriptionsTable.id, slice))) {
      out.set(row.id, row);
    }
  }
  return out;
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

/** The subscriber changed their preferences: a paused subscription stays paused (the address still bounces). */
export async function updateSubscription(
  db: Db,
  id: string,
  changes: SubscriptionChanges,
  at: Date,
): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .update(subscriptionsTable)
    .set({ ...changes, updatedAt: at })
    .where(and(eq(subscriptionsTable.id, id), ne(subscriptionsTable.status, "unsubscribed")))
    .returning();
  return row;
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

/** Every subscription that receives alerts now; of one cadence when given. */
export async function activeSubscriptions(db: Db, cadence?: string): Promise<SubscriptionRow[]> {
  return db
    .select()
    .from(subscriptionsTable)
    .where(
      and(
        eq(subscriptionsTable.status, "active"),
        ...(cadence ? [eq(subscriptionsTable.cadence, cadence)] : []),
      ),
    )
    .orderBy(asc(subscriptionsTable.id));
}

export type NewDelivery = Omit<typeof deliveriesTable.$inferInsert, "id" | "status" | "attempts" | "sentAt">;

/** Writes outbox rows; a row for the same (subscription, key) is never written twice. Returns the new ones. */
export async function enqueueDeliveries(db: Db, rows: NewDelivery[]): Promise<DeliveryRow[]> {
  if (!rows.length) return [];
  return db.insert(deliveriesTable).values(rows).onConflictDoNothing().returning();
}

/** Pending rows of these kinds not waiting out a backoff (or another sender's lease). */
function due(kinds: readonly string[], now: Date) {
  return and(
    eq(deliveriesTable.status, "pending"),
    inArray(deliveriesTable.kind, [...kinds]),
    or(isNull(deliveriesTable.nextAttemptAt), lte(deliveriesTable.nextAttemptAt, now)),
  );
}

/** Outbox rows to send now, of these kinds, oldest first: a row waiting out its backoff is left for later. */
export async function pendingDeliveries(
  db: Db,
  kinds: readonly string[],
  now: Date = new Date(),
): Promise<DeliveryRow[]> {
  return db.select().from(deliveriesTable).where(due(kinds, now)).orderBy(asc(deliveriesTable.id));
}

/**
 * Takes the outbox rows due now, of these kinds, for one sender: they are
 * leased (`next_attempt_at` moved `leaseMs` ahead) in the same statement that
 * finds them, skipping rows another sender holds, so two senders running at
 * once (two workers, a sweep and a command) never send the same row. Rows of
 * one group are written together, so they are taken together. A sender that
 * dies leaves its rows to be taken again once the lease ends.
 */
export async function claimDeliveries(
  db: Db,
  kinds: readonly string[],
  now: Date,
  leaseMs: number,
): Promise<DeliveryRow[]> {
  const taken = db
    .select({ id: deliveriesTable.id })
    .from(deliveriesTable)
    .where(due(kinds, now))
    .for("update", { skipLocked: true });
  const rows = await db
    .update(deliveriesTable)
    .set({ nextAttemptAt: new Date(now.getTime() + leaseMs) })
    .where(inArray(deliveriesTable.id, taken))
    .returning();
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * After a send: sent; skipped (nothing to say, e.g. an empty digest turned
 * off); or one more failed attempt with the reason, failed for good when
 * `final`, else retried no earlier than `retryAt`.
 */
export async function recordDeliveryAttempt(
  db: Db,
  ids: readonly number[],
  result: { sentAt: Date } | { skipped: string } | { error: string; final: boolean; retryAt?: Date },
): Promise<void> {
  if ("skipped" in result) {
    await db
      .update(deliveriesTable)
      .set({ status: "skipped", lastError: result.skipped, nextAttemptAt: null })
      .where(inArray(deliveriesTable.id, [...ids]));
    return;
  }
  await db
    .update(deliveriesTable)
    .set(
      "sentAt" in result
        ? {
            status: "sent",
            sentAt: result.sentAt,
            attempts: sql`${deliveriesTable.attempts} + 1`,
            lastError: null,
            nextAttemptAt: null,
          }
        : {
            status: result.final ? "failed" : "pending",
            attempts: sql`${deliveriesTable.attempts} + 1`,
            lastError: result.error,
            nextAttemptAt: result.final ? null : (result.retryAt ?? null),
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

/** The newest health transition an operator message was written for: planning carries on after it. */
export async function lastOperatorEventId(db: Db): Promise<number | null> {
  const [row] = await db
    .select({ id: max(deliveriesTable.healthEventId) })
    .from(deliveriesTable)
    .where(eq(deliveriesTable.kind, "operator"));
  return row?.id ?? null;
}

/** Where each subscription's last digest ended: the next one starts there, so a skipped moment loses nothing. */
export async function lastDigestEnds(db: Db, subscriptionIds: readonly string[]): Promise<Map<string, Date>> {
  if (!subscriptionIds.length) return new Map();
  const rows = await db
    .select({ id: deliveriesTable.subscriptionId, end: max(deliveriesTable.periodEnd) })
    .from(deliveriesTable)
    .where(
      and(eq(deliveriesTable.kind, "digest"), inArray(deliveriesTable.subscriptionId, [...subscriptionIds])),
    )
    .groupBy(deliveriesTable.subscriptionId);
  return new Map(rows.filter((r) => r.id && r.end).map((r) => [r.id!, r.end!]));
}

// The admin list of subscriptions.

export interface AdminSubscription extends SubscriptionRow {
  /** When a message (or webhook call) for it last went out. */
  lastSentAt: Date | null;
}

export interface SubscriptionCursor {
  createdAt: Date;
  id: string;
}

/** A page of subscriptions, newest first, after `cursor` (keyset: no rows skipped or repeated as new ones come). */
export async function subscriptionsPage(
  db: Db,
  options: { status: SubscriptionStatus | null; after: SubscriptionCursor | null; limit: number },
): Promise<{ rows: AdminSubscription[]; next: SubscriptionCursor | null }> {
  const t = subscriptionsTable;
  const where = [
    ...(options.status ? [eq(t.status, options.status)] : []),
    ...(options.after
      ? [
          or(
            lt(t.createdAt, options.after.createdAt),
            and(eq(t.createdAt, options.after.createdAt), lt(t.id, options.after.id)),
          ),
        ]
      : []),
  ];
  const rows = await db
    .select()
    .from(t)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(t.createdAt), desc(t.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const sent = new Map<string, Date>();
  if (page.length) {
    const d = deliveriesTable;
    for (const r of await db
      .select({ id: d.subscriptionId, at: max(d.sentAt) })
      .from(d)
      .where(
        and(
          inArray(
            d.subscriptionId,
            page.map((p) => p.id),
          ),
          eq(d.status, "sent"),
        ),
      )
      .groupBy(d.subscriptionId))
      if (r.id && r.at) sent.set(r.id, r.at);
  }
  const last = page.at(-1);
  return {
    rows: page.map((r) => ({ ...r, lastSentAt: sent.get(r.id) ?? null })),
    next: rows.length > options.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}

/** How many subscriptions are in each status. */
export async function subscriptionCounts(db: Db): Promise<Map<string, number>> {
  const t = subscriptionsTable;
  const rows = await db.select({ status: t.status, n: count() }).from(t).groupBy(t.status);
  return new Map(rows.map((r) => [r.status, r.n]));
}
