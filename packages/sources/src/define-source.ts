import type { BrowserClient, HttpClient, HttpResponse, Logger } from "@regwatch/core/http";
import type { Jurisdiction } from "@regwatch/core/jurisdictions";
import type { Entry, Expectations, Snapshot, SourceKind } from "@regwatch/core/schemas";

/** What a parser is given: the bytes as fetched, and what the server said about them. */
export interface ParseInput {
  body: Uint8Array;
  contentType?: string | null;
  url?: string | null;
}

/** One fetched body the pipeline should archive, parse and diff, in order. */
export interface FetchedArtifact {
  response: HttpResponse;
  /** The moment this version of the source took effect or was published, when the source says (backfill). */
  asOf?: string;
}

export interface FetchResult {
  artifacts: FetchedArtifact[];
  /** Cursor to hand to the next run's fetch (for example the newest eCFR version date). */
  state: Record<string, unknown>;
}

export interface SourceContext {
  http: HttpClient;
  /** Present only for sources that declare `needsBrowser`. */
  browser?: BrowserClient;
  log: Logger;
  /** The run's clock: "now" for every decision a source makes. */
  now: Date;
  /** The cursor this source returned last time ({} on a first run). */
  state: Record<string, unknown>;
  /** Credentials the operator configured, by variable name (`LEGIFRANCE_CLIENT_ID`); sources never read the environment. */
  secrets?: Readonly<Record<string, string>>;
}

export interface BackfillStep {
  artifact: FetchedArtifact;
  /** Position for progress output. */
  index: number;
  total: number;
  /** Cursor to keep once this step is stored, so a later `run` carries on from here. */
  state?: Record<string, unknown>;
}

/** Facts every record of one snapshot shares, read off the snapshot by the source that knows its format. */
export interface RecordDefaults {
  publishedAt: string | null;
  /** Used when an entry carries no in-force date of its own. */
  effectiveAt: string | null;
  citation: string | null;
  /** Instruments by the date they took effect, for records whose entry carries its own in-force date. */
  citationsByDate?: Record<string, string>;
  /** A page a person can read (not the API address the bytes came from). */
  url: string | null;
}

/** `describe` of a documents source whose documents each carry their own dates, citation and address. */
export const describedByDocuments = (): RecordDefaults => ({
  publishedAt: null,
  effectiveAt: null,
  citation: null,
  url: null,
});

/** A snapshot with the metadata its source's parser writes, typed per source. */
export type SnapshotOf<Meta> = Snapshot & { meta: Meta };

export interface SourceDefinition<Meta extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  jurisdiction: Jurisdiction;
  kind: SourceKind;
  title: string;
  publisher: string;
  officialUrl: string;
  /** Cron expression in UTC; the scheduler issue will honour it. */
  schedule: string;
  expectations: Expectations;
  /** Bump whenever parse output can change for the same bytes. */
  parserVersion: string;
  needsBrowser?: boolean;
  /**
   * How amending instruments cite this list ("15 CFR 774"): a list change is
   * linked to the instrument (an event from a documents source) that took
   * effect the same day and cites it.
   */
  citedAs?: readonly string[];
  /**
   * For lists whose entries have no numbers of their own (a watched page's
   * blocks): the new entries re-keyed to their matches among the stored ones,
   * so an edited paragraph is one modified entry and one inserted mid-section
   * is one added, not every later position moved. Run before the expectations
   * and the diff.
   */
  alignEntries?(previous: readonly Entry[], next: readonly Entry[]): Entry[];
  /** For documents: how old (days, by publication date) a new document may be and still be alerted. */
  alertWindowDays?: number;
  parse(input: ParseInput): SnapshotOf<Meta>;
  /**
   * The same parse, a slice of the document at a time: the pipeline lets the
   * service answer between slices, so a large document never stalls it.
   * Optional; sources whose documents are small parse in one go.
   */
  parseSteps?(input: ParseInput): Generator<void, SnapshotOf<Meta>>;
  /**
   * The document's own version date (ISO; eCFR version date, Justice Laws
   * point in time), when it has one. A body older than the accepted version is
   * stale: a lagging mirror or CDN, archived but never diffed. Absent or null:
   * every new body is taken as the newest.
   */
  versionDate?(
    snapshot: SnapshotOf<Meta>,
    artifact: { url: string | null; asOf: string | null },
  ): string | null;
  /** Dates, citation and human URL for this snapshot's records; `asOf` is the version date a fetch reported. */
  describe(snapshot: SnapshotOf<Meta>, artifact: { url: string | null; asOf: string | null }): RecordDefaults;
  fetch(ctx: SourceContext): Promise<FetchResult>;
  /** Walk the official history oldest first. Absent when the publisher keeps no history. */
  backfill?(ctx: SourceContext, since: string): AsyncIterable<BackfillStep>;
}

/** What a parser returns: a snapshot without the source id, which `defineSource` stamps. */
export type ParsedSnapshot<S extends Snapshot, Meta> = S extends unknown
  ? Omit<S, "source"> & { meta: Meta }
  : never;

/** A source as written in its `source.ts`: its parser does not repeat the source's id. */
export type SourceSpec<Meta extends Record<string, unknown>> = Omit<
  SourceDefinition<Meta>,
  "parse" | "parseSteps"
> & {
  parse(input: ParseInput): ParsedSnapshot<Snapshot, Meta>;
  parseSteps?(input: ParseInput): Generator<void, ParsedSnapshot<Snapshot, Meta>>;
};

/**
 * A source, checked, with its id stamped on every snapshot its parser
 * returns: the id is written once, in the definition.
 */
export function defineSource<Meta extends Record<string, unknown>>(
  spec: SourceSpec<Meta>,
): SourceDefinition<Meta> {
  const { minEntries, maxEntries, maxRemovedShare } = spec.expectations;
  if (minEntries > maxEntries || maxRemovedShare < 0 || maxRemovedShare > 1) {
    throw new Error(`source ${spec.id}: inconsistent expectations`);
  }
  const stamp = (snapshot: ParsedSnapshot<Snapshot, Meta>) =>
    ({ source: spec.id, ...snapshot }) as SnapshotOf<Meta>;
  const { parse, parseSteps } = spec;
  return {
    ...spec,
    parse: (input) => stamp(parse(input)),
    parseSteps: parseSteps
      ? function* (input) {
          return stamp(yield* parseSteps(input));
        }
      : undefined,
  };
}
