import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { keepDocuments } from "../../documents.ts";
import { childElements, parseXml, textOf, type XmlElement, type XmlNode } from "../../xml/parse-xml.ts";

export const PARSER_VERSION = "fi.finlex.export-control/1";

export const FINLEX_ORIGIN = "https://www.finlex.fi";

/** A Finnish export-control act this source follows, with the names its amendments use. */
export interface KnownAct {
  citation: string;
  /** The act's title after "Laki", as the Statute Book prints it; amending acts are titled "{titleFi} annetun lain muuttamisesta". */
  titleFi: string;
  /** The act's usual English name (a gloss of the known title). */
  titleEn: string;
}

/**
 * The acts followed, by their Statute Book number. The English names are
 * glosses of the known titles (the Ministry's usual English names), never a
 * translation of the text.
 */
export const KNOWN_ACTS: readonly KnownAct[] = [
  {
    citation: "500/2024",
    titleFi: "kaksikäyttötuotteiden vientivalvonnasta",
    titleEn: "Act on the export control of dual-use items",
  },
  {
    citation: "562/1996",
    titleFi: "kaksikäyttötuotteiden vientivalvonnasta",
    titleEn: "Act on the export control of dual-use items",
  },
  {
    citation: "282/2012",
    titleFi: "puolustustarvikkeiden viennistä",
    titleEn: "Act on the export of defence materiel",
  },
];
const KNOWN_CITATIONS = new Set(KNOWN_ACTS.map((a) => a.citation));
const KNOWN_TITLES = new Set(KNOWN_ACTS.map((a) => a.titleFi));

/** One amending instruction of the enacting clause (johtolause): the verb and the words it governs. */
export interface AmendingInstruction {
  /** `muutetaan` (amend), `kumotaan` (repeal), `lisätään` (insert). */
  verb: string;
  /** The act the instruction names, when it names one ("annetun lain (562/1996)"); later clauses continue the last act named. */
  act: string | null;
  text: string;
}

/** A signatory at the foot of the act (the President, the minister). */
export interface Signatory {
  role: string;
  name: string;
}

export interface FinlexMeta extends Record<string, unknown> {
  /** Statutes read. */
  read: number;
  /** Statutes left out, with why (by what they say about themselves, never by file name). */
  excluded: { citation: string; title: string; reason: string }[];
}

// Finnish month names as dates write them (partitive): "26 päivänä heinäkuuta 1996".
const FINNISH_MONTHS = [
  "tammikuuta",
  "helmikuuta",
  "maaliskuuta",
  "huhtikuuta",
  "toukokuuta",
  "kesäkuuta",
  "heinäkuuta",
  "elokuuta",
  "syyskuuta",
  "lokakuuta",
  "marraskuuta",
  "joulukuuta",
];

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A Finnish date as the Statute Book writes it: "26 päivänä heinäkuuta 1996"
 * or "16.8.2024" → `1996-07-26`; anything else (including an impossible day) → null.
 */
export function parseFinnishDate(value: string): string | null {
  const v = value.trim();
  const long = /^(\d{1,2}) päivänä ([a-zäö]+) (\d{4})$/.exec(v);
  const short = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(v);
  let d: number;
  let m: number;
  let y: number;
  if (long) {
    [d, m, y] = [Number(long[1]), FINNISH_MONTHS.indexOf(long[2]!) + 1, Number(long[3])];
  } else if (short) {
    [d, m, y] = [Number(short[1]), Number(short[2]), Number(short[3])];
  } else return null;
  if (!validDate(y, m, d)) return null;
  return `${y}-${pad(m)}-${pad(d)}`;
}

const DATE_WORDS = String.raw`(\d{1,2} päivänä [a-zäö]+ \d{4}|\d{1,2}\.\d{1,2}\.\d{4})`;
// The signature line: "Helsingissä 26 päivänä heinäkuuta 1996", "Helsingissä 16.8.2024".
const SIGNED = new RegExp(`^Helsingissä ${DATE_WORDS}$`);
// "Tämä laki tulee voimaan 1 päivänä elokuuta 1996." / "Tämä asetus tulee voimaan …".
const IN_FORCE = new RegExp(String.raw`^Tämä (?:laki|asetus) tulee voimaan ${DATE_WORDS}\.`);
// An act cited by number in parentheses after its name: "annetun lain (562/1996)", "annettu laki (562/1996)".
const NAMED_ACT =
  /\bannet(?:un|tu|tuun) (?:(?:valtioneuvoston|ministeriön) )?(?:lain|laki|lakiin|asetuksen|asetus|asetukseen)\s*\((\d{1,4}\/\d{4})\)/g;
// A whole act repealed: "Tällä lailla kumotaan … annettu laki (562/1996)".
const WHOLE_REPEAL =
  /\bTällä (?:lailla|asetuksella) kumotaan\b[^.]*?\bannettu (?:(?:valtioneuvoston|ministeriön) )?(?:laki|asetus)\s*\((\d{1,4}\/\d{4})\)/g;
const VERBS = ["muutetaan", "kumotaan", "lisätään"];

const local = (name: string) => name.slice(name.indexOf(":") + 1);
const is = (el: XmlElement, name: string) => local(el.name) === name;
const attr = (el: XmlElement, name: string) => {
  for (const [k, v] of Object.entries(el.attrs)) if (local(k) === name) return v;
  return undefined;
};

function findAll(el: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of childElements(el)) {
    if (is(c, name)) out.push(c);
    findAll(c, name, out);
  }
  return out;
}

const find = (el: XmlElement, name: string): XmlElement | undefined => findAll(el, name)[0];
const clean = (s: string) => normalizeText(s.normalize("NFC")).normalize("NFC");
const textIn = (el: XmlElement | undefined) => (el ? clean(textOf(el)) : "");

// Elements that start a line of the body text.
const LINES = new Set([
  "SaadosKappaleKooste",
  "LukuTunnusKooste",
  "PykalaTunnusKooste",
  "SaadosOtsikkoKooste",
  "MomenttiKooste",
  "MomenttiJohdantoKooste",
  "MomenttiKohtaKooste",
  "KappaleKooste",
]);

/** The enacting clause, the provisions and the annex titles as text, one line per heading, subsection or point. */
function bodyText(parts: XmlElement[]): string {
  const lines: string[] = [];
  const walk = (node: XmlNode) => {
    if (typeof node === "string") return;
    if (LINES.has(local(node.name))) {
      const t = clean(textOf(node));
      if (t) lines.push(t);
      return;
    }
    // "— — —" marks provisions the amendment leaves as they were.
    if (is(node, "Katkoviiva")) lines.push("— — —");
    for (const c of node.children) walk(c);
  };
  for (const p of parts) walk(p);
  return lines.join("\n");
}

/** The enacting clause's instructions, each verb with the act it names or continues. */
function instructions(johtolause: XmlElement | undefined): AmendingInstruction[] {
  if (!johtolause) return [];
  const out: AmendingInstruction[] = [];
  let act: string | null = null;
  for (const para of findAll(johtolause, "SaadosKappaleKooste")) {
    const text = clean(textOf(para));
    const verb = VERBS.find((v) => new RegExp(`^${v}\\b`).test(text));
    const named = [...text.matchAll(NAMED_ACT)].map((m) => m[1]!);
    if (named.length > 0) act = named[0]!;
    if (verb) out.push({ verb, act, text });
  }
  return out;
}

/** What one SDK XML file says about itself, before the export-control filter. */
export interface SdkStatute {
  document: RegDocument;
  /** Why it belongs in the snapshot, or null when it does not. */
  relevance: string | null;
  warnings: string[];
}

/**
 * One Finlex SDK XML statute (the Statute Book's original text,
 * `vahvistettavalaki.xsd`: `asi:IdentifiointiOsa` with number and year,
 * `saa:Saados` with title, enacting clause and sections, `asi:AllekirjoitusOsa`
 * with the signing date) → a document. Strict: malformed XML, a missing number
 * or year, or a missing title is a changed source, not something to guess around.
 */
export function parseSdkStatute(input: ParseInput): SdkStatute {
  const { text } = decodeText(input.body, input.contentType ?? "application/xml; charset=utf-8");
  const fileName = input.url ?? "Finlex SDK document";
  const root = parseXml(text, { fileName });
  const ident = find(root, "EduskuntaTunniste");
  const saados = findAll(root, "Saados");
  if (!ident || saados.length === 0)
    throw new SourceShapeChangedError(
      `${fileName}: root <${root.name}> has no asi:EduskuntaTunniste or saa:Saados; not a Finlex SDK statute`,
    );
  const kind = textIn(find(ident, "AsiakirjatyyppiKoodi"));
  const number = textIn(find(ident, "AsiakirjaNroTeksti"));
  const year = textIn(find(ident, "ValtiopaivavuosiTeksti"));
  if (!/^\d{1,4}$/.test(number) || !/^\d{4}$/.test(year))
    throw new SourceShapeChangedError(
      `${fileName}: number "${number}" / year "${year}" is not a Statute Book number`,
    );
  const citation = `${Number(number)}/${year}`;
  const warnings: string[] = [];
  if (kind && kind !== "SDK") warnings.push(`${citation}: document type code "${kind}", expected SDK`);

  // One Saados per language; the file's own language first.
  const byLang = new Map<string, XmlElement>();
  for (const s of saados) {
    const lang = attr(s, "kieliKoodi") ?? attr(root, "kieliKoodi") ?? "fi";
    if (!byLang.has(lang)) byLang.set(lang, s);
  }
  const lang = attr(root, "kieliKoodi") ?? [...byLang.keys()][0]!;
  const main = byLang.get(lang) ?? saados[0]!;
  const titleOf = (s: XmlElement | undefined) => {
    if (!s) return null;
    const nimeke = find(s, "SaadosNimeke");
    const type = textIn(nimeke && find(nimeke, "SaadostyyppiKooste"));
    const name = textIn(nimeke && find(nimeke, "SaadosNimekeKooste"));
    return name ? { type, name, full: clean(`${type} ${name}`) } : null;
  };
  const title = titleOf(main);
  if (!title) throw new SourceShapeChangedError(`${fileName}: ${citation} has no title`);
  const metaTitle = textIn(find(find(root, "IdentifiointiOsa") ?? root, "NimekeTeksti"));
  if (metaTitle && metaTitle !== title.name)
    warnings.push(`${citation}: title "${title.name}" differs from the metadata title "${metaTitle}"`);
  const titleFi = lang === "fi" ? title.full : (titleOf(byLang.get("fi"))?.full ?? null);
  const titleSv = lang === "sv" ? title.full : (titleOf(byLang.get("sv"))?.full ?? null);

  const statuteType = (attr(main, "saadostyyppiNimi") ?? title.type).toLowerCase() || null;

  // Signed (annettu): "Helsingissä 26 päivänä heinäkuuta 1996".
  const signedText = textIn(find(root, "PaivaysKooste"));
  const signedMatch = SIGNED.exec(signedText);
  const issuedAt = signedMatch ? parseFinnishDate(signedMatch[1]!) : null;
  if (signedText && !issuedAt) warnings.push(`${citation}: signing line "${signedText}" has no valid date`);
  if (issuedAt && issuedAt.slice(0, 4) !== year)
    warnings.push(`${citation}: signed ${issuedAt}, outside the year of its number`);

  // In force: the first subsection saying "Tämä laki tulee voimaan …" (an entry-into-force
  // section is classified VoimaantuloPykala/-Saannos, or, as in 282/2012, an ordinary section).
  const sections = findAll(main, "Pykala");
  const inForceText =
    findAll(main, "MomenttiKooste")
      .map((m) => clean(textOf(m)))
      .find((t) => /^Tämä (?:laki|asetus) tulee voimaan\b/.test(t)) ?? "";
  const inForceMatch = IN_FORCE.exec(inForceText);
  const effectiveAt = inForceMatch ? parseFinnishDate(inForceMatch[1]!) : null;
  if (!inForceText) warnings.push(`${citation}: no entry-into-force provision`);
  else if (!effectiveAt)
    warnings.push(`${citation}: entry into force "${inForceText}" gives no date; left empty`);

  const johtolause = find(main, "Johtolause");
  const steps = instructions(johtolause);
  const enacting = textIn(johtolause);
  const amends = [...new Set(steps.map((s) => s.act).filter((a): a is string => a !== null))];
  if (steps.some((s) => s.act === null)) warnings.push(`${citation}: an amending instruction names no act`);
  const basedOn = /\bnojalla\b/.test(enacting) ? [...enacting.matchAll(NAMED_ACT)].map((m) => m[1]!) : [];
  const allText = clean(textOf(main));
  const repeals = [...new Set([...allText.matchAll(WHOLE_REPEAL)].map((m) => m[1]!))];
  // Sections an amendment writes (its own numbered sections, not the entry-into-force clause).
  const writesSections = sections
    .filter((p) => attr(p, "pykalaLuokitusKoodi") === "Pykala")
    .map((p) => clean(attr(p, "identifiointiTunnus") ?? textIn(find(p, "PykalaTunnusKooste"))))
    .filter(Boolean);

  const liite = find(root, "LiiteOsa");
  const annexes = liite ? findAll(liite, "KappaleKooste").map((k) => clean(textOf(k))) : [];
  // Preparatory works (HE, committee reports) and EU acts the metadata cites.
  const references = findAll(root, "ViiteTeksti").map((v) => clean(textOf(v)));
  const signatories: Signatory[] = findAll(find(root, "AllekirjoitusOsa") ?? root, "Henkilo").map((h) => ({
    role: textIn(find(h, "AsemaTeksti")),
    name: textIn(find(h, "SukuNimi")),
  }));

  const known = KNOWN_ACTS.find((a) => a.citation === citation);
  const touched = [...amends, ...repeals].filter((c) => KNOWN_CITATIONS.has(c));
  let relevance: string | null = null;
  if (known) relevance = `is ${citation}`;
  else if (KNOWN_TITLES.has(title.name)) relevance = `has the title of a followed act ("${title.name}")`;
  else if (amends.some((c) => KNOWN_CITATIONS.has(c)))
    relevance = `amends ${amends.filter((c) => KNOWN_CITATIONS.has(c)).join(", ")}`;
  else if (touched.length > 0) relevance = `repeals ${touched.join(", ")}`;
  if (known && known.titleFi !== title.name)
    warnings.push(`${citation}: title "${title.name}" is not the known title "${known.titleFi}"`);

  // The English gloss, only from names this source knows.
  const amended = KNOWN_ACTS.find((a) => amends.includes(a.citation));
  const titleEn =
    statuteType !== "laki"
      ? null
      : KNOWN_TITLES.has(title.name)
        ? KNOWN_ACTS.find((a) => a.titleFi === title.name)!.titleEn
        : amended && title.name === `${amended.titleFi} annetun lain muuttamisesta`
          ? `Act amending the ${amended.titleEn} (${amended.citation})`
          : null;

  const body = bodyText([
    ...(johtolause ? [johtolause] : []),
    ...findAll(main, "Pykalisto"),
    ...(liite ? [liite] : []),
  ]);
  const url = `${FINLEX_ORIGIN}/fi/laki/alkup/${year}/${year}${number.padStart(4, "0")}`;
  const urls: Record<string, string> = { finlex: url };
  const consolidated = (c: string) => {
    const [n, y] = c.split("/");
    return `${FINLEX_ORIGIN}/fi/laki/ajantasa/${y}/${y}${n!.padStart(4, "0")}`;
  };
  for (const c of amends) urls[`amends:${c}`] = consolidated(c);
  for (const c of repeals) urls[`repeals:${c}`] = consolidated(c);

  const document: RegDocument = {
    id: `finlex/sd/${year}/${Number(number)}`,
    stage: "published",
    type: statuteType,
    title: title.full,
    abstract: body || null,
    citation,
    // The SDK XML carries no Statute Book publication date; the signing date is in data.issuedAt.
    publishedAt: null,
    effectiveAt,
    url,
    urls,
    // The acts it changes, as a list source of the consolidated text would cite them.
    cfrReferences: [...new Set([...amends, ...repeals])],
    // Tagged by the shared keyword rules (Finnish words only as far as the taxonomy knows them).
    technologies: technologiesForText(`${title.full}\n${body}`),
    countries: [],
    data: {
      language: lang,
      titleFi,
      titleSv,
      titleEn,
      issuedAt,
      signedAt: signedText || null,
      inForceText: inForceText || null,
      amends,
      repeals,
      basedOn,
      instructions: steps,
      writesSections,
      annexes,
      references,
      signatories,
    },
  };
  return { document, relevance, warnings };
}

/**
 * SDK XML statutes → a `documents` snapshot of the export-control acts
 * (500/2024, 562/1996, 282/2012) and every act that amends or repeals them.
 * Everything else (decrees issued under them, unrelated acts) is read, counted
 * and left out by what it says about itself.
 */
export function parseFinlexStatutes(
  inputs: readonly ParseInput[],
): ParsedSnapshot<DocumentsSnapshot, FinlexMeta> {
  const { documents, warnings, excluded } = keepDocuments(inputs, (input) => {
    const sdk = parseSdkStatute(input);
    const doc = sdk.document;
    const basedOn = (doc.data?.basedOn as string[]) ?? [];
    const why =
      basedOn.length > 0
        ? `${doc.type ?? "statute"} issued under ${basedOn.join(", ")}; amends no followed act`
        : "neither a followed act nor amends or repeals one";
    return {
      ...sdk,
      excluded: sdk.relevance ? null : { citation: doc.citation!, title: doc.title, reason: why },
    };
  });
  return { kind: "documents", meta: { read: inputs.length, excluded }, warnings, documents };
}

/** One SDK XML file as a snapshot (zero or one document). */
export function parseFinlex(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, FinlexMeta> {
  return parseFinlexStatutes([input]);
}
