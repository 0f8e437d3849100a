import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { changeRecordsTable } from "./changes.ts";
import { sourceHealthEventsTable } from "./sources.ts";

/** What a subscription filters on. An empty list puts no constraint on its dimension; all empty is everything. */
export interface StoredFilters {
  /** Taxonomy ids (`TECHNOLOGY_IDS`). */
  technologies: string[];
  /** Issuing jurisdictions (`JURISDICTION_CODES`: "US", "CA", "EU", …). */
  jurisdictions: string[];
  /** Affected destinations, ISO 3166-1 alpha-2 (`ChangeRecord.countries`). */
  countries: string[];
  /**
   * Entry patterns on `subject`: "3B001" (that entry and everything under it,
   * "3B001.c.1"; "5506" covers "5506(2)(c)"), or "3B*" (any key starting with "3B").
   */
  entries: string[];
  /** `ChangeRecord.kind` values: added, removed, modified, published. */
  kinds: string[];
  /** Source ids ("us.ecfr.ccl"). */
  sources: string[];
  /** Whole words or phrases, any case, in title, subject, before or after. */
  keywords: string[];
}

/**
 * One subscription: an address, its filters and its cadence. Pending until
 * the address confirms (double opt-in); nothing else is sent before.
 */
export const subscriptionsTable = pgTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    filters: jsonb("filters").$type<StoredFilters>().notNull(),
    /** immediate | daily | weekly */
    cadence: text("cadence").notNull(),
    /** ISO weekday 1 (Monday) – 7 for weekly digests, else null. */
    weekday: integer("weekday"),
    /** Local hour of the digest, in `time_zone`. */
    hour: integer("hour").notNull().default(8),
    timeZone: text("time_zone").notNull().default("UTC"),
    /** pending | active | paused | unsubscribed */
    status: text("status").notNull().default("pending"),
    /** Why a subscription was paused (repeated bounces). */
    statusReason: text("status_reason"),
    bounces: integer("bounces").notNull().default(0),
    /** A digest with no changes is still sent (it attests that the sources were watched) unless this is off. */
    sendEmptyDigests: boolean("send_empty_digests").notNull().default(true),
    /** Alerts by email; off when the subscription only feeds a webhook (confirmations still go to the address). */
    emailAlerts: boolean("email_alerts").notNull().default(true),
    /** An https URL that receives each alert as a signed JSON POST, besides or instead of the email. */
    webhookUrl: text("webhook_url"),
    /** json (regwatch's own payload) | slack | teams */
    webhookFormat: text("webhook_format"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    confirmedAt: timestamp("confirmed_at", { withTimezone: true }),
    unsubscribedAt: timestamp("unsubscribed_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("subscriptions_email_idx").on(t.email), index("subscriptions_status_idx").on(t.status)],
);

/**
 * The outbox: one row per message that must be sent, written in the same
 * transaction as what caused it. The unique key makes a second row for the
 * same (subscription, change) or (subscription, period) impossible, and the
 * Message-ID is fixed when the row is written, so a retry is the same message.
 */
export const deliveriesTable = pgTable(
  "deliveries",
  {
    id: serial("id").primaryKey(),
    /** Null for operator messages (to `ADMIN_EMAIL`), which belong to no subscription. */
    subscriptionId: text("subscription_id").references(() => subscriptionsTable.id),
    /** confirm | immediate | digest | operator */
    kind: text("kind").notNull(),
    /** email | webhook */
    channel: text("channel").notNull().default("email"),
    /**
     * Unique per subscription (per key alone for operator messages):
     * `immediate:<change id>`, `digest:<cadence>:<period end>`, `confirm`,
     * `webhook:` before the same for webhook deliveries, `operator:<health event id>`.
     */
    key: text("key").notNull(),
    changeId: text("change_id").references(() => changeRecordsTable.id),
    /** The period a digest covers, [start, end). */
    periodStart: timestamp("period_start", { withTimezone: true }),
    periodEnd: timestamp("period_end", { withTimezone: true }),
    /** The health transition an operator message reports. */
    healthEventId: integer("health_event_id").references(() => sourceHealthEventsTable.id),
    /** Where an operator message goes (subscription messages go to the subscription's address or webhook). */
    recipient: text("recipient"),
    /** Messages that go out together (the changes of one instrument in one run) share a group. */
    groupKey: text("group_key").notNull(),
    messageId: text("message_id").notNull(),
    /** pending | sent | failed */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** A failed attempt waits until then (backoff); null: send at once. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("deliveries_subscription_key_uq").on(t.subscriptionId, t.key),
    uniqueIndex("deliveries_operator_key_uq").on(t.key).where(sql`${t.subscriptionId} is null`),
    index("deliveries_pending_idx").on(t.status, t.groupKey),
  ],
);
