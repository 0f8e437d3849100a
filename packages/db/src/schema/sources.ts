import { boolean, index, integer, jsonb, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";

/** One row per registered source: its health as the operator sees it, and the cursor its fetch carries on from. */
export const sourcesTable = pgTable("sources", {
  id: text("id").primaryKey(),
  jurisdiction: text("jurisdiction").notNull(),
  kind: text("kind").notNull(),
  title: text("title").notNull(),
  /** healthy | unreachable | stale | quarantined | broken | unknown */
  health: text("health").notNull().default("unknown"),
  healthReason: text("health_reason"),
  state: jsonb("state").$type<Record<string, unknown>>().notNull().default({}),
  consecutiveFailures: integer("consecutive_failures").notNull().default(0),
  /** What went wrong last (unreachable, rate-limited, shape-changed, expectation-failed, too-large, unexpected), and when. */
  lastErrorKind: text("last_error_kind"),
  lastError: text("last_error"),
  lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
  /** The cron expression (UTC) the source is polled on, as last registered. */
  schedule: text("schedule"),
  /** When the source was first registered: a source that never succeeded is stale counted from here. */
  registeredAt: timestamp("registered_at", { withTimezone: true }).notNull().defaultNow(),
  /** Last attempt, successful or not. */
  lastRunAt: timestamp("last_run_at", { withTimezone: true }),
  lastSuccessAt: timestamp("last_success_at", { withTimezone: true }),
  lastChangeAt: timestamp("last_change_at", { withTimezone: true }),
});

/** Every request a run made, successful or not: the operator's audit trail. */
export const fetchAttemptsTable = pgTable(
  "fetch_attempts",
  {
    id: serial("id").primaryKey(),
    sourceId: text("source_id")
      .notNull()
      .references(() => sourcesTable.id),
    url: text("url"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    /** fetched | not-modified | unchanged | error */
    outcome: text("outcome").notNull(),
    httpStatus: integer("http_status"),
    error: text("error"),
    bytes: integer("bytes"),
    artifactSha256: text("artifact_sha256"),
  },
  (t) => [index("fetch_attempts_source_idx").on(t.sourceId, t.startedAt)],
);

/** Every change of a source's health, with its time and reason: what operators are told about. */
export const sourceHealthEventsTable = pgTable(
  "source_health_events",
  {
    id: serial("id").primaryKey(),
    sourceId: text("source_id")
      .notNull()
      .references(() => sourcesTable.id),
    at: timestamp("at", { withTimezone: true }).notNull(),
    fromHealth: text("from_health").notNull(),
    toHealth: text("to_health").notNull(),
    reason: text("reason"),
  },
  (t) => [index("source_health_events_source_idx").on(t.sourceId, t.at)],
);

/**
 * Pages a user asked to watch (`regwatch watch <url>`): sources kept in the
 * database, not in code, each run like any registered source under its id
 * (`page.<slug>`). Unwatching keeps the row (and the source's history),
 * marked removed, so nothing it found is orphaned.
 */
export const watchedPagesTable = pgTable("watched_pages", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  /** CSS selector of the part that matters; null: the page's main content. */
  selector: text("selector"),
  /** Fetched through Chromium (pages that need JavaScript or challenge plain clients). */
  browser: boolean("browser").notNull().default(false),
  jurisdiction: text("jurisdiction").notNull(),
  /** Technologies every change of the page is tagged with, besides those its words name. */
  technologies: jsonb("technologies").$type<string[]>().notNull().default([]),
  /** Cron (UTC). */
  schedule: text("schedule").notNull(),
  title: text("title"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  createdBy: text("created_by"),
  removedAt: timestamp("removed_at", { withTimezone: true }),
});
