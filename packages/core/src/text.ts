import { createHash } from "node:crypto";

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Canonical form of regulatory text: what is left when cosmetic differences
 * (whitespace, line breaks, no-break and other typographic spaces, Unicode
 * composition) are taken out. Entity encoding is already resolved by the XML
 * parser. Quotes and dashes are kept: in legal text they can carry meaning.
 */
export function normalizeText(text: string): string {
  // JavaScript's \s already covers the no-break and typographic spaces; U+200B is added.
  const collapsed = text.replace(/[\s\u200b]+/g, " ").trim();
  // Composition only matters outside ASCII, and checking is far cheaper than composing.
  return /[^\x00-\x7f]/.test(collapsed) ? collapsed.normalize("NFC") : collapsed;
}

/**
 * The form two texts are compared in: normalized, dashes and quotes folded to
 * ASCII, and the spaces that line breaks between inline elements leave before
 * punctuation taken out ("10^-4 ;" and "10^-4;" are the same provision).
 * Only hashes use it; stored and displayed text keeps its characters.
 */
export function comparableText(text: string): string {
  return (
    normalizeText(text)
      // GPO switched en dashes in number ranges to hyphens in March 2024 without changing a word.
      .replace(/[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/g, "-")
      .replace(/[\u2018\u2019\u201a\u2032]/g, "'")
      .replace(/[\u201c\u201d\u201e\u2033]/g, '"')
      .replace(/ ([,;:.!?)\]])/g, "$1")
      .replace(/([([]) /g, "$1")
  );
}
