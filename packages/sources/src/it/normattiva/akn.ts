// A reader for Normattiva's Akoma Ntoso exports: what one act says about
// itself (FRBR identification, the nrdfa ELI block, publication, lifecycle,
// modifications) and its text, one line per heading or paragraph. Pure: bytes
// in, a `NormattivaAct` out, or a clear error.

import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import { isCalendarDay } from "../../dates.ts";
import type { ParseInput } from "../../define-source.ts";
import { childElements, parseXml, type XmlElement, type XmlNode } from "../../xml/parse-xml.ts";

export const AKN_NAMESPACE = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0";
export const NORMATTIVA_ORIGIN = "https://www.normattiva.it";

/** An act named by type, authority, date and number, whichever way Normattiva wrote it (URN, AKN path). */
export interface ActRef {
  /** Dotted lower case, as in URNs: `decreto.legislativo`, `decreto.legge`, `legge`. */
  type: string;
  /** `stato`, or the issuing body for acts that are not the State's (circulars). */
  authority: string;
  date: string;
  number: string;
  /** What follows `#` (an article: `3 bis`, `art_9`), when there is one. */
  partition: string | null;
  /** `urn:nir:stato:decreto.legislativo:2017-12-15;221`. */
  urn: string;
  /** "D.Lgs. 221/2017". */
  citation: string;
}

/** One `textualMod` of `activeModifications`: what this act did to another one. */
export interface ActiveModification {
  /** `insertion`, `substitution`, `repeal`… as Normattiva types it. */
  type: string;
  /** The provision of this act that makes the change, as written. */
  source: string | null;
  /** The amended provision, as written (`urn:nir:…#3 bis`). */
  destination: string;
  /** The amended act, when the destination names one. */
  act: ActRef | null;
  /** Normattiva's note on the change ("ha disposto (con l'art. 1, comma 1) l'introduzione dell'art. 3-bis."). */
  text: string;
}

export interface ArticleHead {
  eId: string;
  num: string;
  heading: string | null;
}

export interface NormattivaAct {
  /** `urn:nir:stato:decreto.legislativo:2005-03-07;82`. */
  urn: string;
  ref: ActRef;
  /** The work's AKN path: `/akn/it/act/decreto_legislativo/stato/2005-03-07/82`. */
  akn: string;
  /** `monovigente` (the text in force on one date), as the export names itself. */
  exportKind: string;
  /** The preface's document type, lower case: "decreto legislativo", "decreto-legge". */
  docType: string;
  title: string;
  /** The Gazzetta Ufficiale code (codice redazionale): `005G0104`, `25G00049`. */
  guCode: string | null;
  /** The ELI alias as written (`eli/id/2005/05/16/005G0104/CONSOLIDATED/20250130`) and as an address. */
  eli: { alias: string; url: string } | null;
  /** Date of the Gazzetta Ufficiale that published the act, and its issue number. */
  publishedAt: string | null;
  guNumber: string | null;
  /** The date the text of this export is in force on (FRBRExpression date, "vigenza"). */
  expressionDate: string | null;
  /** "Entrata in vigore del provvedimento" from the preface's note. */
  inForceFrom: string | null;
  /** Lifecycle events (publication, then each amendment), with the act each one refers to. */
  lifecycle: { date: string; source: string; act: ActRef | null }[];
  /** Acts that amended this one (`passiveRef`), in lifecycle order. */
  amendedBy: ActRef[];
  activeModifications: ActiveModification[];
  /** `textualMod`s of `passiveModifications`: changes written into this text (one per `<ins>`). */
  passiveModifications: number;
  articles: ArticleHead[];
  /** `<ins>` markers: passages an amendment wrote into the text ("((…))"). */
  insertions: number;
  /** Acts the body refers to (`<ref href>`), by citation, in order of first mention. */
  cites: ActRef[];
  /** Acts named inside `<mod>` elements (amending provisions), by citation. */
  modifies: ActRef[];
  /** The body, one line per heading or paragraph, Normattiva's "((…))" brackets taken out. */
  text: string;
  /** "((…))" passages taken out of the body text. */
  amendmentMarks: number;
  /** The preamble (recitals, "Visto…"), one line per paragraph. */
  preamble: string;
  warnings: string[];
}

const clean = (s: string) => normalizeText(s.normalize("NFC"));

const pad = (n: number) => String(n).padStart(2, "0");

/** `YYYY-MM-DD` as written in AKN attributes → itself when it is a real date, else null. */
export function isoDate(value: string | undefined): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec((value ?? "").trim());
  return m && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3])) ? m[0]! : null;
}

/** Normattiva's `d/m/yyyy` ("29/03/2025", "1/1/2006") → ISO; an impossible day → null. */
export function parseSlashDate(value: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value.trim());
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return isCalendarDay(y, mo, d) ? `${y}-${pad(mo)}-${pad(d)}` : null;
}

// Usual abbreviations of Italian act types in citations ("D.Lgs. 221/2017").
const ABBREVIATIONS: Record<string, string> = {
  "decreto.legislativo": "D.Lgs.",
  "decreto.legge": "D.L.",
  legge: "L.",
  "legge.costituzionale": "L. cost.",
  "decreto.del.presidente.della.repubblica": "D.P.R.",
  "decreto.del.presidente.del.consiglio.dei.ministri": "D.P.C.M.",
  "decreto.ministeriale": "D.M.",
  "regio.decreto": "R.D.",
};

/**
 * An act type as any Normattiva form writes it (`decreto.legislativo` in
 * URNs, `decreto_legislativo` and `DECRETO_LEGISLATIVO` in FRBR and
 * references, `decretoLegislativo` and `decretoLegge` in body references,
 * `decreto-legge`) → dotted lower case.
 */
export function actType(raw: string): string {
  return raw
    .replace(/([a-z])([A-Z])/g, "$1.$2")
    .toLowerCase()
    .replace(/[\s_-]+/g, ".");
}

export function citationOf(type: string, date: string, number: string): string {
  const abbr = ABBREVIATIONS[type] ?? type.replaceAll(".", " ");
  return `${abbr} ${number}/${date.slice(0, 4)}`;
}

function actRef(type: string, authority: string, date: string, number: string, partition: string | null) {
  const t = actType(type);
  const auth = authority.toLowerCase();
  return {
    type: t,
    authority: auth,
    date,
    number,
    partition,
    urn: `urn:nir:${auth}:${t}:${date};${number}`,
    citation: citationOf(t, date, number),
  } satisfies ActRef;
}

const URN = /^urn:nir:([^:]+):([^:]+):(\d{4}-\d{2}-\d{2});([^#@~]+?)(?:[@~][^#]*)?(?:#(.*))?$/;
const AKN_PATH = /^\/akn\/it\/act\/([^/]+)\/([^/]+)\/(\d{4}-\d{2}-\d{2})\/([^/!#@]+)(?:\/[^#]*)?(?:#(.*))?$/;

/**
 * A URN (`urn:nir:stato:decreto.legislativo:2017-12-15;221#9`) or an AKN path
 * (`/akn/it/act/decretoLegislativo/stato/2017-12-15/221/!main#art_9`) → the
 * act it names; anything else (a fragment `#ins_1`, the Constitution's
 * `const`) → null.
 */
export function parseActRef(href: string): ActRef | null {
  const h = href.trim();
  const urn = URN.exec(h);
  if (urn && isoDate(urn[3])) return actRef(urn[2]!, urn[1]!, urn[3]!, urn[4]!, urn[5]?.trim() || null);
  const path = AKN_PATH.exec(h);
  if (path && isoDate(path[3]) && /^\d+[a-z-]*$/i.test(path[4]!))
    return actRef(path[1]!, path[2]!, path[3]!, path[4]!, path[5]?.trim() || null);
  return null;
}

// Elements whose children are read as lines of the body.
const DIVISIONS = new Set(["book", "part", "title", "chapter", "section", "subsection"]);
const NUMBERED = new Set(["paragraph", "point", "item", "indent", "alinea"]);
// Never text: notes and metadata attached to a provision.
const SKIPPED = new Set(["authorialNote", "noteRef", "meta", "eol", "eop"]);

/**
 * The text without Normattiva's editorial brackets: "((…))" marks a passage an
 * amendment wrote in, and may span paragraphs. A "))" closes only a "((" that
 * is open, so real parentheses ("lettera d))") stay; `open` is what is still
 * unclosed at the end.
 */
export function removeAmendmentBrackets(text: string): { text: string; marks: number; open: number } {
  let depth = 0;
  let marks = 0;
  const out = text.replace(/\(\(|\)\)/g, (m) => {
    if (m === "((") {
      depth++;
      marks++;
      return "";
    }
    if (depth === 0) return m;
    depth--;
    return "";
  });
  return { text: out, marks, open: depth };
}

function inline(node: XmlNode): string {
  if (typeof node === "string") return node;
  if (SKIPPED.has(node.name)) return " ";
  let out = "";
  for (const c of node.children) out += inline(c);
  return out;
}

function findAll(el: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of childElements(el)) {
    if (c.name === name) out.push(c);
    findAll(c, name, out);
  }
  return out;
}
const find = (el: XmlElement | undefined, name: string) => (el ? findAll(el, name)[0] : undefined);
const child = (el: XmlElement | undefined, name: string) =>
  el ? childElements(el).find((c) => c.name === name) : undefined;

/** The body as lines: a division's heading, "Art. N. heading", each paragraph or point with its number. */
function bodyLines(body: XmlElement): string[] {
  const lines: string[] = [];
  let pending: string | null = null;
  // A paragraph's text keeps its own line breaks (Normattiva puts each lettered point of an
  // unmarked list on a new line inside one <p>).
  const push = (t: string) => {
    const parts = (pending ? `${pending} ${t}` : t).split("\n").map(clean).filter(Boolean);
    pending = null;
    lines.push(...parts);
  };
  const walk = (el: XmlElement) => {
    for (const c of childElements(el)) {
      if (SKIPPED.has(c.name)) continue;
      if (DIVISIONS.has(c.name) || c.name === "article") {
        const num = clean(inline(child(c, "num") ?? ""));
        const heading = clean(inline(child(c, "heading") ?? ""));
        const head = [num === "-" ? "" : num, heading].filter(Boolean).join(" ");
        if (head) push(head);
        walk(c);
      } else if (c.name === "num" || c.name === "heading") {
        // Read with their division or article above; a paragraph's number goes before its first line.
        if (c.name === "num" && NUMBERED.has(el.name)) pending = clean(inline(c));
      } else if (c.name === "p" || c.name === "tr") {
        push(c.name === "tr" ? childElements(c).map(inline).join(" | ") : inline(c));
      } else walk(c);
    }
  };
  walk(body);
  return lines;
}

function paragraphLines(el: XmlElement | undefined): string[] {
  if (!el) return [];
  return findAll(el, "p")
    .flatMap((p) => inline(p).split("\n").map(clean))
    .filter(Boolean);
}

/** The spans of one `nrdfa:eli` block, by property: `content` or, when absent, `resource`. */
function eliSpans(el: XmlElement | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of el ? findAll(el, "nrdfa:span") : []) {
    const prop = s.attrs.property;
    const value = s.attrs.content ?? s.attrs.resource;
    if (prop && value !== undefined && !(prop in out)) out[prop] = value;
  }
  return out;
}

const HTML_START = /^\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html)\b/i;

/**
 * Normattiva answers some export requests with its HTML error page ("Normattiva
 * - Errore", "Errore nel caricamento delle informazioni") and HTTP 200: the
 * page's title and message, when the body is that page, else null.
 */
export function htmlErrorPage(text: string): string | null {
  const head = text.slice(0, 4096);
  if (!HTML_START.test(head.replace(/^\uFEFF/, ""))) return null;
  const title = /<title>([\s\S]*?)<\/title>/i.exec(text)?.[1];
  const message = /<strong>\s*(Errore[^<]*)<\/strong>/i.exec(text)?.[1];
  return [title, message]
    .map((s) => (s ? clean(s) : ""))
    .filter(Boolean)
    .join(": ");
}

export function decodeAkn(input: ParseInput): string {
  const { text } = decodeText(input.body, input.contentType ?? "application/xml; charset=utf-8");
  const page = htmlErrorPage(text);
  if (page !== null) {
    throw new SourceShapeChangedError(
      `${input.url ?? "Normattiva export"}: an HTML page${page ? ` ("${page}")` : ""} where Akoma Ntoso XML was expected`,
    );
  }
  return text;
}

/**
 * One Normattiva Akoma Ntoso export (`<akomaNtoso xmlns=AKN 3.0><act
 * name="monovigente">`) → what the act says about itself and its text.
 * Strict: an HTML page, malformed XML, another root or namespace, no `<act>`,
 * no URN alias or no title is a changed source; a metadata date that is not a
 * real date, or two sources that disagree (FRBR date and preface date), is a
 * warning.
 */
export function readNormattivaAkn(input: ParseInput): NormattivaAct {
  const fileName = input.url ?? "Normattiva export";
  const root = parseXml(decodeAkn(input), { fileName });
  if (root.name !== "akomaNtoso" || root.attrs.xmlns !== AKN_NAMESPACE)
    throw new SourceShapeChangedError(
      `${fileName}: root <${root.name}> in namespace ${root.attrs.xmlns ?? "(none)"} is not Akoma Ntoso 3.0`,
    );
  const acts = childElements(root).filter((c) => c.name === "act");
  if (acts.length !== 1)
    throw new SourceShapeChangedError(`${fileName}: ${acts.length} <act> elements, expected one`);
  const act = acts[0]!;
  const meta = child(act, "meta");
  const work = find(find(meta, "identification"), "FRBRWork");
  if (!meta || !work) throw new SourceShapeChangedError(`${fileName}: no <meta>/<FRBRWork>`);
  const warnings: string[] = [];
  const alias = (name: string) =>
    childElements(work).find((c) => c.name === "FRBRalias" && c.attrs.name === name)?.attrs.value;

  const urnRaw = alias("urn:nir");
  const ref = urnRaw ? parseActRef(urnRaw) : null;
  if (!ref)
    throw new SourceShapeChangedError(`${fileName}: FRBRWork has no urn:nir alias ("${urnRaw ?? ""}")`);
  const urn = ref.urn;
  const akn = child(work, "FRBRuri")?.attrs.value ?? "";
  const workDate = isoDate(child(work, "FRBRdate")?.attrs.date);
  const spans = eliSpans(find(work, "nrdfa:eli"));

  const preface = child(act, "preface");
  const docDate = find(preface, "docDate");
  const prefaceDate = isoDate(docDate?.attrs.date);
  if (workDate && prefaceDate && workDate !== prefaceDate)
    warnings.push(`${urn}: FRBRWork date ${workDate} differs from the preface date ${prefaceDate}`);
  if (workDate && workDate !== ref.date) warnings.push(`${urn}: FRBRWork date ${workDate} is not the URN's`);
  const docNumber = clean(inline(find(preface, "docNumber") ?? ""));
  if (docNumber && docNumber !== ref.number)
    warnings.push(`${urn}: preface number ${docNumber} is not the URN's ${ref.number}`);

  const guCode = spans["eli:id_local"]?.trim() || null;
  const rawTitle = clean(inline(find(preface, "docTitle") ?? "")) || clean(spans["eli:title"] ?? "");
  // The title ends with the Gazzetta code in brackets ("… cittadinanza. (25G00049)"): kept in guCode.
  const title = clean(rawTitle.replace(/\s*\(\s*[0-9]{2,3}[A-Z][0-9A-Z]{4,6}\s*\)\s*$/, ""));
  if (!title) throw new SourceShapeChangedError(`${fileName}: ${urn} has no title`);

  const eliAlias = alias("eli") ?? null;
  const publication = child(meta, "publication");
  const publishedAt = isoDate(publication?.attrs.date);
  if (publication?.attrs.date && !publishedAt)
    warnings.push(`${urn}: publication date "${publication.attrs.date}" is not a date`);
  const expression = find(find(meta, "identification"), "FRBRExpression");
  const expressionDate = isoDate(child(expression, "FRBRdate")?.attrs.date);

  // "Entrata in vigore del provvedimento: 29/03/2025" in the preface's note.
  const note = paragraphLines(find(preface, "authorialNote")).join("\n");
  const inForce = /Entrata in vigore del provvedimento:\s*(\d{1,2}\/\d{1,2}\/\d{4})/.exec(note);
  const inForceFrom = inForce ? parseSlashDate(inForce[1]!) : null;
  if (inForce && !inForceFrom) warnings.push(`${urn}: entry into force "${inForce[1]}" is not a date`);

  const references = child(meta, "references");
  const refsById = new Map<string, ActRef | null>();
  for (const r of references ? childElements(references) : [])
    if (r.attrs.eId) refsById.set(r.attrs.eId, parseActRef(r.attrs.href ?? ""));
  const lifecycle = findAll(child(meta, "lifecycle") ?? meta, "eventRef").flatMap((e) => {
    const date = isoDate(e.attrs.date);
    if (!date) {
      warnings.push(`${urn}: lifecycle event "${e.attrs.eId ?? ""}" has no valid date`);
      return [];
    }
    return [{ date, source: e.attrs.source ?? "", act: refsById.get(e.attrs.source ?? "") ?? null }];
  });
  const amendedBy: ActRef[] = [];
  for (const r of references ? childElements(references) : []) {
    if (r.name !== "passiveRef") continue;
    const named = parseActRef(r.attrs.href ?? "");
    if (named) amendedBy.push(named);
    // An amending act the export cannot name is one the fetch cannot read: a person should look.
    else warnings.push(`${urn}: passiveRef ${r.attrs.eId ?? ""} names no act ("${r.attrs.href ?? ""}")`);
  }

  const analysis = child(meta, "analysis");
  const active = child(analysis, "activeModifications");
  const activeModifications = (active ? findAll(active, "textualMod") : []).map((m) => {
    const destination = child(m, "destination")?.attrs.href ?? "";
    return {
      type: m.attrs.type ?? "",
      source: child(m, "source")?.attrs.href ?? null,
      destination,
      act: parseActRef(destination),
      text: clean(inline(find(m, "nakn:text") ?? "")),
    };
  });
  const passive = child(analysis, "passiveModifications");
  const passiveModifications = passive ? findAll(passive, "textualMod").length : 0;

  const body = child(act, "body");
  if (!body) throw new SourceShapeChangedError(`${fileName}: ${urn} has no <body>`);
  const articles = findAll(body, "article").map((a) => ({
    eId: a.attrs.eId ?? "",
    num: clean(inline(child(a, "num") ?? "")),
    heading: clean(inline(child(a, "heading") ?? "")) || null,
  }));
  const byCitation = (refs: (ActRef | null)[]) => {
    const seen = new Map<string, ActRef>();
    for (const r of refs) if (r && r.urn !== urn && !seen.has(r.urn)) seen.set(r.urn, r);
    return [...seen.values()];
  };
  const cites = byCitation(findAll(body, "ref").map((r) => parseActRef(r.attrs.href ?? "")));
  const modifies = byCitation(
    findAll(body, "mod").flatMap((m) => findAll(m, "ref").map((r) => parseActRef(r.attrs.href ?? ""))),
  );

  const unbracketed = removeAmendmentBrackets(bodyLines(body).join("\n"));
  if (unbracketed.open > 0) warnings.push(`${urn}: ${unbracketed.open} "((" never closed by "))"`);

  return {
    urn,
    ref,
    akn,
    exportKind: act.attrs.name ?? "",
    docType: clean(inline(find(preface, "docType") ?? "")).toLowerCase() || ref.type.replaceAll(".", " "),
    title,
    guCode,
    eli: eliAlias ? { alias: eliAlias, url: `${NORMATTIVA_ORIGIN}/${eliAlias.replace(/^\/+/, "")}` } : null,
    publishedAt,
    guNumber: publication?.attrs.number?.trim() || null,
    expressionDate,
    inForceFrom,
    lifecycle,
    amendedBy,
    activeModifications,
    passiveModifications,
    articles,
    insertions: findAll(body, "ins").length,
    cites,
    modifies,
    text: unbracketed.text.split("\n").map(clean).filter(Boolean).join("\n"),
    amendmentMarks: unbracketed.marks,
    preamble: paragraphLines(child(act, "preamble")).join("\n"),
    warnings,
  };
}
