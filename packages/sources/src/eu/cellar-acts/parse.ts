import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import {
  ACT_CELEX,
  cellarCelexUrl,
  DUAL_USE_CITATION,
  eurLexUrl,
  isoDateOf,
  parseSparqlJson,
  requireVars,
  type SparqlRow,
} from "./cellar.ts";

export const PARSER_VERSION = "eu.cellar.amending-acts/1";

/** Variables the amending-acts query selects, all read here. */
const VARS = [
  "celex",
  "title",
  "type",
  "eli",
  "dateDocument",
  "dateEntryIntoForce",
  "datePublication",
] as const;

/**
 * Cellar's resource types (`…/authority/resource-type/REG_DEL`) in words.
 * Unknown codes are kept as written.
 */
const RESOURCE_TYPES: Record<string, string> = {
  REG: "Regulation",
  REG_DEL: "Delegated Regulation",
  REG_IMPL: "Implementing Regulation",
  DIR: "Directive",
  DIR_DEL: "Delegated Directive",
  DIR_IMPL: "Implementing Directive",
  DEC: "Decision",
  DEC_DEL: "Delegated Decision",
  DEC_IMPL: "Implementing Decision",
};

// "Commission Delegated Regulation (EU) 2024/2547 of 5 September 2024 amending …":
// the act's name as the title gives it, up to its number.
const CITATION_IN_TITLE =
  /^((?:[A-Z][a-z]+ )*(?:Regulation|Directive|Decision) \((?:EU|EC|EU, Euratom)\) (?:No )?\d{1,4}\/\d{1,4})\b/;

const clean = (s: string) => normalizeText(s).normalize("NFC");

export interface AmendingActsMeta extends Record<string, unknown> {
  /** The act they amend. */
  amends: string;
  /** Rows the endpoint answered (one per combination of values). */
  rows: number;
  /** Acts left out, with why (no English title yet, an id that is not an act's CELEX). */
  skipped: { celex: string; reason: string }[];
}

interface Gathered {
  celex: string;
  titles: Set<string>;
  types: Set<string>;
  elis: Set<string>;
  adopted: Set<string>;
  inForce: Set<string>;
  published: Set<string>;
}

/**
 * The SPARQL answer of `amendingActsQuery` → one document per amending act,
 * newest first. Rows are merged by CELEX (an act with two entry-into-force
 * dates comes as two rows). An act is kept only with an English title: Cellar
 * loads metadata before every language is in, and a record without a title
 * would be worse than the same record one run later.
 */
export function parseAmendingActs(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, AmendingActsMeta> {
  const what = input.url ? `Cellar SPARQL answer (${input.url})` : "Cellar SPARQL answer";
  const results = parseSparqlJson(input.body, input.contentType, what);
  requireVars(results, VARS, what);
  const warnings: string[] = [];
  const skipped: AmendingActsMeta["skipped"] = [];
  const acts = new Map<string, Gathered>();
  for (const row of results.rows) {
    const celex = literal(row, "celex", what);
    if (!celex) throw new SourceShapeChangedError(`${what}: a row without ?celex`);
    if (!ACT_CELEX.test(celex)) {
      skipped.push({ celex, reason: "not the CELEX number of an act as published" });
      continue;
    }
    let act = acts.get(celex);
    if (!act) {
      act = {
        celex,
        titles: new Set(),
        types: new Set(),
        elis: new Set(),
        adopted: new Set(),
        inForce: new Set(),
        published: new Set(),
      };
      acts.set(celex, act);
    }
    const title = literal(row, "title", what);
    if (title) act.titles.add(clean(title));
    const type = row.type?.value;
    if (type) act.types.add(type.replace(/^.*\//, ""));
    const eli = row.eli?.value;
    if (eli) act.elis.add(eli.trim());
    for (const [name, into] of [
      ["dateDocument", act.adopted],
      ["dateEntryIntoForce", act.inForce],
      ["datePublication", act.published],
    ] as const) {
      const raw = literal(row, name, what);
      if (!raw) continue;
      const iso = isoDateOf(raw);
      if (iso) into.add(iso);
      else warnings.push(`${celex}: ?${name} "${raw}" is not a date; left out`);
    }
  }

  const documents: RegDocument[] = [];
  for (const act of acts.values()) {
    const titles = [...act.titles].sort();
    if (!titles.length) {
      skipped.push({ celex: act.celex, reason: "no English title yet" });
      continue;
    }
    if (titles.length > 1) warnings.push(`${act.celex}: ${titles.length} English titles; the first kept`);
    documents.push(documentOf(act, titles[0]!, warnings));
  }
  // Newest first: by publication, then adoption, then number.
  const order = (d: RegDocument) => `${d.publishedAt ?? ""}|${d.data?.adoptedAt ?? ""}|${d.id}`;
  documents.sort((a, b) => order(b).localeCompare(order(a)));
  return {
    kind: "documents",
    meta: { amends: DUAL_USE_CITATION, rows: results.rows.length, skipped },
    warnings,
    documents,
  };
}

function literal(row: SparqlRow, name: string, what: string): string | null {
  const term = row[name];
  if (!term) return null;
  if (term.type !== "literal")
    throw new SourceShapeChangedError(`${what}: ?${name} is a ${term.type}, not a literal`);
  return term.value;
}

function documentOf(act: Gathered, title: string, warnings: string[]): RegDocument {
  const [, year, , number] = ACT_CELEX.exec(act.celex)!;
  const code = [...act.types].sort()[0] ?? null;
  const type = code ? (RESOURCE_TYPES[code] ?? code) : null;
  if (act.types.size > 1)
    warnings.push(`${act.celex}: several resource types (${[...act.types].join(", ")})`);
  const earliest = (dates: Set<string>) => [...dates].sort()[0] ?? null;
  // An act enters into force once; later dates are dates of application.
  const effectiveAt = earliest(act.inForce);
  const publishedAt = earliest(act.published);
  if (act.published.size > 1)
    warnings.push(`${act.celex}: several Official Journal dates; the earliest kept`);
  const citation =
    CITATION_IN_TITLE.exec(title)?.[1] ?? `${type ?? "Act"} (EU) ${year}/${Number.parseInt(number!, 10)}`;
  const eli = [...act.elis].sort()[0] ?? null;
  const urls: Record<string, string> = { eurLex: eurLexUrl(act.celex), cellar: cellarCelexUrl(act.celex) };
  if (eli) urls.eli = eli;
  return {
    id: act.celex,
    stage: "published",
    type,
    title,
    abstract: null,
    citation,
    publishedAt,
    effectiveAt,
    url: eli ?? urls.eurLex!,
    urls,
    // The list it changes, cited as Annex I's source declares it (`citedAs`):
    // the list change of the same day is linked to this act.
    cfrReferences: [DUAL_USE_CITATION],
    technologies: technologiesForText(title),
    countries: [],
    data: {
      language: "en",
      celex: act.celex,
      resourceType: code,
      adoptedAt: earliest(act.adopted),
      entryIntoForce: [...act.inForce].sort(),
    },
  };
}
