import { createHash } from "node:crypto";
import type { Entry, RegDocument } from "@regwatch/core/schemas";
import { comparableText, normalizeText, sha256Hex } from "@regwatch/core/text";

/**
 * What makes an entry "the same": its own heading and text, normalized. Not
 * its position, its parent's wording or any source bookkeeping (in-force
 * dates, element ids), so moves and cosmetic churn never become changes.
 */
export function entryHash(entry: Entry): string {
  // Hashed piece by piece (the digest of heading NUL text): a large entry is not copied once more to join them.
  return createHash("sha256")
    .update(comparableText(entry.heading ?? ""))
    .update("\u0000")
    .update(comparableText(entry.text))
    .digest("hex");
}

/** Content of a document that, when it moves, is worth telling someone about. */
export function documentHash(doc: RegDocument): string {
  return sha256Hex(
    JSON.stringify([
      doc.stage,
      normalizeText(doc.title),
      doc.type,
      doc.citation,
      doc.publishedAt,
      doc.effectiveAt,
      normalizeText(doc.abstract ?? ""),
      [...doc.cfrReferences].sort(),
    ]),
  );
}
