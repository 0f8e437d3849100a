import { createHash, hash } from "node:crypto";
import type { Entry, RegDocument } from "@regwatch/core/schemas";
import { comparableText, normalizeText, sha256Hex } from "@regwatch/core/text";

/**
 * What makes an entry "the same": its own heading and text, normalized. Not
 * its position, its parent's wording or any source bookkeeping (in-force
 * dates, element ids), so moves and cosmetic churn never become changes.
 */
export function entryHash(entry: Entry): string {
  // The digest of heading NUL text. A small entry in one call (a hash object
  // per entry costs more than hashing it); a large one piece by piece, so that
  // it is not copied once more to join them.
  const heading = comparableText(entry.heading ?? "");
  const text = comparableText(entry.text);
  if (heading.length + text.length < ONE_CALL_LIMIT) return hash("sha256", `${heading}\u0000${text}`, "hex");
  return createHash("sha256").update(heading).update("\u0000").update(text).digest("hex");
}

const ONE_CALL_LIMIT = 16 * 1024;

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
