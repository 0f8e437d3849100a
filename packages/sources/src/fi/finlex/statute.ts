// What both Finlex readers share: the acts this source follows, the Statute
// Book's date and citation wording in Finnish and Swedish, and the rules that
// decide whether a statute belongs in the snapshot. The two formats (the older
// SDK XML in parse.ts, the open data API's Akoma Ntoso in akn.ts) describe the
// same statutes, so they give the same id, citation, dates and relevance.

import type { RegDocument } from "@regwatch/core/schemas";
import { normalizeText } from "@regwatch/core/text";
import { isCalendarDay, MONTHS } from "../../dates.ts";

export const FINLEX_ORIGIN = "https://www.finlex.fi";

/** A Finnish export-control act this source follows, with the names its amendments use. */
export interface KnownAct {
  citation: string;
  /** The act's title after "Laki", as the Statute Book prints it; amending acts are titled "{titleFi} annetun lain muuttamisesta". */
  titleFi: string;
  /**
   * The Swedish title after "Lag" [I: the Statute Book's Swedish names as
   * known, not checked against a Swedish expression]; amending acts are titled
   * "om ändring av lagen {titleSv}".
   */
  titleSv: string;
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
    titleSv: "om exportkontroll av produkter med dubbla användningsområden",
    titleEn: "Act on the export control of dual-use items",
  },
  {
    citation: "562/1996",
    titleFi: "kaksikäyttötuotteiden vientivalvonnasta",
    titleSv: "om exportkontroll av produkter med dubbla användningsområden",
    titleEn: "Act on the export control of dual-use items",
  },
  {
    citation: "282/2012",
    titleFi: "puolustustarvikkeiden viennistä",
    titleSv: "om export av försvarsmateriel",
    titleEn: "Act on the export of defence materiel",
  },
];
export const KNOWN_CITATIONS = new Set(KNOWN_ACTS.map((a) => a.citation));
const KNOWN_TITLES = new Set(KNOWN_ACTS.flatMap((a) => [a.titleFi, a.titleSv]));

/** One amending instruction of the enacting clause (johtolause): the verb and the words it governs. */
export interface AmendingInstruction {
  /** `muutetaan` (amend), `kumotaan` (repeal), `lisätään` (insert); in Swedish `ändras`, `upphävs`, `fogas`. */
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

/** What one statute file says about itself, before the export-control filter. */
export interface ReadStatute {
  document: RegDocument;
  /** Why it belongs in the snapshot, or null when it does not. */
  relevance: string | null;
  warnings: string[];
}

/** Finnish and Swedish text, whitespace collapsed, in NFC. */
export const clean = (s: string) => normalizeText(s.normalize("NFC")).normalize("NFC");

// Finnish month names as dates write them (partitive): "26 päivänä heinäkuuta 1996".
const FINNISH_MONTHS: readonly string[] = MONTHS.fi;
// Swedish months as the Swedish Statute Book writes them: "den 31 december 2005".
const SWEDISH_MONTHS: readonly string[] = MONTHS.sv;

const pad = (n: number) => String(n).padStart(2, "0");
const iso = (y: number, m: number, d: number) => (isCalendarDay(y, m, d) ? `${y}-${pad(m)}-${pad(d)}` : null);

function shortDate(v: string): string | null {
  const short = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(v);
  return short ? iso(Number(short[3]), Number(short[2]), Number(short[1])) : null;
}

/**
 * A Finnish date as the Statute Book writes it: "26 päivänä heinäkuuta 1996"
 * or "16.8.2024" → `1996-07-26`; anything else (including an impossible day) → null.
 */
export function parseFinnishDate(value: string): string | null {
  const v = value.trim();
  const long = /^(\d{1,2}) päivänä ([a-zäö]+) (\d{4})$/.exec(v);
  if (!long) return shortDate(v);
  const month = FINNISH_MONTHS.indexOf(long[2]!) + 1;
  return month > 0 ? iso(Number(long[3]), month, Number(long[1])) : null;
}

/** A Swedish date as the Statute Book writes it: "31 december 2005" or "16.8.2024"; anything else → null. */
export function parseSwedishDate(value: string): string | null {
  const v = value.trim();
  const long = /^(\d{1,2}) ([a-zåäö]+) (\d{4})$/.exec(v);
  if (!long) return shortDate(v);
  const month = SWEDISH_MONTHS.indexOf(long[2]!) + 1;
  return month > 0 ? iso(Number(long[3]), month, Number(long[1])) : null;
}

/** An ISO date the API states in metadata ("2024-08-19"), checked to be a real day. */
export function parseIsoDate(value: string | undefined): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? "");
  return m ? iso(Number(m[1]), Number(m[2]), Number(m[3])) : null;
}

const FI_DATE = String.raw`(\d{1,2} päivänä [a-zäö]+ \d{4}|\d{1,2}\.\d{1,2}\.\d{4})`;
const SV_DATE = String.raw`(\d{1,2} [a-zåäö]+ \d{4}|\d{1,2}\.\d{1,2}\.\d{4})`;

/** The wording of one language: signing line, entry into force, amending verbs, acts cited by number. */
export interface StatuteLanguage {
  /** `fi` or `sv`, as `data.language` says. */
  code: string;
  parseDate(value: string): string | null;
  /** "Helsingissä 26 päivänä heinäkuuta 1996", "Helsingfors den 9 december 2005". */
  signed: RegExp;
  /** The first words of an entry-into-force subsection. */
  inForceStart: RegExp;
  /** The same with its date. */
  inForce: RegExp;
  verbs: readonly string[];
  /** An act cited by number after its name ("annetun lain (562/1996)"). */
  namedAct: RegExp;
  /** A whole act repealed ("Tällä lailla kumotaan … annettu laki (562/1996)"). */
  wholeRepeal: RegExp;
  /** Words of an enacting clause that issues a decree under an act ("… nojalla"). */
  issuedUnder: RegExp;
  /** Section headings of an entry-into-force section. */
  inForceHeading: RegExp;
}

export const FINNISH: StatuteLanguage = {
  code: "fi",
  parseDate: parseFinnishDate,
  signed: new RegExp(`^Helsingissä ${FI_DATE}$`),
  inForceStart: /^Tämä (?:laki|asetus) tulee voimaan\b/,
  // "Tämä laki tulee voimaan 1 päivänä elokuuta 1996." / "Tämä asetus tulee voimaan …".
  inForce: new RegExp(String.raw`^Tämä (?:laki|asetus) tulee voimaan ${FI_DATE}\.`),
  verbs: ["muutetaan", "kumotaan", "lisätään"],
  // "annetun lain (562/1996)", "annettu laki (562/1996)".
  namedAct:
    /\bannet(?:un|tu|tuun) (?:(?:valtioneuvoston|ministeriön) )?(?:lain|laki|lakiin|asetuksen|asetus|asetukseen)\s*\((\d{1,4}\/\d{4})\)/g,
  wholeRepeal:
    /\bTällä (?:lailla|asetuksella) kumotaan\b[^.]*?\bannettu (?:(?:valtioneuvoston|ministeriön) )?(?:laki|asetus)\s*\((\d{1,4}\/\d{4})\)/g,
  issuedUnder: /\bnojalla\b/,
  inForceHeading: /^Voimaantulo/,
};

// [I] The Swedish wording below follows the Swedish Statute Book's usual
// formulas ("Denna lag träder i kraft den …", "Genom denna lag upphävs lagen
// … (562/1996)", "med stöd av"); only the signing line and the entry into
// force were seen in a real Swedish expression.
export const SWEDISH: StatuteLanguage = {
  code: "sv",
  parseDate: parseSwedishDate,
  signed: new RegExp(`^Helsingfors (?:den )?${SV_DATE}$`),
  inForceStart: /^Denna (?:lag|förordning) träder i kraft\b/,
  inForce: new RegExp(String.raw`^Denna (?:lag|förordning) träder i kraft (?:den )?${SV_DATE}\.`),
  verbs: ["ändras", "upphävs", "fogas"],
  namedAct: /\b(?:lagen|lag|förordningen|förordning)\b[^()]*?\((\d{1,4}\/\d{4})\)/g,
  wholeRepeal: /\bGenom denna (?:lag|förordning) upphävs\b[^.]*?\((\d{1,4}\/\d{4})\)/g,
  issuedUnder: /\bmed stöd av\b/,
  inForceHeading: /^Ikraftträdande/,
};

/** The acts an enacting clause's paragraphs name, each instruction with the act it names or continues. */
export function readInstructions(
  paragraphs: readonly { text: string; named: readonly string[] }[],
  language: StatuteLanguage,
): AmendingInstruction[] {
  const out: AmendingInstruction[] = [];
  let act: string | null = null;
  for (const { text, named } of paragraphs) {
    const verb = language.verbs.find((v) => new RegExp(`^${v}(?![\\p{L}])`, "u").test(text));
    if (named.length > 0) act = named[0]!;
    if (verb) out.push({ verb, act, text });
  }
  return out;
}

/** Acts cited by number in a text by the language's naming rule ("annetun lain (562/1996)"). */
export const namedActs = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]!);

/** Why a statute belongs in the snapshot (it is, amends, repeals or bears the title of a followed act), or null. */
export function relevanceOf(s: {
  citation: string;
  titleName: string;
  amends: readonly string[];
  repeals: readonly string[];
}): string | null {
  if (KNOWN_CITATIONS.has(s.citation)) return `is ${s.citation}`;
  if (KNOWN_TITLES.has(s.titleName)) return `has the title of a followed act ("${s.titleName}")`;
  const amended = s.amends.filter((c) => KNOWN_CITATIONS.has(c));
  if (amended.length > 0) return `amends ${amended.join(", ")}`;
  const repealed = [...s.amends, ...s.repeals].filter((c) => KNOWN_CITATIONS.has(c));
  if (repealed.length > 0) return `repeals ${repealed.join(", ")}`;
  return null;
}

/** A warning when a followed act's number carries another title (a misnumbered file, or a changed name). */
export function knownTitleWarning(citation: string, titleName: string): string | null {
  const known = KNOWN_ACTS.find((a) => a.citation === citation);
  if (!known || known.titleFi === titleName || known.titleSv === titleName) return null;
  return `${citation}: title "${titleName}" is not the known title "${known.titleFi}"`;
}

/** The English gloss, only for an act (not a decree) whose name this source knows. */
export function titleEnOf(s: {
  isAct: boolean;
  titleName: string;
  amends: readonly string[];
}): string | null {
  if (!s.isAct) return null;
  const same = KNOWN_ACTS.find((a) => a.titleFi === s.titleName || a.titleSv === s.titleName);
  if (same) return same.titleEn;
  const amended = KNOWN_ACTS.find((a) => s.amends.includes(a.citation));
  if (!amended) return null;
  const amending = [
    `${amended.titleFi} annetun lain muuttamisesta`,
    `om ändring av lagen ${amended.titleSv}`,
  ];
  return amending.includes(s.titleName) ? `Act amending the ${amended.titleEn} (${amended.citation})` : null;
}

/** The Statute Book original on finlex.fi ("alkup"), in the expression's language. */
export function originalUrl(year: string, number: string, language = "fi") {
  const lang = language === "sv" ? "sv" : "fi";
  return `${FINLEX_ORIGIN}/${lang}/laki/alkup/${year}/${year}${number.padStart(4, "0")}`;
}

/** The consolidated text ("ajantasa") of an act cited as "562/1996". */
export function consolidatedUrl(citation: string) {
  const [n, y] = citation.split("/");
  return `${FINLEX_ORIGIN}/fi/laki/ajantasa/${y}/${y}${n!.padStart(4, "0")}`;
}
