import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import { calendarDate, MONTHS, monthNumber } from "../dates.ts";
import type { ParsedSnapshot, ParseInput } from "../define-source.ts";
import { uniqueKey } from "../entry-keys.ts";
import { runSteps } from "../steps.ts";
import { firstLabel, type Label, labelOrder, placeLabel, successor } from "../wassenaar-labels.ts";
import { type Block, blocksOf, inCapitals, type NoteSlug, type Start, startOf } from "./blocks.ts";
import { type PdfInfo, type PdfLimits, type PdfText, readPdfTextSteps } from "./pdf-text.ts";
import { plainDigits } from "./words.ts";

// 2: superscripts in Unicode ("10⁻⁶", not "10^-6"), tables read row by row, a group heading printed
// on the line before it cut off, words broken at a line end joined by what the document prints.
export const PARSER_VERSION = "wa.wassenaar.lists/2";

// ---------------------------------------------------------------------------
// Labels and their order.
// ---------------------------------------------------------------------------

function labelOf(raw: string): Label | null {
  if (/^[a-z]$/.test(raw)) return { value: raw, type: "letter" };
  if (/^\d{1,2}$/.test(raw)) return { value: String(Number(raw)), type: "number" };
  return null;
}

/** x positions printed for one level differ by a few tenths of a point. */
const SAME_X = 2.5;

// ---------------------------------------------------------------------------
// The reader's state.
// ---------------------------------------------------------------------------

interface Node {
  entry: Entry;
  label: Label | null;
  depth: number;
}

interface NoteKind {
  slug: NoteSlug;
  number: string | null;
  label: string;
}

interface OpenNote {
  entry: Entry;
  kind: NoteKind;
  owner: string;
  depth: number;
  /** Whether the note announces a list of its own ("does not control:"), and where that list is. */
  listOpen: boolean;
  list: { label: Label; depth: number }[];
}

/** A part of the document with numbered entries of its own: the lists, or the Sensitive List annexes. */
interface Numbering {
  /** Put before every key ("" for the lists themselves, "sensitive:" for an annex). */
  prefix: string;
  category: { key: string; digit: string } | null;
  part: { key: string; number: string } | null;
  group: { key: string; code: string } | null;
  /** The last entry number read: numbers only go up (a number seen again is a reference, not an entry). */
  lastCode: string | null;
  lastMl: number;
  munitions: string | null;
}

interface Build {
  entries: Entry[];
  byKey: Map<string, Entry>;
  depthOf: Map<string, number>;
  /** Paragraphs placed under each key so far. */
  childCount: Map<string, number>;
  warnings: string[];
  numbering: Numbering;
  numberings: Map<string, Numbering>;
  /** The section outside the lists the text stands in (general notes, definitions …), when it does. */
  section: { key: string; definitions: boolean } | null;
  definition: Entry | null;
  path: Node[];
  note: OpenNote | null;
  notes: { note: OpenNote; entryKey: string | null }[];
  holder: Entry | null;
  /** The entry a part in capitals (a table, its notes) stands in, until the next entry or heading. */
  subRoot: Entry | null;
  runningOf: (page: number) => string[];
  footnotes: Map<string, Entry>;
}

function slug(text: string): string {
  return (
    text
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 60)
      .replace(/-$/, "") || "section"
  );
}

function add(b: Build, entry: Entry, depth: number | null = null): Entry {
  entry.key = uniqueKey(entry.key, b.byKey, b.warnings);
  b.entries.push(entry);
  b.byKey.set(entry.key, entry);
  if (depth !== null) b.depthOf.set(entry.key, depth);
  return entry;
}

const append = (entry: Entry, text: string) => {
  if (text) entry.text = entry.text ? `${entry.text}\n${text}` : text;
};

function closeEntry(b: Build): void {
  b.path = [];
  b.note = null;
  b.definition = null;
  b.subRoot = null;
}

function numberingFor(b: Build, prefix: string): Numbering {
  let n = b.numberings.get(prefix);
  if (!n) {
    n = { prefix, category: null, part: null, group: null, lastCode: null, lastMl: 0, munitions: null };
    b.numberings.set(prefix, n);
  }
  return n;
}

// ---------------------------------------------------------------------------
// Headings and sections.
// ---------------------------------------------------------------------------

/** Headings that end the lists' categories: what follows them is not an entry's text. */
const SECTION_BREAK =
  /\b(?:DEFINITIONS?|ACRONYMS?|ABBREVIATIONS|MUNITIONS\s+LIST|SENSITIVE\s+LIST|STATEMENTS?\s+OF\s+UNDERSTANDING|UPDATE|SUMMARY|GENERAL\s+(?:NOTES?|TECHNOLOGY|SOFTWARE)|ANNEX|APPENDIX)\b/i;
const VERY_SENSITIVE = /\bVERY\s+SENSITIVE\s+LIST\b/i;
const SENSITIVE = /\bSENSITIVE\s+LIST\b/i;
const MUNITIONS = /\bMUNITIONS\s+LIST\b/i;

function section(b: Build, text: string, depth: number): void {
  // A table's heading row printed again on each page it runs over: one section.
  if (b.section && b.byKey.get(b.section.key)?.heading === text) return;
  closeEntry(b);
  const prefix = VERY_SENSITIVE.test(text) ? "very-sensitive:" : SENSITIVE.test(text) ? "sensitive:" : "";
  b.numbering = numberingFor(b, prefix);
  b.numbering.category = null;
  b.numbering.part = null;
  b.numbering.group = null;
  const entry = add(
    b,
    { key: `${prefix}sec.${slug(text)}`, parentKey: null, heading: text, text: "" },
    depth,
  );
  b.section = { key: entry.key, definitions: /\bDEFINITIONS?\b/i.test(text) };
  if (MUNITIONS.test(text) && !prefix) b.numbering.munitions = entry.key;
  b.holder = entry;
}

function category(b: Build, digit: string, title: string, depth: number, heading: string): void {
  closeEntry(b);
  const n = b.numbering;
  const key = `${n.prefix}cat.${digit}`;
  b.section = null;
  n.category = { key, digit };
  n.part = null;
  n.group = null;
  b.holder = add(
    b,
    { key, parentKey: null, heading: heading || `CATEGORY ${digit}${title ? ` - ${title}` : ""}`, text: "" },
    depth,
  );
}

function part(b: Build, number: string, heading: string, depth: number): void {
  const n = b.numbering;
  if (!n.category) {
    holderText(b, heading);
    return;
  }
  closeEntry(b);
  const key = `${n.category.key}.part.${number}`;
  n.part = { key, number };
  n.group = null;
  // Part 2 numbers its entries afresh (5A002 after 5E001).
  n.lastCode = null;
  b.holder = add(b, { key, parentKey: n.category.key, heading, text: "" }, depth);
}

function group(
  b: Build,
  start: Extract<Start, { kind: "group" }>,
  heading: string,
  depth: number,
  page: number,
): void {
  const n = b.numbering;
  if (n.category?.digit !== start.digit && !impliedCategory(b, start.digit, page, depth)) {
    holderText(b, heading);
    return;
  }
  closeEntry(b);
  b.section = null;
  const partNumber = start.part ?? n.part?.number ?? "";
  const key = `${n.category!.key}.${start.letter}${partNumber}`;
  n.group = { key, code: `${start.digit}${start.letter}` };
  b.holder = add(b, { key, parentKey: n.part?.key ?? n.category!.key, heading, text: "" }, depth);
}

/**
 * A category whose heading the body does not print (only the running header
 * names it): opened from that header when an entry of it arrives. Only
 * forward: a category number lower than the open one is not a category.
 */
function impliedCategory(b: Build, digit: string, page: number, depth: number): boolean {
  const n = b.numbering;
  if (n.category && n.category.digit >= digit) return false;
  const header = b.runningOf(page).find((t) => new RegExp(`\\bCATEGORY\\s+${digit}\\b`, "i").test(t));
  // Past an open category, only the page's own header can say a new one began: a number alone may be a reference.
  if (n.category && !header && !n.prefix) return false;
  b.warnings.push(
    `${n.prefix}cat.${digit}: no category heading before its first entry; ${header ? `named from the page header "${header}"` : "opened without a heading"}`,
  );
  category(b, digit, "", depth, header ? header.replace(/^.*?\b(CATEGORY\s+\d)/i, "$1") : "");
  return true;
}

/** Text outside any entry: the open note's, the definition's, the section's or heading's. */
function holderText(b: Build, text: string): void {
  const owner =
    b.note?.entry ?? b.path[b.path.length - 1]?.entry ?? b.definition ?? b.holder ?? startEntry(b);
  append(owner, text);
}

/** Text before any heading: kept in an entry of its own, never dropped. */
function startEntry(b: Build): Entry {
  b.holder = add(b, { key: `${b.numbering.prefix}sec.start`, parentKey: null, heading: null, text: "" });
  return b.holder;
}

// ---------------------------------------------------------------------------
// Entries and paragraphs.
// ---------------------------------------------------------------------------

function entry(b: Build, block: Block, start: Extract<Start, { kind: "entry" }>): void {
  const n = b.numbering;
  const { code } = start;
  if (start.path.length) {
    designatedParagraph(b, block, start);
    return;
  }
  if (n.lastCode !== null && code <= n.lastCode) {
    // A number at the start of a line that is not the next entry: a reference (a table of changes).
    holderText(b, `${start.printed} ${block.text}`.trim());
    return;
  }
  const digit = code[0]!;
  if (n.category?.digit !== digit && !impliedCategory(b, digit, block.page, block.x)) {
    b.warnings.push(`${n.prefix}${code} stands after category ${n.category?.digit}; kept as text`);
    holderText(b, `${start.printed} ${block.text}`.trim());
    return;
  }
  closeEntry(b);
  b.section = null;
  n.lastCode = code;
  const groupOk = n.group && code.startsWith(n.group.code);
  // Annexes name entries without their group headings.
  if (!groupOk && !n.prefix)
    b.warnings.push(`${code} stands outside its group heading (${code.slice(0, 2)})`);
  const parentKey = groupOk ? n.group!.key : (n.part?.key ?? n.category!.key);
  // "9E101 a. …": the entry's first paragraph printed on its line.
  const inline = /^(?:\(([a-z]|\d{1,2})\)|([a-z]|\d{1,2})[.)])\s+(\S.*)$/s.exec(block.text);
  const data: Record<string, unknown> = { category: digit };
  if (start.printed !== code) data.designator = start.printed;
  const e = add(
    b,
    { key: `${n.prefix}${code}`, parentKey, heading: inline ? "" : block.text, text: "", data },
    block.x,
  );
  b.path = [{ entry: e, label: null, depth: block.x }];
  b.holder = e;
  if (inline) {
    const label = inline[1] ?? inline[2]!;
    item(b, { ...block, x: block.x + 1, text: inline[3]! }, label);
  }
}

/** A WA paragraph printed with its whole designator ("3.A.1.a.2."): its place is in its number. */
function designatedParagraph(b: Build, block: Block, start: Extract<Start, { kind: "entry" }>): void {
  const n = b.numbering;
  const entryKey = `${n.prefix}${start.code}`;
  if (!b.byKey.has(entryKey) || b.path[0]?.entry.key !== entryKey) {
    if (n.prefix) annexParagraph(b, block, start);
    else holderText(b, `${start.printed} ${block.text}`.trim());
    return;
  }
  const keys = [entryKey];
  for (const part of start.path) keys.push(`${keys[keys.length - 1]}.${part}`);
  const key = keys[keys.length - 1]!;
  let parentKey = keys[keys.length - 2]!;
  if (!b.byKey.has(parentKey)) {
    const existing = [...keys.slice(0, -1)].reverse().find((k) => b.byKey.has(k))!;
    b.warnings.push(`${key}: paragraph ${parentKey} not printed; kept under ${existing}`);
    parentKey = existing;
  }
  const e = add(
    b,
    { key, parentKey, heading: null, text: block.text, data: { designator: start.printed } },
    block.x,
  );
  b.path = keys
    .filter((k) => b.byKey.has(k))
    .map((k) => ({
      entry: b.byKey.get(k)!,
      label: k === entryKey ? null : labelOf(k.slice(k.lastIndexOf(".") + 1)),
      depth: b.depthOf.get(k) ?? block.x,
    }));
  b.path[b.path.length - 1] = {
    entry: e,
    label: labelOf(start.path[start.path.length - 1]!),
    depth: block.x,
  };
  b.note = null;
}

/**
 * An annex (the Sensitive and Very Sensitive Lists) names paragraphs of the
 * Dual-Use List on their own ("3.B.1.a.1."): each is keyed by its whole
 * number under the annex's category, its entry not being printed there [I].
 */
function annexParagraph(b: Build, block: Block, start: Extract<Start, { kind: "entry" }>): void {
  const n = b.numbering;
  const digit = start.code[0]!;
  if (n.category?.digit !== digit && !impliedCategory(b, digit, block.page, block.x)) {
    holderText(b, `${start.printed} ${block.text}`.trim());
    return;
  }
  closeEntry(b);
  const key = `${n.prefix}${start.code}.${start.path.join(".")}`;
  const e = add(
    b,
    {
      key,
      parentKey: n.category!.key,
      heading: block.text,
      text: "",
      data: { category: digit, designator: start.printed },
    },
    block.x,
  );
  b.path = [{ entry: e, label: null, depth: block.x }];
  b.holder = e;
}

function munitions(b: Build, block: Block, start: Extract<Start, { kind: "ml" }>): void {
  const n = numberingFor(b, "");
  const number = Number(start.number);
  if (b.numbering !== n || number <= n.lastMl) {
    // An ML number in an annex, or one not after the last: a reference, not an entry.
    holderText(b, `${start.printed} ${block.text}`.trim());
    return;
  }
  closeEntry(b);
  b.section = null;
  n.lastMl = number;
  n.category = null;
  n.part = null;
  n.group = null;
  const key = `ML${number}`;
  const data: Record<string, unknown> = { list: "munitions" };
  if (start.printed !== key) data.designator = start.printed;
  const e = add(b, { key, parentKey: n.munitions, heading: block.text, text: "", data }, block.x);
  b.path = [{ entry: e, label: null, depth: block.x }];
  b.holder = e;
}

/**
 * Where a labelled paragraph goes: a child of the deepest paragraph (its
 * label the type that level takes), or the next sibling of a paragraph on the
 * current path (same type, later label). Indentation decides first; the exact
 * next label ("b" after "a", "a" as a first child) before a later one (a
 * paragraph deleted and skipped); then the deepest.
 */
function place(b: Build, label: Label, depth: number): number | null {
  const top = b.path[b.path.length - 1]!;
  return placeLabel(b.path, label, depth, {
    tolerance: SAME_X,
    deepestHasChildren: () => !!b.childCount.get(top.entry.key),
  });
}

/**
 * Whether a labelled block continues the open note's own list: its first item
 * after the note's lead-in ("does not control:"), the next item of any level
 * of that list printed where that level is printed, or the first item of a
 * level one further in. The list's levels are kept as a path, like the
 * entry's own.
 */
function continuesNote(note: OpenNote, label: Label, depth: number, exactly = false): boolean {
  const list = note.list;
  if (!list.length) {
    if (!note.listOpen || label.value !== firstLabel(label.type) || depth < note.depth - SAME_X) return false;
    list.push({ label, depth });
    return true;
  }
  for (let i = list.length - 1; i >= 0; i--) {
    const at = list[i]!;
    if (Math.abs(depth - at.depth) > SAME_X || at.label.type !== label.type) continue;
    if (labelOrder(label) <= labelOrder(at.label) || (exactly && label.value !== successor(at.label)))
      return false;
    list.length = i;
    list.push({ label, depth });
    return true;
  }
  const last = list[list.length - 1]!;
  if (
    depth > last.depth + SAME_X &&
    label.type !== last.label.type &&
    label.value === firstLabel(label.type)
  ) {
    list.push({ label, depth });
    return true;
  }
  return false;
}

/** The next label of a paragraph on the path, printed where that paragraph is. */
function fitsExactly(b: Build, label: Label, depth: number): boolean {
  return b.path.some(
    (n) =>
      n.label &&
      n.label.type === label.type &&
      label.value === successor(n.label) &&
      Math.abs(depth - n.depth) <= SAME_X,
  );
}

/** Text added to an open note; a lead-in ending in a colon opens (or keeps open) its list. */
function noteText(note: OpenNote, text: string): void {
  append(note.entry, text);
  note.listOpen = note.list.length > 0 || /:\s*$/.test(text);
}

function item(b: Build, block: Block, raw: string, bare = false): void {
  const label = labelOf(raw);
  const shown = bare ? `${raw} ${block.text}` : `${raw}. ${block.text}`.trim();
  const note = b.note;
  if (
    bare &&
    !(label && (fitsExactly(b, label, block.x) || (note && continuesNote(note, label, block.x, true))))
  ) {
    prose(b, shown, block.x);
    return;
  }
  if (!b.path.length || !label) {
    prose(b, shown, block.x);
    return;
  }
  // Printed further in than a note whose list is under way: an item of the note, whatever its label.
  if (
    note &&
    (continuesNote(note, label, block.x) || (note.list.length > 0 && block.x > note.depth + SAME_X))
  ) {
    append(note.entry, shown);
    return;
  }
  const index = place(b, label, block.x);
  const parent = index === null ? null : b.path[index - 1]!.entry;
  if (index === null || b.byKey.has(`${parent!.key}.${label.value}`)) {
    if (note) {
      noteText(note, shown);
      return;
    }
    const at = b.path[b.path.length - 1]!.entry;
    b.warnings.push(
      index === null
        ? `${at.key}: paragraph "${raw}." fits nowhere; kept as text`
        : `${at.key}: paragraph "${raw}." would repeat ${parent!.key}.${label.value}; kept as text`,
    );
    append(at, shown);
    return;
  }
  b.path.length = index;
  const e = add(
    b,
    { key: `${parent!.key}.${label.value}`, parentKey: parent!.key, heading: null, text: block.text },
    block.x,
  );
  b.childCount.set(parent!.key, (b.childCount.get(parent!.key) ?? 0) + 1);
  b.path.push({ entry: e, label, depth: block.x });
  b.note = null;
}

function openNote(b: Build, block: Block, start: Extract<Start, { kind: "note" }>): void {
  // In a part not numbered like the entry (a table's notes), notes are its text: they cannot be
  // keyed by paragraphs it does not have.
  if (b.subRoot && !b.path.length && b.holder) {
    append(b.holder, `${start.label}: ${block.text}`.trim());
    return;
  }
  // An N.B. printed inside an open note's list (under one of its items) is part of that note.
  const open = b.note;
  if (open?.list.length && block.x > open.depth + SAME_X) {
    append(open.entry, `${start.label}: ${block.text}`.trim());
    return;
  }
  // A note stands under the paragraph it follows: the deepest one not indented deeper than the note.
  while (b.path.length > 1 && b.path[b.path.length - 1]!.depth > block.x + SAME_X) b.path.pop();
  const owner = b.path[b.path.length - 1]?.entry ?? b.definition ?? b.holder ?? startEntry(b);
  const kind: NoteKind = { slug: start.slug, number: start.number, label: start.label };
  const e = add(b, {
    key: `${owner.key}.${kind.slug}~${b.entries.length}`,
    parentKey: owner.key,
    heading: null,
    text: block.text,
    data: { note: kind.label },
  });
  const note: OpenNote = {
    entry: e,
    kind,
    owner: owner.key,
    depth: block.x,
    listOpen: block.text === "" || /:\s*$/.test(block.text),
    list: [],
  };
  b.note = note;
  b.notes.push({ note, entryKey: b.path[0]?.entry.key ?? null });
}

/**
 * A defined term: '"Bias" (accelerometer) (7) means …', '"Spread spectrum"
 * radar (6) - see …', '"Airship"' alone on its line; not a sentence that
 * opens with a quoted word ('"Explosives", "pyrotechnics" and … are …').
 */
const DEFINITION =
  /^["“]([^"”]{1,160})["”]((?:\s+[a-z][\w-]*){1,3}(?=\s*\())?\s*(?:\(([a-z][a-z -]*)\))?(?=\s*$|\s*\(|\s*[-–:]|\s+(?:means|is|are|refers?|includes?|consists?|see)\b)/;

function prose(b: Build, text: string, depth: number): void {
  if (!text) return;
  // Text printed further left than the note it follows is no longer the note's.
  if (b.note && depth < b.note.depth - SAME_X) b.note = null;
  if (b.note) {
    noteText(b.note, text);
    return;
  }
  if (!b.path.length && b.section?.definitions) {
    const term = DEFINITION.exec(text);
    if (term) {
      const name = `${term[1]!.replace(/\s+/g, " ").trim()}${term[2] ?? ""}${term[3] ? ` (${term[3]})` : ""}`;
      b.definition = add(b, {
        key: `${b.numbering.prefix}def:${name}`,
        parentKey: b.section.key,
        heading: null,
        text,
      });
      b.holder = b.definition;
      return;
    }
    if (b.definition) {
      append(b.definition, text);
      return;
    }
  }
  let owner: Entry | null = null;
  for (let i = b.path.length - 1; i >= 0 && owner === null; i--)
    if (i === 0 || b.path[i]!.depth <= depth + SAME_X) owner = b.path[i]!.entry;
  owner ??= b.holder ?? startEntry(b);
  append(owner, text);
}

/** A defined term, keyed by the term as printed: `def:Bias (accelerometer)`. */
function definition(b: Build, text: string, termText: string): void {
  const term = DEFINITION.exec(termText)!;
  const name = `${term[1]!.replace(/\s+/g, " ").trim()}${term[2] ?? ""}${term[3] ? ` (${term[3]})` : ""}`;
  b.definition = add(b, {
    key: `${b.numbering.prefix}def:${name}`,
    parentKey: b.section!.key,
    heading: null,
    text,
  });
  b.holder = b.definition;
}

/**
 * A heading in capitals standing alone. Within the lists it either ends them
 * (definitions, the Munitions List, an annex), or opens a part of the entry
 * it stands in that is not numbered like it ("TABLE - DEPOSITION TECHNIQUES -
 * NOTES" after 2E301, "TECHNICAL NOTE ON "ADJUSTED PEAK PERFORMANCE"" after
 * 4E001): `2E301.sec.<slug>`, whose numbered notes and lettered items are its
 * text, never paragraphs of the entry. A word in capitals alone is text.
 */
function capitalsHeading(b: Build, block: Block): void {
  const inList = b.numbering.category !== null || b.path.length > 0 || b.numbering.lastMl > 0;
  if (!inList || SECTION_BREAK.test(block.text)) {
    section(b, block.text, block.x);
    return;
  }
  const root = b.subRoot ?? b.path[0]?.entry ?? null;
  if (!root || (block.text.match(/\p{L}{3,}/gu) ?? []).length < 2) {
    holderText(b, block.text);
    return;
  }
  closeEntry(b);
  b.subRoot = root;
  b.holder = add(
    b,
    { key: `${root.key}.sec.${slug(block.text)}`, parentKey: root.key, heading: block.text, text: "" },
    block.x,
  );
}

// ---------------------------------------------------------------------------
// Notes keyed by what they name.
// ---------------------------------------------------------------------------

/** Numbers a note may name: "3A001.a.1", "3.A.1.a.1.", "ML4.b.2.". */
const NAMED =
  /\b(?:(\d[A-E]\d{3})((?:\.[a-z0-9]{1,3})*)|(\d)\.([A-E])\.(\d{1,3})\.((?:[a-z0-9]{1,3}\.)*)|(ML\d{1,2})((?:\.[a-z0-9]{1,3})*))/g;
const POINTER = /\bsee(?:\s+also)?(?:\s+\S+){0,2}\s*$/i;
/** Words a note may open with before the number it is about: "In 0A001.h. …", "For the purposes of 5A002.a., …". */
const SUBJECT_LEAD = /^(?:In|For the purposes? of|The)\s+$/i;

function namedKeys(text: string, prefix: string): { entry: string; key: string; at: number }[] {
  const out: { entry: string; key: string; at: number }[] = [];
  for (const m of text.matchAll(NAMED)) {
    let entryKey: string;
    let rest: string;
    if (m[1]) [entryKey, rest] = [m[1], m[2] ?? ""];
    else if (m[3])
      [entryKey, rest] = [`${m[3]}${m[4]}${m[5]!.padStart(3, "0")}`, `.${m[6] ?? ""}`.replace(/\.$/, "")];
    else [entryKey, rest] = [m[7]!, m[8] ?? ""];
    out.push({ entry: `${prefix}${entryKey}`, key: `${prefix}${entryKey}${rest}`, at: m.index });
  }
  return out;
}

/**
 * A note belongs to what it names, not to where it stands: "Note: 3A001.a.1
 * does not control …" under 3A001.a.1.b is 3A001.a.1's note. It joins the
 * deepest paragraph holding all it names of its own entry; a pointer ("see
 * 3A001.a.7") and another entry's number do not count; a note naming nothing
 * stays where it stands. Then notes are keyed under their owner:
 * `3A001.a.note`, `3A001.a.note.2` for "Note 2", `.nb`, `.technical-note`, a
 * second unnumbered one of a kind `….note.p2`.
 */
function keyNotes(b: Build): void {
  const parentOf = (key: string) => b.byKey.get(key)?.parentKey ?? null;
  const noteKeys = new Set(b.notes.map((n) => n.note.entry.key));
  const chain = (key: string) => {
    const out: string[] = [];
    for (let at: string | null = key; at !== null && !out.includes(at); at = parentOf(at)) out.unshift(at);
    return out;
  };
  const named = new Map<OpenNote, string>();
  for (const { note, entryKey } of b.notes) {
    if (!entryKey) continue;
    const prefix = entryKey.includes(":") ? entryKey.slice(0, entryKey.indexOf(":") + 1) : "";
    const text = note.entry.text;
    const own = namedKeys(text, prefix).filter(
      (n) =>
        n.entry === entryKey &&
        !POINTER.test(text.slice(0, n.at)) &&
        b.byKey.has(n.key) &&
        !noteKeys.has(n.key),
    );
    if (!own.length) continue;
    // "4A003.c. controls only … the limit specified in 4A003.b.": the number the note opens with is its subject.
    const subject = own[0]!.at === 0 || SUBJECT_LEAD.test(text.slice(0, own[0]!.at)) ? own[0]!.key : null;
    let target = entryKey;
    if (subject) target = subject;
    else {
      const chains = own.map((n) => chain(n.key));
      for (let i = 0; chains.every((c) => c[i] !== undefined && c[i] === chains[0]![i]); i++)
        target = chains[0]![i]!;
    }
    if (chain(target).includes(entryKey)) named.set(note, target);
  }
  const used = new Set(b.entries.filter((e) => !noteKeys.has(e.key)).map((e) => e.key));
  const unnumbered = new Map<string, number>();
  const keyUnder = (owner: string, kind: NoteKind, take: boolean): string => {
    const base = `${owner}.${kind.slug}`;
    if (kind.number) return `${base}.${kind.number}`;
    const n = (unnumbered.get(base) ?? 0) + 1;
    if (take) unnumbered.set(base, n);
    return n === 1 ? base : `${base}.p${n}`;
  };
  for (const { note } of b.notes) {
    // Under what it names; where that key is taken (two notes "Note 1" naming 1C450, one after
    // 1C450.a, one after 1C450.b), under the paragraph it stands after.
    const byName = named.get(note);
    let owner = byName ?? note.owner;
    if (byName && byName !== note.owner && used.has(keyUnder(byName, note.kind, false))) owner = note.owner;
    let key = keyUnder(owner, note.kind, true);
    key = uniqueKey(key, used, b.warnings);
    used.add(key);
    b.byKey.delete(note.entry.key);
    note.entry.key = key;
    note.entry.parentKey = owner;
    note.owner = owner;
    b.byKey.set(key, note.entry);
  }
}

// ---------------------------------------------------------------------------
// Blocks to entries.
// ---------------------------------------------------------------------------

/** A definition printed after the entries it serves: "ML8, 10, 14 \"Aircraft\"" (the EU Common Military List's layout). */
const DEFINITION_AFTER_REFS = /^(?:ML\s?)?\d{1,2}(?:\s*,\s*\d{1,2})*\s+(?=["“])/;

function readBlock(b: Build, block: Block): void {
  const s = block.start;
  if (b.section?.definitions && !b.path.length && s?.kind !== "note") {
    const refs = DEFINITION_AFTER_REFS.exec(block.full);
    if (refs && DEFINITION.test(block.full.slice(refs[0].length))) {
      b.note = null;
      definition(b, block.full, block.full.slice(refs[0].length));
      return;
    }
  }
  const whole = () => block.lines.map((l) => l.text).join(" ");
  switch (s?.kind) {
    case "category": {
      const n = b.numbering;
      if (s.part && n.category?.digit === s.digit) part(b, s.part, whole(), block.x);
      else if (!n.category || s.digit > n.category.digit || b.section) {
        if (n.category && s.digit <= n.category.digit) holderText(b, whole());
        else {
          category(b, s.digit, s.title, block.x, whole());
          if (s.part) part(b, s.part, whole(), block.x);
        }
      } else holderText(b, whole());
      return;
    }
    case "part":
      if (b.numbering.category && !b.note) part(b, s.part, whole(), block.x);
      else prose(b, whole(), block.x);
      return;
    case "group":
      group(b, s, whole(), block.x, block.page);
      return;
    case "entry":
      entry(b, block, s);
      return;
    case "ml":
      munitions(b, block, s);
      return;
    case "note":
      openNote(b, block, s);
      return;
    case "label":
      item(b, block, s.label, s.bare);
      return;
    case "dash":
      prose(b, whole(), block.x);
      return;
    case "table":
      // A grid is not numbered like the entry: its rows are the text of what it stands in.
      holderText(b, block.text);
      return;
    default:
      if (block.lines.length <= 3 && inCapitals(block.text) && !/[.;:,]$/.test(block.text)) {
        capitalsHeading(b, block);
        return;
      }
      prose(b, block.text, block.x);
  }
}

export interface ListCounts {
  categories: number;
  entries: number;
  paragraphs: number;
  notes: number;
  definitions: number;
  munitions: number;
  sensitive: number;
  byCategory: Record<string, number>;
}

export interface ReadList {
  entries: Entry[];
  warnings: string[];
  counts: ListCounts;
  dropped: { running: number; footnotes: number; toc: number; continued: number };
}

/**
 * The entries of a Wassenaar-numbered list read from a PDF's lines, keyed
 * Wassenaar-style whether the PDF prints "3A001" (the EU's Annex I, national
 * lists) or "3.A.1." (the Wassenaar Arrangement itself):
 *
 * - category headings `cat.3`, Category 5's parts `cat.5.part.2`, group
 *   headings `cat.3.A` (`cat.5.A2` in Part 2), with their heading;
 * - entries `3A001` (heading: the entry's own words), paragraphs `3A001.a`,
 *   `3A001.a.1`, `3A001.a.1.a` placed by their labels (letters and numbers
 *   alternate level by level) and by how far in they are printed;
 * - the Munitions List `ML1`, `ML1.a` …;
 * - notes under what they name (`3A001.a.note.1`, `3A001.nb`,
 *   `3A001.technical-note`), see `keyNotes`;
 * - sections outside the lists (general notes, acronyms) as `sec.<slug>`,
 *   each definition as `def:<term>`, the Sensitive and Very Sensitive List
 *   annexes with their own keys (`sensitive:3A001.a`);
 * - footnotes once each, as `footnote.<slug>`.
 *
 * Every word of the body lands in some entry: a line the reader does not
 * understand is text of the nearest entry, never dropped. What is dropped is
 * counted: running headers and footers, the table of contents, "… continued".
 */
export function* readListSteps(text: PdfText): Generator<void, ReadList> {
  const { blocks, stats } = yield* blocksOf(text);
  const running = new Map(text.pages.map((p) => [p.number, p.running.map((l) => l.text)]));
  const b: Build = {
    entries: [],
    byKey: new Map(),
    depthOf: new Map(),
    childCount: new Map(),
    warnings: [],
    numbering: null as unknown as Numbering,
    numberings: new Map(),
    section: null,
    definition: null,
    path: [],
    note: null,
    notes: [],
    holder: null,
    subRoot: null,
    runningOf: (page) => running.get(page) ?? [],
    footnotes: new Map(),
  };
  b.numbering = numberingFor(b, "");
  let i = 0;
  for (const block of blocks) {
    readBlock(b, block);
    if (++i % 500 === 0) yield;
  }
  keyNotes(b);
  for (const page of text.pages)
    for (const note of page.footnotes) {
      // Keyed by its words and its mark written plain ("¹ https://…" is `footnote.1-https-…`).
      const key = `footnote.${slug(plainDigits(note))}`;
      if (!b.byKey.has(key))
        add(b, { key, parentKey: null, heading: null, text: note, data: { page: page.number } });
    }
  const isEntry = (e: Entry) => /^(?:[a-z-]+:)?\d[A-E]\d{3}$/.test(e.key);
  const byCategory: Record<string, number> = {};
  for (const e of b.entries) {
    const m = /^(\d)[A-E]\d{3}(?:\.|$)/.exec(e.key);
    if (m) byCategory[m[1]!] = (byCategory[m[1]!] ?? 0) + 1;
  }
  const counts: ListCounts = {
    categories: b.entries.filter((e) => /^cat\.\d$/.test(e.key)).length,
    entries: b.entries.filter(isEntry).length,
    paragraphs: b.entries.filter((e) => /^\d[A-E]\d{3}\./.test(e.key) && !e.data?.note).length,
    notes: b.entries.filter((e) => e.data?.note).length,
    definitions: b.entries.filter((e) => /^def:/.test(e.key)).length,
    munitions: b.entries.filter((e) => /^ML\d{1,2}$/.test(e.key)).length,
    sensitive: b.entries.filter((e) => /^(?:very-)?sensitive:\d/.test(e.key)).length,
    byCategory,
  };
  return {
    entries: b.entries,
    warnings: b.warnings,
    counts,
    dropped: {
      running: text.stats.running,
      footnotes: text.stats.footnotes,
      toc: stats.toc,
      continued: stats.continued,
    },
  };
}

export function readList(text: PdfText): ReadList {
  return runSteps(readListSteps(text));
}

// ---------------------------------------------------------------------------
// The Wassenaar Arrangement's list: its title page, and the snapshot.
// ---------------------------------------------------------------------------

/** "WA-LIST (24) 1", "WA-LIST (25) 1 Corr." */
const DESIGNATION = /\bWA-LIST\s*\(\s*(\d{2})\s*\)\s*(\d{1,2})(\s*Corr(?:\.|igendum)?)?/i;
/** The WA writes its dates day first: "05-12-2024" [I: the running footers of WA-LIST (25) 1 Corr. read "15-01-2026"]. */
const NUMERIC_DATE = /\b(\d{1,2})[-./](\d{1,2})[-./](\d{4})\b/g;
const WORDED_DATE = new RegExp(`\\b(\\d{1,2})\\s+(${MONTHS.en.join("|")})\\s+(\\d{4})\\b`, "g");
export const LIST_TITLE = "List of Dual-Use Goods and Technologies and Munitions List";

export interface TitlePage {
  designation: string | null;
  year: number | null;
  corrigendum: boolean;
  /** The list's date, YYYY-MM-DD. */
  date: string | null;
  title: string | null;
  warnings: string[];
}

function datesIn(text: string, warnings: string[]): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(NUMERIC_DATE)) {
    const date = calendarDate(Number(m[3]), Number(m[2]), Number(m[1]));
    if (date) out.push(date);
    else warnings.push(`"${m[0]}" is not a day of the calendar; not taken as the list's date`);
  }
  for (const m of text.matchAll(WORDED_DATE)) {
    const date = calendarDate(Number(m[3]), monthNumber("en", m[2]!), Number(m[1]));
    if (date) out.push(date);
    else warnings.push(`"${m[0]}" is not a day of the calendar; not taken as the list's date`);
  }
  return out;
}

/**
 * What the list says it is: its designation ("WA-LIST (24) 1"), its date and
 * title, from its first pages (running headers included: the WA repeats the
 * designation and date in them [I]). The date on the title page wins; else
 * the date most running footers carry.
 */
export function readTitlePage(text: PdfText): TitlePage {
  const warnings: string[] = [];
  const pageText = (n: number) => {
    const page = text.pages[n];
    return page ? [...page.running, ...page.lines].map((l) => l.text).join("\n") : "";
  };
  const opening = [0, 1, 2].map(pageText).join("\n");
  const d = DESIGNATION.exec(opening);
  const designation = d ? `WA-LIST (${d[1]}) ${d[2]}${d[3] ? " Corr." : ""}` : null;
  const year = d ? 2000 + Number(d[1]) : null;
  let date = datesIn(pageText(0), warnings)[0] ?? null;
  if (!date) {
    const counts = new Map<string, number>();
    for (const page of text.pages)
      for (const line of page.running)
        for (const found of datesIn(line.text, [])) counts.set(found, (counts.get(found) ?? 0) + 1);
    date = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
  }
  if (date && year && (Number(date.slice(0, 4)) < year || Number(date.slice(0, 4)) > year + 1))
    warnings.push(`${designation} is dated ${date}: not the designation's year or the next`);
  const flat = opening.replace(/\s+/g, " ");
  const title = new RegExp(LIST_TITLE.replace(/[-]/g, "[-‐‑]").replace(/ /g, "\\s*"), "i").test(flat)
    ? LIST_TITLE
    : null;
  return { designation, year, corrigendum: Boolean(d?.[3]), date, title, warnings };
}

export interface WaListMeta extends Record<string, unknown> {
  /** "WA-LIST (24) 1" ("… Corr." for a corrected edition). */
  designation: string;
  corrigendum: boolean;
  /** The date the list carries, YYYY-MM-DD. */
  listDate: string | null;
  title: string | null;
  pages: number;
  pdf: PdfInfo;
  counts: ListCounts;
  dropped: ReadList["dropped"] & { cover: number };
}

export type WaListSnapshot = ParsedSnapshot<ListSnapshot, WaListMeta>;

const WHAT = "Wassenaar Arrangement list PDF";

/**
 * The cover (the first page, when it carries the designation and no entry):
 * its words are the meta (designation, date, title), and as an entry they
 * would change with every edition. Taken out, and counted.
 */
function coverLines(text: PdfText): number {
  const page = text.pages[0];
  if (!page) return 0;
  const all = [...page.running, ...page.lines].map((l) => l.text).join("\n");
  if (!DESIGNATION.test(all)) return 0;
  if (page.lines.some((l) => ["entry", "ml", "category", "group"].includes(startOf(l.text)?.kind ?? "")))
    return 0;
  const n = page.lines.length;
  page.running.push(...page.lines);
  page.lines = [];
  return n;
}

/**
 * The Wassenaar Arrangement's "List of Dual-Use Goods and Technologies and
 * Munitions List" (one PDF holds both lists), as one list snapshot keyed as
 * `readListSteps` says. Refused unless its first pages carry a WA-LIST
 * designation, and unless both lists are there: categories and ML entries.
 */
export function* parseWaListSteps(input: ParseInput, limits?: PdfLimits): Generator<void, WaListSnapshot> {
  const text = yield* readPdfTextSteps(input.body, WHAT, limits);
  const titlePage = readTitlePage(text);
  if (!titlePage.designation)
    throw new SourceShapeChangedError(
      `${WHAT}: no "WA-LIST (YY) N" on its first pages; not the Wassenaar Arrangement's list${text.info.title ? ` ("${text.info.title}")` : ""}`,
    );
  const cover = coverLines(text);
  const read = yield* readListSteps(text);
  if (!read.counts.entries)
    throw new SourceShapeChangedError(
      `${WHAT}: ${titlePage.designation} holds no numbered dual-use entries (1A001 …)`,
    );
  if (!read.counts.munitions)
    throw new SourceShapeChangedError(
      `${WHAT}: ${titlePage.designation} holds no Munitions List entries (ML1 …)`,
    );
  return {
    kind: "list",
    meta: {
      designation: titlePage.designation,
      corrigendum: titlePage.corrigendum,
      listDate: titlePage.date,
      title: titlePage.title,
      pages: text.stats.pages,
      pdf: text.info,
      counts: read.counts,
      dropped: { ...read.dropped, cover },
    },
    warnings: [...text.warnings, ...titlePage.warnings, ...read.warnings],
    entries: read.entries,
  };
}

export function parseWaList(input: ParseInput): WaListSnapshot {
  return runSteps(parseWaListSteps(input));
}

/** Exposed for the reader's tests: what a line starts with. */
export { startOf };
