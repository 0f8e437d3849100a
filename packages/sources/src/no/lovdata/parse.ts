import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import { isCalendarDay, MONTHS } from "../../dates.ts";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { keepDocuments, type ReadDocument } from "../../documents.ts";
import { runSteps } from "../../steps.ts";
import { childElements, parseXml, textOf, type XmlElement, type XmlNode } from "../../xml/parse-xml.ts";
import { bunzip2Steps, isBzip2 } from "./bzip2.ts";
import { type TarLimits, TarReader } from "./tar.ts";

// 2: a body may be a whole yearly Lovtidend archive (tar.bz2), not only one LTI file.
export const PARSER_VERSION = "no.lovdata.export-control/2";

/** Lovdata's reference to the export-control regulation (eksportkontrollforskriften). */
export const EXPORT_CONTROL_REF = "forskrift/2013-06-19-718";
export const EXPORT_CONTROL_CITATION = "FOR-2013-06-19-718";
export const LOVDATA_ORIGIN = "https://lovdata.no";

/** A Lovdata reference as the header writes it ("forskrift/2013-06-19-718", "lov/1987-12-18-93/§1"). */
export interface LovdataRef {
  /** As written. */
  ref: string;
  /** Lovdata's dated code: `FOR-2013-06-19-718`, `LOV-1987-12-18-93`. */
  citation: string;
  /** The provision named after the document, when there is one (`§1`). */
  provision: string | null;
}

/** A replaced annex (vedlegg) and the title the amendment gives it. */
export interface AnnexReplacement {
  annex: string;
  title: string | null;
}

/** What a yearly archive held besides the regulations that were read. */
export interface ArchiveSummary {
  /** The archive's file name, when the body came with an address. */
  name: string | null;
  /** Decompressed size of the tar. */
  bytes: number;
  /** Regular files in the archive. */
  files: number;
  /** Laws (`nl-*.xml`): counted, not read. */
  laws: number;
  /** Members that are neither (the first ten named in the warnings). */
  unexpected: number;
}

export interface LovdataMeta extends Record<string, unknown> {
  /** LTI documents read: one for a single file, every `sf-*.xml` member of an archive. */
  read: number;
  /** Documents left out because they do not amend FOR-2013-06-19-718, by Lovdata id. */
  excluded: string[];
  /** Present when the body was a Lovtidend archive. */
  archive?: ArchiveSummary;
}

// Lovdata ids of Norsk Lovtidend documents: LTI/forskrift/2025-08-20-1674, LTI/lov/2025-06-20-50.
const LTI_ID = /^LTI\/(forskrift|lov)\/(\d{4}-\d{2}-\d{2})-(\d+)$/;
const REF = /^(forskrift|lov)\/(\d{4}-\d{2}-\d{2})-(\d+)(?:\/(.+))?$/;
const PREFIX: Record<string, string> = { forskrift: "FOR", lov: "LOV" };

const NORWEGIAN_MONTHS: readonly string[] = MONTHS.nb;

const pad = (n: number) => String(n).padStart(2, "0");

/** `2025-08-21` or `2025-08-21 13:45` (Lovdata's header form) → `{ date, time }`; anything else → null. */
export function parseLovdataDate(value: string): { date: string; time: string | null } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!isCalendarDay(y, mo, d)) return null;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59)) return null;
  return { date: `${m[1]}-${m[2]}-${m[3]}`, time: m[4] !== undefined ? `${m[4]}:${m[5]}` : null };
}

/** A Norwegian written date ("20. august 2025", "1. januar 2026") → `2025-08-20`; anything else → null. */
export function parseNorwegianDate(value: string): string | null {
  const m = /^(\d{1,2})\. ([a-zæøå]+) (\d{4})$/.exec(value.trim());
  if (!m) return null;
  const month = NORWEGIAN_MONTHS.indexOf(m[2]!) + 1;
  const [d, y] = [Number(m[1]), Number(m[3])];
  if (month === 0 || !isCalendarDay(y, month, d)) return null;
  return `${y}-${pad(month)}-${pad(d)}`;
}

/** A header reference → its dated citation; null when it is not a law or regulation reference. */
export function lovdataRef(ref: string): LovdataRef | null {
  const m = REF.exec(ref.trim());
  if (!m) return null;
  return {
    ref: ref.trim(),
    citation: `${PREFIX[m[1]!]}-${m[2]}-${m[3]}`,
    provision: m[4] ?? null,
  };
}

function hasClass(el: XmlElement, cls: string): boolean {
  return (el.attrs.class ?? "").split(/\s+/).includes(cls);
}

function findAll(el: XmlElement, test: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  for (const c of childElements(el)) {
    if (test(c)) out.push(c);
    findAll(c, test, out);
  }
  return out;
}

function find(el: XmlElement, test: (e: XmlElement) => boolean): XmlElement | undefined {
  for (const c of childElements(el)) {
    if (test(c)) return c;
    const deeper = find(c, test);
    if (deeper) return deeper;
  }
  return undefined;
}

const clean = (s: string) => normalizeText(s).normalize("NFC");

/** The header's `<dd class="…">` fields: text, or the list items when the value is a list. */
function headerFields(header: XmlElement): Map<string, { text: string; items: string[] }> {
  const fields = new Map<string, { text: string; items: string[] }>();
  for (const dd of findAll(header, (e) => e.name === "dd")) {
    const cls = dd.attrs.class;
    if (!cls || fields.has(cls)) continue;
    const items = findAll(dd, (e) => e.name === "li").map((li) => clean(textOf(li)));
    fields.set(cls, { text: clean(textOf(dd)), items });
  }
  return fields;
}

const BLOCKS = new Set(["h1", "h2", "h3", "h4", "article", "li", "p", "div", "section", "br", "ul", "ol"]);

/** The body as text, one line per block (headings, paragraphs, list items with their letters). */
function bodyText(main: XmlElement): string {
  const lines: string[] = [];
  let line = "";
  // A list item's letter ("a.") goes before the first line the item holds.
  let prefix = "";
  const flush = () => {
    const t = clean(line);
    if (t) {
      lines.push(prefix ? `${prefix} ${t}` : t);
      prefix = "";
    }
    line = "";
  };
  const walk = (node: XmlNode) => {
    if (typeof node === "string") {
      line += node;
      return;
    }
    // The heading repeats the title, which the record already carries.
    if (node.name === "h1") return;
    const block = BLOCKS.has(node.name) || hasClass(node, "futuretitle");
    if (block) flush();
    if (node.name === "li" && node.attrs["data-li-identifier"])
      prefix = clean(node.attrs["data-li-identifier"]);
    for (const c of node.children) walk(c);
    if (block) flush();
  };
  walk(main);
  flush();
  return lines.join("\n");
}

// "Vedlegg I skal erstattes med følgende:", "Vedlegg II og III skal erstattes med følgende:".
const ANNEX_REPLACED = /\bvedlegg ([IVX]+(?:(?:, | og )[IVX]+)*) (?:skal )?erstattes\b/i;
// A future title naming its annex: "Vedlegg I Liste I – forsvarsrelaterte varer (2025)".
const TITLED_ANNEX = /^vedlegg ([IVX]+)\b\s*/i;
// Provisions an instruction names: "§ 2", "§ 8", "§§ 4 til 6".
const SECTION = /§+ ?(\d+[a-z]?)/g;

/**
 * Annexes the amendment replaces, each with the title the amendment gives it
 * (a `futuretitle` after the instruction: the one naming it, or the only one).
 */
function annexReplacements(main: XmlElement): AnnexReplacement[] {
  const out: AnnexReplacement[] = [];
  const walk = (el: XmlElement) => {
    const kids = childElements(el);
    kids.forEach((kid, i) => {
      if (kid.name === "article" && hasClass(kid, "defaultP")) {
        const m = ANNEX_REPLACED.exec(clean(textOf(kid)));
        if (m) {
          const annexes = m[1]!.split(/, | og /).map((a) => a.toUpperCase());
          const titles: { annex: string | null; title: string }[] = [];
          for (let j = i + 1; j < kids.length && hasClass(kids[j]!, "futuretitle"); j++) {
            const raw = clean(
              kids[j]!.children.map((c) =>
                typeof c === "string" ? c : c.name === "br" ? " " : textOf(c),
              ).join(""),
            );
            const named = TITLED_ANNEX.exec(raw);
            titles.push({
              annex: named ? named[1]!.toUpperCase() : null,
              title: raw.slice(named?.[0].length ?? 0),
            });
          }
          for (const annex of annexes) {
            const title =
              titles.find((t) => t.annex === annex)?.title ??
              (annexes.length === 1 && titles.length === 1 && titles[0]!.annex === null
                ? titles[0]!.title
                : null);
            out.push({ annex, title: title || null });
          }
        }
      }
      walk(kid);
    });
  };
  walk(main);
  return out;
}

/** Sections named by the amending instructions (`<article class="defaultP" margin-top>` lines). */
function amendedSections(main: XmlElement): string[] {
  const found = new Set<string>();
  for (const el of findAll(main, (e) => e.name === "article" && e.attrs["margin-top"] === "true")) {
    // The instruction is the article's own text, not a list it may carry.
    const own = el.children
      .map((c) => (typeof c === "string" ? c : c.name === "ul" ? "" : textOf(c)))
      .join("");
    for (const m of own.matchAll(SECTION)) found.add(`§ ${m[1]}`);
  }
  return [...found];
}

/** What one LTI file says about itself, before the export-control filter. */
export interface LtiDocument {
  document: RegDocument;
  /** Whether the header's `changesToDocuments` names FOR-2013-06-19-718. */
  amendsExportControl: boolean;
  warnings: string[];
}

/**
 * One Lovdata LTI XML file (Norsk Lovtidend avd. I, XHTML-style XML with a
 * `<header class="documentHeader">` of `<dt>/<dd class="…">` fields and a
 * `<main class="documentBody">`) → a document. Strict: malformed XML, a
 * missing or malformed id, or a header whose dated code disagrees with its id
 * is a changed source, not something to guess around.
 */
export function parseLtiDocument(input: ParseInput): LtiDocument {
  const { text } = decodeText(input.body, input.contentType ?? "application/xml; charset=utf-8");
  const fileName = input.url ?? "LTI document";
  const root = parseXml(text, { fileName });
  if (root.name !== "html")
    throw new SourceShapeChangedError(`${fileName}: root element is <${root.name}>, expected <html>`);
  const header = find(root, (e) => e.name === "header" && hasClass(e, "documentHeader"));
  const main = find(root, (e) => e.name === "main" && hasClass(e, "documentBody"));
  if (!header || !main)
    throw new SourceShapeChangedError(`${fileName}: no documentHeader or documentBody; not an LTI document`);
  const fields = headerFields(header);
  const field = (name: string) => fields.get(name)?.text || null;
  const items = (name: string) => fields.get(name)?.items ?? [];

  const id = field("dokid");
  const idMatch = id ? LTI_ID.exec(id) : null;
  if (!id || !idMatch)
    throw new SourceShapeChangedError(
      `${fileName}: DokumentID "${id ?? ""}" is not an LTI forskrift or lov id`,
    );
  const warnings: string[] = [];
  const expectedCitation = `${PREFIX[idMatch[1]!]}-${idMatch[2]}-${idMatch[3]}`;
  const citation = field("legacyID");
  if (citation !== expectedCitation)
    throw new SourceShapeChangedError(
      `${fileName}: Datokode "${citation ?? ""}" does not match DokumentID ${id} (expected ${expectedCitation})`,
    );

  const published = field("dateOfPublication");
  const publishedAt = published ? parseLovdataDate(published) : null;
  if (published && !publishedAt) warnings.push(`${id}: Kunngjort "${published}" is not a date`);
  const inForce = field("dateInForce");
  const effective = inForce ? parseLovdataDate(inForce) : null;
  if (inForce && !effective) warnings.push(`${id}: I kraft fra "${inForce}" is not a date`);
  if (effective?.time) warnings.push(`${id}: I kraft fra "${inForce}" carries a time`);

  // "Fastsatt av Utenriksdepartementet 20. august 2025 med hjemmel i …": the date it was made.
  const misc = field("miscInformation");
  const madeText = misc ? /\bFastsatt (?:av|ved) .*? (\d{1,2}\. [a-zæøå]+ \d{4})/.exec(misc)?.[1] : undefined;
  const adoptedAt = madeText ? parseNorwegianDate(madeText) : null;
  if (madeText && !adoptedAt) warnings.push(`${id}: Fastsatt date "${madeText}" is not a date`);
  if (adoptedAt && adoptedAt !== idMatch[2])
    warnings.push(`${id}: fastsatt ${adoptedAt} differs from the date in the id (${idMatch[2]})`);

  const changes: LovdataRef[] = [];
  for (const ref of items("changesToDocuments")) {
    const parsed = lovdataRef(ref);
    if (parsed) changes.push(parsed);
    else warnings.push(`${id}: Endrer "${ref}" is not a law or regulation reference`);
  }
  const basedOn = items("basedOn").map((ref) => lovdataRef(ref) ?? { ref, citation: ref, provision: null });
  const amendsExportControl = changes.some((c) => c.citation === EXPORT_CONTROL_CITATION);

  const title = clean(field("title") ?? textOf(find(main, (e) => e.name === "h1") ?? main));
  if (!title) throw new SourceShapeChangedError(`${fileName}: ${id} has no title`);
  const body = bodyText(main);
  const annexes = annexReplacements(main);
  const url = `${LOVDATA_ORIGIN}/dokument/${id}`;
  const urls: Record<string, string> = { lovdata: url };
  for (const c of changes) {
    const m = REF.exec(c.ref)!;
    urls[`amends:${c.citation}`] =
      `${LOVDATA_ORIGIN}/dokument/${m[1] === "lov" ? "NL" : "SF"}/${m[1]}/${m[2]}-${m[3]}`;
  }

  const document: RegDocument = {
    id,
    stage: "published",
    type: idMatch[1]!,
    title,
    abstract: body || null,
    citation: expectedCitation,
    publishedAt: publishedAt?.date ?? null,
    effectiveAt: effective?.date ?? null,
    url,
    urls,
    // The instruments it changes, as list sources cite them (`citedAs`): how a list diff finds its amendment.
    cfrReferences: [...new Set(changes.map((c) => c.citation))],
    // The keyword rules are English; Norwegian text rarely matches (see the report on issue 10).
    technologies: technologiesForText(`${title}\n${body}`),
    // Norway's own instruments name no destination in their header.
    countries: [],
    data: {
      language: "nb",
      // A gloss from the known list names, never a translation of the text.
      titleEn: amendsExportControl
        ? `Amendment to the export control regulation (${EXPORT_CONTROL_CITATION})`
        : null,
      titleShort: field("titleShort"),
      department: items("ministry"),
      subunit: items("subunit"),
      changesToDocuments: changes,
      basedOn,
      publishedAtLocal: publishedAt
        ? `${publishedAt.date}${publishedAt.time ? `T${publishedAt.time}` : ""}`
        : null,
      adoptedAt,
      journalNumber: field("journalNumber"),
      amendedSections: amendedSections(main),
      replacesAnnexes: annexes,
      // An annex replaced by a PDF leaves only a link in the text: the list changed, the text says little.
      annexAsPdf: annexes.length > 0 && /\bpdf-fil\b/i.test(body),
    },
  };
  return { document, amendsExportControl, warnings };
}

/**
 * LTI files → a `documents` snapshot of the amendments to FOR-2013-06-19-718.
 * Everything else (sanctions regulations, other departments' rules) is read,
 * counted and left out by what its header says it changes, never by file name.
 */
export function parseLovtidend(
  inputs: readonly ParseInput[],
): ParsedSnapshot<DocumentsSnapshot, LovdataMeta> {
  const { documents, warnings, excluded } = keepDocuments(inputs, (input) => {
    const lti = parseLtiDocument(input);
    return { ...lti, excluded: lti.amendsExportControl ? null : lti.document.id };
  });
  return { kind: "documents", meta: { read: inputs.length, excluded }, warnings, documents };
}

/**
 * Caps on one archive, decompressed. The 2025 archive held 1,272 members and
 * 28.5 MB by late October (about 11 times its 2.6 MB bzip2), so a full year is
 * some 35 MB and 1,600 members: these leave room for ten times that, and stop
 * a bzip2 or tar bomb long before it exhausts memory.
 */
export const ARCHIVE_LIMITS: TarLimits = { maxBytes: 256 * 1024 * 1024, maxMembers: 20_000 };

// `lti/2025/sf-20250820-1674.xml` (regulations, read), `lti/2025/nl-20250620-050.xml` (laws, counted).
const MEMBER = /^lti\/\d{4}\/(sf|nl)-(\d{4})(\d{2})(\d{2})-(\d+)\.xml$/;

/**
 * The members of a yearly Lovtidend archive that amend FOR-2013-06-19-718,
 * byte for byte as the archive holds them: what a fetch archives instead of
 * the whole year (rebuilt nightly), each then parsed as one LTI file. Strict
 * as the archive parse: a corrupt archive or a malformed member is an error.
 */
export function* exportControlMembersSteps(
  body: Uint8Array,
  name: string | null,
  limits: TarLimits = ARCHIVE_LIMITS,
): Generator<void, { members: { name: string; content: Uint8Array }[]; files: number }> {
  const label = name ?? "Lovtidend archive";
  const members: { name: string; content: Uint8Array }[] = [];
  const tar = new TarReader({
    limits,
    name: label,
    select: (file) => MEMBER.exec(file.name)?.[1] === "sf",
    onFile(file, content) {
      if (parseLtiDocument({ body: content, url: `${label}:${file.name}` }).amendsExportControl)
        members.push({ name: file.name, content: content.slice() });
    },
  });
  if (isBzip2(body))
    yield* bunzip2Steps(body, (slice) => tar.write(slice), { maxBytes: limits.maxBytes, name: label });
  else tar.write(body);
  const { files } = tar.end();
  return { members, files };
}

/** `parseLovtidendArchiveSteps` run to the end at once. */
export function parseLovtidendArchive(
  input: ParseInput,
  limits: TarLimits = ARCHIVE_LIMITS,
): ParsedSnapshot<DocumentsSnapshot, LovdataMeta> {
  return runSteps(parseLovtidendArchiveSteps(input, limits));
}

/** `exportControlMembersSteps` run to the end at once. */
export function exportControlMembers(
  body: Uint8Array,
  name: string | null,
  limits: TarLimits = ARCHIVE_LIMITS,
): { members: { name: string; content: Uint8Array }[]; files: number } {
  return runSteps(exportControlMembersSteps(body, name, limits));
}

/**
 * A yearly Norsk Lovtidend avd. I archive (`lovtidend-avd1-{year}.tar.bz2`:
 * bzip2 of a GNU tar with one LTI XML file per document; or the tar itself) → the amendments of
 * FOR-2013-06-19-718 it holds. Every regulation (`sf-*.xml`) is read as it
 * comes out of the decompressor and only its header is kept when it amends
 * something else, so neither the tar nor the other 1,000-odd documents are
 * held. Strict: a corrupt, cut or oversized archive, or a malformed member,
 * is an error for the whole archive, never a partial snapshot.
 */
export function* parseLovtidendArchiveSteps(
  input: ParseInput,
  limits: TarLimits = ARCHIVE_LIMITS,
): Generator<void, ParsedSnapshot<DocumentsSnapshot, LovdataMeta>> {
  const name = input.url ? (input.url.split(/[/\\]/).pop() ?? null) : null;
  const label = name ?? "Lovtidend archive";
  const read: ReadDocument<string>[] = [];
  const unexpected: string[] = [];
  let laws = 0;
  const tar = new TarReader({
    limits,
    name: label,
    select(file) {
      const m = MEMBER.exec(file.name);
      if (!m) unexpected.push(file.name);
      else if (m[1] === "nl") laws++;
      return m?.[1] === "sf";
    },
    onFile(file, content) {
      const lti = parseLtiDocument({ body: content, url: `${label}:${file.name}` });
      const doc = lti.document;
      if (!lti.amendsExportControl) {
        // Only its header is kept, copied: strings cut from the document's text
        // would keep the whole text alive, some 40 MB for a year of documents.
        const header: RegDocument = JSON.parse(JSON.stringify({ ...doc, abstract: null }));
        read.push({ document: header, warnings: [], excluded: header.id });
        return;
      }
      // The file name repeats the date and number of the id (sf-20250307-0439 ↔ 2025-03-07-439).
      const m = MEMBER.exec(file.name)!;
      const id = LTI_ID.exec(doc.id)!;
      const warnings = [...lti.warnings];
      if (`${m[2]}-${m[3]}-${m[4]}` !== id[2] || Number(m[5]) !== Number(id[3]))
        warnings.push(`${doc.id}: read from ${file.name}, whose name gives another date or number`);
      read.push({ document: doc, warnings, excluded: null });
    },
  });
  let bytes = input.body.byteLength;
  // Lovdata serves bzip2; a tar unpacked by hand (`regwatch parse`) is read the same way.
  if (isBzip2(input.body))
    bytes = yield* bunzip2Steps(input.body, (slice) => tar.write(slice), {
      maxBytes: limits.maxBytes,
      name: label,
    });
  else tar.write(input.body);
  const { files } = tar.end();
  if (files > 0 && read.length === 0 && laws === 0)
    throw new SourceShapeChangedError(
      `${label}: none of its ${files} files is an lti/{year}/sf-… or nl-… document; not a Lovtidend archive`,
    );
  const { documents, warnings, excluded } = keepDocuments(read, (r) => r);
  for (const member of unexpected.slice(0, 10))
    warnings.push(`${label}: unexpected member ${member}, not read`);
  if (unexpected.length > 10) warnings.push(`${label}: ${unexpected.length - 10} more unexpected members`);
  if (files === 0) warnings.push(`${label}: the archive holds no documents`);
  return {
    kind: "documents",
    meta: {
      read: read.length,
      excluded,
      archive: { name, bytes, files, laws, unexpected: unexpected.length },
    },
    warnings,
    documents,
  };
}

/** Whether the body starts with a ustar or GNU tar header ("ustar" at byte 257). */
const isTar = (body: Uint8Array) =>
  body.length >= 512 && String.fromCharCode(...body.subarray(257, 262)) === "ustar";

/**
 * A body as Lovdata serves it: a yearly Lovtidend archive (bzip2, told by its
 * "BZh" magic, or an unpacked tar) or a single LTI XML file (zero or one document).
 */
export function parseLovdata(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, LovdataMeta> {
  return runSteps(parseLovdataSteps(input));
}

/** `parseLovdata` in slices: a whole archive (`regwatch parse` of one) yields after every bzip2 block. */
export function* parseLovdataSteps(
  input: ParseInput,
): Generator<void, ParsedSnapshot<DocumentsSnapshot, LovdataMeta>> {
  return isBzip2(input.body) || isTar(input.body)
    ? yield* parseLovtidendArchiveSteps(input)
    : parseLovtidend([input]);
}
