import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import { normalizeText } from "@regwatch/core/text";
import { type CheerioAPI, load } from "cheerio";
import { calendarDate, monthNumber } from "../../dates.ts";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { type AnyNode, CHROME_SELECTORS, type ElementNode, htmlLines } from "../../html-lines.ts";
import { wholeHtml } from "../../html-page.ts";

export const PARSER_VERSION = "au.frl.dsgl/1";

/**
 * What is never the list: scripts and styles, the viewer's chrome (navigation,
 * forms, frames), and the document's table of contents (paragraphs styled
 * TOC1…TOC9, whose page numbers move with every edit). Removed before reading,
 * so a change to any of them gives the same entries.
 */
const CHROME_SELECTOR = [...CHROME_SELECTORS, "head", "header", "footer", "aside"].join(", ");
const TOC_CLASS = /^toc\d*$/i;

/**
 * The register id and date the Register prints on each page of an authorised
 * rendition ("Authorised Version F2024L01024 registered 16/08/2024") [I: the
 * running header of the Register's PDFs; where a rendition carries it as text
 * it is read for the metadata and never kept in an entry].
 */
const AUTHORISED = /^Authorised Version ([A-Z]\d{4}[A-Z]\d{5}) registered (\d{2})\/(\d{2})\/(\d{4})$/;

// The front matter of a compilation ("Compilation No. 8", "Compilation date: 17 April 2018",
// "Includes amendments up to: F2018L00487", "Registered: 4 May 2018") and of the list as made
// ("This instrument commences on 1 September 2024").
const COMPILATION_NO = /^Compilation No\.\s*(\d+)$/i;
const COMPILATION_DATE = /^Compilation date:\s*(.+)$/i;
const INCLUDES = /^Includes amendments(?: up to)?:\s*(.+)$/i;
const REGISTERED = /^Registered:\s*(.+)$/i;
const COMMENCES = /\bcommences on (\d{1,2} [A-Z][a-z]+ \d{4})\b/;
const DSGL_TITLE = /^Defence and Strategic Goods List(?: \d{4})?$/;

// The list's skeleton. A heading's words start with a capital and do not end a
// sentence, so "Part 1 of this list applies…" in the preamble is no heading.
const HEADING_WORDS = String.raw`(?:\s*[—–-]\s*|\s+)([A-Z][^.;]{0,100}?)`;
const PART = new RegExp(String.raw`^(?:Part|PART)\s+([12])${HEADING_WORDS}$`);
const CATEGORY = new RegExp(String.raw`^(?:Category|CATEGORY)\s+(\d)${HEADING_WORDS}$`);
// Category 5 comes in two parts ("Part 2—Information Security"), as in the Wassenaar list.
const CATEGORY_PART = /\bPart\s+(\d)\b/i;
const GROUP = new RegExp(String.raw`^(\d)([A-E])\.?${HEADING_WORDS}$`);
// Where the list ends: the endnotes of a compilation, or a schedule after it (repeals).
const END = /^(?:Endnotes?\b|Endnote\s+\d+\b|Schedule\s+\d+\s*[—–-])/i;

// Entries: Part 2 numbers like Wassenaar (`1A004`: category, group A–E, three
// digits), Part 1 like the Munitions List (`ML1`…`ML22`). A number followed by
// ".a" is a reference to a paragraph, not an entry starting.
const DUAL_USE_ITEM = /^(\d[A-E]\d{3})\.?(?:\s*[—–-]\s*|\s+)(\S.*)$/;
const MUNITIONS_ITEM = /^(ML\d{1,2})\.?(?:\s*[—–-]\s*|\s+)(\S.*)$/;
const ITEM_ALONE = /^(\d[A-E]\d{3}|ML\d{1,2})\.?$/;
// "a. Full face masks…", "1. "Biological agents";": Wassenaar's labels, letters and numbers alternating by depth.
const LABEL = /^([a-z]|\d{1,2})\.(?:\s+(\S.*))?$/;
// "Note:", "Note 2:", "Notes:", "N.B.:", "Technical Note:", "Technical Notes:".
const NOTE = /^(Technical\s+Notes?|N\.\s?B\.|Notes?)(?:\s+(\d+))?\s*:\s*(.*)$/i;
// Entries a note names: "1A004.a.", "ML1.a", "3B001".
const NAMED = /\b(\d[A-E]\d{3}|ML\d{1,2})((?:\.[a-z0-9]{1,2})*)/g;

export interface DsglMeta extends Record<string, unknown> {
  /** "Defence and Strategic Goods List 2024", as the document names itself. */
  title: string | null;
  /** The title (series) the document belongs to, from its address on the Register. */
  titleId: string | null;
  /** The day this text is the law from, from its address (the version's start). */
  start: string | null;
  retrospectiveStart: string | null;
  /** The version's register id where the rendition prints it; the title's own id for the list as made. */
  registerId: string | null;
  registeredAt: string | null;
  /** For a compilation: its number, date and the last amending instrument it includes. */
  compilationNumber: string | null;
  compilationDate: string | null;
  includesAmendmentsUpTo: string | null;
  /** For the list as made: the day it says it commences. */
  commencement: string | null;
  counts: { categories: number; groups: number; items: number; paragraphs: number; notes: number };
  /** Lines read as no part of the list (front matter, preamble, endnotes), so that none goes unseen. */
  linesOutsideList: number;
}

export type DsglSnapshot = ParsedSnapshot<ListSnapshot, DsglMeta>;

/** "1 September 2024" → "2024-09-01"; null for anything else or a day the calendar lacks. */
export function parseEnglishDate(value: string): string | null {
  const m = /^(\d{1,2}) ([A-Z][a-z]+) (\d{4})$/.exec(normalizeText(value));
  if (!m) return null;
  const month = monthNumber("en", m[2]!);
  return month ? calendarDate(Number(m[3]), month, Number(m[1])) : null;
}

interface Line {
  text: string;
  heading: boolean;
  /** The paragraph's depth when the markup says it (a list nested in lists, a style named "…Level2"). */
  depth: number | null;
}

// Word styles the Register's renditions keep as classes for headings [I].
const HEADING_CLASS = /^(?:ActHead\d|Heading\d|ShortT)$/;
// A paragraph style that names its level, as Word's numbered-list styles do ("DSGLLevel2", "List-Level-3") [I].
const LEVEL_CLASS = /level-?(\d)$/i;

/** The body's text as lines: one per block (paragraph, list item, table row, heading), NFC, spaces collapsed. */
function readLines($: CheerioAPI): Line[] {
  const classes = (el: ElementNode) => (el.attribs.class ?? "").split(/\s+/);
  return htmlLines($("body").contents().toArray() as AnyNode[], {
    // An exponent keeps its meaning ("10<sup>-4</sup>" → "10^-4").
    sup: "caret",
    headingLevel: (el) => (classes(el).some((c) => HEADING_CLASS.test(c)) ? 1 : 0),
  }).map(({ text, level, block }) => {
    let depth: number | null = null;
    if (block) {
      const named = classes(block)
        .map((c) => LEVEL_CLASS.exec(c)?.[1])
        .find(Boolean);
      if (named) depth = Number(named);
      else if (block.name.toLowerCase() === "li") depth = $(block).parents("ol, ul").length;
    }
    return { text, heading: level > 0, depth };
  });
}

interface Open {
  label: string;
  kind: "letter" | "number";
  entry: Entry;
}

interface OpenNote {
  entry: Entry;
  /** The labels of the note's own list ("1.", "2." of a Technical Note), in order. */
  labels: string[];
  /** Whether the last line ends with ":", announcing a list. */
  expectsList: boolean;
  /** For a bare "Technical Note:": placed by its first line, until it has one. */
  placeBy: { slug: string; number: string | null; follows: Entry } | null;
}

const kindOf = (label: string): Open["kind"] => (/^\d/.test(label) ? "number" : "letter");
const successor = (label: string) =>
  /^\d+$/.test(label) ? String(Number(label) + 1) : String.fromCharCode(label.charCodeAt(0) + 1);
const isFirst = (label: string) => label === "a" || label === "1";
const NOTE_SLUG = (word: string) =>
  /^technical/i.test(word) ? "technical-note" : /^n\.\s?b\./i.test(word) ? "nb" : "note";

/** The list's lines → its entries, with what did not fit in `warnings`. */
class ListReader {
  readonly entries: Entry[] = [];
  readonly warnings: string[] = [];
  readonly counts = { categories: 0, groups: 0, items: 0, paragraphs: 0, notes: 0 };
  outside = 0;
  phase: "before" | "1" | "2" | "after" = "before";
  private byKey = new Map<string, Entry>();
  private part: Entry | null = null;
  private category: Entry | null = null;
  private group: Entry | null = null;
  private item: Entry | null = null;
  private stack: Open[] = [];
  private note: OpenNote | null = null;
  private noteCount = new Map<string, number>();
  private categoryPart: string | null = null;
  private pending: string | null = null;
  /** Entries (ML1, 1A004) read in each Part. */
  readonly itemsIn = { "1": 0, "2": 0 };
  /** Lines read so far: everything before Part 1's heading is outside the list. */
  private lineNo = 0;

  private add(entry: Entry): Entry {
    if (this.byKey.has(entry.key)) {
      let n = 2;
      while (this.byKey.has(`${entry.key}#${n}`)) n++;
      this.warnings.push(`entry ${entry.key} appears twice; the later one is kept as ${entry.key}#${n}`);
      entry.key = `${entry.key}#${n}`;
    }
    this.entries.push(entry);
    this.byKey.set(entry.key, entry);
    return entry;
  }

  private context(): Record<string, unknown> {
    return {
      part: this.phase === "1" || this.phase === "2" ? this.phase : null,
      category: this.category ? this.category.key.slice(4) : null,
      group: this.group ? (this.group.data?.group as string) : null,
    };
  }

  /** The entry free text joins: the open note, else the deepest open paragraph, else the item or heading. */
  private holder(): Entry | null {
    return (
      this.note?.entry ??
      this.stack[this.stack.length - 1]?.entry ??
      this.item ??
      this.group ??
      this.category ??
      this.part
    );
  }

  private closeItem(): void {
    this.item = null;
    this.stack = [];
    this.note = null;
  }

  private append(entry: Entry, text: string): void {
    entry.text = entry.text ? `${entry.text}\n${text}` : text;
  }

  /** Part 1 seen twice with no entry between: the first was the table of contents. Start again. */
  private restart(): void {
    this.entries.length = 0;
    this.byKey.clear();
    this.counts.categories = this.counts.groups = this.counts.notes = 0;
    this.category = this.group = null;
    this.categoryPart = null;
    this.noteCount.clear();
    this.closeItem();
  }

  read(line: Line): void {
    const text = this.pending ? `${this.pending} ${line.text}` : line.text;
    this.pending = null;
    this.lineNo++;

    const part = PART.exec(text);
    if (part && this.phase === "2" && this.category) {
      this.openCategoryPart(part[1]!, text);
      return;
    }
    // After the end only a table of contents can bring Part 1 back (no entry read yet).
    if (part && (this.phase !== "after" || (part[1] === "1" && this.counts.items === 0))) {
      const n = part[1]! as "1" | "2";
      if (n === "1" && this.phase !== "before") {
        if (this.counts.items > 0)
          throw new SourceShapeChangedError(`"${text}" appears again after the list's entries began`);
        this.restart();
      }
      if (n === "1") this.outside = this.lineNo - 1;
      this.phase = n;
      this.category = this.group = null;
      this.categoryPart = null;
      this.closeItem();
      this.part = this.add({ key: `part.${n}`, parentKey: null, heading: text, text: "", data: { part: n } });
      return;
    }
    if (this.phase === "before" || this.phase === "after") {
      this.outside++;
      return;
    }
    if (END.test(text)) {
      this.phase = "after";
      this.closeItem();
      this.outside++;
      return;
    }
    if (ITEM_ALONE.test(text)) {
      // The number in a cell or a run of its own, its words on the next line.
      this.pending = text.replace(/\.$/, "");
      return;
    }
    if (this.phase === "2" && this.readSkeleton(text)) return;
    const item = (this.phase === "1" ? MUNITIONS_ITEM : DUAL_USE_ITEM).exec(text);
    if (item) {
      this.openItem(item[1]!, item[2]!);
      return;
    }
    const note = NOTE.exec(text);
    if (note) {
      this.openNote(text, note[1]!, note[2] ?? null, note[3]!);
      return;
    }
    const label = this.item ? LABEL.exec(text) : null;
    if (label && !this.continuesNote(label[1]!)) {
      this.openParagraph(label[1]!, label[2] ?? "", line.depth);
      return;
    }
    if (label && this.note) this.note.labels.push(label[1]!);
    if (line.heading && !label) {
      // A heading the list's numbering does not know ends the entry above it; its words stay with the part.
      this.closeItem();
      this.append((this.group ?? this.category ?? this.part)!, text);
      return;
    }
    if (this.note?.placeBy) this.placeNote(this.note, text);
    const target = this.holder()!;
    this.append(target, text);
    if (this.note) this.note.expectsList = text.endsWith(":");
  }

  /** A part of a category (Category 5, Part 2): `cat.5.part.2`, its groups `cat.5.A2`, as in EU Annex I. */
  private openCategoryPart(n: string, text: string): void {
    const category = this.category!;
    this.closeItem();
    this.group = null;
    this.categoryPart = n;
    this.add({
      key: `${category.key}.part.${n}`,
      parentKey: category.key,
      heading: text,
      text: "",
      data: { part: "2", category: category.key.slice(4), group: null },
    });
  }

  private readSkeleton(text: string): boolean {
    const category = CATEGORY.exec(text);
    if (category && this.category?.key === `cat.${category[1]}`) {
      // "Category 5—Part 2—Information Security": the category again, naming its part.
      const part = CATEGORY_PART.exec(category[2]!);
      if (part) {
        this.openCategoryPart(part[1]!, text);
        return true;
      }
    }
    if (category) {
      this.closeItem();
      this.group = null;
      this.categoryPart = null;
      this.counts.categories++;
      this.category = this.add({
        key: `cat.${category[1]}`,
        parentKey: this.part!.key,
        heading: text,
        text: "",
        data: { part: "2", category: category[1], group: null },
      });
      const part = CATEGORY_PART.exec(category[2]!);
      if (part) this.openCategoryPart(part[1]!, text);
      return true;
    }
    const group = GROUP.exec(text);
    if (group && this.category && group[1] === this.category.key.slice(4)) {
      this.closeItem();
      this.counts.groups++;
      const parentKey = this.categoryPart
        ? `${this.category.key}.part.${this.categoryPart}`
        : this.category.key;
      this.group = this.add({
        key: `${this.category.key}.${group[2]}${this.categoryPart ?? ""}`,
        parentKey,
        heading: text,
        text: "",
        data: { part: "2", category: group[1], group: `${group[1]}${group[2]}` },
      });
      return true;
    }
    return false;
  }

  private openItem(key: string, words: string): void {
    this.closeItem();
    if (this.phase === "2" && this.category && key[0] !== this.category.key.slice(4))
      this.warnings.push(`${key} stands under ${this.category.heading}`);
    const underGroup = this.group && key.startsWith(this.group.data?.group as string);
    this.counts.items++;
    this.itemsIn[this.phase as "1" | "2"]++;
    this.item = this.add({
      key,
      parentKey: (underGroup ? this.group : (this.category ?? this.part))!.key,
      heading: words,
      text: words,
      data: this.context(),
    });
  }

  /** Whether a labelled line belongs to the open note's own list rather than to the entry. */
  private continuesNote(label: string): boolean {
    const note = this.note;
    if (!note) return false;
    const last = [...note.labels].reverse().find((l) => kindOf(l) === kindOf(label));
    return (last !== undefined && successor(last) === label) || (isFirst(label) && note.expectsList);
  }

  /**
   * A paragraph's place: where the markup gives its depth, there (when the
   * depth agrees with Wassenaar's alternation: letters at odd depths, numbers
   * at even ones). Otherwise by its label: a sibling of the deepest open
   * paragraph of its kind whose next label it is, else a child of the deepest
   * open one. Labels alone cannot tell "c." after "1.b.2.b" from a return to
   * the first level; the deeper reading is taken, as it is more often right.
   */
  private openParagraph(label: string, words: string, depth: number | null): void {
    this.note = null;
    const kind = kindOf(label);
    const fits =
      depth !== null &&
      depth >= 1 &&
      depth <= this.stack.length + 1 &&
      (depth % 2 === 1) === (kind === "letter");
    if (depth !== null && !fits)
      this.warnings.push(
        `paragraph "${label}." marked at depth ${depth} under ${this.holder()!.key} is placed by its label`,
      );
    let at = fits ? depth! - 1 : -1;
    for (let i = this.stack.length - 1; i >= 0 && at < 0; i--)
      if (this.stack[i]!.kind === kind && successor(this.stack[i]!.label) === label) at = i;
    if (at < 0 && !isFirst(label)) {
      this.warnings.push(`paragraph "${label}." under ${this.holder()!.key} is out of sequence`);
      for (let i = this.stack.length - 1; i >= 0 && at < 0; i--) if (this.stack[i]!.kind === kind) at = i;
    }
    if (at >= 0) this.stack = this.stack.slice(0, at);
    const parent = this.stack[this.stack.length - 1]?.entry ?? this.item!;
    this.counts.paragraphs++;
    const entry = this.add({
      key: `${parent.key}.${label}`,
      parentKey: parent.key,
      heading: null,
      text: words,
      data: this.context(),
    });
    this.stack.push({ label, kind, entry });
  }

  /** The deepest entry of the open item holding every entry of it that `text` names; null when it names none. */
  private named(text: string): Entry | null {
    const item = this.item;
    if (!item) return null;
    const chains: string[][] = [];
    for (const m of text.matchAll(NAMED)) {
      if (m[1] !== item.key) continue;
      let key = `${m[1]}${m[2]}`;
      // A paragraph not read yet ("Note: 1A004.c …" standing before c.): its nearest read ancestor.
      while (!this.byKey.has(key) && key.includes(".")) key = key.slice(0, key.lastIndexOf("."));
      const chain: string[] = [];
      for (let at = this.byKey.get(key); at; at = at.parentKey ? this.byKey.get(at.parentKey) : undefined) {
        chain.unshift(at.key);
        if (at.key === item.key) break;
      }
      chains.push(chain);
    }
    if (!chains.length) return null;
    let key = item.key;
    for (let i = 0; chains.every((c) => c[i] !== undefined && c[i] === chains[0]![i]); i++)
      key = chains[0]![i]!;
    return this.byKey.get(key) ?? null;
  }

  /** `1A004.a.note`, `ML1.note.1`, a second unnumbered note `….note.p2`, as EU Annex I keys them. */
  private noteKey(owner: Entry, slug: string, number: string | null): string {
    const base = `${owner.key}.${slug}`;
    if (number) return `${base}.${number}`;
    const n = (this.noteCount.get(base) ?? 0) + 1;
    this.noteCount.set(base, n);
    return n === 1 ? base : `${base}.p${n}`;
  }

  /**
   * A note joins what it names ("Note: 1A004.a. includes…" belongs to
   * 1A004.a, wherever it stands): the deepest entry of the open item holding
   * all it names. A note naming nothing of its item (or standing outside any
   * item) belongs to the entry it follows. A bare "Technical Note:" is placed
   * by its first line ("For the purposes of 4A906, …"). Keyed by kind and
   * number under its owner: `1A004.a.note`, `ML1.note.1`,
   * `4A906.technical-note`, `1A004.nb`.
   */
  private openNote(text: string, word: string, number: string | null, rest: string): void {
    const follows =
      this.stack[this.stack.length - 1]?.entry ?? this.item ?? this.group ?? this.category ?? this.part!;
    const owner = this.named(rest) ?? follows;
    const slug = NOTE_SLUG(word);
    this.counts.notes++;
    const entry = this.add({
      key: this.noteKey(owner, slug, number),
      parentKey: owner.key,
      heading: null,
      text,
      data: { ...this.context(), note: normalizeText(word) },
    });
    this.note = {
      entry,
      labels: [],
      expectsList: rest === "" || text.endsWith(":"),
      placeBy: rest === "" ? { slug, number, follows } : null,
    };
  }

  /** The first line of a bare note: it may name the note's owner. */
  private placeNote(note: OpenNote, text: string): void {
    const place = note.placeBy;
    note.placeBy = null;
    const owner = place && this.named(text);
    if (!place || !owner || owner === place.follows || this.entries.at(-1) !== note.entry) return;
    if (!place.number)
      this.noteCount.set(
        `${place.follows.key}.${place.slug}`,
        (this.noteCount.get(`${place.follows.key}.${place.slug}`) ?? 1) - 1,
      );
    this.byKey.delete(note.entry.key);
    this.entries.pop();
    note.entry.key = this.noteKey(owner, place.slug, place.number);
    note.entry.parentKey = owner.key;
    this.add(note.entry);
  }

  finish(): void {
    if (this.pending) this.warnings.push(`entry number ${this.pending} stands alone at the end of the list`);
  }
}

/** What the document says about itself: its title, the compilation's facts, the commencement. */
function frontMatter(lines: Line[], meta: DsglMeta, warnings: string[]): void {
  const date = (value: string, what: string) => {
    const d = parseEnglishDate(value);
    if (!d) warnings.push(`${what} "${value}" is not a date`);
    return d;
  };
  // Each fact once, from the first line that states it.
  const facts: [RegExp, (value: string) => void, () => boolean][] = [
    [COMPILATION_NO, (v) => (meta.compilationNumber = v), () => meta.compilationNumber !== null],
    [
      COMPILATION_DATE,
      (v) => (meta.compilationDate = date(v, "compilation date")),
      () => meta.compilationDate !== null,
    ],
    [INCLUDES, (v) => (meta.includesAmendmentsUpTo = v), () => meta.includesAmendmentsUpTo !== null],
    [REGISTERED, (v) => (meta.registeredAt = date(v, "registration date")), () => meta.registeredAt !== null],
    [COMMENCES, (v) => (meta.commencement = date(v, "commencement")), () => meta.commencement !== null],
  ];
  for (const { text } of lines) {
    if (!meta.title && DSGL_TITLE.test(text)) meta.title = text;
    for (const [pattern, keep, known] of facts) {
      const m = known() ? null : pattern.exec(text);
      if (m) {
        keep(m[1]!);
        break;
      }
    }
  }
}

/** The title id and the version's dates, from the document's address on the Register. */
function fromAddress(
  url: string | null | undefined,
): Pick<DsglMeta, "titleId" | "start" | "retrospectiveStart"> {
  const m =
    /legislation\.gov\.au\/([A-Z]\d{4}[A-Z]\d{5})\/(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})\/text\//.exec(
      url ?? "",
    );
  return { titleId: m?.[1] ?? null, start: m?.[2] ?? null, retrospectiveStart: m?.[3] ?? null };
}

/**
 * A version of the Defence and Strategic Goods List as HTML (the Register's
 * rendition of its text) → the whole list, keyed Wassenaar-style:
 *
 * - `part.1` (Munitions List), `part.2` (Dual-Use List); Part 2's category
 *   headings `cat.3` and group headings `cat.3.B`: heading entries with no
 *   text of their own, so a subscriber sees where an entry is;
 * - entries `ML1`, `1A004` (heading: their words), paragraphs `ML1.a`,
 *   `1A004.a.1`, `3B001.c.1.a` (the labels as printed, letters and numbers
 *   alternating by depth, never renumbered);
 * - notes as entries under what they name (`1A004.a.note`,
 *   `1A004.technical-note`, `1A004.nb`), their numbered lines with them.
 *
 * What comes before Part 1 (front matter, the instrument's sections, the table
 * of contents) and after Part 2 (endnotes, schedules) is no entry: its lines
 * are counted in `linesOutsideList`, and the compilation's facts read from it.
 * Strict: a body not valid in its charset, cut short (no `</html>`), not the
 * DSGL, the Register's viewer page instead of the document, or a list without
 * both Parts is a changed source, never a partial list. Text is kept as text.
 */
export function parseDsgl(input: ParseInput): DsglSnapshot {
  const where = input.url ?? "DSGL document";
  const text = wholeHtml(input, where);
  const $ = load(text);
  const frame = $("iframe#epubFrame, iframe[src*='/text/']").first().attr("src");
  const title = normalizeText($("head > title").first().text());
  $(CHROME_SELECTOR).remove();
  $("[class]").each((_, el) => {
    if (($(el).attr("class") ?? "").split(/\s+/).some((c) => TOC_CLASS.test(c))) $(el).remove();
  });

  const meta: DsglMeta = {
    title: null,
    ...fromAddress(input.url),
    registerId: null,
    registeredAt: null,
    compilationNumber: null,
    compilationDate: null,
    includesAmendmentsUpTo: null,
    commencement: null,
    counts: { categories: 0, groups: 0, items: 0, paragraphs: 0, notes: 0 },
    linesOutsideList: 0,
  };
  const warnings: string[] = [];
  const lines: Line[] = [];
  for (const line of readLines($)) {
    const authorised = AUTHORISED.exec(line.text);
    if (!authorised) {
      lines.push(line);
      continue;
    }
    meta.registerId ??= authorised[1]!;
    meta.registeredAt ??= calendarDate(Number(authorised[4]), Number(authorised[3]), Number(authorised[2]));
  }
  const reader = new ListReader();
  for (const line of lines) reader.read(line);
  reader.finish();
  const before = lines.slice(
    0,
    Math.max(
      0,
      lines.findIndex((l) => PART.test(l.text)),
    ),
  );
  frontMatter(before, meta, warnings);
  if (!meta.title && DSGL_TITLE.test(title)) meta.title = title;

  const parts = reader.entries.filter((e) => /^part\.[12]$/.test(e.key)).map((e) => e.key);
  if (frame && !parts.length)
    throw new SourceShapeChangedError(
      `${where}: the Register's viewer page, not the document; its text is at ${frame}`,
    );
  if (!meta.title)
    throw new SourceShapeChangedError(
      `${where}: not the Defence and Strategic Goods List (no title naming it)`,
    );
  if (parts.join() !== "part.1,part.2" || !reader.itemsIn["1"] || !reader.itemsIn["2"])
    throw new SourceShapeChangedError(
      `${where}: expected Part 1 (Munitions List) and Part 2 (Dual-Use List) with their entries, found ${
        parts.length ? parts.join(" and ") : "neither"
      }${parts.length === 1 ? " (one volume of several?)" : ""}`,
    );
  // The list as made is its own register id; a compilation's is printed on it, when at all.
  if (!meta.registerId && !meta.compilationNumber) meta.registerId = meta.titleId;
  meta.counts = reader.counts;
  meta.linesOutsideList = reader.outside;
  return { kind: "list", meta, warnings: [...warnings, ...reader.warnings], entries: reader.entries };
}
