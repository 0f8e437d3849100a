import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpResponse } from "@regwatch/core/http";
import type { ChangeOrigin, ChangeRecord, Entry, RegDocument, Snapshot } from "@regwatch/core/schemas";
import type { Db } from "@regwatch/db/open-database";
import { archiveArtifact, getArtifact } from "@regwatch/db/queries/artifacts";
import { eventsEffectiveOn } from "@regwatch/db/queries/changes";
import {
  acceptedOutsideRun,
  currentEntries,
  type EntryRow,
  findSnapshot,
  latestAcceptedSnapshot,
  type NewEntry,
  pastHashes,
  type SnapshotRow,
} from "@regwatch/db/queries/snapshots";
import { lockSource, recordHealth } from "@regwatch/db/queries/sources";
import type { snapshotsTable } from "@regwatch/db/schema";
import { checkExpectations } from "@regwatch/diff/check-expectations";
import {
  diffSnapshots,
  documentText,
  type RecordContext,
  type StoredEntry,
} from "@regwatch/diff/diff-snapshots";
import { documentHash, entryHash } from "@regwatch/diff/entry-hash";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { collectGarbageAfter } from "./collect-garbage.ts";
import type { PipelineDeps } from "./deps.ts";
import { recordRejected, rememberValidators, storeAccepted } from "./store-snapshot.ts";

export interface ArtifactOutcome {
  /** stale: older than the accepted version, archived and not diffed. */
  status: "accepted" | "quarantined" | "stale" | "duplicate" | "failed";
  snapshotId: number | null;
  /** Records stored by this step (new ones only). */
  records: ChangeRecord[];
  origin: ChangeOrigin | null;
  reason: string | null;
  /** The body's own version date, when the source reads one. */
  versionDate?: string | null;
  /** The accepted version date it was compared with. */
  acceptedVersionDate?: string | null;
}

export interface ProcessOptions {
  /** The run's clock: detectedAt of every record, never the wall clock. */
  runAt: Date;
  /** The run this body belongs to: every body of a source's first run is its baseline. */
  runId: string;
  /** Origin for what is not the baseline (backfill, parser); derived when absent. */
  origin?: ChangeOrigin;
  /** The version date the fetch reported (eCFR), when it did. */
  asOf?: string | null;
  /**
   * What to do with a body older than the accepted version: `record` it as
   * stale and say so in the source's health (scheduled runs), `refuse` it
   * without writing anything (ingest), or `accept` it as the newest anyway
   * (ingest --force: the operator knows the older text is the law again).
   */
  older?: "record" | "refuse" | "accept";
}

type Parsed = { snapshot: Snapshot } | { error: Error };

/** Lets the event loop run: other requests (a health check) are answered between slices of long work. */
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

function toStored(row: EntryRow): StoredEntry {
  return {
    key: row.key,
    parentKey: row.parentKey,
    heading: row.heading,
    text: row.text,
    hash: row.hash,
    data: row.data ?? undefined,
  };
}

/**
 * The rows an accepted snapshot stores, each with its content hash. Hashing a
 * large list takes seconds: a few entries at a time, with the event loop free
 * in between. List entries keep their hash, so the diff does not hash again.
 */
async function newEntries(snapshot: Snapshot): Promise<NewEntry[]> {
  switch (snapshot.kind) {
    case "list": {
      const rows: NewEntry[] = [];
      for (const e of snapshot.entries as (Entry & { hash?: string })[]) {
        if (rows.length % 32 === 31) await pause();
        e.hash = entryHash(e);
        rows.push({ ...e, data: e.data ?? null, hash: e.hash });
      }
      return rows;
    }
    case "documents":
      return snapshot.documents.map((d: RegDocument) => ({
        key: d.id,
        parentKey: null,
        heading: d.title,
        text: documentText(d),
        hash: documentHash(d),
        data: d as unknown as Record<string, unknown>,
      }));
    case "page":
      return [
        {
          key: "page",
          parentKey: null,
          heading: null,
          text: snapshot.text,
          hash: entryHash({ key: "page", parentKey: null, heading: null, text: snapshot.text }),
        },
      ];
  }
}

function itemCount(snapshot: Snapshot): number {
  return snapshot.kind === "list"
    ? snapshot.entries.length
    : snapshot.kind === "documents"
      ? snapshot.documents.length
      : 1;
}

/**
 * Whether these bytes, read by this parser, are already what the source
 * stands at. For a list or a page that is the accepted version itself: bytes
 * seen long ago that come back after another version are a revert, and are
 * diffed like any new version. A feed's pages are cumulative (documents are
 * never removed by absence), so any accepted page with these bytes counts.
 */
async function alreadyCurrent(db: Db, source: SourceDefinition, sha256: string): Promise<boolean> {
  if (source.kind === "documents") {
    return (await findSnapshot(db, source.id, sha256, source.parserVersion))?.status === "accepted";
  }
  const accepted = await latestAcceptedSnapshot(db, source.id);
  return accepted?.artifactSha256 === sha256 && accepted.parserVersion === source.parserVersion;
}

async function parseBody(source: SourceDefinition, response: HttpResponse): Promise<Parsed> {
  const input = { body: response.body, contentType: response.contentType, url: response.url };
  try {
    if (!source.parseSteps) return { snapshot: source.parse(input) };
    const steps = source.parseSteps(input);
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) return { snapshot: step.value };
      await pause();
    }
  } catch (err) {
    return { error: err as Error };
  }
}

/**
 * Documents of a feed whose stored version is newer than the one in hand: a
 * copy a stale mirror still serves (an earlier text of the document, or its
 * public-inspection stage after publication). Neither recorded nor stored, so
 * the current document never moves back and nobody is told it was "amended".
 */
async function withoutStaleDocuments(
  db: Db,
  source: SourceDefinition,
  snapshot: Snapshot,
  current: EntryRow[],
) {
  if (snapshot.kind !== "documents") return { snapshot, stale: 0 };
  const stored = new Map(current.map((row) => [row.key, row]));
  const past = await pastHashes(
    db,
    source.id,
    snapshot.documents.map((d) => d.id),
  );
  const documents = snapshot.documents.filter((doc) => {
    const old = stored.get(doc.id);
    if (!old) return true;
    const hash = documentHash(doc);
    if (hash === old.hash) return true;
    if (old.data?.stage === "published" && doc.stage === "public-inspection") return false;
    return !past.get(doc.id)?.has(hash);
  });
  return { snapshot: { ...snapshot, documents }, stale: snapshot.documents.length - documents.length };
}

/**
 * The instrument (an event from a documents source) that took effect on a
 * list's version date and cites the list, when the list's own document
 * does not name it: how a CCL change finds its Federal Register rule.
 */
async function instrumentFor(db: Db, source: SourceDefinition, effectiveAt: string | null) {
  if (!effectiveAt || !source.citedAs?.length) return null;
  const cited = new Set(source.citedAs);
  const candidates = (await eventsEffectiveOn(db, source.jurisdiction, effectiveAt)).filter((e) =>
    e.cfrReferences.some((r) => cited.has(r)),
  );
  if (!candidates.length) return null;
  return { id: candidates[0]!.id, citation: candidates.map((c) => c.citation).join("; ") };
}

const RELEASED = new Uint8Array(0);

/**
 * One fetched body through the whole pipeline: archive the bytes, parse,
 * then, inside one transaction holding the source's lock (so concurrent runs
 * of one source, in any process on any host, take turns and the later one
 * finds the work done): judge the body against the accepted version (the
 * same, stale, or new), check expectations, diff, and store snapshot, entries
 * and records. It takes the body: once archived and parsed, `response.body`
 * is emptied so that the bytes can be freed.
 */
export async function processArtifact(
  deps: PipelineDeps,
  source: SourceDefinition,
  response: HttpResponse,
  options: ProcessOptions,
): Promise<ArtifactOutcome> {
  await archiveArtifact(
    deps.db,
    {
      sha256: response.sha256,
      body: response.body,
      contentType: response.contentType,
      url: response.url,
      fetchedAt: new Date(response.fetchedAt),
    },
    deps.artifacts,
  );
  // A database driver's copy of a large body is garbage now: not to be held through the parse.
  collectGarbageAfter(response.body.byteLength);
  // Cheap answer before parsing; settled again under the lock.
  if (await alreadyCurrent(deps.db, source, response.sha256)) {
    await rememberValidators(deps.db, response, options.runAt);
    return duplicate();
  }
  const parsed = await parseBody(source, response);
  // Archived and parsed: the bytes are not needed again, and a large document
  // must not be held twice (as bytes and as entries) while it is stored.
  const bytes = response.body.byteLength;
  response.body = RELEASED;
  collectGarbageAfter(bytes);
  return deps.db.transaction(async (tx) => {
    await lockSource(tx, source.id);
    return settle({ ...deps, db: tx }, source, response, parsed, options);
  });
}

function duplicate(): ArtifactOutcome {
  return {
    status: "duplicate",
    snapshotId: null,
    records: [],
    origin: null,
    reason: "identical to the accepted version",
  };
}

async function settle(
  deps: PipelineDeps,
  source: SourceDefinition,
  response: HttpResponse,
  parsed: Parsed,
  options: ProcessOptions,
): Promise<ArtifactOutcome> {
  const { db, log } = deps;
  const snapshotRow = (
    row: Pick<
      typeof snapshotsTable.$inferInsert,
      "status" | "reason" | "itemCount" | "origin" | "meta" | "warnings" | "versionDate"
    >,
  ) => ({
    sourceId: source.id,
    artifactSha256: response.sha256,
    parserVersion: source.parserVersion,
    url: response.url,
    fetchedAt: new Date(response.fetchedAt),
    takenAt: options.runAt,
    runId: options.runId,
    ...row,
  });

  // A concurrent run of this source may have stored these bytes while we parsed.
  if (await alreadyCurrent(db, source, response.sha256)) {
    await rememberValidators(db, response, options.runAt);
    return duplicate();
  }

  if ("error" in parsed) {
    const reason = `parse failed: ${parsed.error.message}`;
    const row = await recordRejected(
      db,
      snapshotRow({ status: "quarantined", reason, itemCount: 0, origin: options.origin ?? "regulatory" }),
    );
    await recordHealth(db, source.id, { health: "broken", reason, at: options.runAt, success: false });
    log.warn({ sourceId: source.id, sha256: response.sha256 }, reason);
    if (!(parsed.error instanceof SourceShapeChangedError))
      log.error({ err: parsed.error }, "unexpected parser error");
    return { status: "failed", snapshotId: row.id, records: [], origin: null, reason };
  }
  let snapshot = parsed.snapshot;
  for (const w of snapshot.warnings.slice(0, 20)) log.warn({ sourceId: source.id }, w);

  let previous = await latestAcceptedSnapshot(db, source.id);
  // A parser upgrade must never read as a regulatory change: re-derive the
  // previous bytes with the new parser first, labelled as such.
  if (
    previous &&
    previous.parserVersion !== source.parserVersion &&
    previous.artifactSha256 !== response.sha256
  ) {
    await rereadAccepted(deps, source, previous, options);
    previous = await latestAcceptedSnapshot(db, source.id);
  }

  const versionDate =
    source.versionDate?.(snapshot, { url: response.url, asOf: options.asOf ?? null }) ?? null;
  const acceptedVersionDate = previous?.versionDate ?? null;
  if (versionDate && acceptedVersionDate && versionDate < acceptedVersionDate && options.older !== "accept") {
    const older = `the version of ${versionDate} is older than the accepted ${acceptedVersionDate}`;
    const stale = { status: "stale" as const, records: [], origin: null, versionDate, acceptedVersionDate };
    if (options.older === "refuse") {
      return {
        ...stale,
        snapshotId: null,
        reason: `${older}: nothing changed (--force takes it as the newest)`,
      };
    }
    const reason = `served ${older}: archived, not diffed, the accepted list kept`;
    const row = await recordRejected(
      db,
      snapshotRow({
        status: "stale",
        reason,
        itemCount: itemCount(snapshot),
        origin: options.origin ?? "regulatory",
        versionDate,
        meta: snapshot.meta,
      }),
    );
    // Not a failure of the source (it answered), but an operator should know
    // the mirror lags; the run's cursor does not move, so it is asked again.
    await recordHealth(db, source.id, { health: "stale", reason, at: options.runAt });
    log.warn({ sourceId: source.id, sha256: response.sha256 }, reason);
    return { ...stale, snapshotId: row.id, reason };
  }

  const current = await currentEntries(db, source.id);
  const fresh = await withoutStaleDocuments(db, source, snapshot, current);
  if (fresh.stale) {
    log.warn({ sourceId: source.id, documents: fresh.stale }, "older copies of stored documents ignored");
    snapshot = fresh.snapshot;
  }
  const baseline = !(await acceptedOutsideRun(db, source.id, options.runId));
  const origin: ChangeOrigin = baseline
    ? "baseline"
    : (options.origin ?? (previous?.artifactSha256 === response.sha256 ? "parser" : "regulatory"));
  const reason = checkExpectations(
    snapshot,
    source.expectations,
    previous && snapshot.kind === "list"
      ? { count: current.length, keys: new Set(current.map((e) => e.key)) }
      : null,
  );
  if (reason) {
    const row = await recordRejected(
      db,
      snapshotRow({
        status: "quarantined",
        reason,
        itemCount: itemCount(snapshot),
        origin,
        versionDate,
        meta: snapshot.meta,
        warnings: snapshot.warnings,
      }),
    );
    await recordHealth(db, source.id, { health: "quarantined", reason, at: options.runAt, success: false });
    log.warn({ sourceId: source.id, sha256: response.sha256 }, `snapshot quarantined: ${reason}`);
    return { status: "quarantined", snapshotId: row.id, records: [], origin, reason, versionDate };
  }

  const defaults = source.describe(snapshot, { url: response.url, asOf: options.asOf ?? null });
  const instrument = defaults.citation ? null : await instrumentFor(db, source, defaults.effectiveAt);
  const citation = defaults.citation ?? instrument?.citation ?? null;
  const ctx: RecordContext = {
    source: { id: source.id, jurisdiction: source.jurisdiction },
    detectedAt: options.runAt.toISOString(),
    provenance: {
      artifactSha256: response.sha256,
      fetchedAt: response.fetchedAt,
      parserVersion: source.parserVersion,
    },
    origin,
    url: defaults.url ?? response.url,
    citation,
    publishedAt: defaults.publishedAt,
    effectiveAt: defaults.effectiveAt,
    citationsByDate: defaults.citationsByDate,
    alertSince: source.alertWindowDays
      ? new Date(options.runAt.getTime() - source.alertWindowDays * 86_400_000).toISOString().slice(0, 10)
      : null,
  };

  const entries = await newEntries(snapshot);
  const records = diffSnapshots(
    previous ? { kind: snapshot.kind, entries: current.map(toStored) } : null,
    snapshot,
    ctx,
    source.id,
  );

  const stored = await storeAccepted(db, {
    source,
    response,
    runAt: options.runAt,
    row: snapshotRow({
      status: "accepted",
      itemCount: itemCount(snapshot),
      origin,
      versionDate,
      meta: snapshot.meta,
      warnings: snapshot.warnings,
    }),
    current,
    entries,
    snapshot,
    records,
    instrument: instrument
      ? { id: instrument.id }
      : citation
        ? {
            citation,
            effectiveAt: defaults.effectiveAt,
            publishedAt: defaults.publishedAt,
            url: defaults.url,
          }
        : null,
  });
  log.info(
    {
      sourceId: source.id,
      snapshotId: stored.id,
      origin,
      entries: itemCount(snapshot),
      records: records.length,
    },
    "snapshot accepted",
  );
  return { status: "accepted", snapshotId: stored.id, records, origin, reason: null, versionDate };
}

/** The accepted bytes read again by the current parser: records with origin `parser`, never alerted. */
async function rereadAccepted(
  deps: PipelineDeps,
  source: SourceDefinition,
  previous: SnapshotRow,
  options: ProcessOptions,
) {
  const old = await getArtifact(deps.db, previous.artifactSha256, deps.artifacts);
  if (!old) {
    deps.log.warn(
      { sourceId: source.id, sha256: previous.artifactSha256 },
      "the accepted version's bytes are gone: the parser change cannot be told apart",
    );
    return;
  }
  const response: HttpResponse = {
    url: old.firstUrl ?? previous.url ?? "",
    status: 200,
    notModified: false,
    headers: {},
    body: old.body,
    sha256: old.sha256,
    contentType: old.contentType,
    fetchedAt: old.firstFetchedAt.toISOString(),
  };
  await settle(deps, source, response, await parseBody(source, response), {
    ...options,
    origin: "parser",
    asOf: previous.versionDate,
    older: "accept",
  });
}
