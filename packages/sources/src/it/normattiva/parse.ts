import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { keepDocuments } from "../../documents.ts";
import {
  type ActRef,
  actType,
  isoDate,
  NORMATTIVA_ORIGIN,
  type NormattivaAct,
  readNormattivaAkn,
} from "./akn.ts";

export const PARSER_VERSION = "it.normattiva.export-control/1";

/** An act this source follows, and the usual English name of it (a gloss of the known title). */
export interface FollowedAct {
  urn: string;
  citation: string;
  /** The words by which the text of other acts names it (lower case, apostrophes as Normattiva writes them). */
  named: string;
  titleEn: string;
}

/**
 * D.Lgs. 15 dicembre 2017, n. 221: Italy's framework for dual-use export
 * authorisations, trade-embargo sanctions and proliferation-sensitive exports,
 * under which UAMA keeps the national control list (its article on national
 * lists, and Regulation (EU) 2021/821 art. 9).
 */
export const FOLLOWED_ACTS: readonly FollowedAct[] = [
  {
    urn: "urn:nir:stato:decreto.legislativo:2017-12-15;221",
    citation: "D.Lgs. 221/2017",
    named: "decreto legislativo 15 dicembre 2017, n. 221",
    titleEn:
      "Legislative Decree 221/2017 on export authorisations for dual-use items and technology, trade-embargo sanctions and exports of proliferation-sensitive materials",
  },
];
const FOLLOWED = new Map(FOLLOWED_ACTS.map((a) => [a.urn, a]));

// The UAMA decrees that set the national control list ("Decreto n. 1325/BIS/371"): cited as the list cites itself.
const UAMA_DECREE = /\bdecreto\b[^.;]{0,120}?\bn\.\s*(\d{1,5}\/BIS\/\d{1,5})\b/gi;
// Words of an amending provision ("sono apportate le seguenti modificazioni", "e' sostituito", "e' abrogato").
const AMENDING_WORDS =
  /\b(?:modificazion|modifiche\b|modificat|sostituit|inserit|aggiunt|abrogat|soppress)\w*/i;

export interface NormattivaMeta extends Record<string, unknown> {
  /** Acts read (one per Akoma Ntoso export). */
  read: number;
  /** Acts left out, with why (by what they say about themselves). */
  excluded: { urn: string; citation: string; title: string; reason: string }[];
}

/** Which followed acts this act amends, and how the text says so. */
export interface Relevance {
  /** It is a followed act itself. */
  is: FollowedAct | null;
  /** Followed acts it amends (from `activeModifications`, `<mod>`, or an amending paragraph naming them). */
  amends: FollowedAct[];
  how: string[];
}

/** What the act says about the followed acts: it is one, or amends one (and by which marks), or neither. */
export function relevance(act: NormattivaAct): Relevance {
  const how: string[] = [];
  const amends = new Set<FollowedAct>();
  for (const m of act.activeModifications) {
    const followed = m.act ? FOLLOWED.get(m.act.urn) : undefined;
    if (followed && !amends.has(followed)) {
      amends.add(followed);
      how.push(`activeModifications: ${m.destination}`);
    }
  }
  for (const r of act.modifies) {
    const followed = FOLLOWED.get(r.urn);
    if (followed) {
      amends.add(followed);
      how.push(`<mod> refers to ${followed.citation}`);
    }
  }
  // An export made before Normattiva filled in `activeModifications`: a paragraph that names the
  // act and says what it changes ("Al decreto legislativo 15 dicembre 2017, n. 221, sono apportate…").
  for (const line of act.text.toLowerCase().split("\n"))
    for (const f of FOLLOWED_ACTS)
      if (!amends.has(f) && line.includes(f.named) && AMENDING_WORDS.test(line)) {
        amends.add(f);
        how.push(`amending paragraph names ${f.citation}`);
      }
  return { is: FOLLOWED.get(act.urn) ?? null, amends: [...amends], how };
}

/** The UAMA control-list decrees the act names, as the list source cites them ("Decreto 1325/BIS/371"). */
export function uamaDecrees(text: string): string[] {
  return [...new Set([...text.matchAll(UAMA_DECREE)].map((m) => `Decreto ${m[1]!.toUpperCase()}`))];
}

/** The act's page on normattiva.it by URN (the permalink Normattiva documents: `/uri-res/N2Ls?urn:…`). */
export const permalink = (urn: string) => `${NORMATTIVA_ORIGIN}/uri-res/N2Ls?${urn}`;

/**
 * The Akoma Ntoso export of one act as Normattiva's site serves it [I: not in
 * the open-data API's description; the address third-party tools use]:
 * Gazzetta date and code, and the date the text should be in force on.
 */
export function aknExportUrl(guDate: string, guCode: string, inForceOn: string): string {
  const compact = (d: string) => d.replaceAll("-", "");
  return `${NORMATTIVA_ORIGIN}/do/atto/caricaAKN?dataGU=${compact(guDate)}&codiceRedaz=${encodeURIComponent(guCode)}&dataVigenza=${compact(inForceOn)}`;
}

const addDays = (iso: string, days: number) =>
  new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const ref = (r: ActRef) => ({ urn: r.urn, citation: r.citation, date: r.date });

/** One act → its document, with why it belongs in the snapshot (null: it does not). */
export function actDocument(act: NormattivaAct): {
  document: RegDocument;
  keep: string | null;
  warnings: string[];
} {
  const rel = relevance(act);
  const followed = rel.is;
  const amended = [...new Set(act.activeModifications.flatMap((m) => (m.act ? [m.act.citation] : [])))];
  const decrees = uamaDecrees(act.text);
  const urls: Record<string, string> = { normattiva: permalink(act.urn) };
  if (act.eli) urls.eli = act.eli.url;
  if (act.publishedAt && act.guCode && act.expressionDate)
    urls.akn = aknExportUrl(act.publishedAt, act.guCode, act.expressionDate);
  // Without the preface's note, the ordinary rule: in force on the fifteenth day after the
  // Gazzetta (vacatio legis, art. 73 of the Constitution; art. 10 of the preliminary provisions).
  const warnings: string[] = [];
  const vacatio = !act.inForceFrom && act.publishedAt ? addDays(act.publishedAt, 15) : null;
  const effectiveAt = act.inForceFrom ?? vacatio;
  if (vacatio)
    warnings.push(
      `${act.urn}: no "Entrata in vigore" note; in force taken as ${vacatio} (15 days after the Gazzetta)`,
    );
  const amendsFollowed = rel.amends[0];
  const titleEn = followed
    ? followed.titleEn
    : amendsFollowed
      ? `Act amending ${amendsFollowed.citation} (Italian dual-use export control framework)`
      : null;
  const document: RegDocument = {
    id: act.urn,
    stage: "published",
    type: act.docType,
    title: act.title,
    abstract: act.text || null,
    citation: act.ref.citation,
    publishedAt: act.publishedAt,
    // The act's own entry into force ("Entrata in vigore del provvedimento"); the date its text
    // in this export is in force on (vigenza) is kept in data.inForceOn.
    effectiveAt,
    url: act.eli?.url ?? urls.normattiva!,
    urls,
    // The acts it changes, as a list or a consolidated text cites them; amended followed acts first.
    cfrReferences: [...new Set([...rel.amends.map((a) => a.citation), ...amended, ...decrees])],
    technologies: technologiesForText(`${act.title}\n${act.text}`),
    // Country names in Italian are not in the shared country finder (English names only).
    countries: [],
    data: {
      language: "it",
      titleEn,
      urn: act.urn,
      akn: act.akn,
      guCode: act.guCode,
      guNumber: act.guNumber,
      eli: act.eli?.alias ?? null,
      exportKind: act.exportKind,
      inForceOn: act.expressionDate,
      effectiveFrom: act.inForceFrom ? "entrata in vigore" : vacatio ? "gazzetta+15" : null,
      articles: act.articles.length,
      insertions: act.insertions,
      amendmentMarks: act.amendmentMarks,
      amends: rel.amends.map((a) => a.citation),
      amendedHow: rel.how,
      modifies: act.activeModifications.map((m) => ({
        type: m.type,
        destination: m.destination,
        citation: m.act?.citation ?? null,
        text: m.text,
      })),
      amendedBy: act.amendedBy.map(ref),
      lifecycle: act.lifecycle.map((e) => ({ date: e.date, citation: e.act?.citation ?? null })),
      cites: act.cites.map((c) => c.citation),
      uamaDecrees: decrees,
    },
  };
  const keep = followed
    ? `is ${followed.citation}`
    : rel.amends.length > 0
      ? `amends ${rel.amends.map((a) => a.citation).join(", ")}`
      : null;
  return { document, keep, warnings };
}

/**
 * Akoma Ntoso exports → a `documents` snapshot of the followed acts and the
 * acts that amend them. An act that only cites them (a decree issued under
 * 221/2017, a law naming it in passing) is read, counted and left out with why.
 */
export function parseNormattivaActs(
  inputs: readonly ParseInput[],
): ParsedSnapshot<DocumentsSnapshot, NormattivaMeta> {
  const { documents, warnings, excluded } = keepDocuments(inputs, (input) => {
    const act = readNormattivaAkn(input);
    const { document, keep, warnings } = actDocument(act);
    const cites = FOLLOWED_ACTS.filter((f) => act.cites.some((c) => c.urn === f.urn));
    const reason =
      cites.length > 0
        ? `cites ${cites.map((c) => c.citation).join(", ")} without amending it`
        : "neither a followed act nor amends one";
    return {
      document,
      warnings: [...act.warnings, ...warnings],
      excluded: keep
        ? null
        : { urn: act.urn, citation: document.citation!, title: document.title, reason: reason },
    };
  });
  return { kind: "documents", meta: { read: inputs.length, excluded }, warnings, documents };
}

/** One export as a snapshot (zero or one document). */
export function parseNormattiva(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, NormattivaMeta> {
  return parseNormattivaActs([input]);
}

// ---------------------------------------------------------------------------
// The open-data API's search answers (`RicercaResponseFrontEnd`) [C: the
// OpenAPI description in shared/samples/it]. Read by the fetch, never archived.
// ---------------------------------------------------------------------------

const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : null);
// Numbers of acts come as strings in the schema; a number is taken too.
const numberish = (v: unknown) => (typeof v === "number" ? String(v) : str(v));
// Dates come as `YYYY-MM-DD`, sometimes with a time [I: the schema says "string"].
const apiDate = (v: unknown) => {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$/.exec(str(v) ?? "");
  return m && isoDate(m[1]) ? m[1]! : null;
};

/** One act of a search answer: enough to name it and to ask for its export. */
export interface SearchHit {
  guCode: string;
  guDate: string;
  /** Dotted lower case (`decreto.legislativo`), from `denominazioneAtto`. */
  type: string | null;
  number: string | null;
  /** The act's date when the answer gives day, month and year. */
  date: string | null;
  year: string | null;
  title: string | null;
  lastModified: string | null;
  lastAmendedBy: string | null;
}

export interface SearchAnswer {
  hits: SearchHit[];
  total: number | null;
  pages: number | null;
}

/**
 * A search answer (`ricerca/avanzata`, `ricerca/semplice`, `ricerca/aggiornati`)
 * → its acts. Strict: a body that is not JSON, or an act without a Gazzetta
 * code and date, is a changed source; the HTML error page is named as such.
 */
export function parseSearchAnswer(input: ParseInput): SearchAnswer {
  const where = input.url ?? "Normattiva search";
  const { text } = decodeText(input.body, input.contentType ?? "application/json; charset=utf-8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const title = /<title>([\s\S]*?)<\/title>/i.exec(text)?.[1];
    throw new SourceShapeChangedError(
      `${where}: the answer is not JSON${title ? ` (an HTML page "${normalizeText(title)}")` : ""}`,
    );
  }
  if (!json || typeof json !== "object" || Array.isArray(json))
    throw new SourceShapeChangedError(`${where}: the answer is not a JSON object`);
  const body = json as Record<string, unknown>;
  const list = body.listaAtti ?? [];
  if (!Array.isArray(list)) throw new SourceShapeChangedError(`${where}: listaAtti is not a list`);
  const pad = (v: string | null) => (v ? v.padStart(2, "0") : null);
  const hits = list.map((item, i): SearchHit => {
    const a = (item && typeof item === "object" ? item : {}) as Record<string, unknown>;
    const guCode = str(a.codiceRedazionale);
    const guDate = apiDate(a.dataGU);
    if (!guCode || !guDate)
      throw new SourceShapeChangedError(
        `${where}: act ${i} has no codiceRedazionale or dataGU ("${String(a.codiceRedazionale)}", "${String(a.dataGU)}")`,
      );
    const [y, m, d] = [
      numberish(a.annoProvvedimento),
      pad(numberish(a.meseProvvedimento)),
      pad(numberish(a.giornoProvvedimento)),
    ];
    const date = y && m && d ? `${y}-${m}-${d}` : null;
    const denominazione = str(a.denominazioneAtto);
    return {
      guCode,
      guDate,
      type: denominazione ? actType(denominazione) : null,
      number: numberish(a.numeroProvvedimento),
      date: date && isoDate(date) ? date : null,
      year: y,
      title: str(a.titoloAtto) ? normalizeText(str(a.titoloAtto)!) : null,
      lastModified: str(a.dataUltimaModifica),
      lastAmendedBy: str(a.ultimiAttiModificanti) ? normalizeText(str(a.ultimiAttiModificanti)!) : null,
    };
  });
  const int = (v: unknown) => (typeof v === "number" && Number.isInteger(v) ? v : null);
  return { hits, total: int(body.numeroAttiTrovati), pages: int(body.numeroPagine) };
}

/** Whether a search hit is the act a reference names (type, number and year; the date when both give it). */
export function hitIs(hit: SearchHit, act: Pick<ActRef, "type" | "number" | "date">): boolean {
  return (
    hit.type === act.type &&
    hit.number === act.number &&
    hit.year === act.date.slice(0, 4) &&
    (hit.date === null || hit.date === act.date)
  );
}
