import { customType, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (v) => (v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer)),
});

/**
 * Raw bytes as fetched, stored once per content hash, kept for ever: every
 * record traces back to them. `body` is null when the bytes live in the data
 * directory's artifact files instead (embedded database: PGlite holds a bytea
 * at about 100 bytes of memory per byte, so large documents never go in it).
 */
export const rawArtifactsTable = pgTable("raw_artifacts", {
  sha256: text("sha256").primaryKey(),
  body: bytea("body"),
  size: integer("size").notNull(),
  contentType: text("content_type"),
  firstUrl: text("first_url"),
  firstFetchedAt: timestamp("first_fetched_at", { withTimezone: true }).notNull(),
});

/** ETag / Last-Modified per URL, saved only once the body they describe is archived. */
export const httpValidatorsTable = pgTable("http_validators", {
  url: text("url").primaryKey(),
  etag: text("etag"),
  lastModified: text("last_modified"),
  artifactSha256: text("artifact_sha256"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});
