import { and, asc, count, eq, gt, gte, isNull } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import { sessionsTable, signInLinksTable, usersTable } from "../schema/index.ts";

export type UserRow = typeof usersTable.$inferSelect;
export type Role = "viewer" | "reviewer" | "admin";
export const ROLES: readonly Role[] = ["viewer", "reviewer", "admin"];

/** Creates the user, or changes the role of the one with that address (enabled again if it was disabled). */
export async function upsertUser(
  db: Db,
  user: { id: string; email: string; role: Role },
  at: Date,
): Promise<UserRow> {
  const [row] = await db
    .insert(usersTable)
    .values({ ...user, createdAt: at })
    .onConflictDoUpdate({ target: usersTable.email, set: { role: user.role, disabledAt: null } })
    .returning();
  return row!;
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db.select().from(usersTable).orderBy(asc(usersTable.email));
}

export async function userByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(usersTable).where(eq(usersTable.email, email));
  return row;
}

/** Disables the account and ends its sessions. */
export async function disableUser(db: Db, email: string, at: Date): Promise<UserRow | undefined> {
  const [row] = await db
    .update(usersTable)
    .set({ disabledAt: at })
    .where(and(eq(usersTable.email, email), isNull(usersTable.disabledAt)))
    .returning();
  if (row) {
    await db
      .update(sessionsTable)
      .set({ endedAt: at })
      .where(and(eq(sessionsTable.userId, row.id), isNull(sessionsTable.endedAt)));
  }
  return row;
}

export async function createSignInLink(
  db: Db,
  link: { id: string; userId: string; expiresAt: Date },
  at: Date,
): Promise<void> {
  await db.insert(signInLinksTable).values({ ...link, createdAt: at });
}

/** Sign-in links sent to a user since a moment: asking for them over and over is refused. */
export async function signInLinksSince(db: Db, userId: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(signInLinksTable)
    .where(and(eq(signInLinksTable.userId, userId), gte(signInLinksTable.createdAt, since)));
  return row?.n ?? 0;
}

/**
 * Uses a sign-in link, once: the row is marked in the same statement that
 * checks it is unused and unexpired, so two clicks race and one wins. Returns
 * its (enabled) user, or undefined.
 */
export async function useSignInLink(db: Db, id: string, at: Date): Promise<UserRow | undefined> {
  const [link] = await db
    .update(signInLinksTable)
    .set({ usedAt: at })
    .where(
      and(eq(signInLinksTable.id, id), isNull(signInLinksTable.usedAt), gt(signInLinksTable.expiresAt, at)),
    )
    .returning();
  if (!link) return undefined;
  const [user] = await db
    .update(usersTable)
    .set({ lastSignInAt: at })
    .where(and(eq(usersTable.id, link.userId), isNull(usersTable.disabledAt)))
    .returning();
  return user;
}

export async function createSession(
  db: Db,
  session: { id: string; userId: string; expiresAt: Date },
  at: Date,
): Promise<void> {
  await db.insert(sessionsTable).values({ ...session, createdAt: at });
}

/** The user of a live session: not ended, not expired, the user not disabled. */
export async function sessionUser(db: Db, id: string, at: Date): Promise<UserRow | undefined> {
  const [row] = await db
    .select({ user: usersTable })
    .from(sessionsTable)
    .innerJoin(usersTable, eq(usersTable.id, sessionsTable.userId))
    .where(
      and(
        eq(sessionsTable.id, id),
        isNull(sessionsTable.endedAt),
        gt(sessionsTable.expiresAt, at),
        isNull(usersTable.disabledAt),
      ),
    );
  return row?.user;
}

export async function endSession(db: Db, id: string, at: Date): Promise<void> {
  await db.update(sessionsTable).set({ endedAt: at }).where(eq(sessionsTable.id, id));
}
