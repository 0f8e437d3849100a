// PISTE answers of the Légifrance API [I]: `/consult/jorf` (one JORF text)
// and `/search` (texts found). Field names follow the API's published model
// (ConsultTextResponse, SearchResponseDTO) as third-party clients generate
// it; no real answer is in the samples. Dates come as epoch milliseconds or
// as ISO strings: both are read, nothing else.

import { SourceShapeChangedError } from "@regwatch/core/errors";
import { fragmentText } from "./html-text.ts";
import { JORFTEXT_PATTERN, type JorfArticle, type JorfText, NOR_PATTERN } from "./jorf-text.ts";

/** One text a search found. */
export interface JorfSearchHit {
  cid: string;
  nor: string | null;
  title: string;
  publishedAt: string | null;
}

export type ApiAnswer =
  | { kind: "search"; hits: JorfSearchHit[]; warnings: string[] }
  | { kind: "consult"; text: JorfText };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : null);

function validDay(iso: string): boolean {
  const [y, m, d] = iso.split("-").map(Number) as [number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * An API date → YYYY-MM-DD, or null when absent. Epoch milliseconds are the
 * day's midnight in UTC in the API's examples [I]; Paris midnight (22:00 or
 * 23:00 UTC the day before) is read as the next day, so either gives the date
 * the Journal officiel bears. A value of any other shape is an error.
 */
export function apiDate(value: unknown, what: string, fileName: string): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number" && Number.isFinite(value)) {
    const at = new Date(value);
    if (at.getUTCHours() >= 12) at.setUTCDate(at.getUTCDate() + 1);
    return at.toISOString().slice(0, 10);
  }
  const m = typeof value === "string" ? /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(value) : null;
  if (m && validDay(m[1]!)) return m[1]!;
  throw new SourceShapeChangedError(`${fileName}: ${what} ${JSON.stringify(value)} is not a date`);
}

/** An answer's JSON, parsed; a body cut short or not JSON is an error that does not repeat the body. */
function parseJson(json: string, fileName: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new SourceShapeChangedError(`${fileName}: the answer is not JSON (cut short?)`);
  }
  if (!isObject(value)) throw new SourceShapeChangedError(`${fileName}: the answer is not a JSON object`);
  return value;
}

/** A search or a consult answer, told apart by their fields. */
export function readApiAnswer(json: string, fileName: string): ApiAnswer {
  const answer = parseJson(json, fileName);
  if (Array.isArray(answer.results)) return readSearch(answer, fileName);
  if ("cid" in answer || "articles" in answer)
    return { kind: "consult", text: readConsult(answer, fileName) };
  const keys = Object.keys(answer).slice(0, 8).join(", ");
  throw new SourceShapeChangedError(`${fileName}: neither a search nor a consult answer (fields: ${keys})`);
}

/**
 * `/search` → the texts found: each result's first title gives the JORFTEXT
 * id and title (`titles[0].cid` or `.id`), the result its NOR and
 * publication date. A result without a JORFTEXT id is a warning, skipped.
 */
function readSearch(answer: Json, fileName: string): ApiAnswer {
  const hits: JorfSearchHit[] = [];
  const warnings: string[] = [];
  (answer.results as unknown[]).forEach((result, i) => {
    if (!isObject(result)) throw new SourceShapeChangedError(`${fileName}: result ${i + 1} is not an object`);
    const first = Array.isArray(result.titles) && isObject(result.titles[0]) ? result.titles[0] : {};
    const cid = str(first.cid) ?? str(first.id) ?? str(result.id);
    const title = str(first.title) ?? str(result.title);
    if (!cid || !JORFTEXT_PATTERN.test(cid) || !title) {
      warnings.push(`${fileName}: result ${i + 1} has no JORFTEXT id and title; skipped`);
      return;
    }
    const nor = str(result.nor);
    hits.push({
      cid,
      nor: nor && NOR_PATTERN.test(nor) ? nor : null,
      title,
      publishedAt: apiDate(result.datePublication ?? result.date, `result ${i + 1} date`, fileName),
    });
  });
  return { kind: "search", hits, warnings };
}

interface ApiArticle {
  num: unknown;
  content: unknown;
}

/**
 * `/consult/jorf` → the text. Root articles are the articles; a section whose
 * title starts "Annexe" holds the annex (its articles' contents, under the
 * section's title); an article numbered "Annexe…" is annex too. `liens` of a
 * "MODIFIE…" kind name the texts this one modifies, by NOR.
 */
function readConsult(answer: Json, fileName: string): JorfText {
  const cid = str(answer.cid);
  if (!cid || !JORFTEXT_PATTERN.test(cid)) throw new SourceShapeChangedError(`${fileName}: no JORFTEXT cid`);
  const where = `${fileName} (${cid})`;
  const title = str(answer.title);
  if (!title) throw new SourceShapeChangedError(`${where}: no title`);
  const nor = str(answer.nor);
  if (!nor || !NOR_PATTERN.test(nor))
    throw new SourceShapeChangedError(`${where}: "${nor ?? ""}" is not a NOR`);
  const date = apiDate(answer.dateParution, "dateParution", where);
  if (!date) throw new SourceShapeChangedError(`${where}: no dateParution`);
  const eli = str(answer.eli);
  if (eli && !eli.startsWith("/eli/"))
    throw new SourceShapeChangedError(`${where}: eli "${eli}" is not an ELI path`);

  const warnings: string[] = [];
  const articles: JorfArticle[] = [];
  const annex: JorfArticle[] = [];
  const list = (v: unknown, what: string): unknown[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new SourceShapeChangedError(`${where}: ${what} is not a list`);
    return v;
  };
  const readArticle = (raw: unknown, into: JorfArticle[], heading: string | null) => {
    if (!isObject(raw)) throw new SourceShapeChangedError(`${where}: an article is not an object`);
    const { num, content } = raw as unknown as ApiArticle;
    if (typeof content !== "string") throw new SourceShapeChangedError(`${where}: an article has no content`);
    const text = fragmentText(content);
    const n = str(num);
    const name = n ? (/^annexe/i.test(n) ? n : `Article ${n}`) : heading;
    if (!name) throw new SourceShapeChangedError(`${where}: an article has no number`);
    if (!text) throw new SourceShapeChangedError(`${where}: ${name} is empty`);
    (n && /^annexe/i.test(n) ? annex : into).push({ name, text });
  };
  for (const a of list(answer.articles, "articles")) readArticle(a, articles, null);
  const walk = (sections: unknown[], inAnnex: boolean) => {
    for (const s of sections) {
      if (!isObject(s)) throw new SourceShapeChangedError(`${where}: a section is not an object`);
      const heading = str(s.title);
      const annexHere = inAnnex || /^annexe/i.test(heading ?? "");
      for (const a of list(s.articles, "section articles"))
        readArticle(a, annexHere ? annex : articles, heading);
      walk(list(s.sections, "sections"), annexHere);
    }
  };
  walk(list(answer.sections, "sections"), false);
  if (!articles.length) throw new SourceShapeChangedError(`${where}: no articles`);

  const declaredAmends = list(answer.liens, "liens")
    .filter(isObject)
    .filter((l) => /^MODIFI/i.test(str(l.typeLien) ?? ""))
    .map((l) => str(l.norTexte))
    .filter((n): n is string => n !== null && NOR_PATTERN.test(n));

  const html = (v: unknown) => (typeof v === "string" ? fragmentText(v) : "");
  const number = str(answer.numParution);
  return {
    via: "api",
    nor,
    cid,
    eli,
    title,
    jorf: { number, date },
    visas: html(answer.visa),
    articles,
    annex,
    signature: html(answer.signers),
    declaredAmends: [...new Set(declaredAmends)],
    modifiedBy: [],
    warnings,
  };
}
