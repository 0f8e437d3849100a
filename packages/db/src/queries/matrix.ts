// The alignment matrix: technologies × jurisdictions, read from the tracked
// control lists (never typed in by hand). A cell is "in force" when the
// current version of a list of that jurisdiction holds an entry the taxonomy
// tags with the technology; "since" is traced through the entry's stored
// versions to the change record (and its instrument) that brought it, or to
// the list's own in-force date, or to the first version that held it.

import { JURISDICTION_CODES, JURISDICTIONS, type Jurisdiction } from "@regwatch/core/jurisdictions";
import {
  entryTechnologies,
  listTagger,
  TECHNOLOGIES,
  TECHNOLOGY_IDS,
  type TechnologyId,
  technologiesForKey,
} from "@regwatch/core/taxonomy";
import { and, desc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "../open-database.ts";
import {
  changeRecordsTable,
  entriesTable,
  eventsTable,
  snapshotsTable,
  sourcesTable,
} from "../schema/index.ts";

/**
 * - `in-force`: a current entry tagged with the technology is in force on the matrix's date;
 * - `scheduled`: entries exist, but every one takes effect after that date;
 * - `none`: the jurisdiction's lists are tracked and no current entry is tagged with it;
 * - `not-tracked`: no list of the jurisdiction has an accepted version, so nothing can be said.
 */
export type CellStatus = "in-force" | "scheduled" | "none" | "not-tracked";

/**
 * Where a "since" date comes from:
 * - `effective`: the effective date of the change record that brought the entry (or of its instrument);
 * - `in-force`: the list's own in-force date for the entry (Justice Laws' `inforce-start-date`), when
 *   the entry was already there in the first version tracked: in force at least since then;
 * - `first-seen`: the version date (else the day taken) of the first tracked version holding the entry.
 */
export type SinceBasis = "effective" | "in-force" | "first-seen";

export interface MatrixInstrument {
  /** "89 FR 72926", "SOR/2024-150". */
  citation: string;
  url: string | null;
}

/** One list entry behind a cell: the top-most entry tagged with the technology (its sub-paragraphs are covered by it). */
export interface MatrixEntry {
  source: string;
  key: string;
  /** Heading or text, cut to 140 characters. */
  summary: string;
  /** YYYY-MM-DD. */
  since: string;
  sinceBasis: SinceBasis;
  /** The change record that added the entry, or that gave it the wording tagged with the technology. */
  changeId: string | null;
  instrument: MatrixInstrument | null;
  /** False when `since` is after the matrix's date: enacted, not yet in force. */
  inForce: boolean;
  /** How the taxonomy tied it to the technology: its entry number (e.g. 4A906), or only words of its text. */
  taggedBy: "number" | "text";
}

export interface MatrixCell {
  technology: TechnologyId;
  jurisdiction: Jurisdiction;
  status: CellStatus;
  /** The earliest `since` of the entries that decide the status; null for `none` and `not-tracked`. */
  since: string | null;
  sinceBasis: SinceBasis | null;
  changeId: string | null;
  instrument: MatrixInstrument | null;
  /** In force first, then earliest first; on one date, entries tied by number before those tied by words. */
  entries: MatrixEntry[];
}

export interface MatrixJurisdiction {
  code: Jurisdiction;
  name: string;
  /** A list of this jurisdiction has an accepted version: its cells say "in force" or "none". */
  tracked: boolean;
  /** Its list sources with an accepted version: what the column is read from. */
  sources: string[];
  /** Its list sources registered but without an accepted version yet. */
  awaiting: string[];
}

/** A list version the matrix was read from. */
export interface MatrixSource {
  id: string;
  jurisdiction: string;
  title: string;
  snapshotId: number;
  /** The document's own version date (eCFR version, Justice Laws point in time), when it has one. */
  versionDate: string | null;
  takenAt: string;
}

export interface AlignmentMatrix {
  /** The day cells are judged on (YYYY-MM-DD): entries effective after it are `scheduled`. */
  date: string;
  technologies: { id: TechnologyId; label: string }[];
  jurisdictions: MatrixJurisdiction[];
  sources: MatrixSource[];
  /** Row by row: every technology × every jurisdiction, in taxonomy and jurisdiction order. */
  cells: MatrixCell[];
}

/** A current entry that is the top-most one tagged with some technologies. */
interface TaggedEntry {
  key: string;
  summary: string;
  validFrom: number;
  inForce: string | null;
  /** The technologies it is the top-most entry for. */
  technologies: TechnologyId[];
  /** Those of them its number alone gives. */
  numbered: TechnologyId[];
  /** Parent, grandparent, …: where a record that added it with its parent is filed. */
  ancestors: string[];
}

interface SourceScan {
  snapshotId: number;
  tagged: TaggedEntry[];
}

/**
 * Tagging a whole list (the CCL: thousands of entries, megabytes of text)
 * takes a few hundred milliseconds; the result only changes when the source
 * gets a new accepted version, so it is kept per source and snapshot.
 */
export interface MatrixCache {
  scans: Map<string, SourceScan>;
}

export function createMatrixCache(): MatrixCache {
  return { scans: new Map() };
}

// Postgres takes at most 65,535 bind parameters per statement.
const BATCH = 1000;

const inForceOf = sql<string | null>`${entriesTable.data}->>'inForce'`;

function summaryOf(heading: string | null, text: string): string {
  const s = (heading || text).replace(/\s+/g, " ").trim();
  return s.length > 140 ? `${s.slice(0, 139).trimEnd()}…` : s;
}

/**
 * One pass over a source's current entries. Tags are the pipeline's: an
 * entry's own number and words plus everything its parents carry (as
 * `diffLists` tags change records), so the matrix and the alerts agree.
 * An entry is kept for a technology only when its parent does not carry
 * it: "4A906" stands for 4A906.a, 4A906.a.1, ….
 */
async function scanSource(db: Db, sourceId: string, snapshotId: number): Promise<SourceScan> {
  const rows = await db
    .select({
      key: entriesTable.key,
      parentKey: entriesTable.parentKey,
      heading: entriesTable.heading,
      text: entriesTable.text,
      validFrom: entriesTable.validFrom,
      inForce: inForceOf,
    })
    .from(entriesTable)
    .where(and(eq(entriesTable.sourceId, sourceId), isNull(entriesTable.validTo)));
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const tagsOf = listTagger(byKey, sourceId);
  const tagged: TaggedEntry[] = [];
  for (const row of rows) {
    const tags = tagsOf(row.key);
    if (!tags.length) continue;
    const inherited = row.parentKey ? new Set(tagsOf(row.parentKey)) : new Set();
    const technologies = tags.filter((t) => !inherited.has(t));
    if (!technologies.length) continue;
    const ancestors: string[] = [];
    for (let p = row.parentKey; p && byKey.has(p) && !ancestors.includes(p); p = byKey.get(p)!.parentKey) {
      ancestors.push(p);
    }
    const byNumber = technologiesForKey(row.key, sourceId);
    tagged.push({
      key: row.key,
      summary: summaryOf(row.heading, row.text),
      validFrom: row.validFrom,
      inForce: row.inForce,
      technologies,
      numbered: technologies.filter((t) => byNumber.includes(t)),
      ancestors,
    });
  }
  return { snapshotId, tagged };
}

interface Version {
  key: string;
  heading: string | null;
  text: string;
  validFrom: number;
  validTo: number | null;
  inForce: string | null;
}

/** The replaced versions of some entries of a source, by key. */
async function pastVersions(
  db: Db,
  sourceId: string,
  keys: readonly string[],
): Promise<Map<string, Version[]>> {
  const out = new Map<string, Version[]>();
  for (let i = 0; i < keys.length; i += BATCH) {
    const rows = await db
      .select({
        key: entriesTable.key,
        heading: entriesTable.heading,
        text: entriesTable.text,
        validFrom: entriesTable.validFrom,
        validTo: entriesTable.validTo,
        inForce: inForceOf,
      })
      .from(entriesTable)
      .where(
        and(
          eq(entriesTable.sourceId, sourceId),
          isNotNull(entriesTable.validTo),
          inArray(entriesTable.key, keys.slice(i, i + BATCH)),
        ),
      );
    for (const r of rows) out.set(r.key, [...(out.get(r.key) ?? []), r]);
  }
  return out;
}

interface RecordRow {
  id: string;
  subject: string;
  kind: string;
  snapshotId: number;
  effectiveAt: string | null;
  citation: string | null;
  url: string | null;
  folded: unknown;
  eventCitation: string | null;
  eventUrl: string | null;
  eventEffectiveAt: string | null;
}

/**
 * The records of a source about some subjects, brought by some snapshots:
 * the candidates for the record that added (or reworded) an entry. Records
 * caused by a parser change or taken as a baseline say nothing of when a
 * control began, and are left out.
 */
async function recordsFor(
  db: Db,
  sourceId: string,
  subjects: readonly string[],
  snapshotIds: readonly number[],
): Promise<RecordRow[]> {
  if (!subjects.length || !snapshotIds.length) return [];
  const out: RecordRow[] = [];
  for (let i = 0; i < subjects.length; i += BATCH) {
    out.push(
      ...(await db
        .select({
          id: changeRecordsTable.id,
          subject: changeRecordsTable.subject,
          kind: changeRecordsTable.kind,
          snapshotId: changeRecordsTable.snapshotId,
          effectiveAt: changeRecordsTable.effectiveAt,
          citation: changeRecordsTable.citation,
          url: changeRecordsTable.url,
          folded: sql<unknown>`${changeRecordsTable.details}->'entries'`,
          eventCitation: eventsTable.citation,
          eventUrl: eventsTable.url,
          eventEffectiveAt: eventsTable.effectiveAt,
        })
        .from(changeRecordsTable)
        .leftJoin(eventsTable, eq(eventsTable.id, changeRecordsTable.eventId))
        .where(
          and(
            // (source_id, subject) is indexed; snapshot_id is not.
            eq(changeRecordsTable.sourceId, sourceId),
            inArray(changeRecordsTable.subject, subjects.slice(i, i + BATCH)),
            inArray(changeRecordsTable.snapshotId, [...snapshotIds]),
            inArray(changeRecordsTable.kind, ["added", "modified"]),
            inArray(changeRecordsTable.origin, ["regulatory", "backfill"]),
          ),
        )
        .orderBy(changeRecordsTable.seq)),
    );
  }
  return out;
}

interface SnapshotDates {
  versionDate: string | null;
  takenAt: Date;
}

async function snapshotDates(db: Db, ids: readonly number[]): Promise<Map<number, SnapshotDates>> {
  const out = new Map<number, SnapshotDates>();
  for (let i = 0; i < ids.length; i += BATCH) {
    const rows = await db
      .select({
        id: snapshotsTable.id,
        versionDate: snapshotsTable.versionDate,
        takenAt: snapshotsTable.takenAt,
      })
      .from(snapshotsTable)
      .where(inArray(snapshotsTable.id, ids.slice(i, i + BATCH)));
    for (const r of rows) out.set(r.id, r);
  }
  return out;
}

const DATE = /^\d{4}-\d{2}-\d{2}/;
const day = (value: string | null | undefined): string | null =>
  value && DATE.test(value) ? value.slice(0, 10) : null;

function instrumentOf(record: RecordRow): MatrixInstrument | null {
  const citation = record.citation ?? record.eventCitation;
  if (!citation) return null;
  // The event's link is the instrument's own (the Federal Register document); the
  // record's is the list it changed. A record citing another amendment than the
  // event (an entry in force since an earlier SOR) keeps its own link.
  const url = record.eventCitation && citation.includes(record.eventCitation) ? record.eventUrl : null;
  return { citation, url: url ?? record.url };
}

/**
 * When each tagged entry of one source came into force, per technology.
 * From the current version, back through the versions it replaced while
 * they too were tagged with the technology (by their own number and words):
 * the first of them is where the control began, and the record of that
 * snapshot about the entry (or about the ancestor it was added with) says
 * when it took effect and by which instrument.
 */
async function datedEntries(
  db: Db,
  sourceId: string,
  scan: SourceScan,
  date: string,
): Promise<Map<TechnologyId, MatrixEntry[]>> {
  const versions = await pastVersions(
    db,
    sourceId,
    scan.tagged.map((e) => e.key),
  );
  const ownMemo = new Map<Version, TechnologyId[]>();
  const starts = new Map<
    string,
    { start: { validFrom: number; inForce: string | null }; entry: TaggedEntry }
  >();
  for (const entry of scan.tagged) {
    const past = versions.get(entry.key) ?? [];
    for (const technology of entry.technologies) {
      let start: { validFrom: number; inForce: string | null } = entry;
      for (;;) {
        const from = start.validFrom;
        const previous = past.find((v) => v.validTo === from);
        if (!previous) break;
        let own = ownMemo.get(previous);
        if (!own) {
          own = entryTechnologies(previous, sourceId);
          ownMemo.set(previous, own);
        }
        if (!own.includes(technology)) break;
        start = previous;
      }
      starts.set(`${technology}\u0000${entry.key}`, { start, entry });
    }
  }
  const startSnapshots = [...new Set([...starts.values()].map((s) => s.start.validFrom))];
  const subjects = [...new Set([...starts.values()].flatMap(({ entry }) => [entry.key, ...entry.ancestors]))];
  const [records, snapshots] = await Promise.all([
    recordsFor(db, sourceId, subjects, startSnapshots),
    snapshotDates(db, startSnapshots),
  ]);
  const recordsBySnapshot = new Map<number, RecordRow[]>();
  for (const r of records)
    recordsBySnapshot.set(r.snapshotId, [...(recordsBySnapshot.get(r.snapshotId) ?? []), r]);

  const out = new Map<TechnologyId, MatrixEntry[]>();
  for (const [id, { start, entry }] of starts) {
    const technology = id.slice(0, id.indexOf("\u0000")) as TechnologyId;
    const candidates = recordsBySnapshot.get(start.validFrom) ?? [];
    const record =
      candidates.find((r) => r.subject === entry.key) ??
      candidates.find(
        (r) => r.kind === "added" && Array.isArray(r.folded) && (r.folded as unknown[]).includes(entry.key),
      );
    const snapshot = snapshots.get(start.validFrom);
    const firstSeen = snapshot?.versionDate
      ? day(snapshot.versionDate)
      : snapshot
        ? snapshot.takenAt.toISOString().slice(0, 10)
        : null;
    const effective = record ? (day(record.effectiveAt) ?? day(record.eventEffectiveAt)) : null;
    const listed = day(start.inForce);
    let since: string;
    let sinceBasis: SinceBasis;
    if (effective) [since, sinceBasis] = [effective, "effective"];
    else if (!record && listed) [since, sinceBasis] = [listed, "in-force"];
    else [since, sinceBasis] = [firstSeen ?? listed ?? date, "first-seen"];
    const list = out.get(technology) ?? [];
    list.push({
      source: sourceId,
      key: entry.key,
      summary: entry.summary,
      since,
      sinceBasis,
      changeId: record?.id ?? null,
      instrument: record ? instrumentOf(record) : null,
      inForce: since <= date,
      taggedBy: entry.numbered.includes(technology) ? "number" : "text",
    });
    out.set(technology, list);
  }
  return out;
}

const keyOrder = new Intl.Collator("en", { numeric: true });

/** In force first, then earliest first; on a date, entries tied by number before those tied by words only. */
function entryOrder(a: MatrixEntry, b: MatrixEntry): number {
  if (a.inForce !== b.inForce) return a.inForce ? -1 : 1;
  if (a.since !== b.since) return a.since < b.since ? -1 : 1;
  if (a.taggedBy !== b.taggedBy) return a.taggedBy === "number" ? -1 : 1;
  return a.source.localeCompare(b.source) || keyOrder.compare(a.key, b.key);
}

/**
 * Technologies × jurisdictions from the current version of every list
 * source (of `sourceIds`, when given: the registered ones). Every
 * jurisdiction regwatch knows is a column, tracked or not. `date`
 * (YYYY-MM-DD) is the day "in force" is judged on.
 */
export async function alignmentMatrix(
  db: Db,
  params: { date: string; sourceIds?: readonly string[]; cache?: MatrixCache },
): Promise<AlignmentMatrix> {
  const { date } = params;
  const lists = (
    await db
      .select({ id: sourcesTable.id, jurisdiction: sourcesTable.jurisdiction, title: sourcesTable.title })
      .from(sourcesTable)
      .where(eq(sourcesTable.kind, "list"))
      .orderBy(sourcesTable.id)
  ).filter((s) => (!params.sourceIds || params.sourceIds.includes(s.id)) && s.jurisdiction in JURISDICTIONS);
  const latest = lists.length
    ? await db
        .selectDistinctOn([snapshotsTable.sourceId], {
          sourceId: snapshotsTable.sourceId,
          id: snapshotsTable.id,
          versionDate: snapshotsTable.versionDate,
          takenAt: snapshotsTable.takenAt,
        })
        .from(snapshotsTable)
        .where(
          and(
            inArray(
              snapshotsTable.sourceId,
              lists.map((s) => s.id),
            ),
            eq(snapshotsTable.status, "accepted"),
          ),
        )
        .orderBy(snapshotsTable.sourceId, desc(snapshotsTable.id))
    : [];
  const latestOf = new Map(latest.map((s) => [s.sourceId, s]));

  const sources: MatrixSource[] = [];
  const found = new Map<string, Map<TechnologyId, MatrixEntry[]>>();
  for (const list of lists) {
    const snapshot = latestOf.get(list.id);
    if (!snapshot) continue;
    sources.push({
      id: list.id,
      jurisdiction: list.jurisdiction,
      title: list.title,
      snapshotId: snapshot.id,
      versionDate: snapshot.versionDate,
      takenAt: snapshot.takenAt.toISOString(),
    });
    let scan = params.cache?.scans.get(list.id);
    if (scan?.snapshotId !== snapshot.id) {
      scan = await scanSource(db, list.id, snapshot.id);
      params.cache?.scans.set(list.id, scan);
    }
    for (const [technology, entries] of await datedEntries(db, list.id, scan, date)) {
      const byTechnology = found.get(list.jurisdiction) ?? new Map<TechnologyId, MatrixEntry[]>();
      byTechnology.set(technology, [...(byTechnology.get(technology) ?? []), ...entries]);
      found.set(list.jurisdiction, byTechnology);
    }
  }

  const jurisdictions: MatrixJurisdiction[] = JURISDICTION_CODES.map((code) => {
    const own = lists.filter((s) => s.jurisdiction === code);
    const read = own.filter((s) => latestOf.has(s.id)).map((s) => s.id);
    return {
      code,
      name: JURISDICTIONS[code],
      tracked: read.length > 0,
      sources: read,
      awaiting: own.filter((s) => !latestOf.has(s.id)).map((s) => s.id),
    };
  });

  const cells: MatrixCell[] = [];
  for (const technology of TECHNOLOGY_IDS) {
    for (const j of jurisdictions) {
      const entries = [...(found.get(j.code)?.get(technology) ?? [])].sort(entryOrder);
      const first = entries[0];
      const status: CellStatus = !j.tracked
        ? "not-tracked"
        : !first
          ? "none"
          : first.inForce
            ? "in-force"
            : "scheduled";
      cells.push({
        technology,
        jurisdiction: j.code,
        status,
        since: first?.since ?? null,
        sinceBasis: first?.sinceBasis ?? null,
        changeId: first?.changeId ?? null,
        instrument: first?.instrument ?? null,
        entries,
      });
    }
  }

  return {
    date,
    technologies: TECHNOLOGY_IDS.map((id) => ({ id, label: TECHNOLOGIES[id] })),
    jurisdictions,
    sources,
    cells,
  };
}
