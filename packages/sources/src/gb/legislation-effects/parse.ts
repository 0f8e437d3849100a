import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { mergeTechnologies, technologiesForKey, technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { runSteps } from "../../steps.ts";
import { childElements, textOf, type XmlElement } from "../../xml/parse-xml.ts";
import {
  child,
  children,
  citationFor,
  ECO_ID_URI,
  isoDate,
  LEGISLATION_ORIGIN,
  local,
  readXmlSteps,
} from "../eco-schedules/clml.ts";

export const PARSER_VERSION = "gb.legislation.eco-amendments/1";

/** The list source whose entries the Order's effects name (its numbering tags PL9013–PL9015). */
const ECO_LIST = "gb.legislation.eco-schedules";

/** One provision an effect names (`ukm:Section`, or a `ukm:SectionRange` from `URI` up to `UpTo`). */
export interface EffectProvision {
  label: string;
  uri: string | null;
  upTo: string | null;
}

export interface InForce {
  date: string | null;
  qualification: string | null;
  applied: boolean | null;
  prospective: boolean | null;
}

/** One `ukm:Effect` of a changes feed: what one provision of an instrument does to another item. */
export interface Effect {
  id: string;
  /** "inserted", "substituted", "words substituted", "revoked", "coming into force" … */
  type: string;
  /** Whether legislation.gov.uk's editors applied it to the revised text (null: not said). */
  applied: boolean | null;
  /** Whether it needs applying at all (false for commencements and the like). */
  requiresApplied: boolean | null;
  modified: string | null;
  affectedUri: string;
  affectedTitle: string | null;
  affectedClass: string | null;
  affectedCitation: string | null;
  affectedProvisions: string;
  affectedSections: EffectProvision[];
  affectingUri: string;
  affectingTitle: string | null;
  affectingClass: string | null;
  affectingCitation: string | null;
  affectingProvisions: string;
  inForce: InForce[];
  /** Row of the effect in the affecting instrument's table of effects. */
  row: number | null;
  notes: string | null;
}

/** Paging of a feed page (OpenSearch and legislation.gov.uk's own elements). */
export interface FeedPaging {
  page: number | null;
  morePages: number | null;
  totalPages: number | null;
  totalResults: number | null;
  itemsPerPage: number | null;
  startIndex: number | null;
  next: string | null;
  updated: string | null;
}

export interface ChangesFeed extends FeedPaging {
  id: string | null;
  effects: Effect[];
  warnings: string[];
}

const bool = (v: string | undefined) => (v === "true" ? true : v === "false" ? false : null);
const clean = (s: string | null | undefined) => (s ? normalizeText(s) || null : null);

function integer(el: XmlElement | undefined, what: string, where: string): number | null {
  if (!el) return null;
  const raw = normalizeText(textOf(el));
  if (!/^\d+$/.test(raw)) throw new SourceShapeChangedError(`${where}: <${what}> "${raw}" is not a number`);
  return Number(raw);
}

/** "http://www.legislation.gov.uk/id/uksi/2024/346" → "uksi/2024/346". */
export function itemPath(uri: string): string | null {
  return (
    /^https?:\/\/www\.legislation\.gov\.uk\/(?:id\/)?([a-z]+\/\d{4}\/\d+)(?:\/|$)/.exec(uri)?.[1] ?? null
  );
}

/** An ISO instant with its zone, or null: "2026-09-25T14:19:14Z", "2026-09-21T09:29:50.289143+01:00". */
function instant(value: string | undefined): string | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(value))
    return null;
  return Number.isNaN(Date.parse(value)) || !isoDate(value.slice(0, 10)) ? null : value;
}

function sections(el: XmlElement | undefined): EffectProvision[] {
  return childElements(el ?? { name: "", attrs: {}, children: [] })
    .filter((s) => local(s.name) === "Section" || local(s.name) === "SectionRange")
    .map((s) => ({ label: normalizeText(textOf(s)), uri: s.attrs.URI ?? null, upTo: s.attrs.UpTo ?? null }));
}

function readEffect(el: XmlElement, where: string, warnings: string[]): Effect {
  const a = el.attrs;
  const id = a.EffectId ?? a.URI;
  if (!id) throw new SourceShapeChangedError(`${where}: a <ukm:Effect> without EffectId`);
  if (!a.AffectedURI || !a.AffectingURI)
    throw new SourceShapeChangedError(
      `${where}: effect ${id} does not name both the affected and affecting items`,
    );
  const modified = instant(a.Modified);
  if (a.Modified && !modified) warnings.push(`effect ${id}: Modified "${a.Modified}" is not an ISO instant`);
  const inForce = children(child(el, "InForceDates"), "InForce").map((f) => {
    const date = isoDate(f.attrs.Date);
    if (f.attrs.Date && !date) warnings.push(`effect ${id}: in-force date "${f.attrs.Date}" is not a date`);
    return {
      date,
      qualification: clean(
        f.attrs.Qualification === "Other" ? f.attrs.OtherQualification : f.attrs.Qualification,
      ),
      applied: bool(f.attrs.Applied),
      prospective: bool(f.attrs.Prospective),
    };
  });
  const title = (name: string) => clean(textOf(child(el, name) ?? { name: "", attrs: {}, children: [] }));
  return {
    id,
    type: clean(a.Type) ?? "",
    applied: bool(a.Applied),
    requiresApplied: bool(a.RequiresApplied),
    modified,
    affectedUri: a.AffectedURI,
    affectedTitle: title("AffectedTitle"),
    affectedClass: a.AffectedClass ?? null,
    affectedCitation: citationFor(a.AffectedClass, a.AffectedYear, a.AffectedNumber),
    affectedProvisions: clean(a.AffectedProvisions) ?? "",
    affectedSections: sections(child(el, "AffectedProvisions")),
    affectingUri: a.AffectingURI,
    affectingTitle: title("AffectingTitle"),
    affectingClass: a.AffectingClass ?? null,
    affectingCitation: citationFor(a.AffectingClass, a.AffectingYear, a.AffectingNumber),
    affectingProvisions: clean(a.AffectingProvisions) ?? "",
    inForce,
    row: a.Row && /^\d+$/.test(a.Row) ? Number(a.Row) : null,
    notes: clean(a.Notes),
  };
}

/**
 * A legislation.gov.uk changes feed (`/changes/affected/…/data.feed`,
 * Atom): its paging and one effect per entry. Strict: a body that is not an
 * Atom feed, or an entry that carries no `ukm:Effect` (a publication log, a
 * search feed), is refused, never read as "no effects".
 */
export function* parseChangesFeedSteps(input: ParseInput): Generator<void, ChangesFeed> {
  const where = input.url ?? "changes feed";
  const root = yield* readXmlSteps(input, "changes feed");
  if (local(root.name) !== "feed")
    throw new SourceShapeChangedError(`${where}: expected an Atom <feed>, found <${root.name}>`);
  const warnings: string[] = [];
  const effects: Effect[] = [];
  for (const entry of children(root, "entry")) {
    const effect = child(child(entry, "content"), "Effect");
    if (!effect) {
      const what = clean(textOf(child(entry, "id") ?? entry))?.slice(0, 120);
      throw new SourceShapeChangedError(
        `${where}: entry ${what ?? "?"} carries no <ukm:Effect>; not a changes feed`,
      );
    }
    effects.push(readEffect(effect, where, warnings));
  }
  const next = children(root, "link").find((l) => l.attrs.rel === "next")?.attrs.href ?? null;
  return {
    id: clean(textOf(child(root, "id") ?? root)),
    page: integer(child(root, "page"), "leg:page", where),
    morePages: integer(child(root, "morePages"), "leg:morePages", where),
    totalPages: integer(child(root, "totalPages"), "leg:totalPages", where),
    totalResults: integer(child(root, "totalResults"), "openSearch:totalResults", where),
    itemsPerPage: integer(child(root, "itemsPerPage"), "openSearch:itemsPerPage", where),
    startIndex: integer(child(root, "startIndex"), "openSearch:startIndex", where),
    next,
    updated: instant(clean(textOf(child(root, "updated") ?? root)) ?? undefined),
    effects,
    warnings,
  };
}

export function parseChangesFeed(input: ParseInput): ChangesFeed {
  return runSteps(parseChangesFeedSteps(input));
}

/** A kind of instrument as people name it. */
const TYPES: Record<string, string> = {
  UnitedKingdomStatutoryInstrument: "UK Statutory Instrument",
  UnitedKingdomPublicGeneralAct: "UK Public General Act",
  ScottishStatutoryInstrument: "Scottish Statutory Instrument",
  WelshStatutoryInstrument: "Wales Statutory Instrument",
  NorthernIrelandStatutoryRule: "Northern Ireland Statutory Rule",
};

/**
 * The list entries an effect names: "Sch. 3 entry PL9009.b" → PL9009,
 * "Sch. 3 entries PL9013-PL9015" → PL9013, PL9014, PL9015 (a short range is
 * spelt out).
 */
export function entriesNamed(provisions: string): string[] {
  const out: string[] = [];
  const range = /\b(ML|PL)(\d{1,4})\s*[-–]\s*(?:ML|PL)?(\d{1,4})\b/g;
  for (const m of provisions.matchAll(range)) {
    const [from, to] = [Number(m[2]), Number(m[3])];
    if (to > from && to - from <= 30)
      for (let n = from; n <= to; n++) out.push(`${m[1]}${String(n).padStart(m[2]!.length, "0")}`);
  }
  for (const m of provisions.matchAll(/\b(?:ML\d{1,2}|PL\d{4}[A-Z]?)\b/g)) out.push(m[0]);
  return [...new Set(out)].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** "Sch. 3 entry PL9013 inserted": what one effect did, in legislation.gov.uk's words. */
const effectLine = (e: Effect) => normalizeText(`${e.affectedProvisions} ${e.type}`);

const byRow = (a: Effect, b: Effect) =>
  (a.row ?? Number.MAX_SAFE_INTEGER) - (b.row ?? Number.MAX_SAFE_INTEGER) || a.id.localeCompare(b.id);

/**
 * The effects on one item (`affectedUri`), one document per affecting
 * instrument: id `uksi/2024/346`, its citation and title, the earliest
 * in-force date of its effects as `effectiveAt` (and as `publishedAt`: the
 * feed gives no made date), the affected item's citation in `cfrReferences`
 * (so a list change that took effect that day links to it), and its effects
 * in `data.effects`. Everything that is hashed (title, dates, abstract) is
 * read in the effects' own order (their row in the instrument), never the
 * feed's: an effect moving up the feed because it was applied changes
 * nothing people are told about.
 */
export function effectsToDocuments(
  effects: readonly Effect[],
  affectedUri: string,
): { documents: RegDocument[]; warnings: string[] } {
  const warnings: string[] = [];
  const groups = new Map<string, Effect[]>();
  for (const e of effects) {
    if (e.affectedUri !== affectedUri) continue;
    const id = itemPath(e.affectingUri);
    if (!id) {
      warnings.push(`effect ${e.id}: affecting URI ${e.affectingUri} is not a legislation.gov.uk item`);
      continue;
    }
    groups.set(id, [...(groups.get(id) ?? []), e]);
  }
  const documents: RegDocument[] = [];
  for (const [id, list] of groups) {
    const ordered = [...list].sort(byRow);
    const first = ordered[0]!;
    const dates = [
      ...new Set(ordered.flatMap((e) => e.inForce.map((f) => f.date)).filter((d): d is string => !!d)),
    ].sort();
    const lines = [...new Set(ordered.map(effectLine))];
    const affected = first.affectedCitation ?? first.affectedTitle ?? affectedUri;
    const title = first.affectingTitle ?? id;
    const named = [...new Set(ordered.flatMap((e) => entriesNamed(e.affectedProvisions)))];
    documents.push({
      id,
      stage: "published",
      type: TYPES[first.affectingClass ?? ""] ?? first.affectingClass,
      title,
      abstract: `Effects on ${first.affectedTitle ?? affected} (${affected}): ${lines.join("; ")}.`,
      citation: first.affectingCitation ?? id,
      publishedAt: dates[0] ?? null,
      effectiveAt: dates[0] ?? null,
      url: `${LEGISLATION_ORIGIN}/${id}`,
      urls: {
        xml: `${LEGISLATION_ORIGIN}/${id}/data.xml`,
        effects: `${LEGISLATION_ORIGIN}/changes/affected/${itemPath(affectedUri) ?? ""}/affecting/${id}`,
      },
      cfrReferences: first.affectedCitation ? [first.affectedCitation] : [],
      technologies: mergeTechnologies(
        technologiesForText(`${title}\n${lines.join("\n")}`),
        ...named.map((key) => technologiesForKey(key, ECO_LIST)),
      ),
      countries: [],
      data: {
        language: "en",
        affectingUri: first.affectingUri,
        affectedUri,
        inForceDates: dates,
        entriesNamed: named,
        effects: ordered.map((e) => ({
          id: e.id,
          type: e.type,
          affectedProvisions: e.affectedProvisions,
          affectingProvisions: e.affectingProvisions,
          applied: e.applied,
          requiresApplied: e.requiresApplied,
          inForce: e.inForce,
          modified: e.modified,
          ...(e.notes ? { notes: e.notes } : {}),
        })),
      },
    });
  }
  documents.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
  return { documents, warnings };
}

/** What a changes-feed snapshot records about the page it came from. */
export interface EffectsMeta extends Record<string, unknown> {
  feedId: string | null;
  page: number | null;
  morePages: number | null;
  totalResults: number | null;
  /** Effects on the page, and how many of them concern the Order. */
  effects: number;
  ecoEffects: number;
  /** The newest `Modified` on the page: the cursor the next run starts from. */
  newestModified: string | null;
}

export type EffectsSnapshot = ParsedSnapshot<DocumentsSnapshot, EffectsMeta>;

/** A changes feed page → one document per instrument amending the Export Control Order 2008. */
export function* parseEcoEffectsSteps(input: ParseInput): Generator<void, EffectsSnapshot> {
  const feed = yield* parseChangesFeedSteps(input);
  const { documents, warnings } = effectsToDocuments(feed.effects, ECO_ID_URI);
  const modified = feed.effects.map((e) => e.modified).filter((m): m is string => m !== null);
  return {
    kind: "documents",
    meta: {
      feedId: feed.id,
      page: feed.page,
      morePages: feed.morePages,
      totalResults: feed.totalResults,
      effects: feed.effects.length,
      ecoEffects: feed.effects.filter((e) => e.affectedUri === ECO_ID_URI).length,
      newestModified: modified.sort((a, b) => Date.parse(b) - Date.parse(a))[0] ?? null,
    },
    warnings: [...feed.warnings, ...warnings],
    documents,
  };
}

export function parseEcoEffects(input: ParseInput): EffectsSnapshot {
  return runSteps(parseEcoEffectsSteps(input));
}
