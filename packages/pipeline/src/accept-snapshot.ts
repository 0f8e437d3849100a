// The last steps of an accepted body: its records' context, diff, store.
import type { ChangeOrigin, Entry, RegDocument, Snapshot } from "@regwatch/core/schemas";
import type { Db } from "@regwatch/db/open-database";
import { eventsEffectiveOn } from "@regwatch/db/queries/changes";
import type { EntryRow, NewEntry } from "@regwatch/db/queries/snapshots";
import {
  diffSnapshots,
  documentText,
  type RecordContext,
  type StoredEntry,
} from "@regwatch/diff/diff-snapshots";
import { documentHash, entryHash } from "@regwatch/diff/entry-hash";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { type ArtifactOutcome, type BodyInHand, itemCount, pause, snapshotRow } from "./body-in-hand.ts";
import { type AcceptedSnapshot, storeAccepted } from "./store-snapshot.ts";

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

/** Who, when and from which bytes, for every record of this snapshot, with the instrument behind them. */
async function recordContextFor(body: BodyInHand, snapshot: Snapshot, origin: ChangeOrigin) {
  const { deps, source, response, options } = body;
  const defaults = source.describe(snapshot, { url: response.url, asOf: options.asOf ?? null });
  const known = defaults.citation ? null : await instrumentFor(deps.db, source, defaults.effectiveAt);
  const citation = defaults.citation ?? known?.citation ?? null;
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
  const instrument: AcceptedSnapshot["instrument"] = known
    ? { id: known.id }
    : citation
      ? { citation, effectiveAt: defaults.effectiveAt, publishedAt: defaults.publishedAt, url: defaults.url }
      : null;
  return { ctx, instrument };
}

/** Diff against the stored state and store snapshot, entries and records. */
export async function accept(
  body: BodyInHand,
  snapshot: Snapshot,
  judged: {
    /** The stored entries: what is diffed against, unless this is the first accepted version. */
    current: EntryRow[];
    firstVersion: boolean;
    origin: ChangeOrigin;
    versionDate: string | null;
  },
): Promise<ArtifactOutcome> {
  const { deps, source, response, options } = body;
  const { current, firstVersion, origin, versionDate } = judged;
  const { ctx, instrument } = await recordContextFor(body, snapshot, origin);
  const entries = await newEntries(snapshot);
  const records = diffSnapshots(
    firstVersion ? null : { kind: snapshot.kind, entries: current.map(toStored) },
    snapshot,
    ctx,
    source.id,
  );
  const stored = await storeAccepted(deps.db, {
    source,
    response,
    runAt: options.runAt,
    row: snapshotRow(body, {
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
    instrument,
    outbox: deps.outbox,
  });
  deps.log.info(
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
