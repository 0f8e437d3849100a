import { decodeChunks } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { runSteps } from "../../steps.ts";
import { streamXmlSteps } from "../../xml/stream-xml.ts";

export const PARSER_VERSION = "us.ecfr.ccl/2";

const SUPPLEMENT = /^Supplement No\.\s*1 to Part 774$/i;
const ECCN_LINE = /^([0-9][A-E][0-9]{3})(?![0-9A-Za-z])\s*(.*)$/s;
// "Reason for Control: NS, RS, AT", "LVS: $500", "Related Controls: …" — labelled
// lines of an ECCN's licence requirements and list of items controlled.
const LABELLED_LINE =
  /^(Reason for Control|Control\(s\)|License Requirement Notes?|List Based License Exceptions[^:]*|LVS|GBS|CIV|STA|IEC|ACA|ENC|TSR|NAC\/ACE|Special Conditions for STA|Unit|Related Controls|Related Definitions|Items)\s*:\s*(.*)$/s;
const CATEGORY_HEADING = /^Category\s+(\d)\b/i;
// Elements that only hold other blocks: walk through them.
const CONTAINERS = new Set(["EXTRACT", "NOTE", "NOTES", "DIV", "SECTION", "APPENDIX", "GPH", "SIG", "STARS"]);
const HEADINGS = new Set(["HEAD", "HD1", "HD2", "HD3", "HD4", "HED"]);
const BLOCKS = new Set(["P", "FP", "FP-1", "FP-2", "FP1-2", "FP-DASH", "PSPACE"]);

/**
 * "a.4.b" from "a.4.b. Equipment designed …": paragraph designators alternate
 * lower-case letters and numbers, starting with a letter. A bare number at
 * the start ("1. The 'Minimum Resolvable Feature size' …") is a numbered note.
 */
function designatorOf(text: string): { designator: string; rest: string } | null {
  const m = /^([a-z](?:\.[0-9a-z]{1,3})*)\.(?:\s+|$)(.*)$/s.exec(text);
  if (!m?.[1]) return null;
  const parts = m[1].split(".");
  for (let i = 0; i < parts.length; i++) {
    const isLetter = /^[a-z]$/.test(parts[i]!);
    const isNumber = /^[0-9]{1,3}$/.test(parts[i]!);
    if (i % 2 === 0 ? !isLetter : !isNumber) return null;
  }
  return { designator: m[1], rest: m[2] ?? "" };
}

function succ(part: string): string {
  return /^[0-9]+$/.test(part) ? String(Number(part) + 1) : String.fromCharCode(part.charCodeAt(0) + 1);
}

function after(a: string, b: string): boolean {
  return /^[0-9]+$/.test(a) ? Number(b) > Number(a) : b > a;
}

/**
 * Whether `next` can continue a paragraph sequence after `last`: a child of
 * it (a.1 after a; a skipped or lost first child is tolerated), or a later
 * sibling at any level (a.2 or b after a.1).
 */
export function continuesParagraphs(last: string, next: string): boolean {
  const c = next.split(".");
  const l = last.split(".");
  if (c.length === l.length + 1) return next.startsWith(`${last}.`);
  if (c.length > l.length) return false;
  for (let i = 0; i < c.length - 1; i++) if (c[i] !== l[i]) return false;
  return after(l[c.length - 1]!, c[c.length - 1]!);
}

/** Whether `next` continues a note's own lettered list: the very next item at the same level, or its first child. */
export function continuesNoteList(last: string, next: string): boolean {
  if (next === `${last}.a` || next === `${last}.1`) return true;
  const c = next.split(".");
  const l = last.split(".");
  if (c.length !== l.length) return false;
  for (let i = 0; i < c.length - 1; i++) if (c[i] !== l[i]) return false;
  return succ(l[l.length - 1]!) === c[c.length - 1];
}

/**
 * A piece of an entry's text. Prose (notes, unnumbered blocks) in the list of
 * items is placed when its ECCN is finished: by the paragraphs it names, else
 * after the paragraph it follows (`entry`).
 */
interface Piece {
  entry: Entry;
  text: string;
  prose: boolean;
  /** The first block of a note (of a NOTE element, or one that opens with "Note:", "N.B."). */
  startsNote?: boolean;
}

interface Builder {
  entries: Entry[];
  byKey: Map<string, Entry>;
  warnings: string[];
  eccn: Entry | null;
  paragraph: Entry | null;
  /** Designator of the last real paragraph of the current ECCN. */
  lastDesignator: string | null;
  /** Designator of the last lettered line of a note's own list, while inside one. */
  noteDesignator: string | null;
  /** Depth of NOTE containers around the current block. */
  inNote: number;
  /** A NOTE element opened and none of its blocks read yet. */
  noteOpened: boolean;
  /** False between an ECCN's "License Requirements" heading and its list of items. */
  inItems: boolean;
  category: string | null;
  /** Text pieces of the entries still being read, in document order. */
  pieces: Piece[];
  fields: Map<Entry, Record<string, string>>;
  /** Entries before this index are finished: their text is final. */
  finished: number;
}

/**
 * A copy of a string that holds nothing else: a piece of text read from the
 * document may be a slice that keeps a whole 1 MiB slice of the document alive.
 */
function own(text: string): string {
  return text.length < 13 ? text : ` ${text}`.slice(1);
}

/**
 * Gives the entries read so far their final text and fields, and lets go of
 * their pieces: a large list never holds its pieces and its texts at once.
 */
function finish(b: Builder) {
  const texts = new Map<Entry, string[]>();
  // The pieces are those of one ECCN: a new one finishes the one before.
  const eccn = b.entries[b.finished];
  let runTarget: Entry | null = null;
  for (const piece of b.pieces) {
    let target = piece.entry;
    if (!piece.prose) runTarget = null;
    else {
      // A block that names nothing and continues a note goes where that note
      // went: "For the purposes of 3B001.f.1.b:" and the numbered definitions
      // under it stay together. A new note starts afresh.
      if (piece.startsNote) runTarget = null;
      target = namedTarget(b, eccn, piece) ?? runTarget ?? piece.entry;
      runTarget = target;
    }
    const list = texts.get(target);
    if (list) list.push(piece.text);
    else texts.set(target, [piece.text]);
  }
  b.pieces = [];
  for (; b.finished < b.entries.length; b.finished++) {
    const entry = b.entries[b.finished]!;
    const pieces = texts.get(entry) ?? [];
    entry.text = pieces.length === 1 ? own(pieces[0]!) : pieces.join("\n");
    const fields = b.fields.get(entry);
    b.fields.delete(entry);
    if (fields && Object.keys(fields).length) {
      entry.data = { ...entry.data, ...fields };
      if (fields["Reason for Control"]) entry.data.reasons = fields["Reason for Control"];
    }
  }
}

const DESIGNATOR = String.raw`[a-z](?:\.[0-9a-z]{1,3})*`;
const LIST_STEP = String.raw`\s*(?:,|,?\s*and|,?\s*or|to|through)\s+\.?`;
// After "3B001.c, and", a bare "a" is more likely the article than paragraph a.
const NOT_ARTICLE = String.raw`(?!a\s+(?!and\b|or\b|to\b|through\b|of\b|in\b)[A-Za-z"“‘(])`;
const LISTED = `${LIST_STEP}${NOT_ARTICLE}${DESIGNATOR}(?![0-9A-Za-z])`;
// "paragraph c.1 of this ECCN", "paragraphs a and b"; not "paragraph .a of ECCN 3A001" (another
// ECCN's) nor "Note 2 paragraph b", "paragraph a.1 of this Note" (a note's own list).
const PARAGRAPH_WORDS = new RegExp(
  // The word first, the look-behinds after it: a pattern that starts with a
  // look-behind runs it at every position of the text.
  String.raw`\bparagraphs?(?<!\bsee(?: also)? paragraphs?)(?<!\bNote(?: [0-9.a-z]+)? paragraphs?)\s+\.?(${DESIGNATOR}(?![0-9A-Za-z])(?:${LISTED})*)(\s+(?:of|in|to)\s+(?:(?:ECCN\s+)?([0-9][A-E][0-9]{3})\b|(?:this\s+|the\s+)?(?:Technical\s+)?(Note|N\.B\.)))?`,
  "g",
);

const LIST_SEPARATOR = new RegExp(LIST_STEP);
// An ECCN with the paragraphs named after it ("3B001.c.1", "3B001.a.1 to a.3"). One pattern for
// every ECCN: compiling one per ECCN cost more than all the matching.
const ECCN_NAMED = new RegExp(
  String.raw`([0-9][A-E][0-9]{3})(?<![0-9A-Za-z.][0-9A-E]{5})(?<!\bsee(?: also)? [0-9A-E]{5})(?![0-9A-Za-z])((?:\.[0-9a-z]{1,3}(?![0-9A-Za-z]))*)((?:${LISTED})*)`,
  "g",
);

/** "a.4.b" of "a.4.b.Note" or "a.4.b.7x": the longest prefix that is a well-formed designator. */
function wellFormed(designator: string): string {
  const parts = designator.split(".");
  let n = 0;
  while (n < parts.length && (n % 2 === 0 ? /^[a-z]$/ : /^[0-9]{1,3}$/).test(parts[n]!)) n++;
  return parts.slice(0, n).join(".");
}

/**
 * The entries of its own ECCN a note names: "3B001.c.1", "For the purposes of
 * 3B001.r", "3B001.a.1 to a.3, b", "paragraph c.1 of this ECCN", "N.B. to
 * 1C010.a". Only paragraphs the ECCN has count; another ECCN's never do, nor
 * does a pointer ("see 3B991.b.1.j"). The ECCN alone ("3B001 does not
 * control …") names the entry as a whole.
 */
export function namedDesignators(eccn: string, text: string, has: (designator: string) => boolean) {
  const named = new Set<string>();
  let wholeEntry = false;
  // Most prose names neither its ECCN nor a paragraph: no regex work for it.
  if (!text.includes(eccn) && !text.includes("paragraph")) return { designators: [], wholeEntry };
  const list = (found: string) => {
    for (const part of found.split(LIST_SEPARATOR)) {
      const d = wellFormed(part.replace(/^\./, ""));
      if (d && has(d)) named.add(d);
    }
  };
  for (const m of text.matchAll(ECCN_NAMED)) {
    if (m[1] !== eccn) continue;
    if (!m[2]) {
      wholeEntry = true;
      continue;
    }
    list(`${m[2].slice(1)}${m[3] ?? ""}`);
  }
  for (const m of text.matchAll(PARAGRAPH_WORDS)) {
    if ((m[3] && m[3] !== eccn) || m[4]) continue;
    list(m[1]!);
  }
  return { designators: [...named], wholeEntry };
}

/** Where a note that names paragraphs of its ECCN belongs: the deepest entry holding all of them. */
function namedTarget(b: Builder, root: Entry | undefined, piece: Piece): Entry | null {
  if (!piece.prose || !root || root.parentKey !== null || LETTERED_LINE.test(piece.text)) return null;
  const eccn = root.key;
  const { designators, wholeEntry } = namedDesignators(eccn, piece.text, (d) => b.byKey.has(`${eccn}.${d}`));
  if (!designators.length) return wholeEntry ? root : null;
  const chains = designators.map((d) => {
    const chain: string[] = [];
    for (let key: string | null = `${eccn}.${d}`; key !== null; key = b.byKey.get(key)?.parentKey ?? null)
      chain.unshift(key);
    return chain;
  });
  let common = eccn;
  for (let i = 0; chains.every((c) => c[i] !== undefined && c[i] === chains[0]![i]); i++)
    common = chains[0]![i]!;
  return b.byKey.get(common) ?? root;
}

function add(b: Builder, entry: Entry): Entry {
  // A new ECCN: everything before it is complete.
  if (entry.parentKey === null) finish(b);
  if (b.byKey.has(entry.key)) {
    b.warnings.push(`${entry.key} appears twice; the second is kept as ${entry.key}#2`);
    entry.key = `${entry.key}#2`;
  }
  b.entries.push(entry);
  b.byKey.set(entry.key, entry);
  return entry;
}

function appendText(b: Builder, target: Entry, text: string, prose = false) {
  b.pieces.push({ entry: target, text, prose });
}

const NOTE_LABEL = /^(?:Technical\s+)?Notes?\b|^N\.\s?B\./i;

/**
 * A note or unnumbered block among the paragraphs: placed when its ECCN is
 * finished. Prose before the first paragraph (licence requirements, notes
 * to the whole list) stays with the ECCN.
 */
function appendProse(b: Builder, text: string) {
  const startsNote = b.noteOpened || NOTE_LABEL.test(text);
  b.noteOpened = false;
  b.pieces.push({
    entry: b.paragraph ?? b.eccn!,
    text,
    prose: b.inItems && b.paragraph !== null,
    startsNote,
  });
}

// "z.3.a. Pulse discharge capacitors described in 3A001.e.2 …", "b.4. (C.A.S. #683-08-9) …":
// a lettered line is an item of the list it stands in, whatever it mentions.
const LETTERED_LINE = /^[a-z](?:\.[0-9a-z]{1,3})*\.?\s/;

function parentOf(b: Builder, eccn: string, designator: string): string {
  const parts = designator.split(".");
  for (let n = parts.length - 1; n > 0; n--) {
    const key = `${eccn}.${parts.slice(0, n).join(".")}`;
    if (b.byKey.has(key)) return key;
  }
  return eccn;
}

function block(b: Builder, name: string, text: string) {
  if (!text) return;
  const eccnLine = name === "FP-2" || name === "FP1-2" ? ECCN_LINE.exec(text) : null;
  if (eccnLine?.[1]) {
    b.eccn = add(b, {
      key: eccnLine[1],
      parentKey: null,
      heading: eccnLine[2] ?? "",
      text: "",
      data: b.category ? { category: b.category } : {},
    });
    b.fields.set(b.eccn, {});
    b.paragraph = null;
    b.lastDesignator = null;
    b.noteDesignator = null;
    b.inItems = true;
    return;
  }
  if (!b.eccn) return; // Part-level prose before the first ECCN: not a list entry.
  const labelled = LABELLED_LINE.exec(text);
  if (labelled?.[1] && !b.paragraph) {
    const [, label, value = ""] = labelled;
    // A licence requirement note may list lettered cases of its own; the list
    // of items starts again at the next labelled line.
    b.inItems = !/^License Requirement Notes?$/.test(label);
    if (label !== "Items" || value) {
      b.fields.get(b.eccn)![label] = value;
      appendText(b, b.eccn, `${label}: ${value}`);
    }
    return;
  }
  // Lettered lines before the list of items belong to licence requirement notes.
  const d = (name === "P" || name === "FP") && b.inNote === 0 && b.inItems ? designatorOf(text) : null;
  // Notes list their own cases as "a.", "b." in plain <P>s ("1A002 does not
  // control: a. …; b. …"). A designator that does not continue the paragraph
  // sequence starts such a list; the list goes on while its letters run in order.
  // A note's list ends with a full stop ("…; or", "…; and", then "… metal parts.").
  if (d && b.noteDesignator !== null && continuesNoteList(b.noteDesignator, d.designator)) {
    b.noteDesignator = /\.\s*$/.test(d.rest) ? null : d.designator;
    appendProse(b, text);
    return;
  }
  if (d && b.lastDesignator !== null && !continuesParagraphs(b.lastDesignator, d.designator)) {
    b.noteDesignator = /\.\s*$/.test(d.rest) ? null : d.designator;
    appendProse(b, text);
    return;
  }
  if (d) {
    b.lastDesignator = d.designator;
    b.noteDesignator = null;
    const key = `${b.eccn.key}.${d.designator}`;
    b.paragraph = add(b, { key, parentKey: parentOf(b, b.eccn.key, d.designator), heading: null, text: "" });
    appendText(b, b.paragraph, d.rest);
    return;
  }
  // Numbered notes and unnumbered prose carry controlling language: they
  // belong to the paragraphs they name, else to the paragraph they follow (or
  // the ECCN, before any paragraph).
  appendProse(b, text);
}

function heading(b: Builder, text: string) {
  const category = CATEGORY_HEADING.exec(text);
  if (category?.[1]) {
    b.category = category[1];
    b.eccn = null;
    b.paragraph = null;
  }
  if (b.eccn && /^License Requirements/i.test(text)) b.inItems = false;
  if (b.eccn && /^List of Items Controlled/i.test(text)) b.inItems = true;
  // Product-group and section headings are structure only.
}

const TABLES = new Set(["TABLE", "GPOTABLE"]);
const ROWS = new Set(["TR", "ROW"]);
const SKIPPED = new Set(["CITA", "AUTH", "SOURCE", "EDNOTE", "PRTPAGE"]);

/**
 * Reads the supplement as a stream of blocks: headings, paragraphs, table
 * rows. Inline markup inside a block only contributes its text. Nothing is
 * kept of the document but the entries, so the full CCL parses in little
 * more than the tokenizer's time.
 */
function* readSupplement(
  b: Builder,
  text: Iterable<string>,
  fileName: string | undefined,
): Generator<void, string | null> {
  let depth = 0;
  let supplementDepth = 0;
  let found = false;
  let root: string | null = null;
  let capture: { name: string; depth: number; parts: string[]; keep: boolean; heading: boolean } | null =
    null;
  let tableDepth = 0;
  let rowDepth = 0;
  let row: string[] = [];
  let cellDepth = 0;
  let cell: string[] = [];
  const noteDepths: number[] = [];
  yield* streamXmlSteps(
    text,
    {
      open(name, attrs) {
        depth++;
        if (root === null) root = `<${name}${attrs.N ? ` N="${attrs.N}"` : ""}>`;
        if (!supplementDepth) {
          if (!found && /^DIV\d$/.test(name) && SUPPLEMENT.test((attrs.N ?? "").trim())) {
            supplementDepth = depth;
            found = true;
          }
          return;
        }
        if (capture || cellDepth) return; // inline markup: its text flows into the block
        if (rowDepth) {
          cellDepth = depth;
          cell = [];
        } else if (tableDepth) {
          if (ROWS.has(name)) {
            rowDepth = depth;
            row = [];
          }
        } else if (TABLES.has(name)) tableDepth = depth;
        else if (HEADINGS.has(name)) capture = { name, depth, parts: [], keep: true, heading: true };
        else if (BLOCKS.has(name)) capture = { name, depth, parts: [], keep: true, heading: false };
        else if (CONTAINERS.has(name)) {
          if (name === "NOTE" || name === "NOTES") {
            noteDepths.push(depth);
            b.inNote++;
            b.noteOpened = true;
          }
        } else if (SKIPPED.has(name)) capture = { name, depth, parts: [], keep: false, heading: false };
        else {
          b.warnings.push(
            `unexpected <${name}>${b.eccn ? ` in ${b.eccn.key}` : ""}; its text was kept as prose`,
          );
          capture = { name, depth, parts: [], keep: true, heading: false };
        }
      },
      text(t) {
        if (cellDepth) cell.push(t);
        else if (capture?.keep) capture.parts.push(t);
      },
      close() {
        const closing = depth--;
        if (!supplementDepth) return;
        if (closing === supplementDepth) {
          supplementDepth = 0;
          return;
        }
        if (cellDepth === closing) {
          row.push(normalizeText(cell.join("")));
          cellDepth = 0;
        } else if (rowDepth === closing) {
          if (b.eccn && row.some(Boolean)) appendText(b, b.eccn, row.join(" | "));
          rowDepth = 0;
        } else if (tableDepth === closing) {
          tableDepth = 0;
        } else if (capture?.depth === closing) {
          const { name, parts, keep, heading: isHeading } = capture;
          capture = null;
          if (!keep) return;
          const blockText = normalizeText(parts.join(""));
          if (isHeading) heading(b, blockText);
          else block(b, name, blockText);
        } else if (noteDepths[noteDepths.length - 1] === closing) {
          noteDepths.pop();
          b.inNote--;
        }
      },
    },
    { fileName },
  );
  return found ? null : (root ?? "no root");
}

/**
 * The Commerce Control List (Supplement No. 1 to 15 CFR Part 774) from eCFR
 * versioner XML. One entry per ECCN ("3B001": heading, reasons for control,
 * licence exceptions, country-chart rows, related controls) and one per
 * lettered or numbered paragraph ("3B001.c.1.a"), each with its own text and
 * the notes that follow it.
 */
/** What a CCL snapshot records about the document as a whole. */
export interface CclMeta extends Record<string, unknown> {
  /** The version date in the address it was fetched from (`/full/<date>/`), if any. */
  versionDate: string | null;
  eccns: number;
}

export type CclSnapshot = ParsedSnapshot<ListSnapshot, CclMeta>;

export function parseCommerceControlList(input: ParseInput): CclSnapshot {
  return runSteps(parseCommerceControlListSteps(input));
}

/** `parseCommerceControlList` a slice of the document at a time: the decoded text is never held whole. */
export function* parseCommerceControlListSteps(input: ParseInput): Generator<void, CclSnapshot> {
  const { chunks } = decodeChunks(input.body, input.contentType);
  const b: Builder = {
    entries: [],
    byKey: new Map(),
    warnings: [],
    eccn: null,
    paragraph: null,
    lastDesignator: null,
    noteDesignator: null,
    inNote: 0,
    noteOpened: false,
    inItems: true,
    category: null,
    pieces: [],
    fields: new Map(),
    finished: 0,
  };
  const missing = yield* readSupplement(b, chunks, input.url ?? undefined);
  if (missing) {
    throw new SourceShapeChangedError(
      `no <DIV9 N="Supplement No. 1 to Part 774"> in the document (root ${missing})`,
    );
  }
  finish(b);
  const versionDate = /\/full\/(\d{4}-\d{2}-\d{2})\//.exec(input.url ?? "")?.[1] ?? null;
  return {
    kind: "list",
    meta: { versionDate, eccns: b.entries.filter((e) => e.parentKey === null).length },
    warnings: b.warnings,
    entries: b.entries,
  };
}
