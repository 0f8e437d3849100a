import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import { apiTokensTable, usersTable } from "../schema/index.ts";
import type { UserRow } from "./users.ts";

export type ApiTokenRow = typeof apiTokensTable.$inferSelect;

// Recognisable in a secret scanner and in logs: `rwt_` and 43 base64url characters.
const TOKEN_RE = /^rwt_[A-Za-z0-9_-]{43}$/;
// last_used_at is written at most this often per token: a busy client does not write on every call.
const TOUCH_MS = 60_000;

const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");

/** Makes a token for a user; the token itself is returned once and only its hash is kept. */
export async function createApiToken(
  db: Db,
  input: { userId: string; name: string },
  at: Date,
): Promise<{ token: string; row: ApiTokenRow }> {
  const token = `rwt_${randomBytes(32).toString("base64url")}`;
  const [row] = await db
    .insert(apiTokensTable)
    .values({
      id: randomBytes(8).toString("hex"),
      userId: input.userId,
      name: input.name,
      tokenSha256: sha256(token),
      createdAt: at,
    })
    .returning();
  return { token, row: row! };
}

/** The enabled user a live (unrevoked) token acts as, or undefined; notes when it was used. */
export async function apiTokenUser(db: Db, token: string, at: Date): Promise<UserRow | undefined> {
  if (!TOKEN_RE.test(token)) return undefined;
  const [row] = await db
    .select({ user: usersTable, tokenId: apiTokensTable.id })
    .from(apiTokensTable)
    .innerJoin(usersTable, eq(usersTable.id, apiTokensTable.userId))
    .where(
      and(
        eq(apiTokensTable.tokenSha256, sha256(token)),
        isNull(apiTokensTable.revokedAt),
        isNull(usersTable.disabledAt),
      ),
    );
  if (!row) return undefined;
  await db
    .update(apiTokensTable)
    .set({ lastUsedAt: at })
    .where(
      and(
        eq(apiTokensTable.id, row.tokenId),
        or(
          isNull(apiTokensTable.lastUsedAt),
          lt(apiTokensTable.lastUsedAt, new Date(at.getTime() - TOUCH_MS)),
        ),
      ),
    );
  return row.user;
}

/** A user's tokens (hashes only), newest first. */
export async function listApiTokens(db: Db, userId?: string): Promise<(ApiTokenRow & { email: string })[]> {
  const rows = await db
    .select({ token: apiTokensTable, email: usersTable.email })
    .from(apiTokensTable)
    .innerJoin(usersTable, eq(usersTable.id, apiTokensTable.userId))
    .where(userId ? eq(apiTokensTable.userId, userId) : undefined)
    .orderBy(desc(apiTokensTable.createdAt));
  return rows.map((r) => ({ ...r.token, email: r.email }));
}

/** Revokes a token by id; false when there is no such live token. */
export async function revokeApiToken(db: Db, id: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(apiTokensTable)
    .set({ revokedAt: at })
    .where(and(eq(apiTokensTable.id, id), isNull(apiTokensTable.revokedAt)))
    .returning({ id: apiTokensTable.id });
  return rows.length > 0;
}
