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
  parseXml,
  parseXmlSteps,
  textOf,
  type XmlElement,
} from "../../xml/parse-xml.ts";

// 2: the consolidation is recognised by its citeertitel (the BWB id is found at run time).
export const PARSER_VERSION = "nl.bwb/2";

const PUBLICATIONS: Record<string, string> = { stcrt: "Stcrt.", stb: "Stb.", trb: "Trb." };

/**
 * A KOOP publication reference in the form lawyers cite it: BWB's `bron`
 * ("Stcrt.2024-99999") and KOOP's identifiers ("stcrt-2024-99999") both
 * become "Stcrt. 2024, 99999", the way the Staatscourant source cites the
 * same publication, so a list change and the instrument behind it name one
 * event. Anything else is returned as given.
 */
export function publicationCitation(ref: string): string {
  const m = /^(stcrt|stb|trb)[.-]?\s*(\d{4})[-,]\s*(\d+)$/i.exec(ref.trim());
  return m ? `${PUBLICATIONS[m[1]!.toLowerCase()]} ${m[2]}, ${m[3]}` : ref.trim();
}

/**
 * Structural divisions of a BWB text and the key segment each gets. Divisions
 * are keyed by their chain (`hfdst.2.par.1`, numbers restart per chapter);
 * articles by their number alone (`art.2`), which is unique in a Dutch act.
 */
const DIVISIONS: Record<string, string> = {
  boek: "boek",
  deel: "deel",
  titeldeel: "titel",
  hoofdstuk: "hfdst",
  afdeling: "afd",
  paragraaf: "par",
  "sub-paragraaf": "subpar",
  divisie: "div",
};

/** Elements that carry an entry's own text. */
const TEXT_PARTS = new Set(["al", "al-groep", "tussenkop", "aanhaling", "formule", "definitie", "plaatje"]);
/** Bookkeeping and identification: never text, never entries. */
const IGNORED = new Set(["meta-data", "kop", "lidnr", "li.nr", "nootref", "noot", "redactionele-opmerking"]);
/** Parts of the act that are not its provisions (preamble, signatures): known, not read. */
const OUTSIDE = new Set(["aanhef", "wetsluiting", "regeling-sluiting", "slotformulering", "considerans"]);

/** Inline text of an element: everything beneath it but its bookkeeping. */
function inlineText(el: XmlElement): string {
  let out = "";
  for (const c of el.children) {
    if (typeof c === "string") out += c;
    else if (c.name === "meta-data" || c.name === "noot" || c.name === "nootref") out += " ";
    else if (c.name === "al" || c.name === "li" || c.name === "row") out += ` ${inlineText(c)} `;
    else out += inlineText(c);
  }
  return out;
}

/** A CALS table as rows of cells ("a | b", rows separated by " / "). */
function tableText(table: XmlElement): string {
  const rows: string[] = [];
  const visit = (el: XmlElement) => {
    for (const c of childElements(el)) {
      if (c.name === "row") {
        rows.push(
          childElements(c)
            .filter((cell) => cell.name === "entry")
            .map((cell) => normalizeText(inlineText(cell)))
            .join(" | "),
        );
      } else if (c.name !== "meta-data") visit(c);
    }
  };
  visit(table);
  return rows.join(" / ");
}

/** The number a `kop` gives: `<nr>`, or what follows the word in `<label>` ("Artikel 3a"). */
function kopNumber(el: XmlElement): string | null {
  const kop = firstChild(el, "kop");
  if (!kop) return null;
  const nr = firstChild(kop, "nr");
  const raw = nr ? textOf(nr) : textOf(firstChild(kop, "label") ?? "").replace(/^\s*\S+/, "");
  const clean = normalizeText(raw).replace(/[.:]+$/, "");
  return clean ? clean.replace(/\s+/g, "") : null;
}

function kopHeading(el: XmlElement): string | null {
  const kop = firstChild(el, "kop");
  if (!kop) return null;
  const parts = ["label", "nr", "titel"].map((n) => firstChild(kop, n)).filter((p) => p !== undefined);
  const heading = normalizeText(parts.map((p) => inlineText(p)).join(" "));
  return heading || null;
}

/** "a.", "1°.", "(ii)", "b)" → "a", "1°", "ii"; bullets and dashes → null. */
function itemLabel(li: XmlElement): string | null {
  const nr = firstChild(li, "li.nr");
  if (!nr) return null;
  const label = normalizeText(textOf(nr))
    .replace(/^\(/, "")
    .replace(/[.):]+$/, "");
  return /^[\p{L}\p{N}°]+$/u.test(label) ? label : null;
}

interface Walk {
  entries: Entry[];
  seen: Set<string>;
  warnings: string[];
  /** In-force date → the publication (`bron`) behind an article's current wording. */
  sources: Map<string, string>;
}

function push(walk: Walk, entry: Entry): void {
  const key = uniqueKey(entry.key, walk.seen, walk.warnings);
  walk.seen.add(key);
  walk.entries.push({ ...entry, key });
}

function ownText(el: XmlElement): string {
  const pieces: string[] = [];
  for (const c of el.children) {
    if (typeof c === "string") {
      if (c.trim()) pieces.push(c);
    } else if (TEXT_PARTS.has(c.name)) pieces.push(inlineText(c));
    else if (c.name === "table") pieces.push(tableText(c));
  }
  return normalizeText(pieces.join(" "));
}

function articleData(el: XmlElement, walk: Walk): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const { status, inwerking, bron, effect } = el.attrs;
  if (status) data.status = status;
  if (inwerking) data.inForce = inwerking;
  if (bron) data.source = bron;
  if (effect) data.effect = effect;
  if (inwerking && bron && status !== "vervallen") walk.sources.set(inwerking, bron);
  return data;
}

/**
 * An entry and what is under it. `scope` is the key prefix articles get
 * (`""` in the body, `bijlage.1.` in an annex); `division` the key of the
 * nearest structural division, which further divisions extend.
 */
function walkElement(
  el: XmlElement,
  key: string,
  parentKey: string | null,
  scope: string,
  division: string,
  walk: Walk,
  data?: Record<string, unknown>,
): void {
  const heading = el.name === "lid" || el.name === "li" ? null : kopHeading(el);
  push(walk, { key, parentKey, heading, text: ownText(el), ...(data ? { data } : {}) });
  const lists = childElements(el).filter((c) => c.name === "lijst");
  let listIndex = 0;
  let unnumberedLid = 0;
  for (const child of childElements(el)) {
    const name = child.name;
    if (TEXT_PARTS.has(name) || IGNORED.has(name) || name === "table") continue;
    if (name === "lid") {
      const nr = normalizeText(textOf(firstChild(child, "lidnr") ?? "")).replace(/[.:]+$/, "");
      walkElement(child, `${key}.lid.${nr || `p${++unnumberedLid}`}`, key, scope, division, walk);
    } else if (name === "lijst") {
      // A second list in the same provision restarts its numbering: its items are kept apart.
      listIndex++;
      const prefix = lists.length > 1 && listIndex > 1 ? `${key}.lijst${listIndex}` : key;
      walkList(child, prefix, key, scope, division, walk);
    } else if (name === "artikel") {
      walkArticle(child, key, scope, division, walk);
    } else if (DIVISIONS[name]) {
      walkDivision(child, key, scope, division, walk);
    } else {
      walk.warnings.push(`${key}: unexpected <${name}> kept out of the entries`);
    }
  }
}

function walkList(
  lijst: XmlElement,
  prefix: string,
  parentKey: string,
  scope: string,
  division: string,
  walk: Walk,
): void {
  let position = 0;
  for (const li of childElements(lijst)) {
    if (li.name !== "li") {
      if (li.name !== "meta-data") walk.warnings.push(`${parentKey}: unexpected <${li.name}> in a list`);
      continue;
    }
    position++;
    walkElement(li, `${prefix}.${itemLabel(li) ?? `p${position}`}`, parentKey, scope, division, walk);
  }
}

function walkArticle(el: XmlElement, parentKey: string | null, scope: string, division: string, walk: Walk) {
  const nr = kopNumber(el) ?? el.attrs.label?.replace(/^\S+\s*/, "").replace(/\s+/g, "");
  if (!nr) {
    walk.warnings.push(`${parentKey ?? "body"}: article without a number`);
    return;
  }
  walkElement(el, `${scope}art.${nr}`, parentKey, scope, division, walk, articleData(el, walk));
}

function walkDivision(el: XmlElement, parentKey: string | null, scope: string, division: string, walk: Walk) {
  const segment = DIVISIONS[el.name]!;
  const nr = kopNumber(el);
  const key = `${division ? `${division}.` : scope}${segment}.${nr ?? "p"}`;
  walkElement(el, key, parentKey, scope, key, walk, articleData(el, walk));
}

/** An annex: `bijlage.1`, or `bijlage` when the act has one unnumbered annex. */
function walkAnnex(el: XmlElement, index: number, walk: Walk) {
  const nr = kopNumber(el);
  const key = nr ? `bijlage.${nr}` : index === 1 ? "bijlage" : `bijlage.p${index}`;
  walkElement(el, key, null, `${key}.`, key, walk, articleData(el, walk));
}

/** The body of an act or regulation: divisions, articles, annexes, in order. */
function walkBody(el: XmlElement, walk: Walk, annexes: { n: number }) {
  for (const child of childElements(el)) {
    const name = child.name;
    if (name === "artikel") walkArticle(child, null, "", "", walk);
    else if (DIVISIONS[name]) walkDivision(child, null, "", "", walk);
    else if (name === "bijlage") walkAnnex(child, ++annexes.n, walk);
    else if (
      ["wet-besluit", "wettekst", "regeling", "regeling-tekst", "circulaire", "circulaire-tekst"].includes(
        name,
      )
    )
      walkBody(child, walk, annexes);
    else if (!OUTSIDE.has(name) && !["intitule", "citeertitel", "meta-data", "kop"].includes(name))
      walk.warnings.push(`<${el.name}>: unexpected <${name}> kept out of the entries`);
  }
}

/** What a BWB snapshot records about the consolidation ("toestand") as a whole. */
export interface BwbMeta extends Record<string, unknown> {
  /** `bwb-id`: BWBR0002458. */
  bwbId: string;
  /** The expression: in-force date and sequence, `2014-01-01_1`. */
  expression: string | null;
  /** `inwerkingtreding`: the date this consolidation is the law from. */
  versionDate: string | null;
  /** `bwb-inputbestand`: the expression this one was made from. */
  inputFile: string | null;
  citationTitle: string | null;
  longTitle: string | null;
  /** `soort` of the `wetgeving`: wet, AMvB, ministeriele-regeling … */
  kind: string | null;
  /** Publications behind the current wording of articles, by the date they took effect. */
  amendments: { date: string; source: string }[];
}

export type BwbSnapshot = ParsedSnapshot<ListSnapshot, BwbMeta>;

export function parseBwbToestand(input: ParseInput): BwbSnapshot {
  return runSteps(parseBwbToestandSteps(input));
}

/**
 * A KOOP Basiswettenbestand "toestand" (toestand_2015-1.xsd) as a list, one
 * entry per article, paragraph (`lid`) and list item (`onderdeel`):
 * `art.2`, `art.2.lid.3`, `art.2.lid.3.a`, `art.1.lid.1.lijst2.a` for a second
 * list in the same provision; divisions as parent entries with their heading
 * (`par.1`, `hfdst.2.afd.1`); annexes as `bijlage.1` with their contents
 * below (`bijlage.1.a`, `bijlage.1.art.3`). Element ids, version ids and JCI
 * references churn between expressions and are never text.
 */
export function* parseBwbToestandSteps(input: ParseInput): Generator<void, BwbSnapshot> {
  const { chunks } = decodeChunks(input.body, input.contentType);
  const root = yield* parseXmlSteps(chunks, { fileName: input.url ?? undefined });
  if (root.name !== "toestand") {
    throw new SourceShapeChangedError(
      `expected a BWB consolidation (<toestand>, toestand_2015-1.xsd), found <${root.name}>`,
    );
  }
  const bwbId = root.attrs["bwb-id"];
  if (!bwbId || !/^BWB[RV]\d{7}$/.test(bwbId)) {
    throw new SourceShapeChangedError(`BWB toestand without a valid bwb-id (found "${bwbId ?? ""}")`);
  }
  const wetgeving = firstChild(root, "wetgeving");
  if (!wetgeving) throw new SourceShapeChangedError(`BWB toestand ${bwbId} has no <wetgeving>`);

  const walk: Walk = { entries: [], seen: new Set(), warnings: [], sources: new Map() };
  for (const child of childElements(root)) {
    if (!["bwb-inputbestand", "bwb-wijzigingen", "redactionele-correcties", "wetgeving"].includes(child.name))
      walk.warnings.push(`<toestand>: unexpected <${child.name}>`);
  }
  walkBody(wetgeving, walk, { n: 0 });
  if (!walk.entries.some((e) => /(^|\.)art\./.test(e.key) || e.key.startsWith("bijlage")))
    throw new SourceShapeChangedError(`BWB toestand ${bwbId} has no articles or annexes`);

  const expression = /\/(\d{4}-\d{2}-\d{2})\/(\d+)$/.exec(root.attrs["bwb-ng-vast-deel"] ?? "");
  const input_ = firstChild(root, "bwb-inputbestand");
  const title = (name: string) => {
    const el = firstChild(wetgeving, name);
    return el ? normalizeText(inlineText(el)) || null : null;
  };
  return {
    kind: "list",
    meta: {
      bwbId,
      expression: expression ? `${expression[1]}_${expression[2]}` : null,
      versionDate: root.attrs.inwerkingtreding ?? expression?.[1] ?? null,
      inputFile: input_ ? normalizeText(textOf(input_)) || null : null,
      citationTitle: title("citeertitel"),
      longTitle: title("intitule"),
      kind: wetgeving.attrs.soort ?? null,
      amendments: [...walk.sources]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([date, source]) => ({ date, source })),
    },
    warnings: walk.warnings,
    entries: walk.entries,
  };
}

/** One expression (consolidated version) the BWB repository manifest lists. */
export interface BwbExpression {
  /** `2014-02-15_0`. */
  label: string;
  inForce: string;
  /** Null while the version is current. */
  endDate: string | null;
  /** SHA-512 of the XML manifestation, as KOOP gives it. */
  hash: string | null;
  size: number | null;
  /** Path of the XML below the work: `2014-02-15_0/xml/BWBR0002458_2014-02-15_0.xml`. */
  xmlPath: string;
}

/** The repository manifest of one BWB work: its expressions, oldest first, and `_latestItem`. */
export function parseBwbManifest(body: Uint8Array): {
  bwbId: string;
  latest: string | null;
  expressions: BwbExpression[];
} {
  const root = parseXml(decodeChunks(body).chunks);
  if (root.name !== "work")
    throw new SourceShapeChangedError(`expected a BWB manifest <work>, found <${root.name}>`);
  const bwbId = root.attrs.label ?? "";
  const text = (el: XmlElement | undefined, name: string) => {
    const found = el ? firstChild(el, name) : undefined;
    return found ? normalizeText(textOf(found)) || null : null;
  };
  const expressions: BwbExpression[] = [];
  for (const ex of childElements(root).filter((c) => c.name === "expression")) {
    const label = ex.attrs.label ?? "";
    const meta = firstChild(ex, "metadata");
    const inForce = text(meta, "datum_inwerkingtreding");
    const xml = childElements(ex).find((m) => m.name === "manifestation" && m.attrs.label === "xml");
    const item = xml && childElements(xml).find((i) => i.name === "item" && i.attrs._deleted !== "true");
    if (!/^\d{4}-\d{2}-\d{2}_\d+$/.test(label) || !inForce || !item?.attrs.label) continue;
    const end = text(meta, "einddatum");
    const size = text(xml && firstChild(xml, "metadata"), "size");
    expressions.push({
      label,
      inForce,
      endDate: end && end !== "9999-12-31" ? end : null,
      hash: text(xml && firstChild(xml, "metadata"), "hashcode"),
      size: size ? Number(size) : null,
      xmlPath: `${label}/xml/${item.attrs.label}`,
    });
  }
  expressions.sort((a, b) => a.label.localeCompare(b.label));
  const latest = root.attrs._latestItem ?? null;
  return { bwbId, latest, expressions };
}
