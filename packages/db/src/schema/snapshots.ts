import { index, integer, jsonb, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { rawArtifactsTable } from "./artifacts.ts";
import { sourcesTable } from "./sources.ts";

/**
 * One parse of one artifact by one parser version: accepted, quarantined, or
 * stale (older than the accepted version: archived, never diffed). The same
 * bytes may be taken more than once (a genuine revert to an earlier text).
 */
export const snapshotsTable = pgTable(
  "snapshots",
  {
    id: serial("id").primaryKey(),
    sourceId: text("source_id")
      .notNull()
      .references(() => sourcesTable.id),
    artifactSha256: text("artifact_sha256")
      .notNull()
      .references(() => rawArtifactsTable.sha256),
    parserVersion: text("parser_version").notNull(),
    /** accepted | quarantined | stale */
    status: text("status").notNull(),
    reason: text("reason"),
    itemCount: integer("item_count").notNull(),
    /** baseline | regulatory | backfill | parser */
    origin: text("origin").notNull(),
    url: text("url"),
    fetchedAt: timestamp("fetched_at", { withTimezone: true }).notNull(),
    /** The run's clock when this snapshot was taken. */
    takenAt: timestamp("taken_at", { withTimezone: true }).notNull(),
    /** The document's own version date (eCFR version, Justice Laws point in time), when it has one. */
    versionDate: text("version_date"),
    /** The run that took it: every snapshot of a source's first run is its baseline. */
    runId: text("run_id"),
    meta: jsonb("meta").$type<Record<string, unknown>>().notNull().default({}),
    warnings: jsonb("warnings").$type<string[]>().notNull().default([]),
  },
  (t) => [
    index("snapshots_artifact_idx").on(t.sourceId, t.artifactSha256),
    index("snapshots_source_idx").on(t.sourceId, t.id),
  ],
);

/**
 * Entries with history: a row is one version of one entry, valid from the
 * snapshot that introduced it until the snapshot that replaced or removed it
 * (null while current). Documents of feeds are stored here too, keyed by id.
 */
export const entriesTable = pgTable(
  "entries",
  {
    id: serial("id").primaryKey(),
    sourceId: text("source_id")
      .notNull()
      .references(() => sourcesTable.id),
    key: text("key").notNull(),
    parentKey: text("parent_key"),
    heading: text("heading"),
    text: text("text").notNull(),
    hash: text("hash").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>(),
    validFrom: integer("valid_from")
      .notNull()
      .references(() => snapshotsTable.id),
    validTo: integer("valid_to").references(() => snapshotsTable.id),
  },
  (t) => [
    index("entries_current_idx").on(t.sourceId, t.validTo, t.key),
    index("entries_key_idx").on(t.sourceId, t.key),
    // Comparing two snapshots reads the versions each one introduced.
    index("entries_valid_from_idx").on(t.sourceId, t.validFrom),
  ],
);
