// The Finlex open data API's statutes in Akoma Ntoso 3.0, read into the same
// documents as the older SDK XML (parse.ts).
//
// The shape read here is the API's original-statute expression
// (`/akn/fi/act/statute/{year}/{number}/{lang}@`, `<act contains="originalVersion">`),
// as seen in real answers for 500/2024 and 1016/2005 [C: the element names
// below; I: anything marked so]:
// - meta/identification: FRBRWork (FRBRuri `/akn/fi/act/statute/2024/500`,
//   FRBRnumber, FRBRdate `dateIssued` and, on newer statutes, `datePublished`),
//   FRBRExpression (FRBRuri `…/fin@`, FRBRlanguage `fin`/`swe`, an ELI alias);
// - meta/references TLCConcept (`act` shown as "Laki"/"Lag") and
//   meta/proprietary `finlex:typeStatute`, `finlex:categoryStatute`
//   (new-statute, amending-statute) and, on older ones,
//   `finlex:statuteBookOfFinlandReference/finlex:date` (the issue's date);
// - preface/p/docTitle and docNumber ("500/2024");
// - preamble/formula[@name=enactingClause]: a `p` ("Eduskunnan päätöksen
//   mukaisesti") and, in amendments, `blockContainer/block` per instruction
//   (`<i>muutetaan</i> … lain (<affectedDocument href="/akn/fi/act/statute/1992/1164">1164/1992</affectedDocument>) …`);
// - body/hcontainer[@name=statuteProvisionsWrapper] with chapter/section
//   (num "1 §", heading), subsection (content/p, intro/p), paragraph (num
//   "1)", content/p), `hcontainer name="omission"` and `p class="omission"`
//   for provisions left as they were;
// - body/hcontainer[@name=entryIntoForce] (amendments) or a section headed
//   "Voimaantulo" (new acts) with "Tämä laki tulee voimaan …";
// - body/hcontainer[@name=conclusions]: preliminaryWork (HE 47/2024, …) and
//   signatures ("Helsingissä 16.8.2024", signature/role + person);
// - body/hcontainer[@name=attachments]/hcontainer[@name=attachment] (the
//   annex title, linking the annex PDF under `media/`).
// A top-level `conclusions` or `attachments` element (the AKN standard's own
// places for them) is read the same way [I: not seen in Finlex answers].

import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { childElements, textOf, type XmlElement } from "../../xml/parse-xml.ts";
import {
  clean,
  consolidatedUrl,
  FINNISH,
  knownTitleWarning,
  namedActs,
  originalUrl,
  parseIsoDate,
  type ReadStatute,
  readInstructions,
  relevanceOf,
  type Signatory,
  type StatuteLanguage,
  SWEDISH,
  titleEnOf,
} from "./statute.ts";

export const AKN_NAMESPACE = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0";
/** The open data API's address for what FRBR URIs name (`/akn/fi/act/statute/2024/500/fin@`). */
export const FINLEX_API_BASE = "https://opendata.finlex.fi/finlex/avoindata/v1";

const LANGUAGES: Record<string, StatuteLanguage> = { fin: FINNISH, swe: SWEDISH };

const local = (name: string) => name.slice(name.indexOf(":") + 1);
const is = (el: XmlElement, name: string) => local(el.name) === name;
const attr = (el: XmlElement | undefined, name: string) => {
  if (!el) return undefined;
  for (const [k, v] of Object.entries(el.attrs)) if (local(k) === name) return v;
  return undefined;
};
const children = (el: XmlElement | undefined, name: string) =>
  el ? childElements(el).filter((c) => is(c, name)) : [];
const child = (el: XmlElement | undefined, name: string) => children(el, name)[0];
const hcontainers = (el: XmlElement | undefined, name: string) =>
  children(el, "hcontainer").filter((h) => attr(h, "name") === name);

function findAll(el: XmlElement, test: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  for (const c of childElements(el)) {
    if (test(c)) out.push(c);
    findAll(c, test, out);
  }
  return out;
}

/**
 * Text of an element as one line: markup boundaries leave spaces where the
 * printed text has none ("lain (\n<affectedDocument>1164/1992</affectedDocument>\n) 168"),
 * so spaces inside parentheses and before punctuation are taken out.
 */
const lineOf = (el: XmlElement) =>
  clean(textOf(el))
    .replace(/\(\s+/g, "(")
    .replace(/\s+\)/g, ")")
    .replace(/\s+([,.;:])/g, "$1");

// "— — —" stands for provisions an amendment leaves as they were, as the printed Statute Book shows them.
const OMISSION = "— — —";
// Containers whose `num` ("1)", "a)") begins their first line, as the printed text reads.
const NUMBERED_ITEMS = new Set(["paragraph", "subparagraph", "point", "item", "indent", "alinea"]);
// Elements that make a line of their own.
const LINE_ELEMENTS = new Set([
  "p",
  "heading",
  "subheading",
  "crossHeading",
  "block",
  "num",
  "listIntroduction",
]);
// Everything the body text may hold that is read as above; anything else is read as text, with a warning.
const KNOWN_ELEMENTS = new Set([
  ...NUMBERED_ITEMS,
  ...LINE_ELEMENTS,
  ..."hcontainer chapter part title subtitle division subdivision book section subsection list intro wrap content blockList listWrapUp blockContainer table tr th td caption i b u sup sub span ref mref rref affectedDocument a br eol img date term def inline abbr noteRef authorialNote quotedStructure quotedText embeddedStructure mod ins del remark foreign container marker organization location concept entity person role signature docTitle docNumber".split(
    " ",
  ),
]);

/** The body text, one line per heading, subsection or point, as the SDK reader gives it. */
function textLines(parts: readonly XmlElement[], unknown: Set<string>): string[] {
  const lines: string[] = [];
  const walk = (el: XmlElement, into: string[]) => {
    const name = local(el.name);
    if (!KNOWN_ELEMENTS.has(name)) unknown.add(name);
    if (name === "hcontainer" && attr(el, "name") === "omission") {
      into.push(OMISSION);
      return;
    }
    if (name === "p" && attr(el, "class") === "omission") {
      into.push(OMISSION);
      return;
    }
    if (name === "tr") {
      const cells = childElements(el).map(lineOf).filter(Boolean);
      if (cells.length > 0) into.push(cells.join(" | "));
      return;
    }
    if (NUMBERED_ITEMS.has(name)) {
      const num = child(el, "num");
      const inner: string[] = [];
      for (const c of childElements(el)) if (c !== num) walk(c, inner);
      const label = num ? lineOf(num) : "";
      if (label && inner.length > 0) inner[0] = `${label} ${inner[0]}`;
      else if (label) inner.unshift(label);
      into.push(...inner);
      return;
    }
    if (LINE_ELEMENTS.has(name)) {
      for (const inline of findAll(el, () => true)) {
        if (!KNOWN_ELEMENTS.has(local(inline.name))) unknown.add(local(inline.name));
      }
      const line = lineOf(el);
      if (line) into.push(line);
      return;
    }
    for (const c of childElements(el)) walk(c, into);
  };
  for (const part of parts) walk(part, lines);
  return lines;
}

/** FRBRdate values by name from the work and its expression (the work's first). */
function frbrDates(...blocks: (XmlElement | undefined)[]): Map<string, string> {
  const dates = new Map<string, string>();
  for (const block of blocks)
    for (const d of children(block, "FRBRdate")) {
      const name = attr(d, "name");
      const date = attr(d, "date");
      if (name && date && !dates.has(name)) dates.set(name, date);
    }
  return dates;
}

// Title words before the statute's name: "Laki", "Valtioneuvoston asetus", "Lag", "Statsrådets förordning".
const TITLE_TYPE =
  /^((?:(?:Valtioneuvoston|Tasavallan presidentin|\S+ministeriön) )?(?:asetus|päätös)|Laki|Lag|(?:(?:Statsrådets|Republikens presidents|\S+ministeriets) )?(?:förordning|beslut)) /i;

/**
 * One Akoma Ntoso statute (the open data API's original text) → a document.
 * Strict: a root outside the Akoma Ntoso namespace, anything but an original
 * statute (a consolidated text, a government proposal), an identification
 * that does not agree with itself, or a missing title is a changed source.
 */
export function readAknStatute(root: XmlElement, fileName: string): ReadStatute {
  const prefix = root.name.includes(":") ? root.name.slice(0, root.name.indexOf(":")) : null;
  if (root.attrs[prefix ? `xmlns:${prefix}` : "xmlns"] !== AKN_NAMESPACE)
    throw new SourceShapeChangedError(
      `${fileName}: <${root.name}> is not in the Akoma Ntoso 3.0 namespace (${AKN_NAMESPACE})`,
    );
  const docs = childElements(root);
  const act = docs.length === 1 && is(docs[0]!, "act") ? docs[0]! : undefined;
  if (!act)
    throw new SourceShapeChangedError(
      `${fileName}: <akomaNtoso> holds <${docs.map((d) => local(d.name)).join(">, <")}>, expected one <act>`,
    );
  const meta = child(act, "meta");
  const identification = child(meta, "identification");
  const work = child(identification, "FRBRWork");
  const expression = child(identification, "FRBRExpression");
  const workUri = attr(child(work, "FRBRuri"), "value") ?? "";
  const expressionUri = attr(child(expression, "FRBRuri"), "value") ?? "";
  const uri = /^\/akn\/fi\/act\/([a-z-]+)\/(\d{4})\/(\d{1,4})$/.exec(workUri);
  if (!uri)
    throw new SourceShapeChangedError(
      `${fileName}: FRBRWork/FRBRuri "${workUri}" is not a Finnish statute's (/akn/fi/act/statute/{year}/{number})`,
    );
  const [, docType, year, number] = uri as unknown as [string, string, string, string];
  if (docType !== "statute")
    throw new SourceShapeChangedError(
      `${fileName}: ${workUri} is a ${docType}, not a Statute Book original (act/statute)`,
    );
  const citation = `${Number(number)}/${year}`;
  const frbrNumber = attr(child(work, "FRBRnumber"), "value");
  if (frbrNumber !== undefined && frbrNumber !== number)
    throw new SourceShapeChangedError(`${fileName}: FRBRnumber "${frbrNumber}" disagrees with ${workUri}`);
  const exp = /^(.*)\/([a-z]{3})@(\d*)$/.exec(expressionUri);
  if (!exp || exp[1] !== workUri)
    throw new SourceShapeChangedError(
      `${fileName}: FRBRExpression/FRBRuri "${expressionUri}" is not an expression of ${workUri}`,
    );
  if (exp[3])
    throw new SourceShapeChangedError(
      `${fileName}: ${expressionUri} is a later version (@${exp[3]}), not the original text`,
    );
  const langCode = exp[2]!;
  const frbrLanguage = attr(child(expression, "FRBRlanguage"), "language");
  if (frbrLanguage !== undefined && frbrLanguage !== langCode)
    throw new SourceShapeChangedError(
      `${fileName}: FRBRlanguage "${frbrLanguage}" disagrees with ${expressionUri}`,
    );
  const language = LANGUAGES[langCode];
  if (!language)
    throw new SourceShapeChangedError(
      `${fileName}: ${citation} is in "${langCode}"; only Finnish (fin) and Swedish (swe) are read`,
    );

  const preface = child(act, "preface");
  const prefaceLine = (name: string) => {
    const el = preface && findAll(preface, (e) => is(e, name))[0];
    return el ? lineOf(el) : "";
  };
  const title = prefaceLine("docTitle");
  if (!title) throw new SourceShapeChangedError(`${fileName}: ${citation} has no preface/docTitle`);
  const warnings: string[] = [];
  const docNumber = prefaceLine("docNumber");
  if (docNumber && docNumber !== citation)
    warnings.push(`${citation}: docNumber "${docNumber}" disagrees with the identification`);

  // Dates the metadata states: issued (annettu), published in the Statute Book.
  const dates = frbrDates(work, expression);
  const proprietary = child(meta, "proprietary");
  const bookDate = attr(child(child(proprietary, "statuteBookOfFinlandReference"), "date"), "date");
  const dateField = (what: string, value: string | undefined) => {
    const date = parseIsoDate(value);
    if (value !== undefined && !date)
      warnings.push(`${citation}: ${what} "${value}" is not a date; left empty`);
    return date;
  };
  const issuedAt = dateField("dateIssued", dates.get("dateIssued"));
  const publishedAt =
    dateField("datePublished", dates.get("datePublished")) ??
    dateField("the Statute Book issue's date", bookDate);
  if (issuedAt && issuedAt.slice(0, 4) !== year)
    warnings.push(`${citation}: issued ${issuedAt}, outside the year of its number`);

  // The statute's kind: finlex:typeStatute names a TLCConcept ("act", shown as "Laki").
  const typeCode = (attr(child(proprietary, "typeStatute"), "refersTo") ?? "").replace(/^#/, "");
  const concept = children(child(meta, "references"), "TLCConcept").find((c) => attr(c, "eId") === typeCode);
  const titleType = TITLE_TYPE.exec(title);
  const typeWord = titleType ? titleType[1]!.split(" ").pop()! : (attr(concept, "showAs") ?? "");
  const type = typeWord.toLowerCase() || null;
  const titleName = titleType ? title.slice(titleType[0].length) : title;
  const isAct = typeCode === "act" || type === "laki" || type === "lag";

  // The enacting clause: one paragraph per `p` and per instruction block.
  const preamble = child(act, "preamble");
  const enacting: XmlElement[] = [];
  const collect = (el: XmlElement) => {
    for (const c of childElements(el)) {
      if (is(c, "p") || is(c, "block")) enacting.push(c);
      else collect(c);
    }
  };
  if (preamble) collect(preamble);
  const paragraphs = enacting.map((el) => {
    const text = lineOf(el);
    const marked = findAll(el, (e) => is(e, "affectedDocument") || is(e, "ref"))
      .map((e) => lineOf(e))
      .filter((t) => /^\d{1,4}\/\d{4}$/.test(t));
    return { text, named: [...new Set([...marked, ...namedActs(text, language.namedAct)])] };
  });
  const steps = readInstructions(paragraphs, language);
  const amends = [...new Set(steps.map((s) => s.act).filter((a): a is string => a !== null))];
  if (steps.some((s) => s.act === null)) warnings.push(`${citation}: an amending instruction names no act`);
  const enactingText = paragraphs.map((p) => p.text).join(" ");
  // [I] finlex:issuedUnderActs was seen on consolidated texts only; read when an original has it.
  const issuedUnderActs = child(proprietary, "issuedUnderActs");
  const issuedUnderMeta = issuedUnderActs ? findAll(issuedUnderActs, (e) => is(e, "ref")).map(lineOf) : [];
  const basedOn = language.issuedUnder.test(enactingText)
    ? [...new Set([...paragraphs.flatMap((p) => p.named), ...issuedUnderMeta])]
    : [...new Set(issuedUnderMeta)];

  // The body: provisions, entry into force, conclusions, attachments.
  const body = child(act, "body");
  if (!body) throw new SourceShapeChangedError(`${fileName}: ${citation} has no body`);
  const provisions = hcontainers(body, "statuteProvisionsWrapper");
  const inForceParts = hcontainers(body, "entryIntoForce");
  const conclusions = [...hcontainers(body, "conclusions"), ...children(act, "conclusions")];
  const attachments = [...hcontainers(body, "attachments"), ...children(act, "attachments")];
  const read = new Set([...provisions, ...inForceParts, ...conclusions, ...attachments]);
  const markers = new Set(["entryIntoForceStart", "contentAbsent"]);
  for (const part of childElements(body)) {
    if (read.has(part) || (is(part, "hcontainer") && markers.has(attr(part, "name") ?? ""))) continue;
    // An unknown part is read as provisions text rather than dropped.
    warnings.push(
      `${citation}: body part <${local(part.name)}${attr(part, "name") ? ` name="${attr(part, "name")}"` : ""}> is not known; read as provisions`,
    );
    provisions.push(part);
  }
  if (hcontainers(body, "contentAbsent").length > 0 || provisions.length + inForceParts.length === 0)
    warnings.push(`${citation}: the XML holds no provisions (the text may be in the PDF only)`);

  const unknown = new Set<string>();
  const provisionLines = textLines([...provisions, ...inForceParts], unknown);
  const annexes = attachments.flatMap((a) => textLines(childElements(a), unknown));

  // In force: the first subsection saying "Tämä laki tulee voimaan …", in a
  // Voimaantulo section (new acts) or the entryIntoForce container (amendments).
  const inForceText = provisionLines.find((t) => language.inForceStart.test(t)) ?? "";
  const inForceMatch = language.inForce.exec(inForceText);
  const effectiveAt = inForceMatch ? language.parseDate(inForceMatch[1]!) : null;
  if (!inForceText) warnings.push(`${citation}: no entry-into-force provision`);
  else if (!effectiveAt)
    warnings.push(`${citation}: entry into force "${inForceText}" gives no date; left empty`);
  const repeals = [...new Set(namedActs(provisionLines.join("\n"), language.wholeRepeal))];

  // Sections the statute writes (not its entry-into-force section).
  const writesSections = provisions
    .flatMap((p) => findAll(p, (e) => is(e, "section")))
    .filter((s) => !language.inForceHeading.test(lineOf(child(s, "heading") ?? s)))
    .map((s) => lineOf(child(s, "num") ?? s))
    .filter(Boolean);

  // Conclusions: preparatory works and the signatures.
  const conclusionParts = conclusions.flatMap((c) => [c, ...findAll(c, () => true)]);
  const references = conclusionParts
    .filter((c) => is(c, "hcontainer") && attr(c, "name") === "preliminaryWork")
    .flatMap((c) => findAll(c, (e) => is(e, "p")).map(lineOf))
    .filter(Boolean);
  const signatureBlock = conclusionParts.filter(
    (c) => is(c, "hcontainer") && attr(c, "name") === "signatures",
  );
  const signedText =
    signatureBlock
      .flatMap((c) => findAll(c, (e) => is(e, "p") && !findAll(e, (x) => is(x, "signature")).length))
      .map(lineOf)
      .find((t) => t.length > 0) ?? "";
  const signatories: Signatory[] = signatureBlock
    .flatMap((c) => findAll(c, (e) => is(e, "signature")))
    .map((s) => ({
      role: lineOf(child(s, "role") ?? s),
      name: lineOf(child(s, "person") ?? s),
    }));
  const signedMatch = language.signed.exec(signedText);
  const signedOn = signedMatch ? language.parseDate(signedMatch[1]!) : null;
  if (signedText && !signedOn) warnings.push(`${citation}: signing line "${signedText}" has no valid date`);
  else if (signedOn && issuedAt && signedOn !== issuedAt)
    warnings.push(`${citation}: signed ${signedOn}, but dateIssued is ${issuedAt}`);

  if (unknown.size > 0)
    warnings.push(`${citation}: unknown element(s) <${[...unknown].sort().join(">, <")}> read as text`);
  const titleWarning = knownTitleWarning(citation, titleName);
  if (titleWarning) warnings.push(titleWarning);

  const preambleLines = paragraphs.map((p) => p.text).filter(Boolean);
  const text = [...preambleLines, ...provisionLines, ...annexes].join("\n");
  const url = originalUrl(year, number, language.code);
  const urls: Record<string, string> = { finlex: url, akn: `${FINLEX_API_BASE}${expressionUri}` };
  const eli = children(expression, "FRBRalias").find((a) => attr(a, "name") === "eli");
  if (attr(eli, "value")) urls.eli = attr(eli, "value")!;
  // The annexes' own files (500/2024's national control list is a PDF under media/).
  attachments
    .flatMap((a) => findAll(a, (e) => is(e, "a")))
    .forEach((a, i) => {
      const href = attr(a, "href");
      if (href && /^[\w./-]+$/.test(href) && !href.includes(".."))
        urls[`annex:${i + 1}`] = `${FINLEX_API_BASE}${expressionUri}/${href}`;
    });
  for (const c of amends) urls[`amends:${c}`] = consolidatedUrl(c);
  for (const c of repeals) urls[`repeals:${c}`] = consolidatedUrl(c);

  const document: RegDocument = {
    id: `finlex/sd/${year}/${Number(number)}`,
    stage: "published",
    type,
    title,
    abstract: text || null,
    citation,
    publishedAt,
    effectiveAt,
    url,
    urls,
    // The acts it changes, as a list source of the consolidated text would cite them.
    cfrReferences: [...new Set([...amends, ...repeals])],
    technologies: technologiesForText(`${title}\n${text}`),
    countries: [],
    data: {
      language: language.code,
      titleFi: language === FINNISH ? title : null,
      titleSv: language === SWEDISH ? title : null,
      titleEn: titleEnOf({ isAct, titleName, amends }),
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
  return { document, relevance: relevanceOf({ citation, titleName, amends, repeals }), warnings };
}
