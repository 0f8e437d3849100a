import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** A person who signs in: viewer (reads), reviewer (also reviews), admin (also manages users and subscriptions). */
export const usersTable = pgTable("users", {
  id: text("id").primaryKey(),
  /** Lower-cased, unique: one account per address. */
  email: text("email").notNull().unique(),
  /** viewer | reviewer | admin */
  role: text("role").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
  /** Set: the account can no longer sign in, and its sessions are over. */
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
});

/**
 * An emailed sign-in link: its token is signed and expires; this row makes it
 * single-use (`used_at`), whoever follows it first.
 */
export const signInLinksTable = pgTable(
  "sign_in_links",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => usersTable.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("sign_in_links_user_idx").on(t.userId, t.createdAt)],
);

/** A signed-in browser: the cookie carries a signed token naming this row; signing out (or disabling the user) ends it. */
export const sessionsTable = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => usersTable.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/**
 * A token for programmatic use of the JSON API (`Authorization: Bearer …`),
 * acting as its user with that user's role. Only its SHA-256 is stored: the
 * token is shown once, when it is made.
 */
export const apiTokensTable = pgTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => usersTable.id),
    name: text("name").notNull(),
    tokenSha256: text("token_sha256").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId)],
);
