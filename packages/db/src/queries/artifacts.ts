import { eq } from "drizzle-orm";
import type { ArtifactFiles } from "../artifact-files.ts";
import type { Db } from "../open-database.ts";
import { httpValidatorsTable, rawArtifactsTable } from "../schema/index.ts";

export interface ArtifactInput {
  sha256: string;
  body: Uint8Array;
  contentType: string | null;
  url: string | null;
  fetchedAt: Date;
}

/**
 * Stores the bytes once per content hash; a second copy is a no-op. With
 * `files` the bytes go to a file first and the row only points at them.
 */
export async function archiveArtifact(db: Db, a: ArtifactInput, files?: ArtifactFiles | null): Promise<void> {
  files?.put(a.sha256, a.body);
  await db
    .insert(rawArtifactsTable)
    .values({
      sha256: a.sha256,
      body: files ? null : a.body,
      size: a.body.byteLength,
      contentType: a.contentType,
      firstUrl: a.url,
      firstFetchedAt: a.fetchedAt,
    })
    .onConflictDoNothing();
}

/** An archived artifact with its bytes, wherever they are kept; undefined when unknown or its file is gone. */
export async function getArtifact(db: Db, sha256: string, files?: ArtifactFiles | null) {
  const [row] = await db.select().from(rawArtifactsTable).where(eq(rawArtifactsTable.sha256, sha256));
  if (!row) return undefined;
  const body = row.body ?? files?.get(sha256) ?? null;
  return body ? { ...row, body } : undefined;
}

export async function getValidators(db: Db, url: string) {
  const [row] = await db.select().from(httpValidatorsTable).where(eq(httpValidatorsTable.url, url));
  return row ? { etag: row.etag, lastModified: row.lastModified } : null;
}

export async function saveValidators(
  db: Db,
  v: { url: string; etag: string | null; lastModified: string | null; artifactSha256: string; at: Date },
): Promise<void> {
  if (!v.etag && !v.lastModified) return;
  const values = {
    etag: v.etag,
    lastModified: v.lastModified,
    artifactSha256: v.artifactSha256,
    updatedAt: v.at,
  };
  await db
    .insert(httpValidatorsTable)
    .values({ url: v.url, ...values })
    .onConflictDoUpdate({ target: httpValidatorsTable.url, set: values });
}
