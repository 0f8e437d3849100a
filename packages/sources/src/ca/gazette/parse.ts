import { findCountries } from "@regwatch/core/countries";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { REGULATION_PAGE } from "./issues.ts";
import { addDays, ENGLISH_DATE, type Line, linesOf, parseEnglishDate, readPage } from "./page.ts";

export const PARSER_VERSION = "ca.gazette.part-ii/1";

/**
 * The lists made under the Export and Import Permits Act, by the instrument
 * number amending regulations cite them by. "SOR/89-202" is how the Export
 * Control List's own source (`ca.export-control-list`) numbers it
 * (`<InstrumentNumber>`), so it is the string a list change is linked by.
 */
export const LISTS = [
  { name: "Export Control List", citation: "SOR/89-202", pattern: /\bExport Control List\b/ },
  { name: "Brokering Control List", citation: "SOR/2019-221", pattern: /\bBrokering Control List\b/ },
  { name: "Area Control List", citation: "SOR/81-543", pattern: /\bArea Control List\b/ },
  { name: "Import Control List", citation: "C.R.C., c. 604", pattern: /\bImport Control List\b/ },
] as const;

const EIPA = /^export and import permits act$/i;

export interface GazetteMeta extends Record<string, unknown> {
  /** Regulations read and left out, with why. */
  excluded: { id: string; reason: string }[];
}

/** One regulation read from its page: the document, and why it is kept or left out. */
export interface GazetteRegulation {
  document: RegDocument;
  /** Why it concerns export controls, or null when it does not. */
  keptBecause: string | null;
  warnings: string[];
}

const NUMBER_LINE = /^(SOR|SI)\/(\d{4})-(\d{1,4})\b\s*(.*)$/;
const GAZETTE_LINE = /^Canada Gazette,? Part II,? Volume (\d+),? Number (\d+)$/i;
// Pages before the 2015 redesign head with "Vol. 148, No. 9 — April 23, 2014" [I: stored copies].
const OLD_GAZETTE_LINE = /^Vol\. (\d+), No\. (\d+)\s*[—–-]\s*(.+)$/;
const PC_LINE = /^P\.C\. (\d{4}-\d{1,5})\s+(.+)$/;
// An act's name as the page heads it: in capitals, one line per act ("EXPORT AND IMPORT PERMITS ACT").
const ACT_LINE = /^[A-Z][A-Z0-9 ,.'’()&-]*\b(?:ACT|CODE|TARIFF)(?: \(\d{4}\))?$/;
const RIAS = /^regulatory impact analysis statement$/i;

// The coming-into-force clauses of federal regulations, as drafted [I: the Legislation Section's usual
// forms, seen in stored Part II pages]. The subject ("This Order", "These Regulations") must be the
// whole instrument; a clause about one section is recorded, not taken as the instrument's date.
const WHOLE = `(?:this|these) (?:order|orders|regulations?|rules|proclamation|permit|by-law|instrument|list)s?`;
const VERB = "comes? into force";
const ITS = "(?:it is|they are)";
const CIF_REGISTERED = new RegExp(String.raw`${VERB} on the day on which ${ITS} registered\.?$`, "i");
const CIF_DAYS_AFTER_PUBLISHED = new RegExp(
  String.raw`${VERB} on the (\d{1,3})(?:st|nd|rd|th) day after the day on which ${ITS} published in the Canada Gazette, Part II\.?$`,
  "i",
);
const CIF_PUBLISHED = new RegExp(
  String.raw`${VERB} on the day on which ${ITS} published in the Canada Gazette, Part II\.?$`,
  "i",
);
const CIF_DAYS_AFTER_REGISTERED = new RegExp(
  String.raw`${VERB} on the (\d{1,3})(?:st|nd|rd|th) day after the day on which ${ITS} registered\.?$`,
  "i",
);
const CIF_DATE = new RegExp(
  String.raw`${VERB} on (${ENGLISH_DATE.source.replace(/\\b/g, "")})(?:, but if ${ITS} registered after that day, on the day on which ${ITS} registered)?\.?$`,
  "i",
);

type EffectiveFrom =
  | "registration"
  | "publication"
  | "days-after-publication"
  | "days-after-registration"
  | "stated-date"
  | "no-clause-registration";

/** The instrument's in-force date from its clause; null when the clause is not one of the known forms. */
function readClause(
  clause: string,
  publishedAt: string | null,
  registeredAt: string,
): { at: string | null; from: EffectiveFrom | null } {
  let m = CIF_REGISTERED.exec(clause);
  if (m) return { at: registeredAt, from: "registration" };
  m = CIF_DAYS_AFTER_PUBLISHED.exec(clause);
  if (m)
    return publishedAt ? { at: addDays(publishedAt, Number(m[1])), from: "days-after-publication" } : NONE;
  m = CIF_PUBLISHED.exec(clause);
  if (m) return publishedAt ? { at: publishedAt, from: "publication" } : NONE;
  m = CIF_DAYS_AFTER_REGISTERED.exec(clause);
  if (m) return { at: addDays(registeredAt, Number(m[1])), from: "days-after-registration" };
  m = CIF_DATE.exec(clause);
  if (m) {
    const stated = parseEnglishDate(m[1]!);
    if (!stated) return NONE;
    // "…on July 1, 2024, but if they are registered after that day, on the day on which they are registered."
    const later = clause.includes("but if") && registeredAt > stated ? registeredAt : stated;
    return { at: later, from: later === stated ? "stated-date" : "registration" };
  }
  return NONE;
}
const NONE = { at: null, from: null } as const;

/** "3 This Order comes into force …" → "This Order comes into force …": section and subsection labels dropped. */
const unlabel = (line: string) => line.replace(/^(?:\d+(?:\.\d+)?\s+)?(?:\(\d+\)\s+)?/, "");

/**
 * When the regulation takes effect: its coming-into-force clause, read
 * strictly; with no clause at all, the day it was registered (a regulation
 * that states no day comes into force on registration [I: Statutory
 * Instruments Act, s. 9, and Interpretation Act, s. 6]). A clause in another
 * form ("on the day on which section 12 of the Act comes into force") gives
 * null and a warning, never a guess.
 */
function effectiveDate(
  order: Line[],
  publishedAt: string | null,
  registeredAt: string,
  warnings: string[],
  id: string,
): { at: string | null; from: EffectiveFrom | null; clause: string | null } {
  const clauses = order
    .filter((l) => l.tag === "block" && /\bcomes? into force\b/i.test(l.text))
    .map((l) => unlabel(l.text));
  if (!clauses.length) return { at: registeredAt, from: "no-clause-registration", clause: null };
  const whole = clauses.find((c) =>
    new RegExp(String.raw`^(?:subject to [^,]+,\s*)?${WHOLE} ${VERB}`, "i").test(c),
  );
  for (const other of clauses.filter((c) => c !== whole))
    warnings.push(`${id}: a provision comes into force on its own terms: "${other}"`);
  if (!whole) {
    warnings.push(`${id}: no coming-into-force clause for the whole instrument; in-force date unknown`);
    return { at: null, from: null, clause: null };
  }
  const read = readClause(whole.replace(/^subject to [^,]+,\s*/i, ""), publishedAt, registeredAt);
  if (!read.at) warnings.push(`${id}: the coming-into-force clause is not in a known form: "${whole}"`);
  return { ...read, clause: whole };
}

/** The issue's date from the page's address (`/rp-pr/p2/2024/2024-06-19/html/…`) and whether it is an extra edition. */
function issueOfUrl(
  url: string | null,
): { date: string; folder: string; year: string; extra: boolean } | null {
  const m = url ? /\/rp-pr\/p2\/(\d{4})\/((\d{4}-\d{2}-\d{2})(-x\d+)?)\/html\//.exec(url) : null;
  return m ? { year: m[1]!, folder: m[2]!, date: m[3]!, extra: Boolean(m[4]) } : null;
}

/** Countries a regulation names as destinations: "(All Destinations Other than the United States)" names an exemption, not a destination. */
function destinationsIn(text: string): string[] {
  const withoutExemptions = text.replace(/\ball destinations other than [^).;\n]*/gi, "");
  return findCountries(withoutExemptions).filter((c) => c !== "CA");
}

/**
 * A Part II regulation's page (`…/html/sor-dors112-eng.html`) → the
 * regulation as a document [I: the structure stored copies of these pages
 * show]. In `<main>`: one `<h1>` "Order Amending the Export Control List:
 * SOR/2024-112", the line "Canada Gazette, Part II, Volume 158, Number 13",
 * "Registration" then "SOR/2024-112 May 31, 2024", the acts it is made under
 * in capitals ("EXPORT AND IMPORT PERMITS ACT"), the order in council
 * ("P.C. 2024-623 May 31, 2024"), the recitals, the instrument's text with
 * its "Coming into Force" section, then the "REGULATORY IMPACT ANALYSIS
 * STATEMENT", which is not part of it. The issue's date is read from the
 * page's address and, when present, from `dcterms.issued`; the two must
 * agree. Strict: no registration line, a number that contradicts the
 * heading or the address, or an impossible date is a changed page.
 */
export function readRegulationPage(input: ParseInput): GazetteRegulation {
  const { $, main, where } = readPage(input, "a Part II regulation");
  const h1s = main.find("h1");
  if (h1s.length !== 1)
    throw new SourceShapeChangedError(
      `${where}: ${h1s.length} <h1> in <main>, expected the regulation's title`,
    );
  const heading = normalizeText(h1s.first().text());
  const lines = linesOf(main);

  // Registration: "Registration" then "SOR/2024-112 May 31, 2024" (or both on one line).
  const regAt = lines.findIndex((l) => /^registration(?:\s+(?:SOR|SI)\/|$)/i.test(l.text));
  const regLine =
    regAt < 0 ? null : lines[regAt]!.text.replace(/^registration\s*/i, "") || lines[regAt + 1]?.text;
  const reg = regLine ? NUMBER_LINE.exec(regLine) : null;
  if (!reg) throw new SourceShapeChangedError(`${where}: no "Registration SOR/YYYY-N <date>" line`);
  const id = `${reg[1]}/${reg[2]}-${Number(reg[3])}`;
  const registeredAt = parseEnglishDate(reg[4]!);
  if (!registeredAt)
    throw new SourceShapeChangedError(`${where}: ${id}'s registration date "${reg[4]}" is not a date`);
  const headingNumber = /:\s*((?:SOR|SI)\/\d{4}-\d{1,4})\s*$/.exec(heading)?.[1];
  if (headingNumber && headingNumber.replace(/-0+(?=\d)/, "-") !== id)
    throw new SourceShapeChangedError(`${where}: the title names ${headingNumber}, the registration ${id}`);
  const page = input.url ? REGULATION_PAGE.exec(new URL(input.url).pathname) : null;
  if (page && (page[1] === "sor-dors" ? "SOR" : "SI") + Number(page[2]) !== reg[1]! + Number(reg[3]))
    throw new SourceShapeChangedError(`${where}: the page is ${id}, its address names ${page[1]}${page[2]}`);
  const title = heading.replace(/:\s*(?:SOR|SI)\/\d{4}-\d{1,4}\s*$/, "").trim();
  if (!title) throw new SourceShapeChangedError(`${where}: ${id} has no title`);

  // The issue: volume and number from the page, the date from its address and its metadata.
  const warnings: string[] = [];
  let volume: string | null = null;
  let number: string | null = null;
  const dates = new Map<string, string>();
  for (const l of lines.slice(0, regAt)) {
    const g = GAZETTE_LINE.exec(l.text);
    const old = OLD_GAZETTE_LINE.exec(l.text);
    if (g) [volume, number] = [g[1]!, g[2]!];
    if (old) {
      [volume, number] = [old[1]!, old[2]!];
      const d = parseEnglishDate(old[3]!);
      if (!d) throw new SourceShapeChangedError(`${where}: the issue date "${old[3]}" is not a date`);
      dates.set("the page's heading", d);
    }
  }
  const fromUrl = issueOfUrl(input.url ?? null);
  if (fromUrl) dates.set("the page's address", fromUrl.date);
  const issued = $('meta[name="dcterms.issued"]').attr("content")?.trim();
  if (issued) {
    const d = parseEnglishDate(issued);
    if (!d) throw new SourceShapeChangedError(`${where}: dcterms.issued "${issued}" is not a date`);
    dates.set("dcterms.issued", d);
  }
  const distinct = [...new Set(dates.values())];
  if (distinct.length > 1)
    throw new SourceShapeChangedError(
      `${where}: the issue dates disagree (${[...dates].map(([k, v]) => `${k} ${v}`).join(", ")})`,
    );
  const publishedAt = distinct[0] ?? null;
  if (!publishedAt)
    warnings.push(
      `${id}: the page names no issue date (no address, dcterms.issued or "Vol. …, No. … — date")`,
    );
  if (publishedAt && registeredAt > publishedAt)
    throw new SourceShapeChangedError(
      `${where}: ${id} is registered ${registeredAt}, after its issue ${publishedAt}`,
    );

  // The acts (capitals) and the order in council under the registration; the instrument's text down to the RIAS.
  const acts: string[] = [];
  let pc: { number: string; date: string | null } | null = null;
  let i = regAt + (lines[regAt]!.text.replace(/^registration\s*/i, "") ? 1 : 2);
  for (; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (ACT_LINE.test(text)) acts.push(text);
    else break;
  }
  const pcMatch = lines[i] ? PC_LINE.exec(lines[i]!.text) : null;
  if (pcMatch) {
    pc = { number: `P.C. ${pcMatch[1]}`, date: parseEnglishDate(pcMatch[2]!) };
    i++;
  }
  const riasAt = lines.findIndex((l, at) => at >= i && RIAS.test(l.text));
  const order = lines.slice(i, riasAt < 0 ? lines.length : riasAt);
  const rias = riasAt < 0 ? [] : lines.slice(riasAt + 1);
  const orderText = order.map((l) => l.text).join("\n");
  if (!order.length) throw new SourceShapeChangedError(`${where}: ${id} has no text`);

  const effective = effectiveDate(order, publishedAt, registeredAt, warnings, id);
  const eipa = acts.some((a) => EIPA.test(a)) || /\bof the Export and Import Permits Act\b/.test(orderText);
  const amends = LISTS.filter((l) => l.pattern.test(`${title}\n${orderText}`));
  const keptBecause = eipa
    ? "made under the Export and Import Permits Act"
    : amends.length
      ? `amends the ${amends.map((l) => l.name).join(" and the ")}`
      : null;
  // The Export Control List's items it names: "item 5505", "Subitem 5504(1)", and items it inserts ("5506 (1) …").
  const eclItems = amends.some((l) => l.citation === "SOR/89-202")
    ? [
        ...new Set([
          ...[...orderText.matchAll(/\b(?:sub)?items? (\d{4})\b/gi)].map((m) => m[1]!),
          ...order.flatMap((l) => /^(\d{4}) \(\d+\)/.exec(l.text)?.[1] ?? []),
        ]),
      ].sort()
    : [];

  // The RIAS's own summary: the first paragraph under "Issues" (or "Description" on older pages).
  const issuesAt = rias.findIndex((l) => l.tag === "heading" && /^(?:issues?|description)$/i.test(l.text));
  const abstract =
    issuesAt >= 0 ? (rias.slice(issuesAt + 1).find((l) => l.tag === "block")?.text ?? null) : null;

  const url = input.url ?? null;
  const gazette = { part: "II", volume, number, date: publishedAt, extraEdition: fromUrl?.extra ?? false };
  const urls: Record<string, string> = {};
  if (url) {
    urls.html = url;
    urls.fr = url.replace(/-eng\.html$/, "-fra.html");
    // The issue's official PDF, `g2-15813.pdf` for volume 158, number 13 [I: the year pages' links].
    if (fromUrl && volume && number && !fromUrl.extra)
      urls.pdf = new URL(
        `/rp-pr/p2/${fromUrl.year}/${fromUrl.folder}/pdf/g2-${volume}${number.padStart(2, "0")}.pdf`,
        url,
      ).toString();
  }
  const document: RegDocument = {
    id,
    stage: "published",
    type: reg[1]!,
    title,
    abstract,
    citation: id,
    publishedAt,
    effectiveAt: effective.at,
    url,
    urls,
    // The lists it amends, by the instrument numbers their own sources cite them by.
    cfrReferences: amends.map((l) => l.citation),
    // The instrument's own words: the RIAS also names other countries' controls and technologies it does not control.
    technologies: technologiesForText(`${title}\n${orderText}`),
    countries: destinationsIn(orderText),
    data: {
      language: "en",
      acts,
      registeredAt,
      orderInCouncil: pc,
      gazette,
      effectiveFrom: effective.from,
      comingIntoForce: effective.clause,
      amends: amends.map((l) => l.name),
      eclItemsNamed: eclItems,
      keptBecause,
    },
  };
  return { document, keptBecause, warnings };
}

/**
 * The source's parse: one regulation's page → a documents snapshot holding
 * it when it is made under the Export and Import Permits Act or amends one of
 * the lists made under it, else none (its number in `meta.excluded`, with
 * the acts it is made under).
 */
export function parseGazetteRegulation(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, GazetteMeta> {
  const read = readRegulationPage(input);
  if (read.keptBecause)
    return { kind: "documents", meta: { excluded: [] }, warnings: read.warnings, documents: [read.document] };
  const acts = (read.document.data?.acts as string[] | undefined) ?? [];
  return {
    kind: "documents",
    meta: {
      excluded: [
        {
          id: read.document.id,
          reason: `made under ${acts.length ? acts.join(", ") : "no act named"}, not the Export and Import Permits Act, and amends none of its lists`,
        },
      ],
    },
    warnings: [],
    documents: [],
  };
}
