import { findCountries } from "@regwatch/core/countries";
import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import {
  findEccns,
  mergeTechnologies,
  technologiesForKey,
  technologiesForText,
} from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";

export const PARSER_VERSION = "us.federal-register/1";

export const BIS_AGENCY_SLUG = "industry-and-security-bureau";

type Json = Record<string, unknown>;

// Fields of an API document this parser reads; anything else is ignored on purpose
// (page views, images and the like change daily and mean nothing here).
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() ? v : null;
}

function date(v: unknown, field: string, id: string, warnings: string[]): string | null {
  const s = str(v);
  if (s === null) return null;
  if (!DATE.test(s)) {
    warnings.push(`${id}: ${field} "${s}" is not a date`);
    return null;
  }
  return s;
}

function isBis(doc: Json): boolean {
  // Responses fetched with a `fields[]` subset may carry no agency at all; the
  // query itself was filtered by agency, so such a document is in scope.
  if (doc.agencies === undefined && doc.agency_names === undefined) return true;
  const agencies = Array.isArray(doc.agencies) ? (doc.agencies as Json[]) : [];
  if (
    agencies.some(
      (a) =>
        a &&
        (a.slug === BIS_AGENCY_SLUG || /Industry and Security/i.test(String(a.name ?? a.raw_name ?? ""))),
    )
  ) {
    return true;
  }
  const names = Array.isArray(doc.agency_names) ? (doc.agency_names as unknown[]) : [];
  return names.some((n) => /Industry and Security/i.test(String(n)));
}

function cfrReferences(doc: Json): string[] {
  const refs = Array.isArray(doc.cfr_references) ? (doc.cfr_references as Json[]) : [];
  return refs
    .filter((r) => r && r.title !== undefined && r.part !== undefined && r.part !== null)
    .map((r) => `${r.title} CFR ${r.part}`);
}

function toDocument(doc: Json, warnings: string[]): RegDocument | null {
  const id = str(doc.document_number);
  if (!id) {
    warnings.push("a result without document_number was skipped");
    return null;
  }
  const stage =
    doc.filed_at !== undefined || doc.filing_type !== undefined ? "public-inspection" : "published";
  const title = normalizeText(str(doc.title) ?? str(doc.toc_doc) ?? "");
  const abstract = str(doc.abstract) ? normalizeText(String(doc.abstract)) : null;
  const action = str(doc.action);
  const subjects = [doc.subject_1, doc.subject_2, doc.subject_3].map(str).filter(Boolean).join(" ");
  const text = [title, abstract, action, subjects].filter(Boolean).join(" ");
  const eccns = findEccns(text);
  const urls: Record<string, string> = {};
  for (const field of [
    "html_url",
    "pdf_url",
    "full_text_xml_url",
    "raw_text_url",
    "json_url",
    "public_inspection_pdf_url",
  ]) {
    const url = str(doc[field]);
    if (url) urls[field.replace(/_url$/, "")] = url;
  }
  const rins = Array.isArray(doc.regulation_id_numbers)
    ? (doc.regulation_id_numbers as unknown[]).map(String)
    : [];
  return {
    id,
    stage,
    type: str(doc.type),
    title,
    abstract,
    citation: stage === "published" ? str(doc.citation) : null,
    publishedAt: date(doc.publication_date, "publication_date", id, warnings),
    effectiveAt: date(doc.effective_on, "effective_on", id, warnings),
    url: str(doc.html_url),
    urls,
    cfrReferences: cfrReferences(doc),
    technologies: mergeTechnologies(
      technologiesForText(text),
      ...eccns.map((eccn) => technologiesForKey(eccn)),
    ),
    // A US rule's own country is not an affected destination.
    countries: findCountries(text).filter((c) => c !== "US"),
    data: {
      action,
      eccns,
      rins,
      subtype: str(doc.subtype),
      correctionOf: str(doc.correction_of),
      filedAt: str(doc.filed_at),
      dates: str(doc.dates),
    },
  };
}

/**
 * Federal Register API responses (documents search, a single or several
 * documents, public-inspection lists) to the BIS documents they contain.
 * Other agencies' documents are counted and left out.
 */
export function parseFederalRegister(
  input: ParseInput,
): ParsedSnapshot<DocumentsSnapshot, Record<string, unknown>> {
  const { text } = decodeText(input.body, input.contentType ?? "application/json; charset=utf-8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SourceShapeChangedError(`Federal Register response is not JSON: ${(err as Error).message}`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new SourceShapeChangedError("Federal Register response is not a JSON object");
  }
  const body = json as Json;
  if (typeof body.status === "number" && body.status >= 400) {
    throw new SourceShapeChangedError(
      `Federal Register API error ${body.status}: ${String(body.message ?? "")}`,
    );
  }
  let results: Json[];
  if (Array.isArray(body.results)) results = body.results as Json[];
  else if (typeof body.document_number === "string") results = [body];
  else
    throw new SourceShapeChangedError(
      "Federal Register response has neither results[] nor a document_number",
    );

  const warnings: string[] = [];
  const documents: RegDocument[] = [];
  const seen = new Set<string>();
  let otherAgencies = 0;
  for (const result of results) {
    if (!result || typeof result !== "object") {
      warnings.push("a result that is not an object was skipped");
      continue;
    }
    if (!isBis(result)) {
      otherAgencies++;
      continue;
    }
    const doc = toDocument(result, warnings);
    if (!doc || seen.has(doc.id)) continue;
    seen.add(doc.id);
    documents.push(doc);
  }
  return {
    kind: "documents",
    meta: {
      count: typeof body.count === "number" ? body.count : results.length,
      results: results.length,
      otherAgencies,
      nextPageUrl: str(body.next_page_url),
    },
    warnings,
    documents,
  };
}
