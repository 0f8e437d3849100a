import { decodeChunks } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { uniqueKey } from "../../entry-keys.ts";
import { runSteps } from "../../steps.ts";
import {
  childElements,
  firstChild,
  parseXmlSteps,
  textOf,
  type XmlElement,
  type XmlNode,
} from "../../xml/parse-xml.ts";

export const PARSER_VERSION = "ca.export-control-list/2";

// "NOTE" in the English consolidation, "NOTA :" in the French one.
const NOTE_HEADING = /^(NOTES?|NOTA|REMARQUES?)\s*:?$/i;

// Children a provision may carry. Anything else is reported, never dropped silently.
const PROVISION_PARTS = new Set(["Label", "Text", "Provision", "HistoricalNote", "Footnote", "MarginalNote"]);
const SECTION_PARTS = new Set([
  "Label",
  "Text",
  "Definition",
  "Paragraph",
  "Subparagraph",
  "Clause",
  "HistoricalNote",
  "Footnote",
  "MarginalNote",
  "Subsection",
]);

/**
 * Inline markup to plain text. Superscripts keep a caret ("10^-3") so that
 * exponents do not run into their base; footnote markers are not text.
 */
function inlineText(node: XmlNode): string {
  if (typeof node === "string") return node;
  if (node.name === "FootnoteRef") return "";
  if (node.name === "Sup") return `^${textOf(node)}`;
  let out = "";
  for (const c of node.children) out += inlineText(c);
  return out;
}

function ownText(el: XmlElement, parts: Set<string>, warnings: string[], where: string): string {
  const pieces: string[] = [];
  for (const c of el.children) {
    if (typeof c === "string") {
      if (c.trim()) pieces.push(c);
      continue;
    }
    if (c.name === "Text") pieces.push(inlineText(c));
    else if (!parts.has(c.name)) warnings.push(`${where}: unexpected <${c.name}> kept out of the entry`);
  }
  return normalizeText(pieces.join(" "));
}

function labelOf(el: XmlElement): string | null {
  const label = firstChild(el, "Label");
  return label ? normalizeText(textOf(label)) : null;
}

function dateOf(el: XmlElement | undefined): string | null {
  if (!el) return null;
  const date = firstChild(el, "Date") ?? el;
  const y = firstChild(date, "YYYY");
  const m = firstChild(date, "MM");
  const d = firstChild(date, "DD");
  if (!y || !m || !d) return null;
  return `${textOf(y).trim()}-${textOf(m).trim().padStart(2, "0")}-${textOf(d).trim().padStart(2, "0")}`;
}

function lims(el: XmlElement, name: string): string | null {
  return el.attrs[`lims:${name}`] ?? null;
}

interface Walk {
  entries: Entry[];
  seen: Set<string>;
  warnings: string[];
  /** Each note block: its entry, the entries under it, and the provision it stands in. */
  notes: { note: Entry; parts: Entry[] }[];
}

function push(walk: Walk, entry: Entry): Entry {
  const key = uniqueKey(entry.key, walk.seen, walk.warnings);
  if (key !== entry.key) entry = { ...entry, key };
  walk.seen.add(entry.key);
  walk.entries.push(entry);
  return entry;
}

function entryData(el: XmlElement, context: string | null): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  // An amended text carries its own in-force date; the provision keeps its original one.
  const dates = [el, ...childElements(el).filter((c) => c.name === "Text" || c.name === "Label")]
    .map((e) => lims(e, "inforce-start-date"))
    .filter((d): d is string => d !== null)
    .sort();
  const inForce = dates[dates.length - 1];
  if (inForce) data.inForce = inForce;
  const amended = lims(el, "lastAmendedDate");
  if (amended) data.lastAmended = amended;
  if (context) data.context = context;
  return data;
}

function walkProvision(
  el: XmlElement,
  key: string,
  parentKey: string | null,
  context: string | null,
  walk: Walk,
) {
  let text = ownText(el, PROVISION_PARTS, walk.warnings, key);
  const children = childElements(el).filter((c) => c.name === "Provision");
  const isNote = labelOf(el) === null && NOTE_HEADING.test(text);
  // Unlabelled text inside a note block continues the note.
  if (isNote) {
    for (const c of children)
      if (!labelOf(c)) text = `${text} ${ownText(c, PROVISION_PARTS, walk.warnings, key)}`;
  }
  const entry = push(walk, { key, parentKey, heading: null, text, data: entryData(el, context) });
  const from = walk.entries.length;
  let unlabelled = 0;
  for (const child of children) {
    const label = labelOf(child);
    if (isNote && !label) continue;
    let childKey: string;
    if (label) childKey = isNote ? `${key}.${label}` : `${key}${label}`;
    else if (NOTE_HEADING.test(ownText(child, PROVISION_PARTS, [], key))) childKey = `${key}.note`;
    // An unlabelled continuation paragraph inside an item: keyed by position.
    else childKey = `${key}.p${++unlabelled}`;
    walkProvision(child, childKey, key, context, walk);
  }
  if (isNote) walk.notes.push({ note: entry, parts: walk.entries.slice(from) });
}

// "subparagraph (iii)", "clauses (C) and (D)", "paragraphs (2)(d) to (g)"; in the
// French consolidation "sous-alinéa (iii)", "divisions (C) et (D)", "paragraphe (2)".
// French labels of paragraphs have no opening parenthesis: "5506(2)d)(iii)".
const LABELS = String.raw`(?:\(?[0-9A-Za-z.]{1,6}\))+`;
const PROVISION_NAMES = new RegExp(
  String.raw`\b(?:sub)?(?:sections?|paragraphs?|clauses?)\s+(${LABELS}(?:\s*(?:,|and|or|to|through|et|ou|à)\s+${LABELS})*)|\b(?:sous-)?(?:alinéas?|paragraphes?|divisions?|subdivisions?)\s+(${LABELS}(?:\s*(?:,|et|ou|à)\s+${LABELS})*)`,
  "gi",
);

/**
 * The provisions of its own item a note block names, resolved from where the
 * note stands: "clause (B)" in a note inside 5506(2)(d)(iii)(B) is
 * 5506(2)(d)(iii)(B), "subparagraph (iii)" is 5506(2)(d)(iii). A name is read
 * against the nearest enclosing provision that has it; one that is not a
 * provision of the item ("subsection 84(1) of the Criminal Code", "note 2")
 * does not count.
 */
export function namedProvisions(
  text: string,
  position: string,
  parentOf: (key: string) => string | null,
  has: (key: string) => boolean,
): string[] {
  const named: string[] = [];
  const resolve = (labels: string): string | null => {
    for (let at: string | null = position; at !== null; at = parentOf(at)) {
      if (has(`${at}${labels}`)) return `${at}${labels}`;
    }
    return null;
  };
  for (const m of text.matchAll(PROVISION_NAMES)) {
    const after = text.slice(m.index + m[0].length);
    if (/^\s+(?:of|in) (?:the|that)\b|^\s+(?:de la|du|de l[’'])/.test(after)) continue;
    let previous: string | null = null;
    for (const labels of (m[1] ?? m[2])!.match(new RegExp(LABELS, "g")) ?? []) {
      // "(2)(d) to (g)": a later label of a list is a sibling of the one before it.
      const sibling: string | null = previous === null ? null : parentOf(previous);
      const found: string | null =
        sibling !== null && has(`${sibling}${labels}`) ? `${sibling}${labels}` : resolve(labels);
      if (found) named.push(found);
      previous = found;
    }
  }
  return named;
}

/**
 * A note block belongs to what it names (the deepest provision holding all it
 * names), not to the provision it happens to stand in: a clause inserted just
 * before a note, or the last one removed, leaves the note's key alone. A note
 * naming nothing of its item stays where it stands.
 */
function attributeNotes(walk: Walk) {
  const parents = new Map(walk.entries.map((e) => [e.key, e.parentKey]));
  const parentOf = (key: string) => parents.get(key) ?? null;
  const isNote = new Set(walk.notes.flatMap(({ note, parts }) => [note.key, ...parts.map((p) => p.key)]));
  const has = (key: string) => parents.has(key) && !isNote.has(key);
  const chain = (key: string) => {
    const out: string[] = [];
    for (let at: string | null = key; at !== null; at = parentOf(at)) out.unshift(at);
    return out;
  };
  for (const { note, parts } of walk.notes) {
    const position = note.parentKey;
    if (position === null) continue;
    const text = [note, ...parts].map((e) => e.text).join(" ");
    const named = namedProvisions(text, position, parentOf, has);
    if (!named.length) continue;
    const chains = named.map(chain);
    let target = chains[0]![0]!;
    for (let i = 0; chains.every((c) => c[i] !== undefined && c[i] === chains[0]![i]); i++)
      target = chains[0]![i]!;
    const key = `${target}.note`;
    if (target === position || walk.seen.has(key)) continue;
    const old = note.key;
    walk.seen.delete(old);
    walk.seen.add(key);
    note.key = key;
    note.parentKey = target;
    for (const part of parts) {
      walk.seen.delete(part.key);
      part.key = `${key}${part.key.slice(old.length)}`;
      if (part.parentKey?.startsWith(old)) part.parentKey = `${key}${part.parentKey.slice(old.length)}`;
      walk.seen.add(part.key);
    }
  }
}

function walkSection(el: XmlElement, key: string, parentKey: string | null, walk: Walk, root: XmlElement) {
  push(walk, {
    key,
    parentKey,
    heading: null,
    text: ownText(el, SECTION_PARTS, walk.warnings, key),
    data: entryData(el, null),
  });
  for (const child of childElements(el)) {
    if (child.name === "Definition") {
      // Definitions are keyed by the term in the document's own language.
      const text = firstChild(child, "Text") ?? child;
      const term = firstChild(text, root.attrs["xml:lang"] === "fr" ? "DefinedTermFr" : "DefinedTermEn");
      const name = term ? normalizeText(textOf(term)) : null;
      if (!name) {
        walk.warnings.push(`${key}: definition without an English defined term`);
        continue;
      }
      walkSection(child, `${key}:${name}`, key, walk, root);
    } else if (["Paragraph", "Subparagraph", "Clause", "Subsection"].includes(child.name)) {
      const label = labelOf(child);
      if (!label) {
        walk.warnings.push(`${key}: <${child.name}> without a label`);
        continue;
      }
      walkSection(child, `${key}${label}`, key, walk, root);
    }
  }
}

/**
 * Canada's Export Control List (SOR/89-202) in Justice Laws XML. Entries are
 * the schedule's items keyed by their labels ("5506", "5506(2)(a)(i)",
 * "3-01(1)"), provisions directly under a group heading keyed by the group
 * ("group-1", "group-2(b)(ii)"), notes under an item as "<item>.note" and
 * "<item>.note.1", and the body's sections ("s.2(a)",
 * "s.1:Guide"). lims:id / lims:fid attributes are ignored: they churn between
 * consolidations without any change in the law.
 */
/** What an Export Control List snapshot records about the consolidation as a whole. */
export interface EclMeta extends Record<string, unknown> {
  instrument: string;
  /** `lims:pit-date`: the point in time the text is the law as of. */
  pointInTime: string | null;
  lastAmended: string | null;
  /** `lims:current-date`: moves with every republication, even of the same text. */
  currentTo: string | null;
  consolidatedOn: string | null;
  recentAmendments: { citation: string; date: string }[];
  /** Amendments not yet in force, reported and not read as the list. */
  pendingAmendments: string[];
}

export type EclSnapshot = ParsedSnapshot<ListSnapshot, EclMeta>;

export function parseExportControlList(input: ParseInput): EclSnapshot {
  return runSteps(parseExportControlListSteps(input));
}

/** `parseExportControlList` a slice of the document at a time (the tree is built from decoded slices). */
export function* parseExportControlListSteps(input: ParseInput): Generator<void, EclSnapshot> {
  const { chunks } = decodeChunks(input.body, input.contentType);
  const root = yield* parseXmlSteps(chunks, { fileName: input.url ?? undefined });
  if (root.name !== "Regulation") {
    throw new SourceShapeChangedError(`expected a Justice Laws <Regulation>, found <${root.name}>`);
  }
  const identification = firstChild(root, "Identification");
  const instrument = identification
    ? normalizeText(textOf(firstChild(identification, "InstrumentNumber") ?? ""))
    : "";
  if (!/^(SOR|DORS)\/89-202$/.test(instrument)) {
    throw new SourceShapeChangedError(`expected SOR/89-202, found "${instrument || "no instrument number"}"`);
  }

  const walk: Walk = { entries: [], seen: new Set(), warnings: [], notes: [] };
  const body = firstChild(root, "Body");
  if (!body) throw new SourceShapeChangedError("no <Body> in the regulation");
  for (const child of childElements(body)) {
    if (child.name === "Section") {
      const label = labelOf(child);
      if (label) walkSection(child, `s.${label}`, null, walk, root);
      else walk.warnings.push("section without a label");
    } else if (child.name !== "Heading") {
      walk.warnings.push(`body: unexpected <${child.name}>`);
    }
  }

  const pending: string[] = [];
  let scheduleSeen = false;
  for (const schedule of childElements(root).filter((c) => c.name === "Schedule")) {
    const formHeading = firstChild(schedule, "ScheduleFormHeading");
    // Amendments enacted but not yet in force are published as a second schedule.
    // They are not the list; record them as an early warning.
    if (formHeading?.attrs.type === "amending" || schedule.attrs.id === "NifProvs") {
      for (const h of childElements(schedule).flatMap((p) => childElements(p))) {
        const title = firstChild(firstChild(h, "Heading") ?? h, "TitleText");
        if (title) pending.push(normalizeText(textOf(title)).replace(/^—\s*/, ""));
      }
      continue;
    }
    scheduleSeen = true;
    let group: string | null = null;
    let groupTitle = "";
    let subheading = "";
    const unlabelledInGroup = new Map<string, number>();
    for (const child of childElements(schedule)) {
      if (child.name === "Heading") {
        const label = labelOf(child);
        const title = normalizeText(textOf(firstChild(child, "TitleText") ?? ""));
        const groupMatch = label ? /^GROUPE?\s+(\d+)$/i.exec(label) : null;
        if (groupMatch) {
          group = groupMatch[1] ?? null;
          groupTitle = title;
          subheading = "";
        } else {
          subheading = title;
        }
        continue;
      }
      if (child.name === "Provision") {
        const context = [
          group ? `Group ${group}${groupTitle ? ` — ${groupTitle}` : ""}` : null,
          subheading || null,
        ]
          .filter(Boolean)
          .join(" › ");
        const label = labelOf(child);
        if (label) {
          walkProvision(child, label, null, context || null, walk);
        } else {
          if (!group) {
            walk.warnings.push("unlabelled provision before any group heading");
            continue;
          }
          const n = (unlabelledInGroup.get(group) ?? 0) + 1;
          unlabelledInGroup.set(group, n);
          walkProvision(
            child,
            n === 1 ? `group-${group}` : `group-${group}.p${n}`,
            null,
            context || null,
            walk,
          );
        }
        continue;
      }
      if (!["ScheduleFormHeading", "HistoricalNote"].includes(child.name)) {
        walk.warnings.push(`schedule: unexpected <${child.name}>`);
      }
    }
  }
  if (!scheduleSeen) throw new SourceShapeChangedError("no schedule (the list itself) in the regulation");
  attributeNotes(walk);

  const amendments = childElements(
    firstChild(root, "RecentAmendments") ?? { name: "", attrs: {}, children: [] },
  ).map((a) => ({
    citation: normalizeText(textOf(firstChild(a, "AmendmentCitation") ?? "")),
    date: normalizeText(textOf(firstChild(a, "AmendmentDate") ?? "")),
  }));

  return {
    kind: "list",
    meta: {
      instrument,
      pointInTime: lims(root, "pit-date"),
      lastAmended: lims(root, "lastAmendedDate"),
      currentTo: lims(root, "current-date"),
      consolidatedOn: dateOf(firstChild(identification ?? root, "ConsolidationDate")),
      recentAmendments: amendments,
      pendingAmendments: pending,
    },
    warnings: walk.warnings,
    entries: walk.entries,
  };
}
