import type { PdfLine, PdfSegment, PdfText } from "./pdf-text.ts";
import { findTables, type Table, tableRows } from "./tables.ts";
import { documentWords, joinLines } from "./words.ts";

// Lines to blocks: where a paragraph, a note, an entry or a heading starts in
// a Wassenaar-numbered list printed as a PDF. A line starts a block when it
// begins with something that starts one (an entry number, a paragraph label,
// a note's label, a heading) and the line before it ended one (a full stop,
// a semicolon, a colon, "and"/"or"), or when the layout says so on its own (a
// paragraph gap, a line further left than the paragraph's lines, a change of
// type size, a heading in capitals). A line that only looks like a start
// ("3A001.a.10. and 3A001.a.12., based upon …" wrapped from the line before)
// continues the paragraph. A heading printed on the line of the sentence
// before it is cut from it; a table is one block, read row by row (tables.ts).

/** What a line starts with. */
export type Start =
  | { kind: "toc" }
  | { kind: "continued" }
  | { kind: "category"; digit: string; title: string; part: string | null }
  | { kind: "part"; part: string; title: string }
  | { kind: "group"; digit: string; letter: string; part: string | null; title: string }
  /** An entry by its number: "3A001 …" (EU style), "3.A.1. …" (WA style), and a WA paragraph by its full designator. */
  | { kind: "entry"; code: string; path: string[]; printed: string; rest: string }
  | { kind: "ml"; number: string; printed: string; rest: string }
  /** A paragraph label; `bare` when printed without its full stop ("f Mobile …"), a slip taken only where it fits exactly. */
  | { kind: "label"; label: string; rest: string; bare: boolean }
  | { kind: "note"; slug: NoteSlug; number: string | null; label: string; rest: string }
  | { kind: "dash"; rest: string }
  | { kind: "quote"; rest: string }
  /** A table, its rows read across (see `tableRows`); the block's text is the rows, one a line. */
  | { kind: "table"; rows: string[] };

export type NoteSlug = "note" | "nb" | "technical-note";

export interface Block {
  start: Start | null;
  /** The block's words after its label (the whole text when it has none). */
  text: string;
  /** The block's words, label included. */
  full: string;
  /** Where its first line starts, and where its other lines start (null for one line). */
  x: number;
  contX: number | null;
  page: number;
  lines: PdfLine[];
}

// ---------------------------------------------------------------------------
// What a line starts with.
// ---------------------------------------------------------------------------

/** A table of contents line: dot leaders and a page number. */
const TOC = /(?:\.\s?){2,}\s*\d{1,4}$|…+\s*\d{1,4}$/;
/** "3B001 continued", "Note 3 continued", "5A002.a. Note 2.a. continued" at the head of a page: layout, not text. */
const CONTINUED_TOKEN =
  /(?:\d[A-E]\d{3}(?:\.[a-z0-9]{1,3})*\.?|\d\.\s?[A-E]\.\s?\d{1,3}\.(?:\s?[a-z0-9]{1,3}\.)*|ML\s?\d{1,2}(?:\.[a-z0-9]{1,3})*\.?|Technical|Notes?|N\.\s?B\.|\d{1,2}(?:\.[a-z0-9]{1,3})*\.?|[a-z]\.|\p{Lu}\p{Ll}+(?=\s+Note))/u
    .source;
const CONTINUED = new RegExp(
  `^(?=.*(?:\\d[A-E]|\\d\\.\\s?[A-E]\\.|ML|Note|N\\.\\s?B\\.))${CONTINUED_TOKEN}(?:\\s+${CONTINUED_TOKEN}){0,4}(?:\\s+|(?<=\\.))\\(?[Cc]ontinued\\)?\\.?$`,
  "u",
);
const CATEGORY = /^CATEGORY\s+(\d)\b\s*(?:[-–—:]\s*(.*))?$/;
const CATEGORY_MIXED = /^Category\s+(\d)\s*[-–—]\s*(\p{Lu}[^.;:]*)$/u;
const PART = /^PART\s+(\d)\b\s*(?:[-–—:]\s*(.*))?$/i;
const GROUP = /^(\d)\.?\s?([A-E])\.?(?:\s?(\d)\.?)?\s+(.+)$/;
/** The five groups every category has, A to E, by their titles. */
export const GROUP_TITLES: Record<string, string> = {
  A: "systems, equipment and components",
  B: "test, inspection and production equipment",
  C: "materials",
  D: "software",
  E: "technology",
};
const EU_ENTRY = /^(\d[A-E]\d{3})\.?(?:\s+(.*))?$/;
/** "3.A.1." and "3. A. 1. a. 2.": the WA prints its numbers with full stops, sometimes spaced. */
const WA_DESIGNATOR = /^(\d)\.\s?([A-E])\.\s?(\d{1,3})\.((?:\s?(?:[a-z]|\d{1,2})\.)*)(?:\s+(.*))?$/;
const ML_ENTRY = /^ML\s?(\d{1,2})\.?(?:\s+(.*))?$/;
const LABEL = /^(?:\(([a-z]|\d{1,2})\)|([a-z]|\d{1,2})[.)])(?:\s+(.*))?$/;
const BARE_LABEL = /^([a-z]|\d{1,2})\s+(\p{Lu}\p{Ll}+\s.*)$/u;
const NOTE = /^(?:(Technical)s?\s+)?(Notes?)(?:\s+(\d{1,2}))?(?:\s*:\s*|\s*\.\s+|\s+|$)(.*)$/;
const NB = /^N\.\s?B\.\s*(?:(\d{1,2})\s*[.:]?)?\s*:?\s*(.*)$/;
const DASH = /^[–—•▪-]\s+(\S.*)$/;
const QUOTE = /^["“]/;

/** Text that continues a sentence rather than starts one: "and 3A001.a.12.", "or …" (not a first paragraph: "a. …"). */
const continuesSentence = (rest: string) => /^\p{Ll}/u.test(rest) && !/^[a-z]\.\s/.test(rest);

const isGroupTitle = (letter: string, title: string) =>
  GROUP_TITLES[letter] === title.replace(/[.:]$/, "").replace(/\s+/g, " ").trim().toLowerCase();

export function startOf(text: string): Start | null {
  if (TOC.test(text)) return { kind: "toc" };
  if (CONTINUED.test(text)) return { kind: "continued" };
  let m = CATEGORY.exec(text) ?? CATEGORY_MIXED.exec(text);
  if (m) {
    const title = (m[2] ?? "").trim();
    const part = PART.exec(title);
    return { kind: "category", digit: m[1]!, title, part: part ? part[1]! : null };
  }
  m = PART.exec(text);
  if (m?.[2] && !/[.;,]$/.test(m[2])) return { kind: "part", part: m[1]!, title: m[2].trim() };
  m = GROUP.exec(text);
  if (m && isGroupTitle(m[2]!, m[4]!))
    return { kind: "group", digit: m[1]!, letter: m[2]!, part: m[3] ?? null, title: m[4]!.trim() };
  m = EU_ENTRY.exec(text);
  if (m && !continuesSentence(m[2] ?? ""))
    return { kind: "entry", code: m[1]!, path: [], printed: m[1]!, rest: m[2] ?? "" };
  m = WA_DESIGNATOR.exec(text);
  if (m && !continuesSentence(m[5] ?? "")) {
    const code = `${m[1]}${m[2]}${m[3]!.padStart(3, "0")}`;
    const path = (m[4] ?? "")
      .split(".")
      .map((p) => p.trim())
      .filter(Boolean);
    const printed = text.slice(0, text.length - (m[5] ?? "").length).trim();
    return { kind: "entry", code, path, printed, rest: m[5] ?? "" };
  }
  m = ML_ENTRY.exec(text);
  if (m && !continuesSentence(m[2] ?? ""))
    return {
      kind: "ml",
      number: m[1]!,
      printed: text.slice(0, text.length - (m[2] ?? "").length).trim(),
      rest: m[2] ?? "",
    };
  m = NB.exec(text);
  if (m)
    return {
      kind: "note",
      slug: "nb",
      number: m[1] ?? null,
      label: m[1] ? `N.B. ${m[1]}` : "N.B.",
      rest: m[2]!,
    };
  m = NOTE.exec(text);
  if (m) {
    const technical = Boolean(m[1]);
    return {
      kind: "note",
      slug: technical ? "technical-note" : "note",
      number: m[3] ?? null,
      label: `${technical ? "Technical " : ""}${m[2]}${m[3] ? ` ${m[3]}` : ""}`,
      rest: m[4]!,
    };
  }
  m = LABEL.exec(text);
  if (m) return { kind: "label", label: m[1] ?? m[2]!, rest: m[3] ?? "", bare: false };
  m = BARE_LABEL.exec(text);
  if (m) return { kind: "label", label: m[1]!, rest: m[2]!, bare: true };
  m = DASH.exec(text);
  if (m) return { kind: "dash", rest: m[1]! };
  if (QUOTE.test(text)) return { kind: "quote", rest: text };
  return null;
}

// ---------------------------------------------------------------------------
// Lines to blocks.
// ---------------------------------------------------------------------------

/** A line in capitals: a heading, when it stands alone. */
export function inCapitals(text: string): boolean {
  // Words of three letters or more: "ML4, ML6 or ML19" and "3A001" are numbers, not capitals.
  const letters = (text.match(/\p{L}{3,}/gu) ?? []).join("");
  if (letters.length < 4) return false;
  return (letters.match(/\p{Lu}/gu) ?? []).length >= 0.85 * letters.length;
}

/** The line before ended a sentence, a list item ("…; or") or a lead-in ("as follows:"). */
const ENDS_SOMETHING = /(?:[.;:!?]["”’')\]]*|[;,]\s*(?:and|or))\s*$/;

const STRONG = new Set<Start["kind"]>(["category", "part", "group", "entry", "ml"]);

export interface BlockStats {
  toc: number;
  continued: number;
  /** Tables read row by row, and the headings cut from the line before them. */
  tables: number;
  gluedHeadings: number;
}

/** Where a sentence ends and a heading may follow on the same line. */
const SENTENCE_END = /[.;:!?]["”’')\]]*\s*(?=\d|CATEGORY\b)/g;

/**
 * A heading printed on the line of the sentence before it, in the PDF's own
 * text ("… refers to the smallest diameter.2B Test, Inspection and
 * Production Equipment"): the line cut in two where the sentence ends, the
 * heading a line of its own starting where its piece of text starts. Only a
 * whole group or category heading is cut off (their words are fixed: "Test,
 * Inspection and Production Equipment"), never an entry number a sentence
 * names.
 */
export function splitGluedHeading(line: PdfLine): PdfLine[] {
  for (const m of line.text.matchAll(SENTENCE_END)) {
    const at = m.index + m[0].length;
    const tail = line.text.slice(at);
    const kind = startOf(tail)?.kind;
    if (kind !== "group" && kind !== "category") continue;
    const head: PdfSegment[] = [];
    const rest: PdfSegment[] = [];
    let offset = 0;
    let tailX = line.xEnd;
    for (const seg of line.segments) {
      const from = offset;
      offset += seg.text.length;
      if (offset <= at) head.push({ ...seg });
      else if (from >= at) {
        if (!rest.length) tailX = seg.x;
        rest.push({ ...seg });
      } else {
        // The heading starts inside this piece: its x by the share of characters before it.
        const cut = at - from;
        tailX = seg.x + ((seg.xEnd - seg.x) * cut) / seg.text.length;
        head.push({ ...seg, xEnd: tailX, text: seg.text.slice(0, cut) });
        rest.push({ ...seg, x: tailX, text: seg.text.slice(cut) });
      }
    }
    const last = head[head.length - 1];
    if (last) last.text = last.text.trimEnd();
    const x = Math.round(tailX * 10) / 10;
    return [
      { ...line, xEnd: x, text: line.text.slice(0, at).trimEnd(), segments: head },
      { ...line, x, text: tail, segments: rest },
    ];
  }
  return [line];
}

/** The text edges of the document's body: where full lines start and end. */
function textEdges(text: PdfText): { left: number; right: number } {
  const lefts: number[] = [];
  const rights: number[] = [];
  for (const page of text.pages)
    for (const line of page.lines) {
      lefts.push(line.x);
      rights.push(line.xEnd);
    }
  lefts.sort((a, b) => a - b);
  rights.sort((a, b) => a - b);
  const at = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
  return { left: at(lefts, 0.02), right: at(rights, 0.9) };
}

/**
 * The document's blocks in reading order. Table of contents lines (and the
 * lines of the entry they end) and "… continued" lines are left out and
 * counted.
 */
export function* blocksOf(text: PdfText): Generator<void, { blocks: Block[]; stats: BlockStats }> {
  const stats: BlockStats = { toc: 0, continued: 0, tables: 0, gluedHeadings: 0 };
  const all: PdfLine[] = [];
  for (const page of text.pages)
    for (const line of page.lines) {
      const parts = splitGluedHeading(line);
      stats.gluedHeadings += parts.length - 1;
      all.push(...parts);
    }
  const words = documentWords(all.map((l) => l.text));
  const { left, right } = textEdges(text);
  const noText = (line: PdfLine) => {
    const kind = startOf(line.text)?.kind;
    return kind === "continued" || kind === "toc";
  };
  const tables = new Map<number, Table>(findTables(all, noText).map((t) => [t.from, t]));
  const blocks: Block[] = [];
  let current: { start: Start | null; lines: PdfLine[]; texts: string[] } | null = null;
  let prev: PdfLine | null = null;

  const close = () => {
    if (!current) return;
    const [first, second] = current.lines;
    blocks.push({
      start: current.start,
      text: joinLines(current.texts, words),
      full: joinLines(
        current.lines.map((l) => l.text),
        words,
      ),
      x: first!.x,
      contX: second ? second.x : null,
      page: first!.page,
      lines: current.lines,
    });
    current = null;
  };

  const startsBlock = (line: PdfLine, start: Start | null): boolean => {
    if (!current || !prev) return true;
    const block = current;
    const firstX = block.lines[0]!.x;
    const contX = block.lines[1]?.x ?? null;
    const samePage = prev.page === line.page;
    const gap = samePage ? prev.y - line.y : null;
    const size = Math.max(line.size, prev.size);
    const bigGap = gap !== null && gap > 1.45 * size;
    const sizeChange = Math.abs(line.size - prev.size) > 0.1 * size;
    const capsChange = inCapitals(prev.text) !== inCapitals(line.text);
    const ended = ENDS_SOMETHING.test(prev.text);
    const outdent = line.x < firstX - 2 || (contX !== null && line.x < contX - 2);
    const short = prev.xEnd < right - 0.25 * (right - left);
    // A run of dashes or bullets: each its own item.
    if (start?.kind === "dash" && startOf(prev.text)?.kind === "dash" && Math.abs(line.x - prev.x) <= 2)
      return true;
    if (start && STRONG.has(start.kind))
      return line.x <= firstX + 2 || ended || bigGap || sizeChange || capsChange || outdent;
    if (start) return ended || bigGap || sizeChange || capsChange || outdent;
    return bigGap || sizeChange || capsChange || outdent || (short && ended && line.x <= firstX + 2);
  };

  for (let i = 0; i < all.length; i++) {
    if (i % 400 === 399) yield;
    const table = tables.get(i);
    if (table) {
      close();
      for (const line of all.slice(table.from, table.to + 1))
        if (noText(line)) stats[startOf(line.text)!.kind === "toc" ? "toc" : "continued"]++;
      const rows = tableRows(table, words);
      const first = table.lines[0]!;
      blocks.push({
        start: { kind: "table", rows },
        text: rows.join("\n"),
        full: rows.join("\n"),
        x: table.columns[0]!,
        contX: null,
        page: first.page,
        lines: table.lines,
      });
      stats.tables++;
      prev = table.lines[table.lines.length - 1]!;
      i = table.to;
      continue;
    }
    const line = all[i]!;
    const start = startOf(line.text);
    if (start?.kind === "continued") {
      stats.continued++;
      continue;
    }
    if (start?.kind === "toc") {
      // The entry this line ends started a block of its own: all of it is the table of contents.
      if (current && !startsBlock(line, null)) {
        stats.toc += (current as { lines: PdfLine[] }).lines.length;
        current = null;
      } else close();
      stats.toc++;
      prev = line;
      continue;
    }
    if (startsBlock(line, start)) {
      close();
      current = { start, lines: [line], texts: [restOf(start, line.text)] };
    } else {
      current!.lines.push(line);
      current!.texts.push(line.text);
    }
    prev = line;
  }
  close();
  return { blocks, stats };
}

function restOf(start: Start | null, text: string): string {
  if (!start) return text;
  switch (start.kind) {
    case "entry":
    case "ml":
    case "label":
    case "note":
    case "dash":
      return start.rest;
    default:
      return text;
  }
}
