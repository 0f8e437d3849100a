// The one member this source reads out of Lovdata's bulk archive of current
// central regulations. The archive holds every consolidated regulation (some
// 5,000); only FOR-2013-06-19-718 is kept, the rest is decompressed, checked
// by the tar reader and dropped as it streams past.

import { SourceShapeChangedError } from "@regwatch/core/errors";
import { runSteps } from "../../steps.ts";
import { bunzip2Steps, isBzip2 } from "../lovdata/bzip2.ts";
import { type TarLimits, TarReader } from "../lovdata/tar.ts";

/**
 * The bulk file of current consolidated central regulations in Lovdata's
 * public-data list [C: SOURCES.md, "bulk archives of current regulations";
 * the file name is I: every third-party client of the list found spells it
 * so, and so does the list capture quoted in ../lovdata/public-data.ts].
 */
export const CURRENT_REGULATIONS_ARCHIVE = "gjeldende-sentrale-forskrifter.tar.bz2";

/**
 * Where the regulation sits in it [I: a third-party copy of the unpacked
 * archive keeps it at `sf/sf-20130619-0718.xml`, beside `sf-YYYYMMDD-NNNN.xml`
 * for every other regulation]. Found by its file name under any folder, so a
 * new top folder is a warning, not a lost regulation.
 */
export const REGULATION_MEMBER = "sf/sf-20130619-0718.xml";
const MEMBER_FILE = /(?:^|\/)sf-20130619-0718\.xml$/;
/** Any consolidated regulation: counted, so that an archive of something else is told apart from one that lost ours. */
const REGULATION_FILE = /(?:^|\/)sf-\d{8}-\d+[^/]*\.xml$/;

/**
 * Caps on the decompressed archive. The bzip2 file was some 20 MB in
 * 2025-26 [I: third-party notes give 20-21 MB]; Lovdata's XML compresses about
 * 11 to 1 (the 2025 Lovtidend archive: 2.6 MB to 28.5 MB), so the tar is
 * some 220 MB in some 5,000 members. Three times that still stops a bzip2 or
 * tar bomb long before memory runs short: nothing but the one member is held.
 */
export const ARCHIVE_LIMITS: TarLimits = { maxBytes: 768 * 1024 * 1024, maxMembers: 60_000 };

/** What the archive held besides the one member read. */
export interface ArchiveSummary {
  /** The archive's file name, when the body came with an address. */
  name: string | null;
  /** Decompressed size of the tar. */
  bytes: number;
  /** Regular files in it. */
  files: number;
  /** Of those, consolidated regulations (`sf-….xml`). */
  regulations: number;
  /** Where the regulation was found. */
  member: string;
}

/** Whether the body starts with a ustar or GNU tar header ("ustar" at byte 257). */
export const isTar = (body: Uint8Array) =>
  body.length >= 512 && String.fromCharCode(...body.subarray(257, 262)) === "ustar";

/**
 * The regulation's XML out of the archive (bzip2, told by its "BZh" magic,
 * or the tar itself). Strict: a corrupt, cut or oversized archive is an error
 * (the whole archive is read to its end marker, never stopped at the member),
 * and so is an archive without the member or with two of it.
 */
export function* regulationFromArchiveSteps(
  body: Uint8Array,
  name: string | null,
  limits: TarLimits = ARCHIVE_LIMITS,
): Generator<void, { xml: Uint8Array; summary: ArchiveSummary; warnings: string[] }> {
  const label = name ?? "current-regulations archive";
  const found: { name: string; content: Uint8Array }[] = [];
  let regulations = 0;
  const tar = new TarReader({
    limits,
    name: label,
    select(file) {
      if (REGULATION_FILE.test(file.name)) regulations++;
      return MEMBER_FILE.test(file.name);
    },
    onFile(file, content) {
      found.push({ name: file.name, content });
    },
  });
  let bytes = body.byteLength;
  if (isBzip2(body))
    bytes = yield* bunzip2Steps(body, (slice) => tar.write(slice), {
      maxBytes: limits.maxBytes,
      name: label,
    });
  else tar.write(body);
  const { files } = tar.end();
  if (found.length > 1)
    throw new SourceShapeChangedError(
      `${label}: holds the regulation twice (${found.map((f) => f.name).join(", ")}); which is current cannot be told`,
    );
  const member = found[0];
  if (!member)
    throw new SourceShapeChangedError(
      regulations === 0
        ? `${label}: none of its ${files} files is a consolidated regulation (sf-….xml); not Lovdata's archive of current regulations`
        : `${label}: no sf-20130619-0718.xml among its ${regulations} regulations; FOR-2013-06-19-718 is not in it`,
    );
  const warnings =
    member.name === REGULATION_MEMBER
      ? []
      : [`${label}: the regulation is at ${member.name}, not ${REGULATION_MEMBER}`];
  return { xml: member.content, summary: { name, bytes, files, regulations, member: member.name }, warnings };
}

/** `regulationFromArchiveSteps` run to the end at once. */
export function regulationFromArchive(
  body: Uint8Array,
  name: string | null,
  limits: TarLimits = ARCHIVE_LIMITS,
): { xml: Uint8Array; summary: ArchiveSummary; warnings: string[] } {
  return runSteps(regulationFromArchiveSteps(body, name, limits));
}
