import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";

/**
 * The Publications Office's Cellar, which both EU sources read. EUR-Lex
 * itself answers automated clients with a JavaScript challenge [C,
 * SOURCES.md], so nothing here ever asks eur-lex.europa.eu for data; its
 * addresses are only links a person follows.
 *
 * Endpoints:
 * - SPARQL `https://publications.europa.eu/webapi/rdf/sparql` [C, SOURCES.md],
 *   GET with `query=` and `format=application/sparql-results+json` [I: the
 *   `format` parameter from third-party clients; the Accept header is sent too].
 * - REST `http://publications.europa.eu/resource/celex/{CELEX}` [C] and
 *   `…/resource/consolidation/{ACT}%2F{YYYYMMDD}` [C: both are `SAMEAS`
 *   addresses in the real branch notice sample], with the manifestation
 *   appended (`.ENG.fmx4`) [C: the sample lists `celex/…GLE.fmx4`]. Asked over
 *   HTTPS [I: the same host, as third-party clients do].
 */
export const CELLAR_ORIGIN = "https://publications.europa.eu";
export const SPARQL_ENDPOINT = `${CELLAR_ORIGIN}/webapi/rdf/sparql`;
export const CDM = "http://publications.europa.eu/ontology/cdm#";
export const ENGLISH = "http://publications.europa.eu/resource/authority/language/ENG";

/** Regulation (EU) 2021/821, the dual-use regulation whose Annex I is the EU's control list. */
export const DUAL_USE_CELEX = "32021R0821";
/** How amending acts cite it, and so how a list change finds the act that caused it. */
export const DUAL_USE_CITATION = "Regulation (EU) 2021/821";
/** ELI of the regulation as published [C, SOURCES.md]. */
export const DUAL_USE_ELI = "http://data.europa.eu/eli/reg/2021/821/oj";

export const sparqlUrl = (query: string) =>
  `${SPARQL_ENDPOINT}?query=${encodeURIComponent(query)}&format=${encodeURIComponent("application/sparql-results+json")}`;

/** A page a person can read: EUR-Lex by CELEX (a browser passes its challenge). */
export const eurLexUrl = (celex: string) =>
  `https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:${encodeURIComponent(celex)}`;
export const cellarCelexUrl = (celex: string) => `http://publications.europa.eu/resource/celex/${celex}`;

// ---------------------------------------------------------------------------
// Bodies that are not what was asked for.
// ---------------------------------------------------------------------------

/**
 * Publishers behind a bot shield answer 200 with an HTML page (a JavaScript
 * challenge, a cookie wall, a maintenance notice). That is never data: say so
 * by name instead of failing later with a confusing syntax error.
 */
export function refuseHtml(text: string, contentType: string | null | undefined, what: string): void {
  const head = text
    .slice(0, 2048)
    .replace(/^\uFEFF/, "")
    .trimStart();
  const htmlType = /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType ?? "");
  if (htmlType || /^<!doctype\s+html\b/i.test(head) || /^(?:<!--[\s\S]*?-->\s*)*<html[\s>]/i.test(head)) {
    const challenge = /challenge|captcha|javascript|awswaf|enable cookies/i.test(text.slice(0, 65_536));
    throw new SourceShapeChangedError(
      `${what}: the server answered with an HTML page${challenge ? " (a JavaScript/bot challenge)" : ""} instead of ${what.includes("SPARQL") ? "SPARQL JSON" : "the document"}`,
    );
  }
}

// ---------------------------------------------------------------------------
// SPARQL 1.1 query results, JSON format (application/sparql-results+json).
// ---------------------------------------------------------------------------

export interface SparqlTerm {
  type: "uri" | "literal" | "bnode";
  value: string;
  datatype?: string;
  lang?: string;
}
export type SparqlRow = Record<string, SparqlTerm>;

export interface SparqlResults {
  vars: string[];
  rows: SparqlRow[];
}

const TERM_TYPES = new Set(["uri", "literal", "typed-literal", "bnode"]);

/**
 * A SPARQL JSON results document, read strictly (W3C "SPARQL 1.1 Query
 * Results JSON Format"): `head.vars`, `results.bindings`, each binding an
 * object of terms `{type, value, datatype?, xml:lang?}`. A body that is HTML,
 * not JSON, not that shape, or binds a variable the head does not declare is
 * a changed source, never an empty answer. `typed-literal` (the older
 * Virtuoso spelling) is read as `literal`.
 */
export function parseSparqlJson(
  body: Uint8Array,
  contentType: string | null | undefined,
  what = "Cellar SPARQL answer",
): SparqlResults {
  const { text } = decodeText(body, contentType ?? "application/json; charset=utf-8");
  refuseHtml(text, contentType, what);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const reason = (err as Error).message;
    throw new SourceShapeChangedError(
      `${what}: malformed SPARQL JSON (${reason})${text.trim() ? "" : "; the body is empty"}`,
    );
  }
  const bad = (why: string) => new SourceShapeChangedError(`${what}: not SPARQL JSON results: ${why}`);
  if (!isObject(json)) throw bad("the body is not a JSON object");
  if (!isObject(json.head) || !Array.isArray(json.head.vars)) throw bad("no head.vars");
  const vars = json.head.vars;
  if (!vars.every((v): v is string => typeof v === "string" && v.length > 0))
    throw bad("head.vars not names");
  if ("boolean" in json) throw bad("an ASK answer (boolean), expected bindings");
  if (!isObject(json.results) || !Array.isArray(json.results.bindings)) throw bad("no results.bindings");
  const declared = new Set(vars);
  const rows: SparqlRow[] = [];
  json.results.bindings.forEach((binding, i) => {
    if (!isObject(binding)) throw bad(`binding ${i} is not an object`);
    const row: SparqlRow = {};
    for (const [name, term] of Object.entries(binding)) {
      if (!declared.has(name)) throw bad(`binding ${i} binds ?${name}, which head.vars does not declare`);
      if (!isObject(term) || typeof term.type !== "string" || typeof term.value !== "string")
        throw bad(`binding ${i}: ?${name} is not a term {type, value}`);
      if (!TERM_TYPES.has(term.type)) throw bad(`binding ${i}: ?${name} has unknown type "${term.type}"`);
      const type = (term.type === "typed-literal" ? "literal" : term.type) as SparqlTerm["type"];
      const out: SparqlTerm = { type, value: term.value };
      if (typeof term.datatype === "string") out.datatype = term.datatype;
      if (typeof term["xml:lang"] === "string") out.lang = term["xml:lang"];
      row[name] = out;
    }
    rows.push(row);
  });
  return { vars, rows };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks that a query's answer declares the variables the reader takes (a renamed variable is a changed query). */
export function requireVars(results: SparqlResults, wanted: readonly string[], what: string): void {
  const missing = wanted.filter((v) => !results.vars.includes(v));
  if (missing.length)
    throw new SourceShapeChangedError(`${what}: SPARQL answer lacks ?${missing.join(", ?")}`);
}

// ---------------------------------------------------------------------------
// Values.
// ---------------------------------------------------------------------------

/**
 * An xsd:date or xsd:dateTime literal as Cellar writes it ("2024-11-08",
 * "2024-11-08T00:00:00", "2024-11-08+01:00") → "2024-11-08"; an impossible
 * or other date → null.
 */
export function isoDateOf(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?$/.exec(
    value.trim(),
  );
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** A compact Formex/CELEX date ("20241108") → "2024-11-08"; anything else → null. */
export function compactDate(value: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  return m ? isoDateOf(`${m[1]}-${m[2]}-${m[3]}`) : null;
}

/** A CELEX number of an act as published (`32024R2547`), not a consolidation or a corrigendum. */
export const ACT_CELEX = /^3(\d{4})([A-Z]{1,2})(\d{4})$/;
/** A consolidated version (`02021R0821-20241108`): sector 0, the act's code, the date it speaks as of. */
export const CONSOLIDATED_CELEX = /^0(\d{4}[A-Z]{1,2}\d{4})-(\d{8})$/;

// ---------------------------------------------------------------------------
// The queries.
// ---------------------------------------------------------------------------

const PREFIXES = `PREFIX cdm: <${CDM}>\nPREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n`;

/**
 * The consolidated versions of an act, newest first: the cheap probe of the
 * Annex I source. Property names: `cdm:resource_legal_id_celex` and
 * `cdm:act_consolidated_based_on_resource_legal` [C: the real branch notice
 * sample's RESOURCE_LEGAL_ID_CELEX and ACT_CONSOLIDATED_BASED_ON_RESOURCE_LEGAL];
 * `cdm:act_consolidated_date` [I: third-party clients]. CELEX numbers of one
 * act's consolidations differ only in their date, so they sort by it.
 */
export function consolidationsQuery(celex = DUAL_USE_CELEX, limit = 50): string {
  return `${PREFIXES}SELECT DISTINCT ?celex ?date WHERE {
  ?act cdm:resource_legal_id_celex "${celex}"^^xsd:string .
  ?cons cdm:act_consolidated_based_on_resource_legal ?act ;
        cdm:resource_legal_id_celex ?celex .
  OPTIONAL { ?cons cdm:act_consolidated_date ?date . }
} ORDER BY DESC(STR(?celex)) LIMIT ${limit}`;
}

/**
 * The acts that amend an act, with what a document record needs.
 * `cdm:resource_legal_amends_resource_legal` points from the amending act to
 * the amended one [I: third-party clients and CDM documentation in the
 * library; the sample notices hold none]. Dates: `cdm:work_date_document`
 * (adoption), `cdm:resource_legal_date_entry-into-force` [C: the branch
 * notice sample's RESOURCE_LEGAL_DATE_ENTRY-INTO-FORCE], the Official Journal
 * date as `cdm:official-journal-act_date_publication` (acts published since
 * the OJ became act-by-act in October 2023) or through the OJ issue's
 * `cdm:publication_general_date_publication` (before) [I]. English title:
 * `cdm:expression_title` of the expression in ENG [C: EXPRESSION_TITLE, LANG
 * ENG in the sample]. One row per combination of values: the reader merges
 * rows by CELEX.
 */
export function amendingActsQuery(celex = DUAL_USE_CELEX, limit = 500): string {
  return `${PREFIXES}SELECT DISTINCT ?celex ?title ?type ?eli ?dateDocument ?dateEntryIntoForce ?datePublication WHERE {
  ?target cdm:resource_legal_id_celex "${celex}"^^xsd:string .
  ?act cdm:resource_legal_amends_resource_legal ?target ;
       cdm:resource_legal_id_celex ?celex .
  FILTER(STRSTARTS(STR(?celex), "3"))
  OPTIONAL {
    ?expr cdm:expression_belongs_to_work ?act ;
          cdm:expression_uses_language <${ENGLISH}> ;
          cdm:expression_title ?title .
  }
  OPTIONAL { ?act cdm:work_has_resource-type ?type . }
  OPTIONAL { ?act cdm:resource_legal_eli ?eli . }
  OPTIONAL { ?act cdm:work_date_document ?dateDocument . }
  OPTIONAL { ?act cdm:resource_legal_date_entry-into-force ?dateEntryIntoForce . }
  OPTIONAL {
    ?act cdm:official-journal-act_date_publication|(cdm:resource_legal_published_in_official-journal/cdm:publication_general_date_publication) ?datePublication .
  }
} ORDER BY DESC(?dateDocument) LIMIT ${limit}`;
}
