import type { Jurisdiction } from "@regwatch/core/jurisdictions";
import type {
  ChangeKind,
  ChangeOrigin,
  ChangeRecord,
  Entry,
  Provenance,
  RegDocument,
  Snapshot,
} from "@regwatch/core/schemas";
import {
  listTagger,
  mergeTechnologies,
  TECHNOLOGY_IDS,
  type TechnologyId,
  wassenaarCategoryOf,
} from "@regwatch/core/taxonomy";
import { sha256Hex } from "@regwatch/core/text";
import { documentHash, entryHash } from "./entry-hash.ts";
import { wordDiff } from "./word-diff.ts";

/** Everything a record needs that is not in the entries themselves: who, when, from which bytes. */
export interface RecordContext {
  source: { id: string; jurisdiction: Jurisdiction };
  detectedAt: string;
  provenance: Provenance;
  origin: ChangeOrigin;
  url: string | null;
  citation: string | null;
  publishedAt: string | null;
  /** Default effective date when an entry does not carry its own. */
  effectiveAt: string | null;
  /** Instrument by in-force date: an entry in force since 2021-07-23 was changed by the instrument of that day. */
  citationsByDate?: Record<string, string>;
  /** Documents published before this date (YYYY-MM-DD) are recorded but not alerted. */
  alertSince?: string | null;
}

/** An entry as it stands in the store: with the hash it was compared by. */
export type StoredEntry = Entry & { hash: string };

function recordId(ctx: RecordContext, kind: ChangeKind, subject: string, stage: string | null): string {
  return sha256Hex(
    `${ctx.source.id}\u0000${ctx.provenance.artifactSha256}\u0000${kind}\u0000${subject}\u0000${stage ?? ""}`,
  ).slice(0, 32);
}

/** What differs between records; everything else comes from the context. */
type RecordFields = Pick<
  ChangeRecord,
  | "kind"
  | "subject"
  | "title"
  | "before"
  | "after"
  | "technologies"
  | "countries"
  | "publishedAt"
  | "effectiveAt"
  | "url"
  | "citation"
  | "alert"
  | "wassenaarCategory"
  | "stage"
  | "diff"
  | "details"
>;

/** One record: the fields of the change, with the context's source, clock, provenance and origin. */
function buildRecord(ctx: RecordContext, fields: RecordFields): ChangeRecord {
  return {
    id: recordId(ctx, fields.kind, fields.subject, fields.stage),
    source: ctx.source.id,
    jurisdiction: ctx.source.jurisdiction,
    detectedAt: ctx.detectedAt,
    provenance: ctx.provenance,
    origin: ctx.origin,
    ...fields,
  };
}

/**
 * Technology tags of entries of one version of a list: what an entry's own
 * number and words say, plus everything its parents carry (a note under a
 * quantum item is about quantum). Computed here, for the entries that make
 * records, and remembered per key: tags only matter on records, and tagging
 * every entry of every parse cost a fifth of parsing the CCL.
 */
function countriesOf(...entries: (Entry | undefined)[]): string[] {
  return [...new Set(entries.flatMap((e) => (e?.data?.countries as string[]) ?? []))].sort();
}

function summary(entry: Entry): string {
  const context = typeof entry.data?.context === "string" ? entry.data.context : "";
  const text = entry.heading || entry.text || context;
  return text.length > 140 ? `${text.slice(0, 139).trimEnd()}…` : text;
}

/** "3B001 gained paragraph c.1.a", "5506 changed paragraph (2)(c)(iii)", "3B904 added", "s.1 changed definition "Guide"". */
function listTitle(kind: ChangeKind, entry: Entry, root: string): string {
  const what = summary(entry);
  if (!entry.key.startsWith(root) || entry.key === root) {
    return `${entry.key} ${kind === "added" ? "added" : kind === "removed" ? "removed" : "modified"}: ${what}`;
  }
  const part = entry.key.slice(root.length);
  const verb = kind === "added" ? "gained" : kind === "removed" ? "lost" : "changed";
  if (part.startsWith(":")) return `${root} ${verb} definition "${part.slice(1)}": ${what}`;
  return `${root} ${verb} paragraph ${part.replace(/^[./]/, "")}: ${what}`;
}

function rootOf(key: string, byKey: Map<string, Entry>, fallback: Map<string, Entry>): string {
  let current = byKey.get(key) ?? fallback.get(key);
  let root = key;
  const seen = new Set<string>();
  while (current?.parentKey && !seen.has(current.parentKey)) {
    seen.add(current.parentKey);
    root = current.parentKey;
    current = byKey.get(root) ?? fallback.get(root);
  }
  return root;
}

/**
 * Technologies an entry carries because a person said so (a watched page's
 * `--technology`), whatever its words: kept when they are taxonomy ids.
 */
function stampedTechnologies(entry: Entry | undefined): TechnologyId[] {
  const given = entry?.data?.technologies;
  return Array.isArray(given)
    ? given.filter(
        (t): t is TechnologyId => typeof t === "string" && (TECHNOLOGY_IDS as readonly string[]).includes(t),
      )
    : [];
}

function inForce(entry: Entry | undefined): string | null {
  const v = entry?.data?.inForce;
  return typeof v === "string" ? v : null;
}

/**
 * Entry-level diff of two versions of a control list. Entries are compared by
 * content hash first; only entries whose hash moved are word-diffed. Order
 * and position never matter. An entry added or removed together with its
 * parent is folded into the parent's record (a new ECCN is one record with
 * its paragraphs; `details.entries` lists them). A null `previous` is a
 * first run: nothing to report, the caller stores the baseline. Entries of
 * `next` that carry their `hash` already are not hashed again.
 */
export function diffLists(
  previous: readonly StoredEntry[] | null,
  next: readonly (Entry & { hash?: string })[],
  ctx: RecordContext,
): ChangeRecord[] {
  if (!previous) return [];
  const before = new Map<string, StoredEntry>(previous.map((e) => [e.key, e]));
  const after = new Map<string, Entry>(next.map((e) => [e.key, e]));
  const tagsBefore = listTagger(before, ctx.source.id);
  const tagsAfter = listTagger(after, ctx.source.id);
  const added = next.filter((e) => !before.has(e.key));
  const removed = previous.filter((e) => !after.has(e.key));
  // An entry added (or removed) with its parent is part of the parent's record:
  // a new ECCN is one record carrying its paragraphs, not one per paragraph.
  const addedTops = subtrees(added);
  const removedTops = subtrees(removed);
  const records: ChangeRecord[] = [];
  const make = (
    kind: ChangeKind,
    old: Entry | undefined,
    now: Entry | undefined,
    descendants: readonly Entry[] = [],
  ): ChangeRecord => {
    const entry = (now ?? old)!;
    const root = rootOf(entry.key, now ? after : before, now ? before : after);
    const effectiveAt = (kind === "removed" ? null : inForce(now)) ?? ctx.effectiveAt;
    const details = entryDetails(entry);
    if (descendants.length) details.entries = [entry.key, ...descendants.map((d) => d.key)];
    return buildRecord(ctx, {
      kind,
      subject: entry.key,
      title: listTitle(kind, entry, root),
      before: old ? subtreeText(old, descendants) : null,
      after: now ? subtreeText(now, descendants) : null,
      technologies: mergeTechnologies(
        old ? tagsBefore(old.key) : [],
        now ? tagsAfter(now.key) : [],
        ...descendants.map((d) => (now ? tagsAfter : tagsBefore)(d.key)),
        stampedTechnologies(now ?? old),
      ),
      countries: countriesOf(old, now, ...descendants),
      publishedAt: ctx.publishedAt,
      effectiveAt,
      url: ctx.url,
      citation: (effectiveAt && ctx.citationsByDate?.[effectiveAt]) || ctx.citation,
      alert: ctx.origin === "regulatory",
      wassenaarCategory: wassenaarCategoryOf(entry.key),
      stage: null,
      diff: old && now ? wordDiff(headed(old), headed(now)) : null,
      details,
    });
  };
  for (const entry of next) {
    const old = before.get(entry.key);
    if (!old) {
      const descendants = addedTops.get(entry.key);
      if (descendants) records.push(make("added", undefined, entry, descendants));
    } else if (old.hash !== (entry.hash ?? entryHash(entry))) records.push(make("modified", old, entry));
  }
  for (const old of previous) {
    const descendants = removedTops.get(old.key);
    if (descendants) records.push(make("removed", old, undefined, descendants));
  }
  return records;
}

/** Groups entries under the top-most of them whose parent is not in the set; document order kept. */
function subtrees(entries: readonly Entry[]): Map<string, Entry[]> {
  const keys = new Set(entries.map((e) => e.key));
  const parentOf = new Map(entries.map((e) => [e.key, e.parentKey]));
  const tops = new Map<string, Entry[]>();
  const topOf = (key: string): string => {
    let k = key;
    const seen = new Set<string>();
    for (let p = parentOf.get(k); p && keys.has(p) && !seen.has(p); p = parentOf.get(k)) {
      seen.add(p);
      k = p;
    }
    return k;
  };
  for (const e of entries) if (topOf(e.key) === e.key) tops.set(e.key, []);
  for (const e of entries) {
    const top = topOf(e.key);
    if (top !== e.key) tops.get(top)?.push(e);
  }
  return tops;
}

/** An entry's heading and text, then each folded-in descendant on its own line under its key. */
function subtreeText(entry: Entry, descendants: readonly Entry[]): string {
  return [headed(entry), ...descendants.map((d) => `${d.key} ${headed(d)}`)].join("\n");
}

function entryDetails(entry: Entry): Record<string, unknown> {
  const details: Record<string, unknown> = { parentKey: entry.parentKey };
  if (typeof entry.data?.context === "string") details.context = entry.data.context;
  if (typeof entry.data?.reasons === "string") details.reasons = entry.data.reasons;
  if (entry.heading) details.heading = entry.heading;
  return details;
}

function documentDetails(doc: RegDocument): Record<string, unknown> {
  return {
    documentType: doc.type,
    action: doc.data?.action ?? null,
    abstract: doc.abstract,
    cfrReferences: doc.cfrReferences,
    urls: doc.urls,
    rins: doc.data?.rins ?? [],
    eccns: doc.data?.eccns ?? [],
  };
}

function headed(entry: Entry): string {
  return entry.heading ? `${entry.heading}\n${entry.text}` : entry.text;
}

/** What the store remembers of a document: enough to tell new from amended from promoted. */
export interface StoredDocument {
  id: string;
  hash: string;
  stage: RegDocument["stage"];
  text: string;
}

export function documentText(doc: RegDocument): string {
  return [
    doc.title,
    doc.type ? `Type: ${doc.type}` : null,
    doc.citation ? `Citation: ${doc.citation}` : null,
    doc.publishedAt ? `Published: ${doc.publishedAt}` : null,
    doc.effectiveAt ? `Effective: ${doc.effectiveAt}` : null,
    doc.cfrReferences.length ? `CFR: ${doc.cfrReferences.join("; ")}` : null,
    doc.abstract,
  ]
    .filter(Boolean)
    .join("\n");
}

/**
 * New documents become `published` records. A document first seen on public
 * inspection and later published is one lineage: the later record is kept
 * (with its citation) but not alerted again. A document whose substance moved
 * (corrected date, new abstract) is `modified`.
 */
export function diffDocuments(
  previous: ReadonlyMap<string, StoredDocument>,
  next: readonly RegDocument[],
  ctx: RecordContext,
): ChangeRecord[] {
  const records: ChangeRecord[] = [];
  for (const doc of next) {
    const old = previous.get(doc.id);
    const hash = documentHash(doc);
    if (old && old.hash === hash) continue;
    if (old && old.stage === "published" && doc.stage === "public-inspection") continue;
    const promoted = old?.stage === "public-inspection" && doc.stage === "published";
    const kind: ChangeKind = !old || promoted ? "published" : "modified";
    const recent = !ctx.alertSince || (doc.publishedAt ?? "9999-12-31") >= ctx.alertSince;
    const text = documentText(doc);
    const prefix =
      doc.stage === "public-inspection" ? "On public inspection: " : kind === "modified" ? "Amended: " : "";
    records.push(
      buildRecord(ctx, {
        kind,
        subject: doc.id,
        title: `${prefix}${doc.title}`,
        before: old ? old.text : null,
        after: text,
        technologies: mergeTechnologies(doc.technologies),
        countries: [...doc.countries].sort(),
        publishedAt: doc.publishedAt,
        effectiveAt: doc.effectiveAt,
        url: doc.url,
        citation: doc.citation,
        alert: ctx.origin === "regulatory" && recent && !promoted,
        wassenaarCategory: null,
        stage: doc.stage,
        diff: old ? wordDiff(old.text, text) : null,
        details: documentDetails(doc),
      }),
    );
  }
  return records;
}

/** A watched page: one record when the text of the selected region moved. */
export function diffPages(
  previous: string | null,
  next: string,
  ctx: RecordContext,
  subject: string,
): ChangeRecord[] {
  if (previous === null || previous === next) return [];
  return [
    buildRecord(ctx, {
      kind: "modified",
      subject,
      title: `Page changed: ${subject}`,
      before: previous,
      after: next,
      technologies: [],
      countries: [],
      publishedAt: ctx.publishedAt,
      effectiveAt: ctx.effectiveAt,
      url: ctx.url,
      citation: ctx.citation,
      alert: ctx.origin === "regulatory",
      wassenaarCategory: null,
      stage: null,
      diff: wordDiff(previous, next),
      details: null,
    }),
  ];
}

/**
 * What a diff compares a new snapshot with: the state stored for the source
 * (the pipeline) or an older local version (`regwatch diff`), as entries
 * with the hashes they were compared by.
 */
export interface StoredState {
  kind: Snapshot["kind"];
  entries: readonly StoredEntry[];
}

/** A snapshot as the state the next version is diffed against. */
export function storedStateOf(snapshot: Snapshot): StoredState {
  switch (snapshot.kind) {
    case "list":
      return { kind: "list", entries: snapshot.entries.map((e) => ({ ...e, hash: entryHash(e) })) };
    case "documents":
      return {
        kind: "documents",
        entries: snapshot.documents.map((d) => ({
          key: d.id,
          parentKey: null,
          heading: d.title,
          text: documentText(d),
          hash: documentHash(d),
          data: { stage: d.stage },
        })),
      };
    case "page":
      return {
        kind: "page",
        entries: [{ key: "page", parentKey: null, heading: null, text: snapshot.text, hash: "" }],
      };
  }
}

/**
 * The records between a stored state (null on a first run: a list's baseline
 * gives none) and a new snapshot of the same source: the one diff every
 * caller goes through, whatever the kind.
 */
export function diffSnapshots(
  previous: StoredState | null,
  next: Snapshot,
  ctx: RecordContext,
  subject: string,
): ChangeRecord[] {
  if (previous && previous.kind !== next.kind) {
    throw new Error(`cannot diff a ${previous.kind} snapshot against a ${next.kind} one`);
  }
  switch (next.kind) {
    case "list":
      return previous ? diffLists(previous.entries, next.entries, ctx) : [];
    case "documents": {
      const stored = new Map<string, StoredDocument>(
        (previous?.entries ?? []).map((e) => [
          e.key,
          {
            id: e.key,
            hash: e.hash,
            stage: (e.data?.stage as RegDocument["stage"]) ?? "published",
            text: e.text,
          },
        ]),
      );
      return diffDocuments(stored, next.documents, ctx);
    }
    case "page":
      return diffPages(previous ? (previous.entries[0]?.text ?? null) : null, next.text, ctx, subject);
  }
}
