import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import { isBundle, readBundle } from "../../bundle.ts";
import { isCalendarDay, MONTHS } from "../../dates.ts";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { keepDocuments } from "../../documents.ts";
import { parseXml, textOf, type XmlElement } from "../../xml/parse-xml.ts";
import { publicationCitation } from "../bwb/parse.ts";
import { REGULATION_TITLE } from "../bwb/source.ts";
import {
  DCTERMS_NAMESPACE,
  GZD_NAMESPACE,
  type NsNode,
  nsAll,
  nsFirst,
  nsText,
  readSruPage,
  type SruPage,
} from "../bwb/sru.ts";

export const PARSER_VERSION = "nl.staatscourant.export-control/1";

/** Where a person reads a publication [C: SOURCES.md, `…/stcrt-2023-18212.html`]. */
export const OEP_ORIGIN = "https://zoek.officielebekendmakingen.nl";
export const publicationPageUrl = (id: string) => `${OEP_ORIGIN}/${id}.html`;

const clean = (s: string) => normalizeText(s).normalize("NFC");

/** Lower case, accents removed ("tweeërlei" → "tweeerlei"), spaces collapsed: what keyword rules match. */
export function fold(s: string): string {
  return clean(s).normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

// ---------------------------------------------------------------------------
// Dates.
// ---------------------------------------------------------------------------

const DUTCH_MONTHS: readonly string[] = MONTHS.nl;

const pad = (n: number) => String(n).padStart(2, "0");

/** A metadata date: `2024-09-06`, or the date of a timestamp (`2024-09-06T10:15:00+02:00`); else null. */
export function parseIsoDate(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/.exec(
    value.trim(),
  );
  if (!m || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** A written Dutch date ("1 april 2025", "7 september 2024") → ISO; anything else, or an impossible date → null. */
export function parseDutchDate(value: string): string | null {
  const m = /^(\d{1,2}) ([a-z]+) (\d{4})$/.exec(fold(value));
  if (!m) return null;
  const month = DUTCH_MONTHS.indexOf(m[2]!) + 1;
  const [d, y] = [Number(m[1]), Number(m[3])];
  if (month === 0 || !isCalendarDay(y, month, d)) return null;
  return `${y}-${pad(month)}-${pad(d)}`;
}

const nextDay = (iso: string) =>
  new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

// ---------------------------------------------------------------------------
// The filter: which Staatscourant publications are export-control regulations.
// ---------------------------------------------------------------------------

/**
 * Title keywords, as written (matched folded). A ministerial regulation that changes Dutch
 * strategic-goods controls names what it changes in its title: the
 * semiconductor-equipment regulation ("… tot wijziging van de Regeling
 * geavanceerde productieapparatuur voor halfgeleiders"), the Besluit
 * strategische goederen and the regulations under it, the Wet strategische
 * diensten, or the EU dual-use regulation ("producten voor tweeërlei
 * gebruik", 2021/821). Sanctions regulations under the Sanctiewet
 * ("Sanctieregeling …") list persons and embargoes, not controlled goods:
 * left out unless their title names one of these.
 */
export const TOPIC_KEYWORDS = [
  "productieapparatuur voor halfgeleiders",
  "strategische goederen",
  "strategische diensten",
  "tweeërlei gebruik",
  "2021/821",
  "dual-use",
] as const;

/** Why a record was kept or left out, rule by rule. */
export interface FilterVerdict {
  /** The identifier is a Staatscourant one (`stcrt-YYYY-N`). */
  staatscourant: boolean;
  /** A ministerial regulation: `dcterms:type` says "regeling", or (no type) the title starts with "Regeling". */
  regeling: boolean;
  topic: boolean;
  keep: boolean;
}

export function exportControlVerdict(record: {
  id: string;
  type: string | null;
  title: string;
}): FilterVerdict {
  const title = fold(record.title);
  const verdict = {
    staatscourant: STCRT_ID.test(record.id),
    regeling: record.type ? fold(record.type).includes("regeling") : /^regeling\b/.test(title),
    topic: TOPIC_KEYWORDS.some((k) => title.includes(fold(k))),
  };
  return { ...verdict, keep: verdict.staatscourant && verdict.regeling && verdict.topic };
}

/**
 * Instruments a title names, as list sources cite them (`citedAs`): the first
 * is how nl.bwb.strategic-goods is cited, so an amendment of the
 * semiconductor regulation links to the list change it causes. Matched on
 * the folded title; the value is the citation as written.
 */
export const NAMED_INSTRUMENTS: readonly (readonly [string, string])[] = [
  [fold(REGULATION_TITLE), REGULATION_TITLE],
  ["besluit strategische goederen", "Besluit strategische goederen"],
  ["wet strategische diensten", "Wet strategische diensten"],
];

/** An English gloss of the known regulation's name (never a translation of a title). */
export const REGULATION_TITLE_EN = "Regulation on advanced semiconductor production equipment";

function titleGloss(title: string): string | null {
  const folded = fold(title);
  if (!folded.includes(fold(REGULATION_TITLE))) return null;
  return /\b(?:tot )?wijziging van de regeling geavanceerde productieapparatuur\b/.test(folded)
    ? `Amendment of the ${REGULATION_TITLE_EN} (${REGULATION_TITLE})`
    : `${REGULATION_TITLE_EN} (${REGULATION_TITLE})`;
}

// ---------------------------------------------------------------------------
// One SRU record (recordSchema gzd) of the official publications.
// ---------------------------------------------------------------------------

const STCRT_ID = /^stcrt-(\d{4})-(\d+)$/;

/** What a `gzd` record of the official publications says about a Staatscourant publication. */
export interface StcrtRecord {
  /** `stcrt-2024-99999`. */
  id: string;
  title: string;
  type: string | null;
  /** The ministry (`dcterms:creator`), as written. */
  creator: string | null;
  language: string | null;
  modified: string | null;
  /** `dcterms:issued`: the issue of the Staatscourant it appeared in. */
  issued: string | null;
  /** `dcterms:available`: online from. */
  available: string | null;
  /** `dcterms:date`. */
  date: string | null;
  /** `overheidwetgeving:datumOndertekening`, when given. */
  signedAt: string | null;
  abstract: string | null;
  subjects: string[];
  publicationName: string | null;
  /** `publicatienummer` and `jaargang`, as given (checked against the identifier). */
  publicationNumber: string | null;
  volume: string | null;
  preferredUrl: string | null;
  /** Manifestations by name (`xml`, `pdf`, `html`, `metadata`, …). */
  manifestations: Record<string, string>;
}

/** A record that is not about a Staatscourant publication (the query should give none). */
export interface OtherRecord {
  id: string;
}

function texts(part: NsNode | undefined, local: string, uri?: string): string[] {
  return part ? nsAll(part, local, uri).map(nsText).filter(Boolean) : [];
}

/**
 * One record's `gzd` element → its fields. Strict: a record without
 * `originalData/meta/owmskern` or without `dcterms:identifier` is a changed
 * service; a Staatscourant record without a title too. A date that is not a
 * date, or a number that disagrees with the identifier, is a warning.
 */
export function readStcrtRecord(
  gzd: NsNode,
  where: string,
): { record: StcrtRecord | null; other: OtherRecord | null; warnings: string[] } {
  if (gzd.local !== "gzd" || gzd.uri !== GZD_NAMESPACE)
    throw new SourceShapeChangedError(`${where}: record data is <${gzd.el.name}>, expected a gzd record`);
  const meta = nsFirst(nsFirst(gzd, "originalData"), "meta");
  const kern = nsFirst(meta, "owmskern");
  if (!meta || !kern)
    throw new SourceShapeChangedError(`${where}: gzd record without originalData/meta/owmskern`);
  const id = nsText(nsFirst(kern, "identifier", DCTERMS_NAMESPACE));
  if (!id) throw new SourceShapeChangedError(`${where}: gzd record without dcterms:identifier`);
  const idMatch = STCRT_ID.exec(id);
  if (!idMatch) return { record: null, other: { id }, warnings: [] };
  const warnings: string[] = [];
  const mantel = nsFirst(meta, "owmsmantel");
  const tp = nsFirst(meta, "tpmeta");
  const dc = (local: string) =>
    [kern, mantel].flatMap((part) => texts(part, local, DCTERMS_NAMESPACE))[0] ?? null;
  const title = dc("title");
  if (!title) throw new SourceShapeChangedError(`${where}: ${id} has no dcterms:title`);
  const date = (local: string, raw: string | null) => {
    if (!raw) return null;
    const iso = parseIsoDate(raw);
    if (!iso) warnings.push(`${id}: <${local}> "${raw}" is not a date`);
    return iso;
  };
  const tpText = (local: string) => (tp ? texts(tp, local)[0] : undefined) ?? null;
  const publicationNumber = tpText("publicatienummer");
  const volume = tpText("jaargang");
  const publicationName = tpText("publicatienaam");
  if (publicationNumber && publicationNumber !== idMatch[2])
    warnings.push(`${id}: publicatienummer ${publicationNumber} differs from the identifier`);
  if (volume && volume !== idMatch[1]) warnings.push(`${id}: jaargang ${volume} differs from the identifier`);
  if (publicationName && fold(publicationName) !== "staatscourant")
    warnings.push(`${id}: publicatienaam is "${publicationName}"`);

  const enriched = nsFirst(gzd, "enrichedData");
  const manifestations: Record<string, string> = {};
  for (const item of enriched ? nsAll(enriched, "itemUrl") : []) {
    const name = item.el.attrs.manifestation;
    const url = nsText(item);
    if (name && url) manifestations[name] ??= url;
  }
  return {
    record: {
      id,
      title,
      type: dc("type"),
      creator: dc("creator"),
      language: dc("language"),
      modified: date("dcterms:modified", dc("modified")),
      issued: date("dcterms:issued", dc("issued")),
      available: date("dcterms:available", dc("available")),
      date: date("dcterms:date", dc("date")),
      signedAt: date("datumOndertekening", tpText("datumOndertekening")),
      abstract: dc("abstract"),
      subjects: [kern, mantel].flatMap((part) => texts(part, "subject", DCTERMS_NAMESPACE)),
      publicationName,
      publicationNumber,
      volume,
      preferredUrl: nsText(enriched ? nsFirst(enriched, "preferredUrl") : undefined) || null,
      manifestations,
    },
    other: null,
    warnings,
  };
}

/** A page's records, each read, with the filter's verdict on the Staatscourant ones. */
export function readStcrtPage(page: SruPage, where: string) {
  const records: { record: StcrtRecord; verdict: FilterVerdict }[] = [];
  const others: string[] = [];
  const warnings = [...page.warnings];
  page.records.forEach((r, i) => {
    const read = readStcrtRecord(r.data, `${where} record ${r.position ?? i + 1}`);
    warnings.push(...read.warnings);
    if (read.other) others.push(read.other.id);
    if (read.record) records.push({ record: read.record, verdict: exportControlVerdict(read.record) });
  });
  return { records, others, warnings };
}

// ---------------------------------------------------------------------------
// The publication's text (the "xml" manifestation, officiele-publicatie).
// ---------------------------------------------------------------------------

/** How a publication says it takes effect. */
export interface InForce {
  /** "date": a date in the text; "day-after-issue": the day after the Staatscourant that carries it. */
  rule: "date" | "day-after-issue";
  date: string | null;
  sentence: string;
}

export interface PublicationText {
  /** The regulation's text, one line per paragraph, without its explanatory notes. */
  lines: string[];
  /** Whether it carries explanatory notes (toelichting), left out of `lines`. */
  explained: boolean;
  inForce: InForce[];
  warnings: string[];
}

// Elements whose text is a line of its own (a heading: "Artikel III"; a list number: "a.").
const LINE_ELEMENTS = new Set(["al", "kop", "tussenkop", "li.nr", "considerans.al", "wie", "wij"]);
// Explanatory notes: not the regulation's text, and they retell dates ("trad in werking op …").
const NOTES = new Set([
  "toelichting",
  "nota-toelichting",
  "artikelsgewijze-toelichting",
  "algemene-toelichting",
]);

// "treedt in werking met ingang van …", "treden in werking op …", up to the end of the clause.
const IN_FORCE = /\b(?:treedt|treden)\s+in\s+werking\s+(?:met\s+ingang\s+van|op|per)\s+([^.;]*)/gi;
const DAY_AFTER_ISSUE = /^de dag na (?:de datum van )?(?:de )?uitgifte van de staatscourant\b/;
const WRITTEN_DATE = /^(\d{1,2} [a-z]+ \d{4})\b/;

/** The in-force clauses of the text, each understood or reported. */
function inForceClauses(lines: readonly string[], id: string, warnings: string[]): InForce[] {
  const out: InForce[] = [];
  for (const line of lines) {
    for (const m of line.matchAll(IN_FORCE)) {
      const rest = fold(m[1]!);
      const sentence = clean(m[0]);
      if (DAY_AFTER_ISSUE.test(rest)) {
        out.push({ rule: "day-after-issue", date: null, sentence });
        continue;
      }
      const written = WRITTEN_DATE.exec(rest)?.[1];
      const date = written ? parseDutchDate(written) : null;
      if (date) out.push({ rule: "date", date, sentence });
      else warnings.push(`${id}: in-force clause not understood: "${sentence}"`);
    }
  }
  return out;
}

/**
 * The "xml" manifestation of a publication (`<officiele-publicatie>`, op-xsd)
 * → its text and what it says about taking effect. Strict: malformed XML, a
 * root other than `officiele-publicatie`, a metadata reference to another
 * publication, or no paragraph of text at all is a changed source.
 */
export function readPublicationXml(input: ParseInput, id: string): PublicationText {
  const where = input.url ?? id;
  const { text } = decodeText(input.body, input.contentType ?? "application/xml; charset=utf-8");
  const root = parseXml(text, { fileName: where });
  if (root.name !== "officiele-publicatie")
    throw new SourceShapeChangedError(
      `${where}: root element is <${root.name}>, expected <officiele-publicatie>`,
    );
  const lines: string[] = [];
  let explained = false;
  let paragraphs = 0;
  const walk = (el: XmlElement, top: boolean) => {
    for (const c of el.children) {
      if (typeof c === "string") continue;
      if (c.name === "metadata") {
        for (const meta of c.children) {
          if (typeof meta === "string" || meta.attrs.name !== "OVERHEIDop.externMetadataRecord") continue;
          const ref = meta.attrs.content ?? "";
          if (!ref.includes(`/${id}/`))
            throw new SourceShapeChangedError(
              `${where}: the text's metadata record is ${ref}, not that of ${id}`,
            );
        }
        continue;
      }
      // The journal's own masthead ("STAATSCOURANT", "Officiële uitgave …").
      if (top && c.name === "kop") continue;
      if (NOTES.has(c.name)) {
        explained = true;
        continue;
      }
      if (c.name === "al") paragraphs++;
      if (c.name === "row") {
        const cells = c.children.filter((x): x is XmlElement => typeof x !== "string");
        const line = cells.map((cell) => clean(textOf(cell))).join(" | ");
        if (line.replaceAll("|", "").trim()) lines.push(line);
      } else if (
        LINE_ELEMENTS.has(c.name) &&
        !c.children.some((x) => typeof x !== "string" && x.name === "al")
      ) {
        // A heading's parts are words of their own: <label>Artikel</label><nr>I</nr> is "Artikel I".
        const line = clean(c.name === "kop" ? c.children.map((x) => ` ${textOf(x)} `).join("") : textOf(c));
        if (line) lines.push(line);
      } else walk(c, false);
    }
  };
  walk(root, true);
  if (paragraphs === 0)
    throw new SourceShapeChangedError(`${where}: publication ${id} has no paragraph of text`);
  const warnings: string[] = [];
  // A list number ("a.", "1°") and its paragraph read as one line.
  const joined: string[] = [];
  for (const line of lines) {
    const last = joined[joined.length - 1];
    if (last !== undefined && /^(?:[a-z]|\d+°?|[ivx]+)[.)]$/i.test(last))
      joined[joined.length - 1] = `${last} ${line}`;
    else joined.push(line);
  }
  return { lines: joined, explained, inForce: inForceClauses(joined, id, warnings), warnings };
}

// ---------------------------------------------------------------------------
// Record (+ text) → document.
// ---------------------------------------------------------------------------

/** The one in-force date of a publication, from its text and its issue date; null (with why) otherwise. */
function effectiveDate(
  text: PublicationText | null,
  issuedAt: string | null,
  id: string,
  warnings: string[],
): string | null {
  if (!text) return null;
  const dates = new Set<string>();
  for (const clause of text.inForce) {
    if (clause.rule === "date") dates.add(clause.date!);
    else if (issuedAt) dates.add(nextDay(issuedAt));
    else warnings.push(`${id}: in force the day after its issue, and the record gives no issue date`);
  }
  if (dates.size > 1) {
    warnings.push(`${id}: several in-force dates (${[...dates].sort().join(", ")}); none taken as the date`);
    return null;
  }
  return [...dates][0] ?? null;
}

export function stcrtDocument(
  record: StcrtRecord,
  text: PublicationText | null,
): { document: RegDocument; warnings: string[] } {
  const warnings = [...(text?.warnings ?? [])];
  const publishedAt = record.issued ?? record.available;
  const effectiveAt = effectiveDate(text, publishedAt, record.id, warnings);
  const body = text ? text.lines.join("\n") : (record.abstract ?? "");
  const folded = fold(record.title);
  const url = publicationPageUrl(record.id);
  if (record.preferredUrl && record.preferredUrl !== url)
    warnings.push(`${record.id}: preferredUrl ${record.preferredUrl} differs from ${url}`);
  const urls: Record<string, string> = { html: url };
  for (const [name, link] of Object.entries(record.manifestations)) if (name !== "html") urls[name] = link;
  const document: RegDocument = {
    id: record.id,
    stage: "published",
    type: record.type ? clean(record.type).toLowerCase() : "regeling",
    title: record.title,
    abstract: body || null,
    citation: publicationCitation(record.id),
    publishedAt,
    effectiveAt,
    url,
    urls,
    cfrReferences: NAMED_INSTRUMENTS.filter(([k]) => folded.includes(k)).map(([, citation]) => citation),
    // The shared taxonomy has Dutch rules ("productieapparatuur voor halfgeleiders", "lithografie", …).
    technologies: technologiesForText(`${record.title}\n${body}`),
    // A national measure for every destination outside the EU: the text names no country to single out.
    countries: [],
    data: {
      language: record.language ?? "nl",
      titleEn: titleGloss(record.title),
      creator: record.creator,
      issuedAt: record.issued,
      availableAt: record.available,
      modifiedAt: record.modified,
      date: record.date,
      signedAt: record.signedAt,
      subjects: record.subjects,
      publicationName: record.publicationName,
      // Where the in-force date comes from: the clauses of the text, or nothing read yet.
      inForce: text ? text.inForce : null,
      explanatoryNotes: text?.explained ?? null,
    },
  };
  return { document, warnings };
}

// ---------------------------------------------------------------------------
// The source's parse: an SRU page, or a bundle of a page and the texts it links.
// ---------------------------------------------------------------------------

export interface StcrtMeta extends Record<string, unknown> {
  /** `page`: an SRU answer alone; `bundle`: the answer with the texts of its kept records. */
  read: "page" | "bundle";
  numberOfRecords: number;
  records: number;
  /** Staatscourant records left out by the filter. */
  excluded: number;
  /** Records of other publications (the query should give none). */
  notStaatscourant: string[];
  kept: string[];
  /** Kept records whose text (xml manifestation) this artifact does not hold: no document until it does. */
  awaitingText: string[];
}

/**
 * An SRU page of Staatscourant records (optionally bundled with the texts of
 * the ones kept) → the export-control regulations on it as documents. A kept
 * record with an xml manifestation gives its document only together with its
 * text, so the same publication always reads the same (the in-force date
 * comes from the text); a record without one gives its document from the
 * record alone. Records the filter leaves out are counted.
 */
export function parseStaatscourant(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, StcrtMeta> {
  const where = input.url ?? "Staatscourant search";
  const bundled = isBundle(input.body);
  const parts = bundled ? readBundle(input.body, where) : null;
  if (parts && parts.length === 0) throw new SourceShapeChangedError(`${where}: empty bundle`);
  const pageInput = parts
    ? { body: parts[0]!.body, contentType: parts[0]!.contentType, url: parts[0]!.url }
    : input;
  const page = readSruPage(pageInput, "Staatscourant search");
  const { records, others, warnings } = readStcrtPage(page, pageInput.url ?? where);
  const textParts = new Map((parts ?? []).slice(1).map((p) => [p.url, p]));
  const used = new Set<string>();
  const kept = records.filter((r) => r.verdict.keep).map((r) => r.record);
  const awaitingText: string[] = [];
  const inputs: { record: StcrtRecord; text: PublicationText | null }[] = [];
  for (const record of kept) {
    const xml = record.manifestations.xml;
    if (!xml) {
      inputs.push({ record, text: null });
      continue;
    }
    const part = textParts.get(xml);
    if (!part) {
      awaitingText.push(record.id);
      continue;
    }
    used.add(xml);
    inputs.push({
      record,
      text: readPublicationXml({ body: part.body, contentType: part.contentType, url: part.url }, record.id),
    });
  }
  for (const url of textParts.keys())
    if (!used.has(url)) warnings.push(`${where}: the bundle holds ${url}, which no kept record links`);
  const read = keepDocuments(inputs, ({ record, text }) => ({
    ...stcrtDocument(record, text),
    excluded: null,
  }));
  return {
    kind: "documents",
    meta: {
      read: bundled ? "bundle" : "page",
      numberOfRecords: page.numberOfRecords,
      records: page.records.length,
      excluded: records.length - kept.length,
      notStaatscourant: others,
      kept: kept.map((r) => r.id),
      awaitingText,
    },
    warnings: [...warnings, ...read.warnings],
    documents: read.documents,
  };
}

/** The records of a page the filter keeps, with the text each links (for the fetch: what to bundle). */
export function keptRecords(page: SruPage, where: string): { id: string; xml: string | null }[] {
  return readStcrtPage(page, where)
    .records.filter((r) => r.verdict.keep)
    .map((r) => ({ id: r.record.id, xml: r.record.manifestations.xml ?? null }));
}
