import { index, jsonb, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { changeRecordsTable } from "./changes.ts";
import { usersTable } from "./users.ts";

/** reviewed | action-needed | not-applicable */
export type ReviewStatus = "reviewed" | "action-needed" | "not-applicable";
export interface ReviewState {
  status: ReviewStatus;
  note: string;
}

/** Where a change stands in the weekly review: the latest mark, by whom. */
export const reviewMarksTable = pgTable(
  "review_marks",
  {
    changeId: text("change_id")
      .primaryKey()
      .references(() => changeRecordsTable.id, { onDelete: "cascade" }),
    status: text("status").$type<ReviewStatus>().notNull(),
    note: text("note").notNull().default(""),
    userId: text("user_id")
      .notNull()
      .references(() => usersTable.id),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("review_marks_updated_idx").on(t.updatedAt)],
);

/**
 * Every review action, never updated or deleted: who, when, which change,
 * and the mark before (null for the first) and after.
 */
export const reviewAuditTable = pgTable(
  "review_audit",
  {
    id: serial("id").primaryKey(),
    changeId: text("change_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => usersTable.id),
    at: timestamp("at", { withTimezone: true }).notNull(),
    before: jsonb("before").$type<ReviewState | null>(),
    after: jsonb("after").$type<ReviewState>().notNull(),
  },
  (t) => [index("review_audit_change_idx").on(t.changeId, t.at), index("review_audit_at_idx").on(t.at)],
);
