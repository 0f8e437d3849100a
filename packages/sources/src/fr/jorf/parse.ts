import { findCountries } from "@regwatch/core/countries";
import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { FRENCH_MONTHS, nextDay, parseFrenchDate } from "./french-dates.ts";
import { clean } from "./html-text.ts";
import { type JorfArticle, type JorfLink, type JorfText, LEGIFRANCE_ORIGIN } from "./jorf-text.ts";
import { type JorfSearchHit, readApiAnswer } from "./read-api.ts";
import { readJorfPage } from "./read-page.ts";

export const PARSER_VERSION = "fr.jorf.export-control/1";
/** A text the source watches, and whose amendments it follows. */
export interface KnownText {
  nor: string;
  /** The ELI path of the text as published in the JORF [C, SOURCES.md]. */
  eli: string;
  /** How other texts cite it, folded (lower case, no accents): "arrete du 2 fevrier 2024". */
  citedAs: string;
  /** The start of its title, folded: what an amending text's title or visas repeat. */
  titleStart: string;
  /** [I] Words every amending arrêté's title repeats: the API's title search for its amendments. */
  amendmentTitleWords: string;
  /** An English gloss of the known name, never a translation of a text read. */
  titleEn: string;
}

/**
 * The arrêtés regwatch watches. The arrêté of 2 February 2024 (NOR
 * ECOI2401482A, JORF n°0034 of 10 February 2024) makes exports of the goods
 * in its annex (quantum computers, advanced electronic components) subject to
 * authorisation, from 1 March 2024; its annex was updated with effect from 1
 * May 2025 [C, SOURCES.md]. The words of its title after "relatif à
 * l'autorisation d'exportation" are [I]: only that start is matched.
 */
export const KNOWN_TEXTS: readonly KnownText[] = [
  {
    nor: "ECOI2401482A",
    eli: "/eli/arrete/2024/2/2/ECOI2401482A/jo/texte",
    citedAs: "arrete du 2 fevrier 2024",
    titleStart: "arrete du 2 fevrier 2024 relatif a l'autorisation d'exportation",
    amendmentTitleWords: "modifiant arrêté 2 février 2024 autorisation exportation",
    titleEn:
      "Order (arrêté) of 2 February 2024 on export authorisation for dual-use items (quantum computers and advanced electronic components)",
  },
];

/** Lower case, accents removed, apostrophes straight, spaces collapsed: what phrases are matched against. */
export function fold(s: string): string {
  return clean(s)
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/\s+/g, " ");
}

// ---------------------------------------------------------------------------
// What a text is to the source: a known text, an amendment of one, or neither.
// ---------------------------------------------------------------------------

const MODIFYING = /\b(?:modifi|remplac|complet|abrog|insere|ajout|supprim)\w*/;
const SENTENCES = /(?<=[.;:])\s+|\n/;

/** The known texts a title says it modifies ("… modifiant l'arrêté du 2 février 2024 relatif à l'autorisation d'exportation …"). */
export function titleAmendsKnown(title: string): KnownText[] {
  const folded = fold(title);
  return KNOWN_TEXTS.filter((known) => folded.includes(known.titleStart) && MODIFYING.test(folded));
}

/**
 * The known texts that `text` modifies. An amending arrêté says so in its
 * title ("modifiant l'arrêté du 2 février 2024 relatif à l'autorisation
 * d'exportation …"), or cites the arrêté in its visas and modifies it in an
 * article ("L'annexe de l'arrêté du 2 février 2024 susvisé est remplacée …"),
 * or (API) lists it among the texts it modifies. Another "arrêté du 2 février
 * 2024" modified in passing does not count: the title start must be named.
 */
export function amendedKnownTexts(text: JorfText): KnownText[] {
  const title = fold(text.title);
  const visas = fold(text.visas);
  const sentences = [...text.articles, ...text.annex].flatMap((a) => fold(a.text).split(SENTENCES));
  return KNOWN_TEXTS.filter((known) => {
    if (known.nor === text.nor) return false;
    if (text.declaredAmends.includes(known.nor)) return true;
    if (titleAmendsKnown(text.title).includes(known)) return true;
    return (
      (visas.includes(known.titleStart) || title.includes(known.titleStart)) &&
      sentences.some((s) => s.includes(known.citedAs) && MODIFYING.test(s))
    );
  });
}

// ---------------------------------------------------------------------------
// Dates a text gives itself.
// ---------------------------------------------------------------------------

const EFFECT =
  /(?:entre(?:nt|ra|ront)? en vigueur|s'appliqu(?:e|ent|era|eront)\b|(?:est|sont|sera|seront) applicables?|prend(?:ra|nent|ront)? effet)/u;
// A date-shaped phrase, read loosely so that an impossible one is seen (and refused) rather than skipped.
const LOOSE_DATE = /(\d{1,2}(?:er|ᵉʳ)?) (\p{L}+) (\d{4})/u;
const DAY_AFTER = /le lendemain de (?:sa|leur) publication/u;

export interface EffectiveDate {
  date: string | null;
  /** `text`: the text fixes it; `code-civil-art-1`: it fixes none, so the day after publication (Code civil, art. 1). */
  from: "text" | "code-civil-art-1" | null;
  warnings: string[];
}

/**
 * When the text applies: the date its entry-into-force sentence gives
 * ("Le présent arrêté entre en vigueur le 1er mai 2025", "Les dispositions du
 * présent arrêté s'appliquent à compter du 1er mars 2024"), the day after
 * publication when it says so or says nothing (article 1 of the Code civil).
 * An impossible date there is a warning and no date: never a guess.
 */
export function effectiveDate(articles: readonly JorfArticle[], publishedAt: string): EffectiveDate {
  const warnings: string[] = [];
  const found: string[] = [];
  let unreadable = false;
  for (const article of articles) {
    for (const sentence of clean(article.text).split(SENTENCES)) {
      const lower = sentence.toLowerCase().replace(/[’‘]/g, "'");
      const verb = EFFECT.exec(lower);
      if (!verb) continue;
      const rest = sentence.slice(verb.index + verb[0].length);
      if (DAY_AFTER.test(rest.toLowerCase())) {
        found.push(nextDay(publishedAt));
        continue;
      }
      const m = LOOSE_DATE.exec(rest);
      if (!m || !FRENCH_MONTHS.some((month) => fold(month) === fold(m[2]!))) continue;
      const iso = parseFrenchDate(m[0]);
      if (iso) found.push(iso);
      else {
        unreadable = true;
        warnings.push(`${article.name}: "${m[0]}" is not a valid French date; no effective date taken`);
      }
    }
  }
  const distinct = [...new Set(found)];
  if (distinct.length > 1)
    warnings.push(`several application dates (${distinct.join(", ")}); the first, ${distinct[0]}, is kept`);
  if (distinct.length) return { date: distinct[0]!, from: "text", warnings };
  if (unreadable) return { date: null, from: null, warnings };
  return { date: nextDay(publishedAt), from: "code-civil-art-1", warnings };
}

// "Arrêté du 2 février 2024 relatif à …" → nature "Arrêté", date "2 février 2024".
const TITLE_HEAD =
  /^(Arrêté|Décret|Ordonnance|Loi|Décision|Avis|Circulaire)(?: [\p{L}-]+)? du ((?:1er|\d{1,2}) \p{L}+ \d{4})/u;

// ---------------------------------------------------------------------------
// The document.
// ---------------------------------------------------------------------------

export interface ReadText {
  document: RegDocument;
  /** Known texts it modifies, by NOR. */
  amends: string[];
  /** Whether the source keeps it: a known text or an amendment of one. */
  kept: boolean;
  warnings: string[];
}

const articlesText = (articles: readonly JorfArticle[]) =>
  articles.map((a) => `${a.name}\n${a.text}`).join("\n");

/** A text → the document regwatch records, with what it amends. */
export function documentOf(text: JorfText): ReadText {
  const warnings = [...text.warnings];
  const known = KNOWN_TEXTS.find((k) => k.nor === text.nor);
  const amends = amendedKnownTexts(text).map((k) => k.nor);

  const head = TITLE_HEAD.exec(text.title);
  if (!head) warnings.push(`${text.nor}: the title does not start "<nature> du <date>"`);
  const signedAt = head ? parseFrenchDate(head[2]!) : null;
  if (head && !signedAt) warnings.push(`${text.nor}: "${head[2]}" in the title is not a valid French date`);
  const citation = head ? `${head[0]} (NOR ${text.nor})` : `NOR ${text.nor}`;

  const effective = effectiveDate(text.articles, text.jorf.date);
  warnings.push(...effective.warnings.map((w) => `${text.nor}: ${w}`));

  // The readers give every text a JORFTEXT id or an ELI (or both).
  const urls: Record<string, string> = {};
  if (text.cid) urls.jorf = `${LEGIFRANCE_ORIGIN}/jorf/id/${text.cid}`;
  if (text.eli) urls.eli = `${LEGIFRANCE_ORIGIN}${text.eli}`;
  const pageUrl = urls.jorf ?? urls.eli ?? null;

  const body = articlesText(text.articles);
  const all = `${text.title}\n${body}\n${articlesText(text.annex)}`;
  const document: RegDocument = {
    // The NOR, not the JORFTEXT id: a page does not always give the id, and
    // the same text read through the API or a page must be one document.
    id: text.nor,
    stage: "published",
    type: head ? head[1]!.toLowerCase() : null,
    title: text.title,
    abstract: body || null,
    citation,
    publishedAt: text.jorf.date,
    effectiveAt: effective.date,
    url: pageUrl,
    urls,
    // How a list version finds the instrument that changed it (accept-snapshot `instrumentFor`).
    cfrReferences: amends.map((nor) => `NOR ${nor}`),
    technologies: technologiesForText(all),
    // Destinations named in the text; France itself is the issuer, not a destination.
    countries: findCountries(all).filter((c) => c !== "FR"),
    data: {
      language: "fr",
      titleEn: known?.titleEn ?? null,
      nor: text.nor,
      jorftextId: text.cid,
      eli: text.eli,
      jorfNumber: text.jorf.number,
      signedAt,
      effectiveFrom: effective.from,
      visas: text.visas || null,
      articles: text.articles.map((a) => a.name),
      annex: text.annex,
      signature: text.signature || null,
      amends,
      modifiedBy: text.modifiedBy,
      readFrom: text.via,
    },
  };
  return { document, amends, kept: known !== undefined || amends.length > 0, warnings };
}

// ---------------------------------------------------------------------------
// The source's parse.
// ---------------------------------------------------------------------------

export interface JorfMeta extends Record<string, unknown> {
  /** `page`: a Légifrance page; `consult`: a PISTE /consult/jorf answer; `search`: a PISTE /search answer. */
  read: "page" | "consult" | "search";
  nor: string | null;
  jorftextId: string | null;
  /** Known texts the text modifies, by NOR. */
  amends: string[];
  /** Links to the texts that modify it (pages): what the fetch renders next. */
  modifiedBy: JorfLink[];
  /** For a search answer: the texts it found. */
  hits?: JorfSearchHit[];
  /** NORs read and left out: neither a known text nor an amendment of one. */
  excluded: string[];
}

/**
 * One body → a `documents` snapshot: a Légifrance page or a PISTE consult
 * answer gives its text when it is a known arrêté or amends one (else none,
 * its NOR in `meta.excluded`); a PISTE search answer gives none (its hits in
 * `meta`). Told apart by the first character: `<` HTML, `{` JSON.
 */
export function parseJorf(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, JorfMeta> {
  const fileName = input.url ?? "JORF body";
  const { text } = decodeText(input.body, input.contentType ?? "text/html; charset=utf-8");
  const first = text.trimStart()[0];
  let read: JorfText;
  let kind: JorfMeta["read"];
  if (first === "{") {
    const answer = readApiAnswer(text, fileName);
    if (answer.kind === "search")
      return {
        kind: "documents",
        meta: {
          read: "search",
          nor: null,
          jorftextId: null,
          amends: [],
          modifiedBy: [],
          hits: answer.hits,
          excluded: [],
        },
        warnings: answer.warnings,
        documents: [],
      };
    read = answer.text;
    kind = "consult";
  } else if (first === "<") {
    read = readJorfPage(text, fileName);
    kind = "page";
  } else {
    throw new SourceShapeChangedError(`${fileName}: neither HTML nor JSON`);
  }
  const one = documentOf(read);
  return {
    kind: "documents",
    meta: {
      read: kind,
      nor: read.nor,
      jorftextId: read.cid,
      amends: one.amends,
      modifiedBy: read.modifiedBy,
      excluded: one.kept ? [] : [read.nor],
    },
    warnings: one.kept ? one.warnings : [],
    documents: one.kept ? [one.document] : [],
  };
}
