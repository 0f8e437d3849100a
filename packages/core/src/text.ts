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
  return text
    .normalize("NFC")
    .replace(/[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The form two texts are compared in: normalized, and with the spaces that
 * line breaks between inline elements leave before punctuation taken out
 * ("10^-4 ;" and "10^-4;" are the same provision).
 */
export function comparableText(text: string): string {
  return normalizeText(text)
    .replace(/ ([,;:.!?)\]])/g, "$1")
    .replace(/([([]) /g, "$1");
}
