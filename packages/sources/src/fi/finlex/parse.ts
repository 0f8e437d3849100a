import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { keepDocuments } from "../../documents.ts";
import { childElements, parseXml, textOf, type XmlElement, type XmlNode } from "../../xml/parse-xml.ts";
import { readAknStatute } from "./akn.ts";
import {
  type AmendingInstruction,
  clean,
  consolidatedUrl,
  FINNISH,
  type FinlexMeta,
  knownTitleWarning,
  namedActs,
  originalUrl,
  type ReadStatute,
  readInstructions,
  relevanceOf,
  type Signatory,
  titleEnOf,
} from "./statute.ts";

export {
  type AmendingInstruction,
  FINLEX_ORIGIN,
  type FinlexMeta,
  KNOWN_ACTS,
  type KnownAct,
  parseFinnishDate,
  parseSwedishDate,
  type Signatory,
} from "./statute.ts";

// 2: the open data API's Akoma Ntoso is read too (bodies that were refused now parse).
export const PARSER_VERSION = "fi.finlex.export-control/2";

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
  const paragraphs = findAll(johtolause, "SaadosKappaleKooste").map((para) => {
    const text = clean(textOf(para));
    return { text, named: namedActs(text, FINNISH.namedAct) };
  });
  return readInstructions(paragraphs, FINNISH);
}

/** What one SDK XML file says about itself, before the export-control filter. */
export type SdkStatute = ReadStatute;

/** Bytes → the XML tree, decoded by what the body says of its encoding. */
function readTree(input: ParseInput): { root: XmlElement; fileName: string } {
  const { text } = decodeText(input.body, input.contentType ?? "application/xml; charset=utf-8");
  const fileName = input.url ?? "Finlex document";
  return { root: parseXml(text, { fileName }), fileName };
}

/**
 * One Finlex SDK XML statute (the Statute Book's original text,
 * `vahvistettavalaki.xsd`: `asi:IdentifiointiOsa` with number and year,
 * `saa:Saados` with title, enacting clause and sections, `asi:AllekirjoitusOsa`
 * with the signing date) → a document. Strict: malformed XML, a missing number
 * or year, or a missing title is a changed source, not something to guess around.
 */
export function parseSdkStatute(input: ParseInput): SdkStatute {
  const { root, fileName } = readTree(input);
  return readSdkStatute(root, fileName);
}

function readSdkStatute(root: XmlElement, fileName: string): SdkStatute {
  const ident = find(root, "EduskuntaTunniste");
  const saados = findAll(root, "Saados");
  if (!ident || saados.length === 0)
    throw new SourceShapeChangedError(
      `${fileName}: root <${root.name}> has no asi:EduskuntaTunniste or saa:Saados; not a Finlex SDK statute (nor an Akoma Ntoso one)`,
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
  const signedMatch = FINNISH.signed.exec(signedText);
  const issuedAt = signedMatch ? FINNISH.parseDate(signedMatch[1]!) : null;
  if (signedText && !issuedAt) warnings.push(`${citation}: signing line "${signedText}" has no valid date`);
  if (issuedAt && issuedAt.slice(0, 4) !== year)
    warnings.push(`${citation}: signed ${issuedAt}, outside the year of its number`);

  // In force: the first subsection saying "Tämä laki tulee voimaan …" (an entry-into-force
  // section is classified VoimaantuloPykala/-Saannos, or, as in 282/2012, an ordinary section).
  const sections = findAll(main, "Pykala");
  const inForceText =
    findAll(main, "MomenttiKooste")
      .map((m) => clean(textOf(m)))
      .find((t) => FINNISH.inForceStart.test(t)) ?? "";
  const inForceMatch = FINNISH.inForce.exec(inForceText);
  const effectiveAt = inForceMatch ? FINNISH.parseDate(inForceMatch[1]!) : null;
  if (!inForceText) warnings.push(`${citation}: no entry-into-force provision`);
  else if (!effectiveAt)
    warnings.push(`${citation}: entry into force "${inForceText}" gives no date; left empty`);

  const johtolause = find(main, "Johtolause");
  const steps = instructions(johtolause);
  const enacting = textIn(johtolause);
  const amends = [...new Set(steps.map((s) => s.act).filter((a): a is string => a !== null))];
  if (steps.some((s) => s.act === null)) warnings.push(`${citation}: an amending instruction names no act`);
  const basedOn = FINNISH.issuedUnder.test(enacting) ? namedActs(enacting, FINNISH.namedAct) : [];
  const allText = clean(textOf(main));
  const repeals = [...new Set(namedActs(allText, FINNISH.wholeRepeal))];
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

  const relevance = relevanceOf({ citation, titleName: title.name, amends, repeals });
  const titleWarning = knownTitleWarning(citation, title.name);
  if (titleWarning) warnings.push(titleWarning);

  const body = bodyText([
    ...(johtolause ? [johtolause] : []),
    ...findAll(main, "Pykalisto"),
    ...(liite ? [liite] : []),
  ]);
  const url = originalUrl(year, number);
  const urls: Record<string, string> = { finlex: url };
  for (const c of amends) urls[`amends:${c}`] = consolidatedUrl(c);
  for (const c of repeals) urls[`repeals:${c}`] = consolidatedUrl(c);

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
      titleEn: titleEnOf({
        isAct: statuteType === "laki" || statuteType === "lag",
        titleName: title.name,
        amends,
      }),
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
 * One statute in either format Finlex has published it in, told apart by the
 * root element: `akomaNtoso` (the open data API, akn.ts) or the SDK XML's
 * `vah:VahvistettavaLaki` (the older Statute Book export).
 */
export function readFinlexStatute(input: ParseInput): ReadStatute {
  const { root, fileName } = readTree(input);
  return local(root.name) === "akomaNtoso" ? readAknStatute(root, fileName) : readSdkStatute(root, fileName);
}

/**
 * Finlex statutes (SDK XML or Akoma Ntoso) → a `documents` snapshot of the
 * export-control acts (500/2024, 562/1996, 282/2012) and every act that
 * amends or repeals them. Everything else (decrees issued under them,
 * unrelated acts) is read, counted and left out by what it says about itself.
 */
export function parseFinlexStatutes(
  inputs: readonly ParseInput[],
): ParsedSnapshot<DocumentsSnapshot, FinlexMeta> {
  const { documents, warnings, excluded } = keepDocuments(inputs, (input) => {
    const read = readFinlexStatute(input);
    const doc = read.document;
    const basedOn = (doc.data?.basedOn as string[]) ?? [];
    const why =
      basedOn.length > 0
        ? `${doc.type ?? "statute"} issued under ${basedOn.join(", ")}; amends no followed act`
        : "neither a followed act nor amends or repeals one";
    return {
      ...read,
      excluded: read.relevance ? null : { citation: doc.citation!, title: doc.title, reason: why },
    };
  });
  return { kind: "documents", meta: { read: inputs.length, excluded }, warnings, documents };
}

/** One statute file (SDK XML or Akoma Ntoso) as a snapshot (zero or one document). */
export function parseFinlex(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, FinlexMeta> {
  return parseFinlexStatutes([input]);
}
