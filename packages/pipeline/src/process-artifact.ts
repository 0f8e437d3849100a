import type { HttpResponse } from "@regwatch/core/http";
import type { ChangeOrigin, Snapshot } from "@regwatch/core/schemas";
import type { Db } from "@regwatch/db/open-database";
import { archiveArtifact, getArtifact } from "@regwatch/db/queries/artifacts";
import {
  acceptedOutsideRun,
  currentEntries,
  findAcceptedSnapshot,
  latestAcceptedSnapshot,
  type SnapshotRow,
} from "@regwatch/db/queries/snapshots";
import { lockSource } from "@regwatch/db/queries/sources";
import { checkExpectations } from "@regwatch/diff/check-expectations";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { accept } from "./accept-snapshot.ts";
import { type ArtifactOutcome, type BodyInHand, type ProcessOptions, pause } from "./body-in-hand.ts";
import { collectGarbageAfter } from "./collect-garbage.ts";
import type { PipelineDeps } from "./deps.ts";
import { judgeVersion, quarantine, quarantineUnreadable, withoutStaleDocuments } from "./reject-snapshot.ts";
import { rememberValidators } from "./store-snapshot.ts";

export type { ArtifactOutcome, ProcessOptions } from "./body-in-hand.ts";

type Parsed = { snapshot: Snapshot } | { error: Error };

/**
 * Whether these bytes, read by this parser, are already what the source
 * stands at. For a list or a page that is the accepted version itself: bytes
 * seen long ago that come back after another version are a revert, and are
 * diffed like any new version. A feed's pages are cumulative (documents are
 * never removed by absence), so any accepted page with these bytes counts.
 */
async function alreadyCurrent(db: Db, source: SourceDefinition, sha256: string): Promise<boolean> {
  if (source.kind === "documents") {
    return (await findAcceptedSnapshot(db, source.id, sha256, source.parserVersion)) !== undefined;
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

/**
 * The steps after parsing, as docs/architecture.md draws them, inside the
 * source's lock: the same bytes again, unreadable, the accepted version read
 * again by a new parser, stale, expectations, then diff and store.
 */
async function settle(
  deps: PipelineDeps,
  source: SourceDefinition,
  response: HttpResponse,
  parsed: Parsed,
  options: ProcessOptions,
): Promise<ArtifactOutcome> {
  const body: BodyInHand = { deps, source, response, options };
  const { db, log } = deps;
  // A concurrent run of this source may have stored these bytes while we parsed.
  if (await alreadyCurrent(db, source, response.sha256)) {
    await rememberValidators(db, response, options.runAt);
    return duplicate();
  }
  if ("error" in parsed) return quarantineUnreadable(body, parsed.error);
  for (const w of parsed.snapshot.warnings.slice(0, 20)) log.warn({ sourceId: source.id }, w);

  const previous = await acceptedAfterParserUpgrade(body);
  const versionDate =
    source.versionDate?.(parsed.snapshot, { url: response.url, asOf: options.asOf ?? null }) ?? null;
  const stale = await judgeVersion(body, parsed.snapshot, versionDate, previous?.versionDate ?? null);
  if (stale) return stale;

  const current = await currentEntries(db, source.id);
  const fresh = await withoutStaleDocuments(body, parsed.snapshot, current);
  // Blocks without numbers of their own take the keys of their matches among the stored ones.
  const snapshot =
    source.alignEntries && fresh.kind === "list" && current.length
      ? {
          ...fresh,
          entries: source.alignEntries(
            current.map((e) => ({
              key: e.key,
              parentKey: e.parentKey,
              heading: e.heading,
              text: e.text,
              data: e.data ?? undefined,
            })),
            fresh.entries,
          ),
        }
      : fresh;
  // Every body of a source's first run is its baseline, whatever else ran meanwhile.
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
  if (reason) return quarantine(body, snapshot, { origin, versionDate, reason });
  return accept(body, snapshot, { current, firstVersion: !previous, origin, versionDate });
}

/**
 * The accepted snapshot to diff against. A parser upgrade must never read as
 * a regulatory change: the accepted bytes are re-derived with the new parser
 * first, labelled as such.
 */
async function acceptedAfterParserUpgrade(body: BodyInHand) {
  const { deps, source, response, options } = body;
  const previous = await latestAcceptedSnapshot(deps.db, source.id);
  if (
    !previous ||
    previous.parserVersion === source.parserVersion ||
    previous.artifactSha256 === response.sha256
  ) {
    return previous;
  }
  await rereadAccepted(deps, source, previous, options);
  return latestAcceptedSnapshot(deps.db, source.id);
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
