import type { ChangeRecord } from "@regwatch/core/schemas";
import { and, desc, eq, exists, gte, inArray, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import { changeCountriesTable, changeRecordsTable, changeTechnologiesTable } from "../schema/index.ts";
import { listChanges } from "./changes.ts";

/** Which of a change's dates `from` and `to` bound. */
export type ChangeDateField = "detected" | "published" | "effective";

/** The dashboard's and the API's filters; every list means "any of". */
export interface ChangeSearch {
  technologies?: readonly string[];
  jurisdictions?: readonly string[];
  countries?: readonly string[];
  sources?: readonly string[];
  kinds?: readonly string[];
  /** Inclusive bounds, `YYYY-MM-DD` (or an instant for `detected`). */
  from?: string | null;
  to?: string | null;
  dateField?: ChangeDateField;
  /** Words to find in titles, subjects, citations and entry text (web search syntax: "quoted phrase", -excluded, or). */
  q?: string | null;
  /** Only the records subscribers are told about (not baselines, not backfills). */
  alertOnly?: boolean;
  /** Page size, 1–500. */
  limit: number;
  /** The `next` of the previous page. */
  cursor?: string | null;
}

export interface ChangePage {
  changes: ChangeRecord[];
  /** Give it back as `cursor` for the next page; null on the last. */
  next: string | null;
}

export class CursorError extends Error {
  override name = "CursorError";
}

// The newest first: detection time, then insertion order (unique) within one run.
interface Position {
  detectedAt: string;
  seq: number;
}

export function encodeCursor(p: Position): string {
  return Buffer.from(`${p.detectedAt}|${p.seq}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): Position {
  const [at, seq] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const position = { detectedAt: at ?? "", seq: Number(seq) };
  if (
    Number.isNaN(Date.parse(position.detectedAt)) ||
    !Number.isSafeInteger(position.seq) ||
    position.seq < 0
  )
    throw new CursorError("cursor is not one this service gave");
  return position;
}

/** The day after a `YYYY-MM-DD`: an inclusive `to` on a timestamp is `< next day`. */
function dayAfter(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function dateBounds(search: ChangeSearch): SQL[] {
  const where: SQL[] = [];
  const field = search.dateField ?? "detected";
  if (field === "detected") {
    if (search.from) where.push(gte(changeRecordsTable.detectedAt, new Date(search.from)));
    if (search.to) {
      where.push(
        DATE.test(search.to)
          ? lt(changeRecordsTable.detectedAt, new Date(dayAfter(search.to)))
          : lte(changeRecordsTable.detectedAt, new Date(search.to)),
      );
    }
    return where;
  }
  // Published and effective dates are stored as ISO dates (text): they compare as strings.
  const column = field === "published" ? changeRecordsTable.publishedAt : changeRecordsTable.effectiveAt;
  if (search.from) where.push(gte(column, search.from.slice(0, 10)));
  if (search.to) where.push(lte(column, search.to.slice(0, 10)));
  return where;
}

/**
 * One page of change records, newest first, by keyset (a page never repeats
 * or skips a record however many are stored meanwhile). Full-text search uses
 * the records' `search` vector (title, subject, citation and entry text,
 * English stemming), indexed.
 */
export async function searchChanges(db: Db, search: ChangeSearch): Promise<ChangePage> {
  const limit = Math.max(1, Math.min(500, Math.floor(search.limit)));
  const t = changeRecordsTable;
  const where: SQL[] = [...dateBounds(search)];
  if (search.jurisdictions?.length) where.push(inArray(t.jurisdiction, [...search.jurisdictions]));
  if (search.sources?.length) where.push(inArray(t.sourceId, [...search.sources]));
  if (search.kinds?.length) where.push(inArray(t.kind, [...search.kinds]));
  if (search.alertOnly) where.push(eq(t.alert, true));
  if (search.technologies?.length) {
    where.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(changeTechnologiesTable)
          .where(
            and(
              eq(changeTechnologiesTable.changeId, t.id),
              inArray(changeTechnologiesTable.technology, [...search.technologies]),
            ),
          ),
      ),
    );
  }
  if (search.countries?.length) {
    where.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(changeCountriesTable)
          .where(
            and(
              eq(changeCountriesTable.changeId, t.id),
              inArray(changeCountriesTable.country, [...search.countries]),
            ),
          ),
      ),
    );
  }
  const q = search.q?.trim();
  if (q) where.push(sql`${t.search} @@ websearch_to_tsquery('english', ${q})`);
  if (search.cursor) {
    const p = decodeCursor(search.cursor);
    const at = new Date(p.detectedAt);
    where.push(or(lt(t.detectedAt, at), and(eq(t.detectedAt, at), lt(t.seq, p.seq)))!);
  }
  const rows = await db
    .select({ id: t.id, detectedAt: t.detectedAt, seq: t.seq })
    .from(t)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(t.detectedAt), desc(t.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const byId = new Map((await listChanges(db, { ids: page.map((r) => r.id) })).map((c) => [c.id, c]));
  const last = page.at(-1);
  return {
    changes: page.flatMap((r) => byId.get(r.id) ?? []),
    next:
      rows.length > limit && last
        ? encodeCursor({ detectedAt: last.detectedAt.toISOString(), seq: last.seq })
        : null,
  };
}
