// Lovdata's list of public-data files: the cheap probe before a yearly
// archive is downloaded.
//
// [I] The shape is inferred, not documented in SOURCES.md: two third-party
// captures of `GET https://api.lovdata.no/v1/publicData/list` (2025-11-08 and
// 2026-04-22) show a JSON array of
//   { "filename": "lovtidend-avd1-2026.tar.bz2",
//     "description": "Norsk Lovtidend avd. I - lover og sentrale forskrifter",
//     "sizeBytes": "528319",                      (a string of digits)
//     "lastModified": "2026-04-22T01:31:00Z" }    (sometimes with milliseconds)
// listing `gjeldende-lover.tar.bz2`, `gjeldende-sentrale-forskrifter.tar.bz2`,
// the current year's `lovtidend-avd1-{year}.tar.bz2` and the earlier years in
// one `lovtidend-avd1-2001-{year-1}.tar.bz2` (the year's own file is gone by
// April of the next). So the reader takes a few likely spellings of each field
// and a wrapping object, but a list without any Lovtidend file, or a file
// without a readable modification time, is a changed source.

import { SourceShapeChangedError } from "@regwatch/core/errors";

/** One file the list offers. */
export interface PublicDataFile {
  filename: string;
  /** ISO 8601 in UTC with milliseconds (`Date#toISOString`), whatever precision the list gave. */
  lastModified: string;
  /** Bytes, when the list says. */
  size: number | null;
}

const NAME_FIELDS = ["filename", "fileName", "name"];
const MODIFIED_FIELDS = ["lastModified", "lastModifiedDate", "modified", "updated"];
const SIZE_FIELDS = ["sizeBytes", "size", "fileSize"];
const WRAPPERS = ["files", "data", "items", "publicData"];

// RFC 3339 date-time: an explicit zone is required, so the instant is never guessed.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

const LOVTIDEND = /^lovtidend-avd1-(\d{4})(?:-(\d{4}))?\.tar\.bz2$/;

/** The name of a year's own archive. */
export const yearlyArchiveName = (year: number) => `lovtidend-avd1-${year}.tar.bz2`;

function pick(item: Record<string, unknown>, fields: readonly string[]): unknown {
  for (const f of fields) if (item[f] !== undefined && item[f] !== null) return item[f];
  return undefined;
}

/** The list's JSON → its files. Entries without a name are left out; a malformed body is an error. */
export function parsePublicDataList(body: Uint8Array): PublicDataFile[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (err) {
    throw new SourceShapeChangedError(`Lovdata public-data list is not JSON: ${(err as Error).message}`);
  }
  if (json && typeof json === "object" && !Array.isArray(json)) {
    const obj = json as Record<string, unknown>;
    json = WRAPPERS.map((w) => obj[w]).find(Array.isArray) ?? json;
  }
  if (!Array.isArray(json))
    throw new SourceShapeChangedError("Lovdata public-data list is not an array of files");
  const files: PublicDataFile[] = [];
  const seen = new Set<string>();
  for (const raw of json) {
    if (!raw || typeof raw !== "object") continue;
    const item = raw as Record<string, unknown>;
    const filename = pick(item, NAME_FIELDS);
    if (typeof filename !== "string" || !filename) continue;
    if (seen.has(filename))
      throw new SourceShapeChangedError(`Lovdata public-data list names ${filename} twice`);
    seen.add(filename);
    const modified = pick(item, MODIFIED_FIELDS);
    const instant =
      typeof modified === "string" && INSTANT.test(modified) ? Date.parse(modified) : Number.NaN;
    const sizeRaw = pick(item, SIZE_FIELDS);
    const size =
      typeof sizeRaw === "number" && Number.isSafeInteger(sizeRaw) && sizeRaw >= 0
        ? sizeRaw
        : typeof sizeRaw === "string" && /^\d{1,15}$/.test(sizeRaw)
          ? Number(sizeRaw)
          : null;
    files.push({
      filename,
      // Checked when the file is used: a file we never download may lack a date.
      lastModified: Number.isNaN(instant) ? "" : new Date(instant).toISOString(),
      size,
    });
  }
  if (!files.some((f) => LOVTIDEND.test(f.filename)))
    throw new SourceShapeChangedError(
      `Lovdata public-data list has no lovtidend-avd1-… file among ${files.length} (${files
        .slice(0, 5)
        .map((f) => f.filename)
        .join(", ")})`,
    );
  return files;
}

/** A year's own archive in the list (null when not listed), strict about its modification time. */
export function yearlyArchive(files: readonly PublicDataFile[], year: number): PublicDataFile | null {
  const file = files.find((f) => f.filename === yearlyArchiveName(year));
  if (file && !file.lastModified)
    throw new SourceShapeChangedError(
      `Lovdata public-data list gives ${file.filename} no readable modification time`,
    );
  return file ?? null;
}

/** The archive of several years that holds `year` (`lovtidend-avd1-2001-2025.tar.bz2`), when listed. */
export function bundleHolding(files: readonly PublicDataFile[], year: number): PublicDataFile | null {
  return (
    files.find((f) => {
      const m = LOVTIDEND.exec(f.filename);
      return m?.[2] !== undefined && Number(m[1]) <= year && year <= Number(m[2]);
    }) ?? null
  );
}
