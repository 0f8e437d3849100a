import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import { watchedPagesTable } from "../schema/index.ts";

export type WatchedPageRow = typeof watchedPagesTable.$inferSelect;
export type NewWatchedPage = Omit<typeof watchedPagesTable.$inferInsert, "createdAt" | "removedAt">;

/** A page already watched under this id. */
export class AlreadyWatchedError extends Error {}

/**
 * Starts watching a page. An id watched before and unwatched is watched
 * again with the new settings (its history is the same source's); one
 * watched now is refused, naming its address.
 */
export async function addWatchedPage(db: Db, page: NewWatchedPage, at: Date): Promise<WatchedPageRow> {
  const [existing] = await db.select().from(watchedPagesTable).where(eq(watchedPagesTable.id, page.id));
  if (existing && !existing.removedAt)
    throw new AlreadyWatchedError(`${page.id} is already watched (${existing.url})`);
  const values = { ...page, createdAt: at, removedAt: null };
  const [row] = existing
    ? await db.update(watchedPagesTable).set(values).where(eq(watchedPagesTable.id, page.id)).returning()
    : await db.insert(watchedPagesTable).values(values).returning();
  return row!;
}

/** The pages watched now (or every page ever watched), oldest first. */
export async function listWatchedPages(
  db: Db,
  options: { includeRemoved?: boolean } = {},
): Promise<WatchedPageRow[]> {
  const query = db.select().from(watchedPagesTable);
  return (options.includeRemoved ? query : query.where(isNull(watchedPagesTable.removedAt))).orderBy(
    asc(watchedPagesTable.createdAt),
    asc(watchedPagesTable.id),
  );
}

/** Stops watching; false when the id is not watched now. The row and the source's history stay. */
export async function removeWatchedPage(db: Db, id: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(watchedPagesTable)
    .set({ removedAt: at })
    .where(and(eq(watchedPagesTable.id, id), isNull(watchedPagesTable.removedAt)))
    .returning({ id: watchedPagesTable.id });
  return rows.length > 0;
}
