import { findCountries } from "@regwatch/core/countries";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import { type CheerioAPI, load } from "cheerio";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { wholeHtml } from "../../html-page.ts";
import { parseItalianDate } from "../uama/parse.ts";

export const PARSER_VERSION = "it.gazzetta.export-control/1";
export const GU_ORIGIN = "https://www.gazzettaufficiale.it";

// ---------------------------------------------------------------------------
// Addresses. GU has no API [C: SOURCES.md]; every address below is [I], the
// shapes third-party readers of the site use and that stored copies of its
// pages show (see source.ts for which is read when).
// ---------------------------------------------------------------------------

/** The Serie Generale issues of the last 30 days, newest first [I]. */
export const LAST_30_DAYS_URL = `${GU_ORIGIN}/30giorni/serie_generale`;
/** Every Serie Generale issue of a year [I]. */
export const yearArchiveUrl = (year: number) => `${GU_ORIGIN}/ricercaArchivioCompleto/serie_generale/${year}`;
/** One issue's summary (sommario) [I]. */
export const issueUrl = (issue: IssueRef) =>
  `${GU_ORIGIN}/gazzetta/serie_generale/caricaDettaglio?dataPubblicazioneGazzetta=${issue.date}&numeroGazzetta=${issue.number}`;
/** One act's page as people read it: header, article menu, first article [I]. */
export const actPageUrl = (date: string, code: string) =>
  `${GU_ORIGIN}/atto/serie_generale/caricaDettaglioAtto/originario?atto.dataPubblicazioneGazzetta=${date}&atto.codiceRedazionale=${code}`;
/** One act whole in one HTML page: issuer, heading, title, GU reference and the full text [I]. */
export const actHtmlUrl = (date: string, code: string) =>
  `${GU_ORIGIN}/atto/vediMenuHTML?atto.dataPubblicazioneGazzetta=${date}&atto.codiceRedazionale=${code}&tipoSerie=serie_generale&tipoVigenza=originario`;
/** The act's ELI permalink [I]. */
export const actEliUrl = (date: string, code: string) =>
  `${GU_ORIGIN}/eli/id/${date.replaceAll("-", "/")}/${code}/sg`;
/** The issue's PDF [I]. */
export const issuePdfUrl = (date: string, number: string) =>
  `${GU_ORIGIN}/eli/gu/${date.replaceAll("-", "/")}/${number}/sg/pdf`;

// ---------------------------------------------------------------------------
// Words and dates.
// ---------------------------------------------------------------------------

/**
 * Lower case, accents removed, typographic apostrophes as "'", spaces
 * collapsed and none around slashes: the form every rule is matched against.
 * GU's own text writes accents as apostrophes ("attivita'", "e'"), so rules
 * are written without accents.
 */
export function fold(s: string): string {
  return normalizeText(s)
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .toLowerCase()
    .replace(/\s*\/\s*/g, "/");
}

const pad = (n: number) => String(n).padStart(2, "0");
const addDays = (iso: string, days: number) =>
  new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** GU's numeric dates, "17-7-2024", "17-07-2024", "17/07/2024", → ISO; impossible or other forms → null. */
export function parseGuDate(value: string): string | null {
  const m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(value.trim());
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  return `${y}-${pad(mo)}-${pad(d)}`;
}

/** An ISO date, checked: "2024-02-30" → null. */
function isoDate(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? parseGuDate(`${m[3]}-${m[2]}-${m[1]}`) : null;
}

/** GU's editorial code of an act ("24A03812", "24G00110", the 2nd special series' "26CE2412"). */
const CODE = /^\d{2}[A-Z]{1,2}\d{4,6}$/;

// ---------------------------------------------------------------------------
// Pages that are not what was asked for.
// ---------------------------------------------------------------------------

// The act's header and its text [I]: `#testa_atto` on the act's page, `#testa_atto_preview` on the
// whole-act page; the text in `.stampami` (whole act) or `.dettaglio_atto_testo` (one article).
const HEADER = "#testa_atto, #testa_atto_preview";
const BODY = ".stampami, .dettaglio_atto_testo";

/**
 * Why a page is not a GU page of content, or null: the site's error pages
 * ("Errore", "Pagina non trovata"), a firewall's refusal ("Request Rejected",
 * "Access Denied"), a bot challenge, or an act still "in fase di caricamento"
 * [I: these are the pages third-party readers of the site report; none was
 * seen]. Read from the title and the first heading only, so an act that talks
 * about errors is not taken for one.
 */
export function problemPage(html: string): string | null {
  const $ = load(html);
  const title = normalizeText($("title").first().text());
  // A page with an act's header, a summary entry or an issue link is content: only its <title> is
  // read then, so an act headed "Rettifica di un errore materiale" is not taken for an error page.
  const content = $(`${HEADER}, span.risultato, a[href*="caricaDettaglio"]`).length > 0;
  const heading = content ? "" : normalizeText($("h1").first().text());
  const said = `${title} | ${heading}`;
  const folded = fold(said);
  if (/request rejected|access denied|the requested url was rejected|support id/.test(folded))
    return `a firewall's refusal ("${title || heading}")`;
  if (/captcha|checking your browser|verifica(?:re)? che (?:sei|non sei)|just a moment/.test(folded))
    return `a bot challenge ("${title || heading}")`;
  if (/\berrore\b|pagina non trovata|non e' stato trovato|page not found|\berror\b/.test(folded))
    return `an error page ("${title || heading}")`;
  if (/fase di caricamento/.test(fold($("body").text().slice(0, 4000))))
    return 'an act still being loaded ("in fase di caricamento")';
  return null;
}

function readHtml(input: ParseInput, what: string): { $: CheerioAPI; html: string; where: string } {
  const where = input.url ?? what;
  const text = wholeHtml(input, where);
  const problem = problemPage(text);
  if (problem)
    throw new SourceShapeChangedError(`${where}: Gazzetta Ufficiale answered ${problem}, not ${what}`);
  return { $: load(text), html: text, where };
}

// ---------------------------------------------------------------------------
// Issue lists: the last 30 days, a year's archive.
// ---------------------------------------------------------------------------

export interface IssueRef {
  /** ISO date of publication. */
  date: string;
  /** The issue's number in its year ("166"). */
  number: string;
}

/** Oldest first: by date, then by number. */
export const compareIssues = (a: IssueRef, b: IssueRef) =>
  a.date.localeCompare(b.date) || Number(a.number) - Number(b.number);

/**
 * A page listing Serie Generale issues (the last 30 days, a year's archive) →
 * its issues, oldest first. An issue is a link to a summary
 * (`/gazzetta/serie_generale/caricaDettaglio?dataPubblicazioneGazzetta=…&numeroGazzetta=…`),
 * its date written `YYYY-MM-DD` or `YYYYMMDD` [I: both seen in third-party
 * readers]. Links to the other series are not read. No issue at all is a
 * changed page.
 */
export function parseIssueList(input: ParseInput): IssueRef[] {
  const { $, where } = readHtml(input, "a list of Gazzetta Ufficiale issues");
  const byKey = new Map<string, IssueRef>();
  $("a[href]").each((_, a) => {
    const href = ($(a).attr("href") ?? "").replaceAll("&amp;", "&");
    if (!/\/serie_generale\/caricaDettaglio\?/.test(href)) return;
    const query = new URL(href, GU_ORIGIN).searchParams;
    const rawDate = query.get("dataPubblicazioneGazzetta") ?? "";
    const number = query.get("numeroGazzetta") ?? "";
    const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(rawDate);
    const date = isoDate(compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : rawDate);
    if (!date || !/^\d{1,3}$/.test(number))
      throw new SourceShapeChangedError(`${where}: an issue link "${href}" has no valid date and number`);
    byKey.set(`${date}#${Number(number)}`, { date, number: String(Number(number)) });
  });
  if (byKey.size === 0)
    throw new SourceShapeChangedError(`${where}: no Serie Generale issue is linked (page changed?)`);
  return [...byKey.values()].sort(compareIssues);
}

// ---------------------------------------------------------------------------
// An issue's summary (sommario).
// ---------------------------------------------------------------------------

/** One act as the summary lists it. */
export interface SummaryAct {
  code: string;
  /** The GU date the act's link names. */
  date: string;
  /** The summary's section ("DECRETI, DELIBERE E ORDINANZE MINISTERIALI", "ESTRATTI, SUNTI E COMUNICATI"). */
  section: string | null;
  /** The issuing body, its parts joined ("MINISTERO … - DIPARTIMENTO …"). */
  issuer: string | null;
  /** The act's type and date as headed ("DECRETO 1 luglio 2024", "COMUNICATO"). */
  heading: string;
  title: string;
  /** The act's page, as linked. */
  url: string;
}

export interface IssueSummary {
  issue: IssueRef;
  acts: SummaryAct[];
}

const text$ = ($: CheerioAPI, el: Parameters<CheerioAPI>[0]) => normalizeText($(el).text());

/**
 * An issue's summary (HTML) → its acts in order [I: the structure third-party
 * readers of the site rely on]: a heading "Serie Generale n. 166 del
 * 17-7-2024" (`.intestazione`), section headings (`span.rubrica`), issuing
 * bodies (`span.emettitore`, consecutive ones are parts of one body), and per
 * act a `span.risultato` holding two links to the act's page, the first with
 * its heading (`span.data`), the second with its title ending "(24A03812)",
 * the GU reference (`span.riferimento`) and the page (`span.pagina`). Strict:
 * an act link without a code and date, two codes in one entry, no act, or a
 * heading that contradicts `expected` is a changed page.
 */
export function parseIssueSummary(input: ParseInput, expected?: IssueRef): IssueSummary {
  const { $, where } = readHtml(input, "a Gazzetta Ufficiale issue summary");
  $("script, style, noscript, template").remove();
  const heading = $(".intestazione");
  let issue: IssueRef | null = null;
  if (heading.length) {
    const m = /n\.\s*(\d{1,3})\s+del\s+(\d{1,2}-\d{1,2}-\d{4})/i.exec(text$($, heading.first()));
    const date = m ? parseGuDate(m[2]!) : null;
    if (!m || !date)
      throw new SourceShapeChangedError(
        `${where}: the summary's heading "${text$($, heading.first())}" has no issue number and date`,
      );
    issue = { date, number: String(Number(m[1])) };
  }
  if (issue && expected && compareIssues(issue, expected) !== 0)
    throw new SourceShapeChangedError(
      `${where}: the summary is of n. ${issue.number} del ${issue.date}, expected n. ${expected.number} del ${expected.date}`,
    );
  issue ??= expected ?? null;
  if (!issue) throw new SourceShapeChangedError(`${where}: the summary names no issue number and date`);

  const acts: SummaryAct[] = [];
  const seen = new Set<string>();
  let section: string | null = null;
  let issuer: string[] = [];
  let issuerClosed = false;
  $("span.rubrica, span.emettitore, span.risultato").each((_, el) => {
    const node = $(el);
    if (node.hasClass("rubrica")) {
      section = text$($, el) || null;
      issuer = [];
      issuerClosed = false;
      return;
    }
    if (node.hasClass("emettitore")) {
      // A body after acts starts a new issuer; bodies in a row are one issuer and its department.
      if (issuerClosed) issuer = [];
      issuerClosed = false;
      const name = text$($, el);
      if (name) issuer.push(name);
      return;
    }
    issuerClosed = true;
    const links = node.find('a[href*="caricaDettaglioAtto"]');
    if (!links.length) throw new SourceShapeChangedError(`${where}: a summary entry has no link to its act`);
    const refs = new Set<string>();
    let href = "";
    links.each((_, a) => {
      href = ($(a).attr("href") ?? "").replaceAll("&amp;", "&");
      const q = new URL(href, GU_ORIGIN).searchParams;
      refs.add(`${q.get("atto.codiceRedazionale") ?? ""}|${q.get("atto.dataPubblicazioneGazzetta") ?? ""}`);
    });
    if (refs.size !== 1)
      throw new SourceShapeChangedError(`${where}: a summary entry links ${refs.size} different acts`);
    const [code = "", date = ""] = [...refs][0]!.split("|");
    if (!CODE.test(code) || !isoDate(date))
      throw new SourceShapeChangedError(
        `${where}: a summary entry's link "${href}" has no valid code and date`,
      );
    if (seen.has(code)) return;
    seen.add(code);
    const headingText = normalizeText(node.find("span.data").text());
    const titleLink = links.filter((_, a) => $(a).find("span.data").length === 0).first();
    const title = titleLink.clone();
    title.find("span.riferimento, span.pagina").remove();
    acts.push({
      code,
      date,
      section,
      issuer: issuer.length ? issuer.join(" - ") : null,
      heading: headingText,
      title: stripCode(normalizeText(title.text()), code),
      url: new URL(href, GU_ORIGIN).toString(),
    });
  });
  if (!acts.length) throw new SourceShapeChangedError(`${where}: no act is listed (page changed?)`);
  return { issue, acts };
}

/** "… alla Gazzetta Ufficiale. (24A03812)" → "… alla Gazzetta Ufficiale."; a title without its code is kept as is. */
function stripCode(title: string, code: string): string {
  return title.replace(new RegExp(`\\s*\\(${code}\\)\\s*$`), "").trim();
}

// ---------------------------------------------------------------------------
// The filter: the foreign ministry's acts about the control lists.
// ---------------------------------------------------------------------------

/**
 * The issuer: the foreign ministry, under its name since 2014 (Ministero degli
 * affari esteri e della cooperazione internazionale) or before (Ministero
 * degli affari esteri). UAMA is one of its units and publishes under it.
 */
const ISSUER = /affari esteri/;

/**
 * Words (folded) that make one of its acts an export-control act: the
 * national control list by name or by its founding decree, dual-use items,
 * arms (the list of "materiali d'armamento" under Law 185/1990), the EU
 * dual-use regulation, the Italian act implementing it, and a number in UAMA's
 * protocol series ("n. 2150/BIS/512", how the list's decrees are numbered
 * [I from one decree]). Any one is enough.
 */
export const EXPORT_CONTROL_WORDS: readonly (readonly [string, RegExp])[] = [
  ["elenco nazionale di controllo", /elenco nazionale di controllo/],
  ["duplice uso", /duplice uso|dual[- ]?use/],
  ["1325/BIS/371", /1325\/bis\/371/],
  ["UAMA decree number", /\bn\.\s*\d{1,5}\/bis\/\d{1,5}\b/],
  ["materiali d'armamento", /material[ei] (?:d'|di )armamento/],
  ["Regulation (EU) 2021/821", /regolamento \(ue\) (?:n\. )?2021\/821/],
  ["D.Lgs. 221/2017", /\b221\/2017\b|15 dicembre 2017,? n\. 221\b/],
  ["Legge 185/1990", /\b185\/1990\b|9 luglio 1990,? n\. 185\b/],
];

export interface FilterVerdict {
  issuer: boolean;
  /** The labels of EXPORT_CONTROL_WORDS found. */
  words: string[];
  keep: boolean;
}

/** Both rules, case- and accent-insensitive: the foreign ministry's act, and one of the words. */
export function exportControlVerdict(act: {
  issuer: string | null;
  heading: string;
  title: string;
  text?: string;
}): FilterVerdict {
  const issuer = ISSUER.test(fold(act.issuer ?? ""));
  const words = fold(`${act.heading}\n${act.title}\n${act.text ?? ""}`);
  const found = EXPORT_CONTROL_WORDS.filter(([, re]) => re.test(words)).map(([label]) => label);
  return { issuer, words: found, keep: issuer && found.length > 0 };
}

/** The summary's acts that pass `exportControlVerdict` on their issuer, heading and title. */
export function exportControlActs(summary: IssueSummary): SummaryAct[] {
  return summary.acts.filter((act) => exportControlVerdict(act).keep);
}

// ---------------------------------------------------------------------------
// One act's page.
// ---------------------------------------------------------------------------

/** The founding decree of the national control list, as the UAMA list source cites it (`citedAs`). */
export const FOUNDING_DECREE = "Decreto 1325/BIS/371";
/** The list's own name, the other form of the UAMA list source's `citedAs`. */
export const LIST_NAME = "Elenco nazionale di controllo";

// Chrome that can sit inside the act's region: menus, buttons, print and share links.
const CHROME =
  "script, style, noscript, template, nav, form, button, iframe, svg, [hidden], .nascondi, .stampa_link";

// Types of act as GU heads them, longest first ("DECRETO LEGISLATIVO" before "DECRETO").
const TYPES = [
  "DECRETO DEL PRESIDENTE DEL CONSIGLIO DEI MINISTRI",
  "DECRETO DEL PRESIDENTE DELLA REPUBBLICA",
  "DECRETO LEGISLATIVO",
  "DECRETO-LEGGE",
  "DECRETO",
  "COMUNICATO",
  "AVVISO",
  "DETERMINA",
  "DELIBERA",
  "DELIBERAZIONE",
  "ORDINANZA",
  "PROVVEDIMENTO",
  "CIRCOLARE",
  "DIRETTIVA",
  "LEGGE",
  "REGOLAMENTO",
  "ERRATA-CORRIGE",
  "DISPOSIZIONE",
];
const TYPE_LINE = new RegExp(`^(${TYPES.join("|")})\\b\\s*(.*)$`);
// "(GU n.166 del 17-7-2024)", "(GU Serie Generale n.243 del 17-10-2022 - Suppl. Ordinario n. 38)".
const GU_REF = /\(\s*GU\s+(?:Serie\s+Generale\s+)?n\.\s*(\d{1,3})\s+del\s+(\d{1,2}-\d{1,2}-\d{4})[^)]*\)/i;
// "n. 1325/BIS/371", "n. 1325 / BIS / 371".
const DECREE_NUMBER = /\bn\.\s*(\d{1,5}\s*\/\s*BIS\s*\/\s*\d{1,5})\b/gi;
// "Entrata in vigore del provvedimento: 01/08/2024" on the act's page [I].
const IN_FORCE_FIELD = /entrata in vigore del provvedimento:\s*(\d{1,2}\/\d{1,2}\/\d{4})/i;

// Italian ordinals for "il quindicesimo giorno successivo", the days an act waits after the GU.
const ORDINALS: Record<string, number> = {
  primo: 1,
  secondo: 2,
  terzo: 3,
  quarto: 4,
  quinto: 5,
  sesto: 6,
  settimo: 7,
  ottavo: 8,
  nono: 9,
  decimo: 10,
  quindicesimo: 15,
  ventesimo: 20,
  trentesimo: 30,
  sessantesimo: 60,
  novantesimo: 90,
};
const IN_FORCE_VERB =
  "(?:entra(?:no)? in vigore|si applica(?:no)?|(?:ha|hanno) efficacia|(?:e'|sono) efficac[ei]|acquista(?:no)? efficacia)";
// "entra in vigore il quindicesimo giorno successivo a quello della pubblicazione …"
const IN_FORCE_DAYS = new RegExp(
  String.raw`${IN_FORCE_VERB}[^.;]{0,40}?\b(?:il|dal)\s+(?:(${Object.keys(ORDINALS).join("|")})\s+)?giorno\s+successivo\s+(?:a\s+quello\s+)?(?:del|della|alla|all')[^.;]{0,30}?pubblicazione`,
  "g",
);
// "… entra in vigore dalla data di pubblicazione …", "… il giorno stesso della pubblicazione".
const IN_FORCE_SAME_DAY = new RegExp(
  String.raw`${IN_FORCE_VERB}[^.;]{0,40}?\b(?:dalla data (?:della|di) (?:sua )?pubblicazione|il giorno stesso della (?:sua )?pubblicazione)`,
  "g",
);
// "… si applica a decorrere dal 28 marzo 2025", "… entra in vigore il 1° agosto 2024".
const IN_FORCE_DATE = new RegExp(
  String.raw`${IN_FORCE_VERB}[^.;]{0,40}?\b(?:dal|il|a decorrere dal|a partire dal)\s+(\d{1,2}\s*(?:°|º|o)?\s+[a-z]+\s+\d{4}|\d{1,2}\/\d{1,2}\/\d{4})`,
  "g",
);

export interface GazzettaMeta extends Record<string, unknown> {
  /** Editorial codes of acts read and left out, with why. */
  excluded: { code: string; reason: string }[];
}

/** One act read from its page: the document, and whether it passes the filter. */
export interface GazzettaAct {
  document: RegDocument;
  verdict: FilterVerdict;
  warnings: string[];
}

/** The page's text as paragraphs: GU sets acts in fixed-width lines; a paragraph starts indented or after a blank line. */
function paragraphsOf(raw: string): string[] {
  const paragraphs: string[] = [];
  let current = "";
  for (const line of raw.replace(/\r\n?/g, "\n").split("\n")) {
    const starts = /^\s{2,}\S/.test(line) || /^\s*$/.test(line);
    const text = normalizeText(line);
    if (starts && current) {
      paragraphs.push(current);
      current = "";
    }
    if (text) current = current ? `${current} ${text}` : text;
  }
  if (current) paragraphs.push(current);
  return paragraphs;
}

/** The text of the act's regions: their `<pre>` blocks as set, else one line per block, indented as a paragraph. */
function regionText($: CheerioAPI, regions: ReturnType<CheerioAPI>): string {
  const parts: string[] = [];
  regions.each((_, el) => {
    const node = $(el);
    const pres = node.find("pre");
    if (pres.length) {
      pres.each((_, pre) => void parts.push($(pre).text()));
      return;
    }
    const blocks = node
      .find("p, li, tr, h1, h2, h3, h4, h5, h6")
      .filter((_, b) => $(b).find("p, li, tr").length === 0);
    if (blocks.length) blocks.each((_, b) => void parts.push(`  ${$(b).text()}`));
    else parts.push(node.text());
  });
  return parts.join("\n\n");
}

/** The UAMA decree numbers a text names ("n. 1325/BIS/371" → "1325/BIS/371"), in order. */
function decreesIn(s: string): string[] {
  return [...s.matchAll(DECREE_NUMBER)].map((m) => m[1]!.replace(/\s+/g, "").toUpperCase());
}

/** When the act takes effect, from its page: a stated field, a rule in days after the GU, or a date. */
function effectiveDate(
  page: string,
  paragraphs: string[],
  publishedAt: string,
  warnings: string[],
  code: string,
): { at: string | null; from: "page-field" | "days-after-gu" | "stated-date" | null } {
  const field = IN_FORCE_FIELD.exec(page);
  if (field) {
    const at = parseGuDate(field[1]!);
    if (at) return { at, from: "page-field" };
    warnings.push(`${code}: "Entrata in vigore del provvedimento: ${field[1]}" is not a date`);
  }
  type Found = { index: number; at: string | null; from: "days-after-gu" | "stated-date"; said: string };
  const found: Found[] = [];
  let offset = 0;
  for (const paragraph of paragraphs) {
    const f = fold(paragraph);
    for (const m of f.matchAll(IN_FORCE_DAYS))
      found.push({
        index: offset + m.index,
        at: addDays(publishedAt, m[1] ? ORDINALS[m[1]]! : 1),
        from: "days-after-gu",
        said: m[0],
      });
    for (const m of f.matchAll(IN_FORCE_SAME_DAY))
      found.push({ index: offset + m.index, at: publishedAt, from: "days-after-gu", said: m[0] });
    for (const m of f.matchAll(IN_FORCE_DATE)) {
      const raw = m[1]!;
      const at = raw.includes("/") ? parseGuDate(raw) : parseItalianDate(raw);
      if (!at) warnings.push(`${code}: "${m[0]}" names no valid date`);
      found.push({ index: offset + m.index, at, from: "stated-date", said: m[0] });
    }
    offset += f.length + 1;
  }
  const valid = found.filter((f) => f.at).sort((a, b) => a.index - b.index);
  const first = valid[0];
  if (!first) return { at: null, from: null };
  const others = [...new Set(valid.map((f) => f.at))].filter((at) => at !== first.at);
  if (others.length)
    warnings.push(
      `${code}: the text also names in-force dates ${others.join(", ")}; the first (${first.at}) is kept`,
    );
  return { at: first.at, from: first.from };
}

/**
 * An act's page (HTML) → the act as a document. The page is the whole act
 * (`vediMenuHTML`) or its own page (`caricaDettaglioAtto`): a header
 * (`#testa_atto_preview` / `#testa_atto`, exactly one) with the issuer, the
 * type and date ("DECRETO 1 luglio 2024"), the title ending in the editorial
 * code "(24A03812)" and the GU reference "(GU n.166 del 17-7-2024)", then the
 * text (`.stampami` / `.dettaglio_atto_testo`, `<pre>` blocks). Strict: a page
 * cut short, an error or challenge page, no header or two, no code, no GU
 * reference, or a code or date that contradicts the address asked is a changed
 * page. Markup written as text ("&lt;script&gt;") stays text.
 */
export function parseGazzettaAct(input: ParseInput): GazzettaAct {
  const { $, html, where } = readHtml(input, "an act's page");
  const requested = input.url ? new URL(input.url).searchParams : null;
  const askedCode = requested?.get("atto.codiceRedazionale") ?? null;
  const askedDate = requested?.get("atto.dataPubblicazioneGazzetta") ?? null;
  const rdfa = (property: string) => {
    const el = $(`meta[property="${property}"]`).first();
    return el.length ? (el.attr("content") ?? el.attr("resource") ?? null) : null;
  };

  const headers = $(HEADER);
  if (headers.length !== 1)
    throw new SourceShapeChangedError(
      `${where}: ${headers.length} elements match "${HEADER}", expected exactly one act header`,
    );
  const header = headers.first();
  header.find(CHROME).remove();
  // The header's lines: each block (p, h2, h3, pre, span.riferimento) its own line.
  const headerLines: string[] = [];
  header.find("p, h1, h2, h3, h4, pre, span.riferimento, div").each((_, el) => {
    const node = $(el);
    if (node.find("p, h1, h2, h3, h4, pre, div").length) return;
    const copy = node.clone();
    if (!node.is("span.riferimento")) copy.find("span.riferimento").remove();
    const line = normalizeText(copy.text());
    if (line) headerLines.push(line);
  });
  const headerText = headerLines.join("\n");

  const typeIndex = headerLines.findIndex((l) => TYPE_LINE.test(l));
  if (typeIndex < 0)
    throw new SourceShapeChangedError(
      `${where}: the act's header names no type of act (DECRETO, COMUNICATO, …)`,
    );
  const heading = headerLines[typeIndex]!;
  const type = TYPE_LINE.exec(heading)![1]!;
  // Lines above the heading are the issuer and its department, in capitals.
  const issuerLines = headerLines.slice(0, typeIndex).filter((l) => l === l.toUpperCase());
  const passedBy = rdfa("eli:passed_by")?.replace(/^.*#/, "").replaceAll("_", " ") ?? null;
  const issuer = issuerLines.length ? issuerLines.join(" - ") : passedBy;

  const codeMatch = /\((\d{2}[A-Z]{1,2}\d{4,6})\)/.exec(headerText);
  const code = codeMatch?.[1] ?? rdfa("eli:id_local");
  if (!code || !CODE.test(code))
    throw new SourceShapeChangedError(`${where}: the act's header has no editorial code "(24A03812)"`);
  if (askedCode && askedCode !== code)
    throw new SourceShapeChangedError(`${where}: the page is act ${code}, asked for ${askedCode}`);
  const titleLines = headerLines
    .slice(typeIndex + 1)
    .filter((l) => !GU_REF.test(l) || l.replace(GU_REF, "").trim().length > 0)
    .map((l) => l.replace(GU_REF, "").trim());
  const codeLine = titleLines.findIndex((l) => l.includes(`(${code})`));
  const title = stripCode(
    titleLines
      .slice(0, codeLine < 0 ? titleLines.length : codeLine + 1)
      .join(" ")
      .trim(),
    code,
  );
  if (!title) throw new SourceShapeChangedError(`${where}: act ${code} has no title`);

  const ref = GU_REF.exec(headerText);
  const publishedAt = ref ? parseGuDate(ref[2]!) : null;
  if (!ref || !publishedAt)
    throw new SourceShapeChangedError(`${where}: act ${code} has no GU reference "(GU n. … del D-M-YYYY)"`);
  const guNumber = String(Number(ref[1]));
  if (askedDate && askedDate !== publishedAt)
    throw new SourceShapeChangedError(
      `${where}: act ${code} is in the GU of ${publishedAt}, asked for ${askedDate}`,
    );
  const eliDate = rdfa("eli:date_publication");
  if (eliDate && eliDate !== publishedAt)
    throw new SourceShapeChangedError(
      `${where}: act ${code}: eli:date_publication ${eliDate} and the GU reference (${publishedAt}) disagree`,
    );

  const warnings: string[] = [];
  // The outermost text regions only: a whole-act page may nest an article's region in its own.
  const bodies = $(BODY).filter((_, el) => $(el).parents(BODY).length === 0);
  bodies.find(CHROME).remove();
  const paragraphs = bodies.length ? paragraphsOf(regionText($, bodies)) : [];
  if (!paragraphs.length) warnings.push(`${code}: the page holds no text of the act (header only)`);
  const text = paragraphs.join("\n");

  // The date in the heading ("DECRETO 1 luglio 2024") is the act's own date.
  const headingDate = /(\d{1,2}\s*(?:°|º)?\s+[A-Za-z]+\s+\d{4})/.exec(heading)?.[1];
  const adoptedAt = headingDate ? parseItalianDate(headingDate) : null;
  if (headingDate && !adoptedAt) warnings.push(`${code}: the heading's date "${headingDate}" is not a date`);

  // The act's own UAMA number: its heading's ("DECRETO 3 marzo 2025, n. 2150/BIS/512"); a notice's
  // is the decree it announces, named first in its title. A decree's title names the decree it
  // amends, never its own number: then it has none here.
  const notice = type === "COMUNICATO" || type === "AVVISO";
  const own = decreesIn(heading)[0] ?? (notice ? (decreesIn(title)[0] ?? null) : null);
  const named = [...new Set([...decreesIn(heading), ...decreesIn(title), ...decreesIn(text)])];
  const foldedAll = fold(`${title}\n${text}`);
  const namesList = /elenco nazionale di controllo/.test(foldedAll);
  const guCitation = `GU Serie Generale n. ${guNumber} del ${publishedAt.split("-").reverse().join("-")}`;
  const ownCitation = own ? `Decreto ${own}` : null;
  const { at: effectiveAt, from: effectiveFrom } = effectiveDate(
    fold(html.replace(/<[^>]+>/g, " ")),
    paragraphs,
    publishedAt,
    warnings,
    code,
  );
  const verdict = exportControlVerdict({ issuer, heading, title, text });
  const isFounding = ownCitation === FOUNDING_DECREE;

  const document: RegDocument = {
    id: code,
    stage: "published",
    type,
    title,
    abstract: text || null,
    citation: ownCitation ? `${guCitation} (${ownCitation})` : guCitation,
    publishedAt,
    effectiveAt,
    url: actPageUrl(publishedAt, code),
    urls: {
      html: actHtmlUrl(publishedAt, code),
      eli: actEliUrl(publishedAt, code),
      pdf: issuePdfUrl(publishedAt, guNumber),
    },
    // How the national list cites itself: the UAMA decrees the act is or names, and the list's own
    // name when the act names it (so a later decree that names only the list still links to it).
    cfrReferences: [...named.map((n) => `Decreto ${n}`), ...(namesList ? [LIST_NAME] : [])],
    technologies: technologiesForText(`${title}\n${text}`),
    // Italy is where every act applies, not a destination.
    countries: findCountries(`${title}\n${text}`).filter((c) => c !== "IT"),
    data: {
      language: "it",
      // A gloss of the known decree's name, only for the decree itself and its notice; never a translation.
      titleEn: isFounding
        ? type === "DECRETO"
          ? "Decree 1325/BIS/371 establishing the national control list of dual-use items"
          : "Notice of Decree 1325/BIS/371 establishing the national control list of dual-use items"
        : null,
      issuer,
      heading,
      adoptedAt,
      gu: { series: "Serie Generale", number: guNumber, date: publishedAt },
      decree: ownCitation,
      effectiveFrom,
      exportControlWords: verdict.words,
    },
  };
  return { document, verdict, warnings };
}

/**
 * The source's parse: one act's page → a documents snapshot holding the act
 * when it is the foreign ministry's and about the control lists, else none
 * (its code in `meta.excluded`, with why).
 */
export function parseGazzetta(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, GazzettaMeta> {
  const act = parseGazzettaAct(input);
  if (act.verdict.keep)
    return { kind: "documents", meta: { excluded: [] }, warnings: act.warnings, documents: [act.document] };
  const reason = act.verdict.issuer
    ? "the foreign ministry's, but not about the control lists"
    : `not the foreign ministry's (${(act.document.data?.issuer as string | null) ?? "no issuer"})`;
  return {
    kind: "documents",
    meta: { excluded: [{ code: act.document.id, reason }] },
    warnings: [],
    documents: [],
  };
}
