import { hash } from "node:crypto";

export function sha256Hex(data: Uint8Array | string): string {
  return hash("sha256", data, "hex");
}

/**
 * Canonical form of regulatory text: what is left when cosmetic differences
 * (whitespace, line breaks, no-break and other typographic spaces, Unicode
 * composition) are taken out. Entity encoding is already resolved by the XML
 * parser. Quotes and dashes are kept: in legal text they can carry meaning.
 */
// Characters that NFC can change: combining marks, Hangul jamo, and the few
// singletons that decompose (Ohm, Kelvin and Angstrom signs, Greek tonos,
// CJK compatibility ideographs). Text without any of them is already NFC,
// and checking is far cheaper than composing.
const MAY_NEED_NFC =
  /\p{M}|[\u0374\u037e\u0387\u1100-\u11ff\u1f71-\u1ffd\u2126\u212a\u212b\u2329\u232a\uf900-\ufaff]/u;

// Only characters that may hold a combining mark or another character of
// MAY_NEED_NFC: not Latin-1 and its extensions (below U+0300), general
// punctuation (dashes, quotes, primes), arrows or mathematical operators.
// Without the u flag, so that it runs as a plain and fast character scan.
const MAY_NEED_NFC_QUICK = /[^\u0000-\u02ff\u2010-\u20cf\u2190-\u2328]/;
// A run of spaces that is not a single U+0020: the only ones the collapse changes.
const SPACES_TO_COLLAPSE = /(?:[^\S ]|\u200b)[\s\u200b]*| [\s\u200b]+/g;

// Any space other than U+0020, and U+200B.
const ODD_SPACE = /[^\S ]|\u200b/;

/**
 * Whether the text has a space the collapse changes: an odd one, two in a row,
 * one at either end. Split so that the regular expression is a plain character
 * scan: alternatives anchored at both ends made it try five at every position.
 */
function needsCollapse(text: string): boolean {
  const last = text.length - 1;
  return (
    last >= 0 &&
    (text.charCodeAt(0) === 0x20 ||
      text.charCodeAt(last) === 0x20 ||
      text.includes("  ") ||
      ODD_SPACE.test(text))
  );
}

export function normalizeText(text: string): string {
  // Most text is already clean; testing is cheaper than rewriting.
  // JavaScript's \s already covers the no-break and typographic spaces; U+200B is added.
  // Replacing the runs that are not a single space with one gives what replacing every run does.
  const collapsed = needsCollapse(text) ? text.replace(SPACES_TO_COLLAPSE, " ").trim() : text;
  // Spaces never match MAY_NEED_NFC: the quick test on the text decides as well as on the collapsed text.
  return MAY_NEED_NFC_QUICK.test(text) && MAY_NEED_NFC.test(collapsed)
    ? collapsed.normalize("NFC")
    : collapsed;
}

const FOLD: Record<string, string> = {};
for (const c of "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d") FOLD[c] = "-";
for (const c of "\u2018\u2019\u201a\u2032") FOLD[c] = "'";
for (const c of "\u201c\u201d\u201e\u2033") FOLD[c] = '"';

const COMPARABLE =
  /[\u2010-\u2015\u2212\ufe58\ufe63\uff0d\u2018\u2019\u201a\u2032\u201c\u201d\u201e\u2033]|[([] | (?=[,;:.!?)\]])/g;
const HAS_COMPARABLE =
  /[\u2010-\u2015\u2212\ufe58\ufe63\uff0d\u2018\u2019\u201a\u2032\u201c\u201d\u201e\u2033]|[([] | [,;:.!?)\]]/;

/**
 * The form two texts are compared in: normalized, dashes and quotes folded to
 * ASCII, and the spaces that line breaks between inline elements leave before
 * punctuation taken out ("10^-4 ;" and "10^-4;" are the same provision).
 * Only hashes use it; stored and displayed text keeps its characters.
 */
export function comparableText(text: string): string {
  // One pass: GPO switched en dashes in number ranges to hyphens in March 2024 without changing a word.
  const normalized = normalizeText(text);
  return HAS_COMPARABLE.test(normalized)
    ? normalized.replace(COMPARABLE, (m) => (m.length === 2 ? m[0]! : (FOLD[m] ?? "")))
    : normalized;
}
