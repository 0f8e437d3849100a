import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { uniqueKey } from "../../entry-keys.ts";
import { runSteps } from "../../steps.ts";
import { firstLabel, type Label, placeLabel, successor } from "../../wassenaar-labels.ts";
import { childElements, firstChild, type XmlElement } from "../../xml/parse-xml.ts";
import { DUAL_USE_CELEX } from "../cellar-acts/cellar.ts";
import {
  type FormexAmendment,
  type FormexDocument,
  formexStructure,
  formexText,
  readFormexSteps,
  titleText,
} from "./formex.ts";

export const PARSER_VERSION = "eu.cellar.annex-i/1";

/** The act code a consolidation of Regulation (EU) 2021/821 carries in `CONSLEG.REF`. */
export const DUAL_USE_ACT_CODE = DUAL_USE_CELEX.slice(1);

// ---------------------------------------------------------------------------
// Labels.
// ---------------------------------------------------------------------------

/** A Wassenaar-style entry number: category, subcategory, three digits ("3A001", "1A907"). */
const ENTRY = /^(\d)([A-E])(\d{3})$/;
/** An entry written at the start of a paragraph: "3A001 Electronic items as follows:". */
const ENTRY_LINE = /^(\d[A-E]\d{3})\.?\s+(\S.*)$/s;
/** A note's label: "Note:", "Note 2:", "Notes:", "N.B.:", "N.B. 1:", "Technical Note:", "Technical Notes:". */
const NOTE_LABEL = /^(?:(Technical)\s+)?(Notes?)(?:\s+(\d+))?\s*[.:]?$|^(N\.\s?B\.)(?:\s*(\d+))?\s*:?$/i;
/** The same at the start of a paragraph; a colon is required after "Note" so that ordinary prose never matches. */
const NOTE_LINE = /^(?:(Technical)\s+)?(Notes?)(?:\s+(\d+))?\s*:\s*|^(N\.\s?B\.)(?:\s*(\d+))?\s*:?\s*/i;
const CATEGORY_HEADING = /^CATEGORY\s+(\d)\b/i;
const PART_HEADING = /^PART\s+(\d+|[IVX]+)\b/i;
/** "3A Systems, Equipment and Components", "5A2 Systems, equipment and components". */
const SUBCATEGORY_HEADING = /^(\d)([A-E])(\d)?\.?\s+(\p{Lu}.*)$/su;
const DEFINITION_LINE = /^["“‘']([^"”’']{1,160})["”’']/;

/** "a." → a, "1." → 1, "(b)" → b, "12)" → 12; anything else (dashes, bullets, roman numerals) → null. */
function paragraphLabel(raw: string): Label | null {
  const v = raw
    .trim()
    .replace(/^\(/, "")
    .replace(/[.)]+$/, "");
  if (/^[a-z]$/.test(v)) return { value: v, type: "letter" };
  if (/^\d{1,2}$/.test(v)) return { value: v, type: "number" };
  return null;
}

interface NoteKind {
  slug: "note" | "nb" | "technical-note";
  number: string | null;
  label: string;
}

function noteKind(m: RegExpExecArray): NoteKind {
  if (m[4]) return { slug: "nb", number: m[5] ?? null, label: "N.B." };
  const technical = Boolean(m[1]);
  return {
    slug: technical ? "technical-note" : "note",
    number: m[3] ?? null,
    label: `${technical ? "Technical " : ""}${m[2]}${m[3] ? ` ${m[3]}` : ""}`,
  };
}

// ---------------------------------------------------------------------------
// The annex as a stream of blocks.
// ---------------------------------------------------------------------------

/**
 * One piece of the annex in reading order. `depth` counts the list items
 * (`ITEM`) around it: the nesting Formex gives a numbered paragraph, which
 * decides its parent when the labels alone would not ("b." after
 * 3A001.a.1.a may be 3A001.a.1.b or 3A001.b).
 */
type Block =
  | { kind: "heading"; text: string; level: number }
  | { kind: "item"; label: string; text: string; depth: number }
  | { kind: "note"; note: NoteKind; text: string; depth: number }
  | { kind: "prose"; text: string; depth: number; seq: number };

/** Elements that only wrap others; an image is read through its transcription (`IMG.CNT`), when it has one. */
const TRANSPARENT = new Set([
  "CONTENTS",
  "ITEM",
  "DIVISION",
  "CORPUS",
  "BLK",
  "GR.TBL",
  "PARAG",
  "INCL.ELEMENT",
  "IMG.CNT",
]);
/** Footnotes: never text of the list. */
const SKIPPED = new Set(["GR.NOTES", "NOTE", "NO.GR.SEQ"]);

interface Flatten {
  blocks: Block[];
  warnings: string[];
}

function flatten(el: XmlElement, depth: number, seqLevel: number, out: Flatten): void {
  for (const child of el.children) {
    if (typeof child === "string") {
      if (child.trim()) out.blocks.push({ kind: "prose", text: formexText(child), depth, seq: seqLevel });
      continue;
    }
    const name = child.name;
    if (SKIPPED.has(name)) continue;
    if (name === "GR.SEQ") {
      const { ti, sti } = titleText(firstChild(child, "TITLE"));
      const no = formexText(firstChild(child, "NO.GR.SEQ"));
      const text = [no, ti, sti].filter(Boolean).join(" ");
      if (text) out.blocks.push({ kind: "heading", text, level: seqLevel + 1 });
      flatten(withoutTitle(child), depth, seqLevel + 1, out);
    } else if (name === "TITLE") {
      const { ti, sti } = titleText(child);
      const text = [ti, sti].filter(Boolean).join(" ");
      if (text) out.blocks.push({ kind: "heading", text, level: seqLevel + 1 });
    } else if (name === "LIST") {
      for (const item of childElements(child)) {
        if (item.name !== "ITEM") out.warnings.push(`<LIST> holds <${item.name}>, read as text`);
        flatten(item.name === "ITEM" ? item : { ...child, children: [item] }, depth + 1, seqLevel, out);
      }
    } else if (name === "ITEM") {
      flatten(child, depth, seqLevel, out);
    } else if (name === "NP") {
      np(child, depth, seqLevel, out);
    } else if (name === "P" || name === "TXT") {
      paragraph(formexText(child), depth, seqLevel, out);
    } else if (name === "ALINEA") {
      if (childElements(child).some((c) => ["P", "LIST", "NP", "TBL"].includes(c.name)))
        flatten(child, depth, seqLevel, out);
      else paragraph(formexText(child), depth, seqLevel, out);
    } else if (name === "TBL") {
      table(child, depth, seqLevel, out);
    } else if (name === "DLIST") {
      for (const item of childElements(child)) paragraph(formexText(item), depth, seqLevel, out);
    } else if (TRANSPARENT.has(name)) {
      flatten(child, depth, seqLevel, out);
    } else {
      out.warnings.push(`unexpected <${name}> in the annex, read as text`);
      paragraph(formexText(child), depth, seqLevel, out);
    }
  }
}

const withoutTitle = (el: XmlElement): XmlElement => ({
  ...el,
  children: el.children.filter(
    (c) => typeof c === "string" || (c.name !== "TITLE" && c.name !== "NO.GR.SEQ"),
  ),
});

/** A numbered paragraph: `NO.P` and `TXT`, then what follows it inside the `NP` (text, notes, a nested list). */
function np(el: XmlElement, depth: number, seqLevel: number, out: Flatten): void {
  const label = formexText(firstChild(el, "NO.P"));
  const noteLabel = NOTE_LABEL.exec(label);
  if (noteLabel) {
    // A note written as a numbered paragraph holds everything inside it, its own list included.
    const rest = el.children.filter((c) => typeof c === "string" || c.name !== "NO.P");
    out.blocks.push({
      kind: "note",
      note: noteKind(noteLabel),
      text: formexText({ ...el, children: rest }),
      depth,
    });
    return;
  }
  const block: Block = { kind: "item", label, text: formexText(firstChild(el, "TXT")), depth };
  out.blocks.push(block);
  let txtSeen = false;
  for (const c of el.children) {
    if (typeof c === "string") continue;
    if (c.name === "NO.P") continue;
    if (c.name === "TXT" && !txtSeen) {
      txtSeen = true;
      continue;
    }
    const text = c.name === "P" || c.name === "TXT" ? formexText(c) : null;
    // Plain text after the first TXT continues the paragraph; a note or a list is its own block.
    if (text !== null && !NOTE_LINE.test(text) && out.blocks[out.blocks.length - 1] === block) {
      if (text) block.text = `${block.text}\n${text}`;
    } else flatten({ ...el, children: [c] }, depth, seqLevel, out);
  }
}

function paragraph(text: string, depth: number, seq: number, out: Flatten): void {
  if (!text) return;
  const note = NOTE_LINE.exec(text);
  if (note) {
    out.blocks.push({ kind: "note", note: noteKind(note), text: text.slice(note[0].length), depth });
    return;
  }
  const entry = ENTRY_LINE.exec(text);
  if (entry) out.blocks.push({ kind: "item", label: entry[1]!, text: entry[2]!, depth });
  else out.blocks.push({ kind: "prose", text, depth, seq });
}

/**
 * A table: its title and block titles (`TI.BLK`, `STI.BLK`) as text, each row
 * whose first cell is a label ("3A001", "a.") as a numbered paragraph, other
 * rows as text with their cells joined by " | ". Rows may be grouped in `BLK`s.
 */
function table(tbl: XmlElement, depth: number, seq: number, out: Flatten): void {
  const rows = (el: XmlElement) => {
    for (const part of childElements(el)) {
      if (part.name === "GR.NOTES") continue;
      if (part.name === "CORPUS" || part.name === "BLK") rows(part);
      else if (part.name === "ROW") row(part, depth, seq, out);
      else {
        if (!["TITLE", "TI.BLK", "STI.BLK"].includes(part.name))
          out.warnings.push(`unexpected <${part.name}> in a table, read as text`);
        paragraph(formexText(part), depth, seq, out);
      }
    }
  };
  rows(tbl);
}

function row(el: XmlElement, depth: number, seq: number, out: Flatten): void {
  const cells = childElements(el)
    .filter((c) => c.name === "CELL")
    .map((c) => formexText(c));
  const [head = "", ...rest] = cells;
  const tail = rest.filter(Boolean).join(" | ");
  if (tail && (ENTRY.test(head.replace(/\.$/, "")) || paragraphLabel(head)))
    out.blocks.push({ kind: "item", label: head, text: tail, depth });
  else if (tail && NOTE_LABEL.test(head)) paragraph(`${head} ${tail}`, depth, seq, out);
  else if (cells.some(Boolean)) paragraph(cells.filter(Boolean).join(" | "), depth, seq, out);
}

// ---------------------------------------------------------------------------
// Blocks to entries.
// ---------------------------------------------------------------------------

interface Node {
  entry: Entry;
  label: Label | null;
  depth: number;
}

interface OpenNote {
  entry: Entry;
  kind: NoteKind;
  /** The entry or paragraph it follows. */
  owner: string;
  depth: number;
  /** Whether the note announces a list of its own ("does not control:"), and where that list is. */
  listOpen: boolean;
  list: { label: Label; depth: number }[];
}

interface Build {
  entries: Entry[];
  byKey: Map<string, Entry>;
  warnings: string[];
  category: { key: string; digit: string; level: number } | null;
  part: string | null;
  subcategory: { key: string; prefix: string } | null;
  sections: { key: string; level: number; definitions: boolean }[];
  definition: Entry | null;
  path: Node[];
  note: OpenNote | null;
  /** Each note, in order, with the entry it stands in, for keying once every paragraph is known. */
  notes: { note: OpenNote; entryKey: string | null }[];
  /** What text outside any entry belongs to: the last heading, section or definition. */
  holder: Entry | null;
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

function add(b: Build, entry: Entry): Entry {
  entry.key = uniqueKey(entry.key, b.byKey, b.warnings);
  b.entries.push(entry);
  b.byKey.set(entry.key, entry);
  return entry;
}

const append = (entry: Entry, text: string) => {
  if (text) entry.text = entry.text ? `${entry.text}\n${text}` : text;
};

function closeEntry(b: Build): void {
  b.path = [];
  b.note = null;
  b.definition = null;
}

function heading(b: Build, text: string, level: number): void {
  const category = CATEGORY_HEADING.exec(text);
  if (category) {
    closeEntry(b);
    const digit = category[1]!;
    const key = `cat.${digit}`;
    b.category = { key, digit, level };
    b.part = null;
    b.subcategory = null;
    b.sections = [];
    b.holder = add(b, { key, parentKey: null, heading: text, text: "" });
    return;
  }
  if (b.category && level > b.category.level) {
    const part = PART_HEADING.exec(text);
    const sub = SUBCATEGORY_HEADING.exec(text);
    if (part) {
      closeEntry(b);
      b.part = `${b.category.key}.part.${part[1]}`;
      b.subcategory = null;
      b.holder = add(b, { key: b.part, parentKey: b.category.key, heading: text, text: "" });
      return;
    }
    if (sub && sub[1] === b.category.digit) {
      closeEntry(b);
      const key = `${b.category.key}.${sub[2]}${sub[3] ?? ""}`;
      b.subcategory = { key, prefix: `${sub[1]}${sub[2]}` };
      b.holder = add(b, { key, parentKey: b.part ?? b.category.key, heading: text, text: "" });
      return;
    }
    // Any other heading inside a category ("Technical Notes" over a group of entries) is text there.
    const owner = b.note?.entry ?? b.path[b.path.length - 1]?.entry ?? b.holder;
    if (owner) append(owner, text);
    return;
  }
  // A heading outside the categories: the general notes, definitions, acronyms.
  closeEntry(b);
  b.category = null;
  b.part = null;
  b.subcategory = null;
  while (b.sections.length && b.sections[b.sections.length - 1]!.level >= level) b.sections.pop();
  const parent = b.sections[b.sections.length - 1] ?? null;
  const key = `${parent ? `${parent.key}.` : "sec."}${slug(text)}`;
  const entry = add(b, { key, parentKey: parent?.key ?? null, heading: text, text: "" });
  b.sections.push({ key: entry.key, level, definitions: /\bdefinitions?\b/i.test(text) });
  b.holder = entry;
}

function rootEntry(b: Build, code: string, text: string, depth: number): void {
  closeEntry(b);
  const digit = code[0]!;
  let parentKey: string | null = null;
  if (b.subcategory && code.startsWith(b.subcategory.prefix)) parentKey = b.subcategory.key;
  else if (b.category?.digit === digit) parentKey = b.part ?? b.category.key;
  if (!parentKey || !b.subcategory || !code.startsWith(b.subcategory.prefix))
    b.warnings.push(`${code} stands outside its category or subcategory heading`);
  const entry = add(b, { key: code, parentKey, heading: text, text: "", data: { category: digit } });
  b.path = [{ entry, label: null, depth }];
  b.holder = entry;
}

/**
 * Where a numbered paragraph goes: a child of the deepest paragraph (its
 * label the type that level takes), or the next sibling of a paragraph on the
 * current path (same type, later label). Nesting decides first; the exact
 * next label ("b" after "a", "a" as a first child) before a later one (a
 * deleted paragraph skipped); then the deepest.
 */
function place(b: Build, label: Label, depth: number): number | null {
  return placeLabel(b.path, label, depth);
}

/** Whether a labelled block continues the open note's own list. */
function continuesNote(note: OpenNote, label: Label, depth: number): boolean {
  if (!note.listOpen) return false;
  if (!note.list.length) return depth >= note.depth && label.value === firstLabel(label.type);
  const last = note.list[note.list.length - 1]!;
  if (depth === last.depth && label.type === last.label.type && label.value === successor(last.label))
    return true;
  // A sub-item of the note's list item.
  return depth >= last.depth && label.type !== last.label.type && label.value === firstLabel(label.type);
}

function item(b: Build, block: Extract<Block, { kind: "item" }>): void {
  const code = block.label.replace(/\.$/, "");
  if (ENTRY.test(code)) {
    rootEntry(b, code, block.text, block.depth);
    return;
  }
  const label = paragraphLabel(block.label);
  const shown = block.label ? `${block.label} ${block.text}` : block.text;
  if (!b.path.length || !label) {
    // Outside an entry (general notes, definitions) or an unnumbered item (a dash): text of what it is in.
    prose(b, shown, block.depth);
    return;
  }
  const note = b.note;
  if (note && continuesNote(note, label, block.depth)) {
    note.list.push({ label, depth: block.depth });
    append(note.entry, shown);
    return;
  }
  const index = place(b, label, block.depth);
  if (index === null) {
    if (note) {
      append(note.entry, shown);
      return;
    }
    b.warnings.push(
      `${b.path[b.path.length - 1]!.entry.key}: paragraph "${block.label}" fits nowhere; kept as text`,
    );
    append(b.path[b.path.length - 1]!.entry, shown);
    return;
  }
  b.path.length = index;
  const parent = b.path[index - 1]!.entry;
  const entry = add(b, {
    key: `${parent.key}.${label.value}`,
    parentKey: parent.key,
    heading: null,
    text: block.text,
  });
  b.path.push({ entry, label, depth: block.depth });
  b.note = null;
}

function openNote(b: Build, block: Extract<Block, { kind: "note" }>): void {
  // A note stands under the paragraph it follows: the deepest one not nested deeper than the note.
  while (b.path.length > 1 && b.path[b.path.length - 1]!.depth > block.depth) b.path.pop();
  const owner = b.path[b.path.length - 1]?.entry ?? b.holder ?? start(b);
  const entry = add(b, {
    key: `${owner.key}.${block.note.slug}~${b.entries.length}`,
    parentKey: owner.key,
    heading: null,
    text: block.text,
    data: { note: block.note.label },
  });
  const note: OpenNote = {
    entry,
    kind: block.note,
    owner: owner.key,
    depth: block.depth,
    listOpen: block.text === "" || /:\s*$/.test(block.text),
    list: [],
  };
  b.note = note;
  b.notes.push({ note, entryKey: b.path[0]?.entry.key ?? null });
}

function prose(b: Build, text: string, depth: number): void {
  if (b.note) {
    append(b.note.entry, text);
    return;
  }
  const section = b.sections[b.sections.length - 1];
  if (!b.path.length && section?.definitions) {
    const term = DEFINITION_LINE.exec(text);
    if (term) {
      b.definition = add(b, { key: `def:${term[1]!.trim()}`, parentKey: section.key, heading: null, text });
      // A note after a definition is that definition's.
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
    if (i === 0 || b.path[i]!.depth <= depth) owner = b.path[i]!.entry;
  owner ??= b.holder ?? start(b);
  append(owner, text);
}

/** Text before any heading: kept in an entry of its own, never dropped. */
function start(b: Build): Entry {
  b.holder = add(b, { key: "sec.start", parentKey: null, heading: null, text: "" });
  return b.holder;
}

/** A category heading written as a paragraph: "CATEGORY 3 — ELECTRONICS" (a dash after the number, to tell it from prose). */
const CATEGORY_LINE = /^CATEGORY\s+\d\s*[—–-]\s*\S/i;

/**
 * A paragraph: text, unless it is a heading written as a paragraph rather
 * than as a `GR.SEQ` title [I: either may be how Annex I is marked up], a
 * category line, or a subcategory line ("3B Test, inspection and production
 * equipment") inside its category and outside any note.
 */
function proseBlock(b: Build, block: Extract<Block, { kind: "prose" }>): void {
  if (!b.note && CATEGORY_LINE.test(block.text)) {
    heading(b, block.text, block.seq - 0.5);
    return;
  }
  const sub = b.category && !b.note ? SUBCATEGORY_HEADING.exec(block.text) : null;
  if (sub && sub[1] === b.category!.digit && block.text.length <= 160 && !/[.;:]$/.test(block.text)) {
    heading(b, block.text, Math.max(block.seq, b.category!.level) + 0.5);
    return;
  }
  prose(b, block.text, block.depth);
}

// "3A001.a.1", "3A001.a." (EU style: a full stop closes the designator).
const NAMED = /\b(\d[A-E]\d{3})((?:\.[a-z0-9]{1,3})*)/g;
const POINTER = /\bsee(?:\s+also)?(?:\s+\S+){0,2}\s*$/i;

/**
 * A note belongs to what it names, not to where it stands: "Note: 3A001.a.1
 * does not control …" under 3A001.a.1.b is 3A001.a.1's note, so a paragraph
 * inserted or removed just before it changes only that paragraph. It joins the
 * deepest paragraph holding all it names of its own entry; a pointer ("see
 * also 3A001.a.7") and another entry's number do not count. A note naming
 * nothing stays where it stands. Then notes are keyed under their owner:
 * `3A001.a.note`, `3A001.a.note.2` for "Note 2", `.nb`, `.technical-note`; a
 * second unnumbered one of a kind `….note.p2`.
 */
function keyNotes(b: Build): void {
  const parentOf = (key: string) => b.byKey.get(key)?.parentKey ?? null;
  const noteKeys = new Set(b.notes.map((n) => n.note.entry.key));
  for (const { note, entryKey } of b.notes) {
    if (!entryKey) continue;
    const named: string[] = [];
    for (const m of note.entry.text.matchAll(NAMED)) {
      if (m[1] !== entryKey || POINTER.test(note.entry.text.slice(0, m.index))) continue;
      const key = `${m[1]}${m[2]}`;
      if (b.byKey.has(key) && !noteKeys.has(key)) named.push(key);
    }
    if (!named.length) continue;
    const chain = (key: string) => {
      const out: string[] = [];
      for (let at: string | null = key; at !== null; at = parentOf(at)) out.unshift(at);
      return out;
    };
    const chains = named.map(chain);
    let target = entryKey;
    for (let i = 0; chains.every((c) => c[i] !== undefined && c[i] === chains[0]![i]); i++)
      target = chains[0]![i]!;
    note.owner = target;
  }
  const used = new Set(b.entries.filter((e) => !noteKeys.has(e.key)).map((e) => e.key));
  const unnumbered = new Map<string, number>();
  for (const { note } of b.notes) {
    const base = `${note.owner}.${note.kind.slug}`;
    let key: string;
    if (note.kind.number) key = `${base}.${note.kind.number}`;
    else {
      const n = (unnumbered.get(base) ?? 0) + 1;
      unnumbered.set(base, n);
      key = n === 1 ? base : `${base}.p${n}`;
    }
    key = uniqueKey(key, used, b.warnings);
    used.add(key);
    b.byKey.delete(note.entry.key);
    note.entry.key = key;
    note.entry.parentKey = note.owner;
    b.byKey.set(key, note.entry);
  }
}

/**
 * The entries of an annex's `CONTENTS`, in reading order, with what did not
 * fit said in `warnings`. Every word of the annex lands in some entry's
 * heading or text (footnotes and images aside): a layout the reader does not
 * know degrades to text under the nearest entry, never to silence.
 */
export function readAnnexEntries(contents: XmlElement): { entries: Entry[]; warnings: string[] } {
  const flat: Flatten = { blocks: [], warnings: [] };
  flatten(contents, 0, 0, flat);
  const b: Build = {
    entries: [],
    byKey: new Map(),
    warnings: flat.warnings,
    category: null,
    part: null,
    subcategory: null,
    sections: [],
    definition: null,
    path: [],
    note: null,
    notes: [],
    holder: null,
  };
  for (const block of flat.blocks) {
    if (block.kind === "heading") heading(b, block.text, block.level);
    else if (block.kind === "item") item(b, block);
    else if (block.kind === "note") openNote(b, block);
    else proseBlock(b, block);
  }
  keyNotes(b);
  return { entries: b.entries, warnings: b.warnings };
}

// ---------------------------------------------------------------------------
// The snapshot.
// ---------------------------------------------------------------------------

export interface AnnexIMeta extends Record<string, unknown> {
  /** The act: "32021R0821". */
  celex: string;
  /** The consolidated version: "02021R0821-20241108". */
  consolidatedCelex: string | null;
  /** `START.DATE`: the date this consolidated text is the law as of. */
  versionDate: string | null;
  consolidatedOn: string | null;
  producedOn: string | null;
  language: string | null;
  annexTitle: string;
  annexSubtitle: string;
  /** The amending acts the consolidation names (`MOD.ACT`), oldest first. */
  amendments: FormexAmendment[];
  /** The zip member read, when Cellar sent a zip. */
  member: string | null;
  counts: { categories: number; entries: number; paragraphs: number; notes: number };
}

export type AnnexISnapshot = ParsedSnapshot<ListSnapshot, AnnexIMeta>;

export function parseAnnexI(input: ParseInput): AnnexISnapshot {
  return runSteps(parseAnnexISteps(input));
}

/**
 * Annex I of Regulation (EU) 2021/821 (the list of dual-use items) from a
 * Formex consolidated version (CONS.ACT, or the zip Cellar serves it in), as a
 * list keyed Wassenaar-style:
 *
 * - category headings `cat.3`, Category 5's parts `cat.5.part.2`,
 *   subcategory headings `cat.3.A` (`cat.5.A2` in Category 5 Part 2), each
 *   with its heading and no text: the skeleton entries hang from, so that a
 *   subscriber sees where an entry is, and a heading changes on its own;
 * - entries `3A001` (heading: the entry's own words, parent: its
 *   subcategory), paragraphs `3A001.a`, `3A001.a.1`, `3A001.a.1.a` (the labels
 *   as printed, never renumbered);
 * - notes as entries of their own under what they belong to (see
 *   `keyNotes`): `3A001.a.note.1`, `3A001.nb`, `3A001.technical-note`;
 * - the general part (general notes, the GTN/GSN, acronyms) as `sec.<heading
 *   slug>` entries with their text, and each definition as `def:<term>`.
 *
 * Anchors, ids and page or amendment markers (`<?PAGE?>`, `<?CLG.MDFO?>`)
 * churn between consolidations and are never text. Whether Formex nests the
 * paragraphs of Annex I in `LIST/ITEM/NP` (as the samples nest lists) or
 * writes them flat is not known [I: no Formex of Annex I in the samples]: the
 * parser reads both, by nesting first and by Wassenaar's alternating labels
 * when nesting says nothing.
 */
export function* parseAnnexISteps(input: ParseInput): Generator<void, AnnexISnapshot> {
  const what = "Formex consolidated text of Regulation (EU) 2021/821";
  const doc: FormexDocument = yield* readFormexSteps(input, what);
  if (doc.root.name !== "CONS.ACT")
    throw new SourceShapeChangedError(
      `${what}: found an act as published (<${doc.root.name}>), expected a consolidated version (<CONS.ACT>)`,
    );
  const structure = formexStructure(doc, what);
  const consolidation = structure.consolidation!;
  if (consolidation.ref !== DUAL_USE_ACT_CODE)
    throw new SourceShapeChangedError(
      `${what}: the consolidation is of ${consolidation.ref}, expected ${DUAL_USE_ACT_CODE}`,
    );
  const body = firstChild(doc.root, "CONS.DOC")!;
  const annexes = childElements(body).filter(
    (c) => c.name === "CONS.ANNEX" && /^ANNEX\s+I$/i.test(titleText(firstChild(c, "TITLE")).ti),
  );
  if (annexes.length !== 1)
    throw new SourceShapeChangedError(
      `${what}: ${annexes.length} annexes titled "ANNEX I" (annexes: ${structure.annexes.join(", ") || "none"}); expected one`,
    );
  const annex = annexes[0]!;
  const contents = firstChild(annex, "CONTENTS");
  if (!contents) throw new SourceShapeChangedError(`${what}: Annex I has no CONTENTS`);
  yield;

  const b = readAnnexEntries(contents);
  const isEntry = (e: Entry) => ENTRY.test(e.key);
  const counts = {
    categories: b.entries.filter((e) => /^cat\.\d$/.test(e.key)).length,
    entries: b.entries.filter(isEntry).length,
    paragraphs: b.entries.filter((e) => /^\d[A-E]\d{3}\./.test(e.key) && !e.data?.note).length,
    notes: b.entries.filter((e) => e.data?.note).length,
  };
  if (!counts.entries)
    throw new SourceShapeChangedError(`${what}: Annex I holds no numbered entries (3A001 …)`);
  const { ti, sti } = titleText(firstChild(annex, "TITLE"));
  const start = consolidation.startDate;
  return {
    kind: "list",
    meta: {
      celex: DUAL_USE_CELEX,
      consolidatedCelex: start ? `0${consolidation.ref}-${start.replaceAll("-", "")}` : null,
      versionDate: start,
      consolidatedOn: consolidation.consolidatedOn,
      producedOn: consolidation.producedOn,
      language: structure.language,
      annexTitle: ti,
      annexSubtitle: sti,
      amendments: structure.amendments,
      member: doc.member,
      counts,
    },
    warnings: b.warnings,
    entries: b.entries,
  };
}
