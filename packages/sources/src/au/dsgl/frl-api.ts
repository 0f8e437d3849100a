import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import { checkedIsoDate } from "../../dates.ts";

// The Federal Register of Legislation, as regwatch reads it.
//
// The API is OData, keyless, under https://api.prod.legislation.gov.au/v1
// (swagger at /swagger/index.html) [C: SOURCES.md]. What follows about its
// entity sets and fields is [I]: taken from public client code that calls the
// live API (no answer of it is in the samples), each marked where used:
// - `titles` (a title is one law: `id` such as F2024L01024, `name`,
//   `collection` such as LegislativeInstrument, `isPrincipal`, `status`,
//   `makingDate`), filtered with `contains(name,'…')`;
// - `versions` (a title's versions: `titleId`, `registerId` (F2024L01024
//   as made, F2025C00123 for a compilation), `start` / `end` (the days the
//   text is the law), `retrospectiveStart`, `compilationNumber` ("0" as made,
//   "1" and up for compilations, null for an amendment in force but not yet
//   compiled: a version with no text of its own), `registeredAt`), filtered
//   with `titleId eq '…'`;
// - `documents` / `documents/find(…)` (Word, Pdf, Epub renditions): not used.
//   The text is read as HTML instead: the Register's text pages show a version
//   through the first document of its EPUB rendition, served on its own at
//   `/{titleId}/{start}/{retrospectiveStart}/text/original/epub/OEBPS/document_1/document_1.html`
//   [I: the address shape of public links to compilations; `/{id}/latest/text`
//   [C] is, per public scrapers, a shell that shows that document in an
//   iframe (`#epubFrame`)]. One request, no zip to open.

export const FRL_API = "https://api.prod.legislation.gov.au/v1";
export const FRL_WEB = "https://www.legislation.gov.au";
/** robots.txt of www.legislation.gov.au asks for 10 s between requests [C]. */
export const FRL_WEB_CRAWL_DELAY_MS = 10_000;

/** The list's title as the Register names each instrument of the series ("… 2024"). */
export const DSGL_TITLE = "Defence and Strategic Goods List";
/** The remade list's own title, not an instrument amending it. */
const DSGL_NAME = /^Defence and Strategic Goods List(?: (\d{4}))?$/;
const REGISTER_ID = /^[A-Z]\d{4}[A-Z]\d{5}$/;

/** OData string literals double their single quotes. */
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Titles whose name holds the DSGL's: the remade lists, the instruments amending them, the old 1996 list. */
export const titlesSearchUrl = () =>
  `${FRL_API}/titles?$filter=${encodeURIComponent(`contains(name,${literal(DSGL_TITLE)})`)}&$top=100`;

/** Every version of one title (the DSGL has a handful; the API's page holds 100). */
export const versionsUrl = (titleId: string) =>
  `${FRL_API}/versions?$filter=${encodeURIComponent(`titleId eq ${literal(titleId)}`)}&$top=100`;

/** The version's text as HTML (see the top of this file for the address [I]). */
export const documentUrl = (v: Pick<FrlVersion, "titleId" | "start" | "retrospectiveStart">) =>
  `${FRL_WEB}/${v.titleId}/${v.start}/${v.retrospectiveStart}/text/original/epub/OEBPS/document_1/document_1.html`;

/** The page a person reads: the title's latest text [C]. */
export const latestTextPage = (titleId: string) => `${FRL_WEB}/${titleId}/latest/text`;

export interface FrlTitle {
  id: string;
  name: string;
  makingDate: string | null;
}

export interface FrlVersion {
  titleId: string;
  registerId: string;
  start: string;
  retrospectiveStart: string;
  end: string | null;
  /** "0" as made, "1"… for compilations; null: an amendment in force, not yet compiled (no text). */
  compilationNumber: string | null;
  registeredAt: string | null;
}

/** The `value` array of an OData answer; anything else is a changed API, never an empty list. */
function odataValue(body: Uint8Array, what: string): Record<string, unknown>[] {
  const { text } = decodeText(body, "application/json; charset=utf-8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SourceShapeChangedError(`${what}: not JSON (${(err as Error).message}); truncated?`);
  }
  const value = (json as { value?: unknown } | null)?.value;
  if (!json || typeof json !== "object" || !Array.isArray(value))
    throw new SourceShapeChangedError(`${what}: expected an OData answer with a "value" array`);
  if ((json as Record<string, unknown>)["@odata.nextLink"])
    throw new SourceShapeChangedError(`${what}: more than one page of results, where one was expected`);
  return value.map((row, i) => {
    if (!row || typeof row !== "object" || Array.isArray(row))
      throw new SourceShapeChangedError(`${what}: row ${i} is not an object`);
    return row as Record<string, unknown>;
  });
}

const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : null);

/** "2024-09-01T00:00:00" or "2024-09-01" → "2024-09-01"; a day the calendar lacks is refused. */
function day(v: unknown, field: string, what: string, required: true): string;
function day(v: unknown, field: string, what: string, required: false): string | null;
function day(v: unknown, field: string, what: string, required: boolean): string | null {
  const s = str(v);
  if (s === null) {
    if (required) throw new SourceShapeChangedError(`${what}: no ${field}`);
    return null;
  }
  const date = /^\d{4}-\d{2}-\d{2}(?:$|T)/.test(s) ? checkedIsoDate(s.slice(0, 10)) : null;
  if (!date) throw new SourceShapeChangedError(`${what}: ${field} "${s}" is not a date`);
  return date;
}

/**
 * The remade lists among the titles the search found, newest first (by making
 * date, then by the year in the name): principal legislative instruments named
 * exactly "Defence and Strategic Goods List" with or without a year, so
 * neither an amending instrument nor a title merely quoting the name.
 */
export function readDsglTitles(body: Uint8Array): FrlTitle[] {
  const what = "Register titles search";
  const titles: (FrlTitle & { year: number })[] = [];
  for (const row of odataValue(body, what)) {
    const id = str(row.id);
    const name = str(row.name) ? normalizeText(row.name as string) : null;
    if (!id || !name) throw new SourceShapeChangedError(`${what}: a title without id or name`);
    const m = DSGL_NAME.exec(name);
    if (!m) continue;
    if (!REGISTER_ID.test(id))
      throw new SourceShapeChangedError(`${what}: title id "${id}" is not a register id`);
    // Fields the search may leave out are read only when present.
    if (row.collection !== undefined && row.collection !== "LegislativeInstrument") continue;
    if (row.isPrincipal === false) continue;
    titles.push({
      id,
      name,
      makingDate: day(row.makingDate, "makingDate", `${what}, ${id}`, false),
      year: Number(m[1] ?? 0),
    });
  }
  titles.sort(
    (a, b) =>
      (b.makingDate ?? "").localeCompare(a.makingDate ?? "") || b.year - a.year || b.id.localeCompare(a.id),
  );
  return titles.map(({ year: _, ...t }) => t);
}

/** One title's versions, as the API lists them; each checked to belong to it. */
export function readVersions(body: Uint8Array, titleId: string): FrlVersion[] {
  const what = `Register versions of ${titleId}`;
  return odataValue(body, what).map((row) => {
    if (row.titleId !== titleId)
      throw new SourceShapeChangedError(`${what}: a version of ${String(row.titleId)} in the answer`);
    const registerId = str(row.registerId);
    if (!registerId || !REGISTER_ID.test(registerId))
      throw new SourceShapeChangedError(`${what}: register id "${String(row.registerId)}" is not one`);
    const at = `${what}, ${registerId}`;
    const start = day(row.start, "start", at, true);
    const n = row.compilationNumber;
    return {
      titleId,
      registerId,
      start,
      retrospectiveStart: day(row.retrospectiveStart, "retrospectiveStart", at, false) ?? start,
      end: day(row.end, "end", at, false),
      compilationNumber: typeof n === "number" ? String(n) : str(n),
      registeredAt: day(row.registeredAt, "registeredAt", at, false),
    };
  });
}

/**
 * The version that is the law on `today`: the newest one with a text of its
 * own (as made, or a compilation) that has started. A version registered ahead
 * of its start is not it yet; of two versions starting the same day (a
 * rectified one), the one registered last.
 */
export function versionInForce(versions: readonly FrlVersion[], today: string): FrlVersion | null {
  const started = versions
    .filter((v) => v.compilationNumber !== null && v.start <= today)
    .sort(
      (a, b) => a.start.localeCompare(b.start) || (a.registeredAt ?? "").localeCompare(b.registeredAt ?? ""),
    );
  return started[started.length - 1] ?? null;
}
