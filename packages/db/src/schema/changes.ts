import { sql } from "drizzle-orm";
import {
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { snapshotsTable } from "./snapshots.ts";
import { sourcesTable } from "./sources.ts";

/** The instrument behind a group of changes (a Federal Register rule, an SOR), when known. */
export const eventsTable = pgTable(
  "events",
  {
    id: serial("id").primaryKey(),
    jurisdiction: text("jurisdiction").notNull(),
    /** "89 FR 72926", "SOR/2024-112" */
    citation: text("citation").notNull(),
    documentId: text("document_id"),
    title: text("title"),
    publishedAt: text("published_at"),
    effectiveAt: text("effective_at"),
    url: text("url"),
    /** "15 CFR 774" and the like: what the instrument amends, used to link list changes to it. */
    cfrReferences: jsonb("cfr_references").$type<string[]>().notNull().default([]),
  },
  (t) => [uniqueIndex("events_citation_uq").on(t.jurisdiction, t.citation)],
);

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

export const changeRecordsTable = pgTable(
  "change_records",
  {
    id: text("id").primaryKey(),
    sourceId: text("source_id")
      .notNull()
      .references(() => sourcesTable.id),
    jurisdiction: text("jurisdiction").notNull(),
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    title: text("title").notNull(),
    before: text("before"),
    after: text("after"),
    diff: jsonb("diff").$type<[string, string][]>(),
    details: jsonb("details").$type<Record<string, unknown>>(),
    publishedAt: text("published_at"),
    effectiveAt: text("effective_at"),
    detectedAt: timestamp("detected_at", { withTimezone: true }).notNull(),
    url: text("url"),
    citation: text("citation"),
    artifactSha256: text("artifact_sha256").notNull(),
    fetchedAt: timestamp("fetched_at", { withTimezone: true }).notNull(),
    parserVersion: text("parser_version").notNull(),
    origin: text("origin").notNull(),
    alert: boolean("alert").notNull(),
    stage: text("stage"),
    wassenaarCategory: text("wassenaar_category"),
    snapshotId: integer("snapshot_id")
      .notNull()
      .references(() => snapshotsTable.id),
    eventId: integer("event_id").references(() => eventsTable.id),
    /** Insertion order, for stable listing. */
    seq: serial("seq").notNull(),
    /**
     * What full-text search reads: title, subject, citation and the entry's
     * text (the first 100,000 characters: a tsvector holds at most 1 MB, and a
     * whole document's words are all in its beginning's vocabulary anyway).
     */
    search: tsvector("search").generatedAlwaysAs(
      sql`to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || subject || ' ' || coalesce(citation, '') || ' ' || left(coalesce(after, before, ''), 100000))`,
    ),
  },
  (t) => [
    index("change_records_detected_idx").on(t.detectedAt),
    // The dashboard's order, newest first, and its keyset pages.
    index("change_records_listing_idx").on(t.detectedAt.desc(), t.seq.desc()),
    index("change_records_search_idx").using("gin", t.search),
    index("change_records_source_idx").on(t.sourceId, t.subject),
    // A snapshot's records: its page counts them, a change's page lists its siblings.
    index("change_records_snapshot_idx").on(t.snapshotId),
    // An instrument's records: a change's page lists them and dates the lifecycle.
    index("change_records_event_idx").on(t.eventId),
  ],
);

export const changeTechnologiesTable = pgTable(
  "change_technologies",
  {
    changeId: text("change_id")
      .notNull()
      .references(() => changeRecordsTable.id, { onDelete: "cascade" }),
    technology: text("technology").notNull(),
    // The record's listing order and jurisdiction, copied (a record never changes): the changes
    // list filtered by a technology reads its newest page from one index, without visiting the
    // records that do not match.
    detectedAt: timestamp("detected_at", { withTimezone: true }).notNull(),
    seq: integer("seq").notNull(),
    jurisdiction: text("jurisdiction").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.changeId, t.technology] }),
    index("change_technologies_tech_idx").on(t.technology),
    // Ascending, read backwards for "newest first" (DESC is NULLS FIRST, which a DESC NULLS LAST index does not serve).
    index("change_technologies_listing_idx").on(
      t.technology,
      t.detectedAt,
      t.seq,
      t.jurisdiction,
      t.changeId,
    ),
  ],
);

export const changeCountriesTable = pgTable(
  "change_countries",
  {
    changeId: text("change_id")
      .notNull()
      .references(() => changeRecordsTable.id, { onDelete: "cascade" }),
    country: text("country").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.changeId, t.country] }),
    index("change_countries_country_idx").on(t.country),
  ],
);
