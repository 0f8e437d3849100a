import { z } from "zod";
import { JURISDICTION_CODES } from "./jurisdictions.ts";
import { TECHNOLOGY_IDS } from "./taxonomy.ts";

export const jurisdictionSchema = z.enum(JURISDICTION_CODES);
export const technologyIdSchema = z.enum(TECHNOLOGY_IDS);
export const sourceKindSchema = z.enum(["list", "documents", "page"]);
export type SourceKind = z.infer<typeof sourceKindSchema>;

/** A calendar date, YYYY-MM-DD. */
export const isoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD");
/** An instant, ISO 8601 with time zone. */
export const isoInstantSchema = z.iso.datetime({ offset: true });

export const expectationsSchema = z.object({
  /** A snapshot with fewer entries (or documents) is quarantined. */
  minEntries: z.number().int().nonnegative(),
  maxEntries: z.number().int().positive(),
  /** Largest share of the previous entries that one step may remove (0–1). */
  maxRemovedShare: z.number().min(0).max(1),
  /** Fields every entry (or document) must have non-empty. */
  requiredFields: z.array(z.string()).default([]),
});
export type Expectations = z.infer<typeof expectationsSchema>;

/** Bytes as fetched, before any parsing. Content-addressed by SHA-256. */
export const rawDocumentSchema = z.object({
  url: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  contentType: z.string().nullable(),
  fetchedAt: isoInstantSchema,
  body: z.instanceof(Uint8Array),
});
export type RawDocument = z.infer<typeof rawDocumentSchema>;

/** One numbered entry or paragraph of a control list ("3B001.c.1.a", "5506(2)(a)(i)"). */
export const entrySchema = z.object({
  key: z.string().min(1),
  parentKey: z.string().nullable(),
  heading: z.string().nullable(),
  text: z.string(),
  /** Source-specific facts kept with the entry: reasons for control, in-force dates, notes. */
  data: z.record(z.string(), z.unknown()).optional(),
});
export type Entry = z.infer<typeof entrySchema>;

/** One published instrument in a document feed (a Federal Register rule, a Gazette notice). */
export const documentSchema = z.object({
  id: z.string().min(1),
  /** `public-inspection` before publication; the same id later arrives as `published`. */
  stage: z.enum(["public-inspection", "published"]),
  type: z.string().nullable(),
  title: z.string(),
  abstract: z.string().nullable(),
  citation: z.string().nullable(),
  publishedAt: isoDateSchema.nullable(),
  effectiveAt: isoDateSchema.nullable(),
  url: z.string().nullable(),
  urls: z.record(z.string(), z.string()).default({}),
  cfrReferences: z.array(z.string()).default([]),
  technologies: z.array(technologyIdSchema).default([]),
  countries: z.array(z.string().length(2)).default([]),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type RegDocument = z.infer<typeof documentSchema>;

const snapshotBase = {
  source: z.string(),
  /** Facts about the whole document: consolidation dates, version dates, instrument numbers. */
  meta: z.record(z.string(), z.unknown()).default({}),
  warnings: z.array(z.string()).default([]),
};

export const listSnapshotSchema = z.object({
  ...snapshotBase,
  kind: z.literal("list"),
  entries: z.array(entrySchema),
});
export const documentsSnapshotSchema = z.object({
  ...snapshotBase,
  kind: z.literal("documents"),
  documents: z.array(documentSchema),
});
export const pageSnapshotSchema = z.object({ ...snapshotBase, kind: z.literal("page"), text: z.string() });
export const snapshotSchema = z.discriminatedUnion("kind", [
  listSnapshotSchema,
  documentsSnapshotSchema,
  pageSnapshotSchema,
]);
export type ListSnapshot = z.infer<typeof listSnapshotSchema>;
export type DocumentsSnapshot = z.infer<typeof documentsSnapshotSchema>;
export type PageSnapshot = z.infer<typeof pageSnapshotSchema>;
export type Snapshot = z.infer<typeof snapshotSchema>;

export const changeKindSchema = z.enum(["added", "removed", "modified", "published"]);
export type ChangeKind = z.infer<typeof changeKindSchema>;

/**
 * Why a record exists. Only `regulatory` records are ever alerted: `baseline`
 * and `backfill` build history, `parser` marks output that moved because the
 * parser changed, not the regulation.
 */
export const changeOriginSchema = z.enum(["regulatory", "baseline", "backfill", "parser"]);
export type ChangeOrigin = z.infer<typeof changeOriginSchema>;

export const wordDiffSchema = z.array(z.tuple([z.enum(["=", "+", "-"]), z.string()]));
export type WordDiff = z.infer<typeof wordDiffSchema>;

export const provenanceSchema = z.object({
  artifactSha256: z.string(),
  fetchedAt: isoInstantSchema,
  parserVersion: z.string(),
});
export type Provenance = z.infer<typeof provenanceSchema>;

/** The contract every consumer relies on (API, `--json`, alerts). Field names are fixed by the brief. */
export const changeRecordSchema = z.object({
  id: z.string(),
  source: z.string(),
  jurisdiction: jurisdictionSchema,
  kind: changeKindSchema,
  subject: z.string(),
  title: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  technologies: z.array(technologyIdSchema),
  countries: z.array(z.string().length(2)),
  publishedAt: isoDateSchema.nullable(),
  effectiveAt: isoDateSchema.nullable(),
  detectedAt: isoInstantSchema,
  url: z.string().nullable(),
  citation: z.string().nullable(),
  provenance: provenanceSchema,
  // Beyond the brief's fields:
  origin: changeOriginSchema,
  /** Whether a subscriber should be told: regulatory, and for documents, recent enough. */
  alert: z.boolean(),
  wassenaarCategory: z.string().nullable(),
  /** For documents: which stage of the instrument this record reports. */
  stage: z.enum(["public-inspection", "published"]).nullable(),
  /** Word-level diff of before → after, for modified entries. */
  diff: wordDiffSchema.nullable(),
  /**
   * What else the source says about the subject. Documents: type, action,
   * abstract, CFR parts, official URLs, RINs, ECCNs named. List entries: the
   * parent entry, its place in the list, reasons for control.
   */
  details: z.record(z.string(), z.unknown()).nullable(),
});
export type ChangeRecord = z.infer<typeof changeRecordSchema>;
