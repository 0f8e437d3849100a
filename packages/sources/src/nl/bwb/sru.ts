// KOOP's SRU answers (searchRetrieve), read strictly. Both KOOP search
// services speak it: zoekservice.overheid.nl for the Basiswettenbestand
// (SRU 1.2 namespace in the answers seen) and repository.overheid.nl for the
// official publications (SRU 2.0). Used by nl.bwb.strategic-goods (finding
// its BWB work by title) and nl.staatscourant.export-control (the feed).

import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import type { ParseInput } from "../../define-source.ts";
import { parseXml, textOf, type XmlElement } from "../../xml/parse-xml.ts";

/** SRU response namespaces: 2.0 (OASIS searchRetrieve) and 1.1/1.2 (Library of Congress "zing"). */
export const SRU_NAMESPACES = [
  "http://docs.oasis-open.org/ns/search-ws/sruResponse",
  "http://www.loc.gov/zing/srw/",
] as const;
/** The record wrapper KOOP puts in `recordData` (`<gzd>`, "gemeenschappelijk zoekdienst") [I: as in answers seen]. */
export const GZD_NAMESPACE = "http://standaarden.overheid.nl/sru";
export const DCTERMS_NAMESPACE = "http://purl.org/dc/terms/";

/** An element with its namespace resolved (the XML reader keeps names as written). */
export interface NsNode {
  el: XmlElement;
  /** Namespace URI, null when unqualified. */
  uri: string | null;
  local: string;
  scope: ReadonlyMap<string, string>;
}

function resolve(el: XmlElement, parent: ReadonlyMap<string, string>): NsNode {
  let scope = parent;
  for (const [name, value] of Object.entries(el.attrs)) {
    if (name === "xmlns" || name.startsWith("xmlns:")) {
      if (scope === parent) scope = new Map(parent);
      (scope as Map<string, string>).set(name === "xmlns" ? "" : name.slice(6), value);
    }
  }
  const colon = el.name.indexOf(":");
  const prefix = colon === -1 ? "" : el.name.slice(0, colon);
  const local = colon === -1 ? el.name : el.name.slice(colon + 1);
  return { el, uri: scope.get(prefix) || null, local, scope };
}

export const nsRoot = (el: XmlElement): NsNode => resolve(el, new Map());

export function nsChildren(node: NsNode): NsNode[] {
  const out: NsNode[] = [];
  for (const c of node.el.children) if (typeof c !== "string") out.push(resolve(c, node.scope));
  return out;
}

/** Children by local name, and by namespace when one is given. */
export function nsAll(node: NsNode, local: string, uri?: string): NsNode[] {
  return nsChildren(node).filter((c) => c.local === local && (uri === undefined || c.uri === uri));
}

export const nsFirst = (node: NsNode | undefined, local: string, uri?: string): NsNode | undefined =>
  node ? nsAll(node, local, uri)[0] : undefined;

/** Descendants (depth first, document order) with this local name. */
export function nsFind(node: NsNode, local: string, out: NsNode[] = []): NsNode[] {
  for (const c of nsChildren(node)) {
    if (c.local === local) out.push(c);
    nsFind(c, local, out);
  }
  return out;
}

/** Text of an element, whitespace collapsed, NFC. */
export const nsText = (node: NsNode | undefined): string =>
  node ? normalizeText(textOf(node.el)).normalize("NFC") : "";

/** One `<record>` of an answer: its position and the one element its `recordData` holds. */
export interface SruRecord {
  position: number | null;
  schema: string | null;
  data: NsNode;
}

export interface SruPage {
  /** `version` as the answer gives it ("1.2", "2.0"); null when absent. */
  version: string | null;
  numberOfRecords: number;
  records: SruRecord[];
  /** Where the next page starts; null on the last page. */
  nextRecordPosition: number | null;
  warnings: string[];
}

const KNOWN_RESPONSE_PARTS = new Set([
  "version",
  "numberOfRecords",
  "resultSetId",
  "resultSetIdleTime",
  "resultSetTTL",
  "resultCountPrecision",
  "records",
  "nextRecordPosition",
  "echoedSearchRetrieveRequest",
  "extraResponseData",
  "facetedResults",
  "searchResultAnalysis",
]);

function count(node: NsNode | undefined, what: string, where: string): number | null {
  if (!node) return null;
  const raw = nsText(node);
  if (!/^\d+$/.test(raw)) throw new SourceShapeChangedError(`${where}: <${what}> "${raw}" is not a number`);
  return Number(raw);
}

/** `<diagnostics>` of an answer, as one line each ("info:srw/diagnostic/1/10: message (details)"). */
function diagnostics(root: NsNode): string[] {
  const holders = root.local === "diagnostics" ? [root] : nsAll(root, "diagnostics");
  const out: string[] = [];
  for (const holder of holders) {
    for (const d of nsAll(holder, "diagnostic")) {
      const uri = nsText(nsFirst(d, "uri"));
      const message = nsText(nsFirst(d, "message"));
      const details = nsText(nsFirst(d, "details"));
      out.push(`${uri || "(no uri)"}: ${message || "(no message)"}${details ? ` (${details})` : ""}`);
    }
    if (!nsAll(holder, "diagnostic").length) out.push("(empty diagnostics)");
  }
  return out;
}

/**
 * A searchRetrieve answer. Strict: malformed or truncated XML, a root that is
 * not an SRU `searchRetrieveResponse`, any `<diagnostics>` (the service's way
 * of saying the query failed, sent with HTTP 200), a missing or non-numeric
 * `numberOfRecords`, or a record without exactly one element in its
 * `recordData` is a changed source, never an empty page.
 */
export function readSruPage(input: ParseInput, what: string): SruPage {
  const where = input.url ?? what;
  const { text } = decodeText(input.body, input.contentType ?? "application/xml; charset=utf-8");
  const root = nsRoot(parseXml(text, { fileName: where }));
  const problems = diagnostics(root);
  if (problems.length)
    throw new SourceShapeChangedError(
      `${where}: the SRU service answered with a diagnostic: ${problems.join("; ")}`,
    );
  if (root.local !== "searchRetrieveResponse" || !SRU_NAMESPACES.includes(root.uri as never)) {
    throw new SourceShapeChangedError(
      `${where}: not an SRU searchRetrieve answer (root <${root.el.name}> in ${root.uri ?? "no namespace"})`,
    );
  }
  const warnings: string[] = [];
  for (const c of nsChildren(root)) {
    if (c.uri !== root.uri || !KNOWN_RESPONSE_PARTS.has(c.local))
      warnings.push(`${where}: unexpected <${c.el.name}> in the SRU answer`);
  }
  const numberOfRecords = count(nsFirst(root, "numberOfRecords", root.uri!), "numberOfRecords", where);
  if (numberOfRecords === null)
    throw new SourceShapeChangedError(`${where}: SRU answer without <numberOfRecords>`);
  const records: SruRecord[] = [];
  for (const holder of nsAll(root, "records", root.uri!)) {
    for (const record of nsChildren(holder)) {
      if (record.local !== "record" || record.uri !== root.uri) {
        warnings.push(`${where}: unexpected <${record.el.name}> in <records>`);
        continue;
      }
      const data = nsFirst(record, "recordData", root.uri!);
      const inside = data ? nsChildren(data) : [];
      const stray = data ? data.el.children.some((c) => typeof c === "string" && c.trim()) : false;
      if (inside.length !== 1 || stray) {
        throw new SourceShapeChangedError(
          `${where}: record ${records.length + 1} has ${inside.length} elements in its <recordData>, expected one`,
        );
      }
      records.push({
        position: count(nsFirst(record, "recordPosition", root.uri!), "recordPosition", where),
        schema: nsText(nsFirst(record, "recordSchema", root.uri!)) || null,
        data: inside[0]!,
      });
    }
  }
  const next = count(nsFirst(root, "nextRecordPosition", root.uri!), "nextRecordPosition", where);
  if (records.length > numberOfRecords) {
    throw new SourceShapeChangedError(
      `${where}: ${records.length} records on a page of an answer of ${numberOfRecords}`,
    );
  }
  return {
    version: nsText(nsFirst(root, "version", root.uri!)) || null,
    numberOfRecords,
    records,
    nextRecordPosition: next,
    warnings,
  };
}

/**
 * Where the page after this one starts, or null after the last. The answer's
 * `nextRecordPosition` when it gives one (it must move forward); otherwise
 * counted from the records received, so a service that leaves it out is still
 * paged to the end.
 */
export function nextStart(
  page: Pick<SruPage, "numberOfRecords" | "nextRecordPosition"> & { records: readonly unknown[] },
  start: number,
  where: string,
): number | null {
  if (page.nextRecordPosition !== null) {
    if (page.nextRecordPosition <= start)
      throw new SourceShapeChangedError(
        `${where}: nextRecordPosition ${page.nextRecordPosition} does not move past ${start}`,
      );
    return page.nextRecordPosition <= page.numberOfRecords ? page.nextRecordPosition : null;
  }
  const after = start + page.records.length;
  return page.records.length > 0 && after <= page.numberOfRecords ? after : null;
}
