import type { ChangeRecord } from "@regwatch/core/schemas";
import { and, desc, eq, exists, gte, inArray, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../open-database.ts";
import { changeCountriesTable, changeRecordsTable, changeTechnologiesTable } from "../schema/index.ts";
import { RECORD_COLUMNS, toChangeRecord } from "./changes.ts";

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
  /**
   * Without the texts (`before`, `after`, `diff`, `details` come back null):
   * what a list shows, without reading and parsing what it does not.
   */
  summary?: boolean;
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

/** The date filters; detection times are read from `detectedAt` (the record's, or its tag's copy). */
function dateBounds(search: ChangeSearch, detectedAt: AnyPgColumn = changeRecordsTable.detectedAt): SQL[] {
  const where: SQL[] = [];
  const field = search.dateField ?? "detected";
  if (field === "detected") {
    if (search.from) where.push(gte(detectedAt, new Date(search.from)));
    if (search.to) {
      where.push(
        DATE.test(search.to)
          ? lt(detectedAt, new Date(dayAfter(search.to)))
          : lte(detectedAt, new Date(search.to)),
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
  const ct = changeTechnologiesTable;
  const cursor = search.cursor ? decodeCursor(search.cursor) : null;
  const after = (detectedAt: AnyPgColumn, seq: AnyPgColumn): SQL[] => {
    if (!cursor) return [];
    const at = new Date(cursor.detectedAt);
    return [or(lt(detectedAt, at), and(eq(detectedAt, at), lt(seq, cursor.seq)))!];
  };
  // What only the record itself can answer.
  const recordWhere: SQL[] = [];
  if (search.sources?.length) recordWhere.push(inArray(t.sourceId, [...search.sources]));
  if (search.kinds?.length) recordWhere.push(inArray(t.kind, [...search.kinds]));
  if (search.alertOnly) recordWhere.push(eq(t.alert, true));
  if (search.countries?.length) {
    recordWhere.push(
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
  if (q) recordWhere.push(sql`${t.search} @@ websearch_to_tsquery('english', ${q})`);
  const technologies = search.technologies ?? [];

  // One statement a page: the page's keys (the filters and the order need only indexes),
  // then those rows in full with their tags, so a search's thousands of matches are never
  // read whole.
  const recordKeys = () => {
    const where: SQL[] = [...dateBounds(search), ...recordWhere, ...after(t.detectedAt, t.seq)];
    if (search.jurisdictions?.length) where.push(inArray(t.jurisdiction, [...search.jurisdictions]));
    if (technologies.length)
      where.push(
        exists(
          db
            .select({ one: sql`1` })
            .from(ct)
            .where(and(eq(ct.changeId, t.id), inArray(ct.technology, [...technologies]))),
        ),
      );
    return db
      .select({ pageId: t.id })
      .from(t)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(t.detectedAt), desc(t.seq))
      .limit(limit + 1)
      .as("page");
  };
  // One technology (the common filter): its tags carry the record's order and jurisdiction, so
  // the newest page is read from one index; the record is joined only for what else is asked.
  const tagKeys = () => {
    const dateOnTag = (search.dateField ?? "detected") === "detected";
    const where: SQL[] = [
      eq(ct.technology, technologies[0]!),
      ...(search.jurisdictions?.length ? [inArray(ct.jurisdiction, [...search.jurisdictions])] : []),
      ...(dateOnTag ? dateBounds(search, ct.detectedAt) : dateBounds(search)),
      ...after(ct.detectedAt, ct.seq),
      ...recordWhere,
    ];
    const tags = db.select({ pageId: ct.changeId }).from(ct);
    const joined = recordWhere.length || !dateOnTag ? tags.innerJoin(t, eq(t.id, ct.changeId)) : tags;
    return joined
      .where(and(...where))
      .orderBy(desc(ct.detectedAt), desc(ct.seq))
      .limit(limit + 1)
      .as("page") as unknown as ReturnType<typeof recordKeys>;
  };
  const keys = technologies.length === 1 ? tagKeys() : recordKeys();
  const { before: _b, after: _a, diff: _d, details: _x, ...SUMMARY_COLUMNS } = RECORD_COLUMNS;
  const rows = await db
    .select({
      ...(search.summary
        ? {
            ...SUMMARY_COLUMNS,
            before: sql<null>`null`,
            after: sql<null>`null`,
            diff: sql<null>`null`,
            details: sql<null>`null`,
          }
        : RECORD_COLUMNS),
      technologies: sql<
        string[]
      >`array(select ${changeTechnologiesTable.technology} from ${changeTechnologiesTable} where ${changeTechnologiesTable.changeId} = ${t.id})`,
      countries: sql<
        string[]
      >`array(select ${changeCountriesTable.country} from ${changeCountriesTable} where ${changeCountriesTable.changeId} = ${t.id})`,
    })
    .from(keys)
    .innerJoin(t, eq(t.id, keys.pageId))
    .orderBy(desc(t.detectedAt), desc(t.seq));
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    changes: page.map(({ technologies, countries, ...row }) => toChangeRecord(row, technologies, countries)),
    next:
      rows.length > limit && last
        ? encodeCursor({ detectedAt: last.detectedAt.toISOString(), seq: last.seq })
        : null,
  };
}
