import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { uniqueKey } from "../../entry-keys.ts";
import { runSteps } from "../../steps.ts";
import { childElements, type XmlElement } from "../../xml/parse-xml.ts";
import {
  blockText,
  type Commentary,
  child,
  children,
  ECO_ID_URI,
  inlineText,
  isoDate,
  local,
  type Mark,
  readCommentaries,
  readMetadata,
  readXmlSteps,
} from "./clml.ts";

export const PARSER_VERSION = "gb.legislation.eco-schedules/1";

/** The schedules that are control lists: 2 (Military List, ML1–ML22) and 3 (UK dual-use "PL" entries). */
export const WATCHED_SCHEDULES = ["2", "3"] as const;

/** A list entry's own number: "ML1", "ML22", "PL9013", "PL5017A". */
const ENTRY_NUMBER = /^(?:ML\d{1,2}|PL\d{4}[A-Z]?)$/;

/**
 * "Note:", "Note 2:", "Notes:", "Technical Note:", "Technical Notes:",
 * "N.B.:", "N.B.1:", the labels the Order's lists open a note with (the
 * Wassenaar convention), always followed by a colon.
 */
const NOTE_START = /^(?:(Technical\s+)?(Notes?)(?:\s+(\d{1,2}))?|(N\.\s?B\.?)(?:\s?(\d{1,2})\.?)?)\s*:/i;

/** "“circuit element” means …": a definition, keyed by its term. */
const DEFINITION_START = /^[“"‘']([^”"’']{1,120})[”"’']\s+(?:means|has the meaning|includes|is|are|refers)\b/;

function noteSlug(m: RegExpExecArray): string {
  if (m[4]) return m[5] ? `nb.${m[5]}` : "nb";
  return `${m[1] ? "technical-" : ""}${m[2]!.toLowerCase()}${m[3] ? `.${m[3]}` : ""}`;
}

/** A term or title as a key segment: "circuit element" → "circuit-element". */
function slug(text: string): string {
  return normalizeText(text)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "");
}

/** "(a)", "a.", " 1 " → "a", "1": the number as the list writes it, without the punctuation around it. */
function cleanLabel(raw: string): string {
  return normalizeText(raw)
    .replace(/\s+/g, "")
    .replace(/^\(|[.)]+$/g, "");
}

function succ(label: string): string | null {
  if (/^\d+$/.test(label)) return String(Number(label) + 1);
  if (/^[a-y]$/.test(label)) return String.fromCharCode(label.charCodeAt(0) + 1);
  return null;
}

/** An entry while its schedule is read: its words come in pieces, with the markers found among them. */
interface Pending {
  entry: Entry;
  parts: string[];
  marks: Mark[];
}

/** A note as first placed: where it stands, and its label, for moving it to what it names. */
interface PlacedNote {
  pending: Pending;
  slug: string;
}

interface Walk {
  schedule: string;
  pending: Pending[];
  byKey: Map<string, Pending>;
  notes: PlacedNote[];
  warnings: string[];
  /** Provisions not in force at this point in time (Status="Prospective", Match="false"): left out. */
  prospective: string[];
  /** Group (Part, Pblock) titles the entries stand under, for their data. */
  group: string | null;
}

function open(walk: Walk, entry: Entry, marks: Mark[] = []): Pending {
  const key = uniqueKey(entry.key, walk.byKey, walk.warnings);
  const pending: Pending = { entry: { ...entry, key }, parts: [], marks };
  walk.pending.push(pending);
  walk.byKey.set(key, pending);
  return pending;
}

/** How an element's version applies: its own in-force date and status, when CLML gives them. */
function versionData(el: XmlElement, walk: Walk, group?: XmlElement): Record<string, unknown> {
  const data: Record<string, unknown> = { schedule: walk.schedule };
  // A provision's own date, else that of the titled group (P1group) that holds it.
  const start = isoDate(el.attrs.RestrictStartDate) ?? isoDate(group?.attrs.RestrictStartDate);
  if (start) data.inForce = start;
  if (el.attrs.Status) data.status = el.attrs.Status.toLowerCase();
  if (walk.group) data.group = walk.group;
  return data;
}

const notInForce = (el: XmlElement) => el.attrs.Status === "Prospective" || el.attrs.Match === "false";

/** Blocks of words (not numbered provisions) that can stand in a schedule or a provision. */
const PROSE = new Set([
  "P",
  "Para",
  "Text",
  "UnorderedList",
  "OrderedList",
  "Tabular",
  "BlockText",
  "Figure",
  "Formula",
  "Form",
  "BlockExtract",
]);
const P_LEVEL = /^P[1-7]$/;
const P_PARA = /^P[1-7]para$/;
const P_GROUP = /^P[1-7]group$/;

/**
 * What is read inside one provision, in order: its own words, its numbered
 * children, and the notes among them. A note ("Note:", "Technical Note:",
 * "N.B.:") takes the words after it until the next numbered child; numbered
 * children right after a note that ends in a colon are the note's own list
 * ("ML1 does not control: a. …; b. …."), read as long as each continues the
 * last one and the list has not ended with a full stop.
 */
class Scope {
  note: Pending | null = null;
  noteOpen = false;
  noteLast: string | null = null;
  constructor(
    readonly owner: Pending,
    readonly walk: Walk,
  ) {}

  prose(block: XmlElement) {
    const marks: Mark[] = [];
    const text = normalizeText(blockText(block, marks, this.walk.warnings));
    if (!text) {
      this.owner.marks.push(...marks);
      return;
    }
    const note = NOTE_START.exec(text);
    if (note) {
      const slugOf = noteSlug(note);
      const pending = open(
        this.walk,
        {
          key: `${this.owner.entry.key}.${slugOf}`,
          parentKey: this.owner.entry.key,
          heading: null,
          text: "",
        },
        marks,
      );
      pending.entry.data = { schedule: this.walk.schedule, note: true };
      pending.parts.push(text);
      this.walk.notes.push({ pending, slug: slugOf });
      this.note = pending;
      this.noteOpen = /:\s*$/.test(text);
      this.noteLast = null;
      return;
    }
    const target = this.note ?? this.owner;
    target.parts.push(text);
    target.marks.push(...marks);
    if (this.note) this.noteOpen = /:\s*$/.test(text) || (this.noteOpen && !/\.\s*$/.test(text));
  }

  /** Whether a numbered child with this label continues the open note's list. */
  continuesNote(label: string): boolean {
    if (!this.note || !this.noteOpen) return false;
    return this.noteLast === null ? ["a", "1", "i"].includes(label) : succ(this.noteLast) === label;
  }

  numbered(p: XmlElement, heading: string | null, headingMarks: Mark[] = [], group?: XmlElement) {
    const pnumber = child(p, "Pnumber");
    const marks: Mark[] = [];
    const label = pnumber ? cleanLabel(inlineText(pnumber, marks, this.walk.warnings)) : "";
    if (!label) {
      // An unnumbered provision is words of the one it stands in.
      this.visit(p);
      return;
    }
    if (this.continuesNote(label)) {
      const words = normalizeText(blockText(p, this.note!.marks, this.walk.warnings));
      this.note!.parts.push(words);
      this.noteLast = label;
      this.noteOpen = !/\.\s*$/.test(words);
      return;
    }
    this.note = null;
    walkProvision(p, label, this.owner.entry.key, heading, [...marks, ...headingMarks], this.walk, group);
  }

  /** The children of a provision (or of its PNpara), in order. */
  visit(el: XmlElement) {
    for (const c of childElements(el)) {
      const name = local(c.name);
      if (name === "Pnumber" || name === "Title" || name === "Number" || name === "TitleBlock") continue;
      if (P_PARA.test(name)) this.visit(c);
      else if (P_LEVEL.test(name)) this.numbered(c, null);
      else if (P_GROUP.test(name)) {
        const title = child(c, "Title");
        const marks: Mark[] = [];
        const heading = title ? normalizeText(inlineText(title, marks)) || null : null;
        for (const p of childElements(c)) {
          const n = local(p.name);
          if (P_LEVEL.test(n)) this.numbered(p, heading, marks, c);
          else if (n !== "Title") this.prose(p);
        }
      } else if (name === "CommentaryRef") inlineText(c, this.owner.marks);
      else if (PROSE.has(name)) this.prose(c);
      else {
        this.walk.warnings.push(`${this.owner.entry.key}: unexpected <${c.name}> read as words`);
        this.prose(c);
      }
    }
  }
}

/**
 * One numbered provision and everything under it. Keys are the numbers
 * CLML gives each level (`Pnumber`), joined by dots from the list entry
 * down, whatever the P-level: P1 "ML8" → `ML8`, P2 "a" → `ML8.a`, P3 "16"
 * → `ML8.a.16`, P4 "c" → `ML8.a.16.c`, the way the Order and the Wassenaar
 * lists cite them. A numbered provision of a schedule that is not a list
 * entry ("1", a paragraph) is keyed under the schedule: `Sch.3.1`.
 */
function walkProvision(
  p: XmlElement,
  label: string,
  parentKey: string,
  heading: string | null,
  marks: Mark[],
  walk: Walk,
  group?: XmlElement,
) {
  const atTop = parentKey === `Sch.${walk.schedule}`;
  const key = atTop ? (ENTRY_NUMBER.test(label) ? label : `${parentKey}.${label}`) : `${parentKey}.${label}`;
  if (notInForce(p)) {
    walk.prospective.push(key);
    return;
  }
  const pending = open(walk, { key, parentKey, heading, text: "", data: versionData(p, walk, group) }, marks);
  new Scope(pending, walk).visit(p);
}

/**
 * The schedule's own level: titled groups, list entries, the definitions,
 * and the notes of the whole schedule. Definitions ("“term” means …") are
 * entries of their own under `Sch.3.def`, keyed by the term, so that one
 * omitted or reworded definition is one change.
 */
function walkScheduleBody(body: XmlElement, schedule: Pending, walk: Walk) {
  const scope = new Scope(schedule, walk);
  // The definitions' parent entry (opened once), whether the walk is among
  // them, and the definition that words with no term of their own continue.
  let definitions: Pending | null = null;
  let inDefinitions = false;
  let definition: Pending | null = null;

  const startDefinitions = (heading: string | null) => {
    definitions ??= open(walk, {
      key: `${schedule.entry.key}.def`,
      parentKey: schedule.entry.key,
      heading,
      text: "",
      data: { schedule: walk.schedule },
    });
    if (!definitions.entry.heading && heading) definitions.entry.heading = heading;
    inDefinitions = true;
    definition = null;
  };
  const defineFrom = (block: XmlElement) => {
    const marks: Mark[] = [];
    const text = normalizeText(blockText(block, marks, walk.warnings));
    if (!text) return;
    const term = DEFINITION_START.exec(text);
    if (term) {
      definition = open(
        walk,
        {
          key: `${definitions!.entry.key}.${slug(term[1]!)}`,
          parentKey: definitions!.entry.key,
          heading: null,
          text: "",
          data: { schedule: walk.schedule, term: normalizeText(term[1]!) },
        },
        marks,
      );
      definition.parts.push(text);
      return;
    }
    const target = definition ?? definitions!;
    target.parts.push(text);
    target.marks.push(...marks);
  };
  const defineAll = (el: XmlElement) => {
    for (const c of childElements(el)) {
      const name = local(c.name);
      if (name === "Title" || name === "Pnumber") continue;
      // Each item of a list of definitions is one definition (or continues one).
      if (name === "UnorderedList" || name === "OrderedList")
        for (const item of children(c, "ListItem")) defineFrom(item);
      else if (P_PARA.test(name) || (P_LEVEL.test(name) && !child(c, "Pnumber"))) defineAll(c);
      else defineFrom(c);
    }
  };

  const visit = (el: XmlElement) => {
    for (const c of childElements(el)) {
      const name = local(c.name);
      if (P_GROUP.test(name)) {
        const title = child(c, "Title");
        const heading = title ? normalizeText(inlineText(title, null)) || null : null;
        if (heading && /^definitions?\b/i.test(heading)) {
          startDefinitions(heading);
          defineAll(c);
          continue;
        }
        inDefinitions = false;
        const numbered = childElements(c).filter((p) => P_LEVEL.test(local(p.name)) && child(p, "Pnumber"));
        if (numbered.length) {
          const marks: Mark[] = [];
          if (title) inlineText(title, marks);
          for (const p of childElements(c)) {
            const n = local(p.name);
            if (P_LEVEL.test(n) && child(p, "Pnumber")) scope.numbered(p, heading, marks, c);
            else if (n !== "Title") scope.prose(p);
          }
        } else {
          // A titled group without numbers ("General Notes"): an entry keyed by its title.
          const group = open(walk, {
            key: `${schedule.entry.key}.${slug(heading ?? "group")}`,
            parentKey: schedule.entry.key,
            heading,
            text: "",
            data: versionData(c, walk),
          });
          new Scope(group, walk).visit(c);
        }
      } else if (P_LEVEL.test(name) && child(c, "Pnumber")) {
        inDefinitions = false;
        scope.numbered(c, null);
      } else if (["Part", "Chapter", "Pblock", "PsubBlock"].includes(name)) {
        const titleBlock = child(c, "TitleBlock") ?? c;
        const label = [child(titleBlock, "Number"), child(titleBlock, "Title")]
          .filter((x): x is XmlElement => x !== undefined)
          .map((x) => normalizeText(inlineText(x, null)))
          .filter(Boolean)
          .join(" ");
        const outer = walk.group;
        walk.group = label || outer;
        visit(c);
        walk.group = outer;
      } else if (name === "TitleBlock" || name === "Title" || name === "Number") {
        // The schedule's own number and title: its heading, read by the caller.
      } else if (name === "CommentaryRef") inlineText(c, schedule.marks);
      else if (PROSE.has(name) || P_LEVEL.test(name)) {
        const text = normalizeText(blockText(c, null));
        if (/^definitions:?$/i.test(text)) startDefinitions(text.replace(/:$/, ""));
        else if (inDefinitions || DEFINITION_START.test(text)) {
          if (!inDefinitions) startDefinitions(null);
          if (name === "UnorderedList" || name === "OrderedList") defineAll(c);
          else defineFrom(c);
        } else scope.prose(c);
      } else {
        walk.warnings.push(`${schedule.entry.key}: unexpected <${c.name}> read as words`);
        scope.prose(c);
      }
    }
  };
  visit(body);
}

// A reference to an entry of the lists: "ML8.d.3.", "PL9013.a.2", "ML7.h".
const ENTRY_REFERENCE = /\b(ML\d{1,2}|PL\d{4}[A-Z]?)((?:\.[a-z0-9]{1,4})*)\.?(?![a-z0-9])/g;

/**
 * A note belongs to what it names, not to where it stands: "Note: ML8.d.3.
 * does not control …" standing at the end of ML8 is `ML8.d.3.note`, the
 * deepest provision holding everything it names of its own entry. So a
 * paragraph inserted or removed just before a note leaves the note's key
 * alone. "See also ML4" and references to other entries do not count; a note
 * naming nothing of its entry stays where it stands.
 */
function attributeNotes(walk: Walk) {
  const parentOf = (key: string) => walk.byKey.get(key)?.entry.parentKey ?? null;
  const isNote = (key: string) => walk.byKey.get(key)?.entry.data?.note === true;
  const topOf = (key: string) => {
    let at: string | null = key;
    while (at && !ENTRY_NUMBER.test(at)) at = parentOf(at);
    return at;
  };
  const chain = (key: string) => {
    const out: string[] = [];
    for (let at: string | null = key; at !== null; at = parentOf(at)) out.unshift(at);
    return out;
  };
  for (const { pending, slug: label } of walk.notes) {
    const position = pending.entry.parentKey;
    const top = position ? topOf(position) : null;
    if (!position || !top) continue;
    const text = pending.parts.join(" ");
    const named: string[] = [];
    const subjects: string[] = [];
    for (const m of text.matchAll(ENTRY_REFERENCE)) {
      const before = text.slice(0, m.index);
      if (m[1] !== top || /\bsee(?:\s+also)?\s+$/i.test(before)) continue;
      const segments = `${m[1]}${m[2] ?? ""}`.split(".");
      while (segments.length > 1 && (!walk.byKey.has(segments.join(".")) || isNote(segments.join("."))))
        segments.pop();
      named.push(segments.join("."));
      // What the note is about, when it says so: "For the purposes of ML4.b.", "PL9002.b. does not control".
      const after = text.slice(m.index + m[0].length);
      if (
        /\bfor the purposes? of\s+$/i.test(before) ||
        /^\s*(?:does|do) not\b|^\s*(?:applies|controls|includes)\b/i.test(after)
      )
        subjects.push(segments.join("."));
    }
    if (subjects.length) named.splice(0, named.length, ...subjects);
    if (!named.length) continue;
    const chains = named.map(chain);
    let target = chains[0]![0]!;
    for (let i = 0; chains.every((c) => c[i] !== undefined && c[i] === chains[0]![i]); i++)
      target = chains[0]![i]!;
    const key = `${target}.${label}`;
    if (target === position || walk.byKey.has(key)) continue;
    walk.byKey.delete(pending.entry.key);
    pending.entry.key = key;
    pending.entry.parentKey = target;
    walk.byKey.set(key, pending);
  }
}

/** The amendment markers of an entry's own words, with what their commentaries say. */
function amendmentsOf(marks: Mark[], commentaries: Map<string, Commentary>, walk: Walk) {
  // One item per commentary; the marker that changed words (Addition,
  // Substitution, Repeal) names it rather than a bare reference to it.
  const byNote = new Map<string, { kind: string; type: string; note: string }>();
  for (const mark of marks) {
    const commentary = commentaries.get(mark.ref);
    if (!commentary) {
      walk.warnings.push(`commentary ${mark.ref} is referenced but not in <Commentaries>`);
      continue;
    }
    const known = byNote.get(commentary.text);
    if (!known)
      byNote.set(commentary.text, { kind: mark.kind, type: commentary.type, note: commentary.text });
    else if (known.kind === "CommentaryRef") known.kind = mark.kind;
  }
  return [...byNote.values()];
}

/** What an ECO schedules snapshot records about the version as a whole. */
export interface EcoMeta extends Record<string, unknown> {
  /** `DocumentURI` of the body: which version and part of the Order it is. */
  documentUri: string | null;
  /** `IdURI` of the item: `http://www.legislation.gov.uk/id/uksi/2008/3231` for the Order. */
  idUri: string | null;
  /** Whether the body is the Export Control Order 2008. */
  eco: boolean;
  title: string | null;
  /** `dc:modified` of the item. */
  modified: string | null;
  /** `dct:valid` / root `RestrictStartDate`: the point in time requested. */
  valid: string | null;
  /** The date the schedules' text is the law from: the latest start date of a watched schedule or entry. */
  versionDate: string | null;
  /** The schedules read: number, title, start date of their current version. */
  schedules: { number: string; title: string | null; inForce: string | null }[];
  /** Watched schedules the body does not hold (one schedule fetched alone). */
  missingSchedules: string[];
  /** Dated versions of the item legislation.gov.uk lists. */
  versions: string[];
  /** Instruments behind the textual amendments of the watched schedules, by the date they took effect. */
  amendments: { date: string; citation: string }[];
  /** Provisions left out because they are not in force at this point in time. */
  prospective: string[];
  /** Effects recorded against the Order but not yet applied to the text. */
  unappliedEffects: number;
}

export type EcoSnapshot = ParsedSnapshot<ListSnapshot, EcoMeta>;

export function parseEcoSchedules(input: ParseInput): EcoSnapshot {
  return runSteps(parseEcoSchedulesSteps(input));
}

function scheduleNumber(schedule: XmlElement): string | null {
  const number = child(child(schedule, "TitleBlock") ?? schedule, "Number") ?? child(schedule, "Number");
  const fromNumber = number
    ? /(\d+[A-Z]?)\s*$/.exec(normalizeText(inlineText(number, null)))?.[1]
    : undefined;
  return fromNumber ?? /^schedule-(\d+[A-Z]?)$/.exec(schedule.attrs.id ?? "")?.[1] ?? null;
}

/**
 * Schedules 2 and 3 of the Export Control Order 2008 in CLML (a revised,
 * point-in-time `…/schedules/data.xml`, or one schedule) as one list: each
 * schedule (`Sch.2`, `Sch.3`: heading and its own notes), its definitions
 * (`Sch.3.def.circuit-element`), its list entries and their numbered
 * paragraphs (`ML1`, `ML1.a`, `PL9013.a.1`), and notes under what they name
 * (`ML4.b.technical-note`). Words are NFC, amendment markers and commentary
 * references are taken out of them and kept in `data.amendments` with what
 * their commentaries say. Other schedules are known and not read.
 */
export function* parseEcoSchedulesSteps(input: ParseInput): Generator<void, EcoSnapshot> {
  const where = input.url ?? "ECO schedules";
  const root = yield* readXmlSteps(input, "ECO schedules");
  if (local(root.name) !== "Legislation")
    throw new SourceShapeChangedError(`${where}: expected CLML <Legislation>, found <${root.name}>`);
  const metadata = readMetadata(root);
  const commentaries = readCommentaries(root);
  const schedules = children(child(root, "Secondary") ?? child(root, "Primary"), "Schedules").flatMap((s) =>
    children(s, "Schedule"),
  );
  const walks: Walk[] = [];
  const read: EcoMeta["schedules"] = [];
  for (const schedule of schedules) {
    const number = scheduleNumber(schedule);
    if (!number || !(WATCHED_SCHEDULES as readonly string[]).includes(number)) continue;
    const body = child(schedule, "ScheduleBody");
    if (!body) throw new SourceShapeChangedError(`${where}: Schedule ${number} has no <ScheduleBody>`);
    const walk: Walk = {
      schedule: number,
      pending: [],
      byKey: new Map(),
      notes: [],
      warnings: [],
      prospective: [],
      group: null,
    };
    const titleEl = child(child(schedule, "TitleBlock") ?? schedule, "Title");
    const title = titleEl ? normalizeText(inlineText(titleEl, null)) || null : null;
    const marks: Mark[] = [];
    if (titleEl) inlineText(titleEl, marks);
    const reference = child(schedule, "Reference");
    const pending = open(
      walk,
      {
        key: `Sch.${number}`,
        parentKey: null,
        heading: title,
        text: "",
        data: {
          schedule: number,
          ...(reference ? { reference: normalizeText(inlineText(reference, null)) } : {}),
        },
      },
      marks,
    );
    walkScheduleBody(body, pending, walk);
    attributeNotes(walk);
    walks.push(walk);
    read.push({ number, title, inForce: isoDate(schedule.attrs.RestrictStartDate) });
    yield;
  }
  const missing = WATCHED_SCHEDULES.filter((n) => !read.some((s) => s.number === n));
  if (!read.length)
    throw new SourceShapeChangedError(
      `${where}: no Schedule ${WATCHED_SCHEDULES.join(" or ")} in the document (found ${schedules.length} schedules)`,
    );

  const entries: Entry[] = [];
  const warnings: string[] = [];
  const byDate = new Map<string, Set<string>>();
  const newest: { date: string | null } = { date: null };
  const later = (d: string | null | undefined) => {
    if (d && (!newest.date || d > newest.date)) newest.date = d;
  };
  for (const s of read) later(s.inForce);
  for (const walk of walks) {
    for (const p of walk.pending) {
      const amendments = amendmentsOf(p.marks, commentaries, walk);
      const data = { ...(p.entry.data ?? {}) };
      if (amendments.length) data.amendments = amendments;
      later(typeof data.inForce === "string" ? data.inForce : null);
      entries.push({ ...p.entry, text: normalizeText(p.parts.join(" ")), data });
      for (const mark of p.marks) {
        const c = commentaries.get(mark.ref);
        if (c?.type !== "F") continue;
        for (const date of c.dates)
          for (const cited of c.citations) {
            if (!byDate.has(date)) byDate.set(date, new Set());
            byDate.get(date)!.add(cited);
          }
      }
    }
    warnings.push(...walk.warnings.map((w) => `Schedule ${walk.schedule}: ${w}`));
  }
  if (!entries.some((e) => ENTRY_NUMBER.test(e.key)))
    throw new SourceShapeChangedError(
      `${where}: Schedules ${read.map((s) => s.number).join(", ")} hold no numbered entry (ML…, PL…); the layout is not one this parser reads`,
    );
  return {
    kind: "list",
    meta: {
      documentUri: metadata.documentUri,
      idUri: metadata.idUri,
      title: metadata.title,
      modified: metadata.modified,
      valid: metadata.valid ?? metadata.restrictStartDate,
      versionDate: newest.date ?? metadata.restrictStartDate ?? metadata.valid,
      schedules: read,
      missingSchedules: missing,
      versions: metadata.versions,
      amendments: [...byDate]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([date, cited]) => ({ date, citation: [...cited].join("; ") })),
      prospective: walks.flatMap((w) => w.prospective),
      unappliedEffects: metadata.unappliedEffects,
      eco: metadata.idUri === ECO_ID_URI,
    },
    warnings,
    entries,
  };
}
