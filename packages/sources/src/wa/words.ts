// Words as a PDF prints them: superscripts, and words broken by a hyphen at a
// line end or spaced after a hyphen by a reflow. Text rules only; where the
// pieces stand on the page is pdf-text.ts's business.

/**
 * Characters Unicode has a superscript for, as the lists raise them: powers
 * ("10⁻⁶", "m²"), charges ("U⁺⁴"), isotopes ("¹⁰B"), footnote marks.
 */
const SUPERSCRIPT: Record<string, string> = {
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
  "+": "⁺",
  "-": "⁻",
  "−": "⁻",
  "–": "⁻",
  "=": "⁼",
  "(": "⁽",
  ")": "⁾",
  n: "ⁿ",
};
const PLAIN: Record<string, string> = Object.fromEntries(
  Object.entries(SUPERSCRIPT)
    .filter(([plain]) => plain !== "−" && plain !== "–")
    .map(([plain, raised]) => [raised, plain]),
);

/** A superscript character, at the start of a text: what continues a line without a space. */
const STARTS_RAISED = /^[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ]/;

/**
 * Text printed raised, as it reads: in Unicode superscripts when it has them
 * all ("10" + raised "-6" is "10⁻⁶": the exponent cannot run into its base,
 * and no caret stands in the text that the document does not print; a stroke
 * or comma between them stays: "²/³"); a raised "o" alone is the typewriter's
 * degree sign ("(23 ± 2)°C", as the list prints it elsewhere); anything else
 * raised ("5th", "(*1)") is its plain letters, which read as they should
 * without being raised.
 */
export function raisedText(text: string): string {
  const t = text.trim();
  if (t === "o" || t === "°") return "°";
  const chars = [...t];
  if (
    chars.some((c) => SUPERSCRIPT[c] !== undefined) &&
    chars.every((c) => SUPERSCRIPT[c] ?? /[/.,]/.test(c))
  )
    return chars.map((c) => SUPERSCRIPT[c] ?? c).join("");
  return t;
}

/** Superscript digits and signs written plain ("¹ https://…" → "1 https://…"), for keys made from text. */
export const plainDigits = (text: string) => text.replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ]/g, (c) => PLAIN[c] ?? c);

// ---------------------------------------------------------------------------
// Hyphens.
// ---------------------------------------------------------------------------

/** A hyphen followed by a space before these is a suspended hyphen ("cobalt- or nickel-based"), printed as meant. */
const SUSPENDED = new Set(["and", "or", "nor", "to"]);

/**
 * Whether "head-" + "tail" is one word broken in two (joined without the
 * hyphen) rather than a compound (the hyphen kept). What the document prints
 * decides: the compound printed whole keeps its hyphen ("non-volatile"), the
 * word printed whole loses it ("simulating"); printed neither way, what
 * follows the hyphen decides: a word the document prints is the second half
 * of a compound ("fluid-" / "filled", "perfluoroaliphatic-" / "ethers"), a
 * piece that is no word of the document is the rest of a word the typesetter
 * broke ("calcu-" / "lations", "phos-" / "phate"). Without the document's
 * words the hyphen is kept.
 */
function isBreak(head: string, tail: string, words: ReadonlySet<string> | null): boolean {
  if (!words) return false;
  const [h, t] = [head.toLowerCase(), tail.toLowerCase()];
  if (words.has(`${h}-${t}`)) return false;
  if (words.has(`${h}${t}`)) return true;
  return !words.has(t);
}

/**
 * "non- lasing", "Low- expansion": a hyphen and a space inside a line, left by
 * a reflow of the text that once broke the word there, read like a hyphen at
 * a line end; a suspended hyphen ("standard- and") stays.
 */
function closeSpacedHyphens(line: string, words: ReadonlySet<string> | null): string {
  if (!words) return line;
  return line.replace(/(\p{L}+)- (\p{Ll}+)/gu, (whole, head: string, tail: string) => {
    if (SUSPENDED.has(tail)) return whole;
    return isBreak(head, tail, words) ? `${head}${tail}` : `${head}-${tail}`;
  });
}

/**
 * Joins the lines of one paragraph, with a space, but for a word broken by
 * a hyphen at the line end (see `isBreak`), a line ending in an opening
 * bracket or a sign ("(-" / "120 °C)"), and a superscript carried to the next
 * line.
 */
export function joinLines(lines: readonly string[], words: ReadonlySet<string> | null): string {
  let out = "";
  for (const raw of lines) {
    const line = closeSpacedHyphens(raw, words);
    out = out ? joinTwo(out, line, words) : line;
  }
  return out;
}

export function joinTwo(before: string, after: string, words: ReadonlySet<string> | null): string {
  const broken = /(\p{L}+)-$/u.exec(before);
  if (broken && /^\p{Ll}/u.test(after)) {
    const tail = /^\p{L}+/u.exec(after)![0];
    return isBreak(broken[1]!, tail, words) ? `${before.slice(0, -1)}${after}` : `${before}${after}`;
  }
  if (/[-–([/]$/.test(before) && !/\s[-–]$/.test(before)) return `${before}${after}`;
  if (STARTS_RAISED.test(after)) return `${before}${after}`;
  return `${before} ${after}`;
}

/**
 * Every word the document prints, lower-cased: hyphenated compounds whole and
 * each of their parts. The two pieces of a word broken at a line end are not
 * words the document prints ("calcu-" / "lations"), so they are left out.
 */
export function documentWords(lines: Iterable<string>): Set<string> {
  const words = new Set<string>();
  let brokenBefore = false;
  for (const line of lines) {
    let text = line.toLowerCase();
    if (brokenBefore) text = text.replace(/^\p{L}+/u, "");
    brokenBefore = /\p{L}-$/u.test(text);
    if (brokenBefore) text = text.replace(/\p{L}+-$/u, "");
    for (const word of text.match(/\p{L}+(?:-\p{L}+)*/gu) ?? []) {
      words.add(word);
      if (word.includes("-")) for (const part of word.split("-")) words.add(part);
    }
  }
  return words;
}
