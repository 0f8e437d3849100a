// A watched page's artifact as a list snapshot: one entry per block of its
// content (keys.ts), one per document file it links (`doc:<address>`, with
// the file's SHA-256, so "a new PDF appeared" or "the PDF was replaced" is
// an added or modified entry). The artifact is the page's HTML alone, or,
// when the page links documents, a bundle (../bundle.ts)
// of the HTML, a manifest of every linked document (hash, size, type, or
// why it could not be fetched), and the bytes of the documents fetched for
// the first time: so each file is archived with the page that first linked
// it, and a later parser re-reads the same facts from the same bytes.

import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry, ListSnapshot } from "@regwatch/core/schemas";
import type { TechnologyId } from "@regwatch/core/taxonomy";
import { sha256Hex } from "@regwatch/core/text";
import { type BundlePart, isBundle, readBundle } from "../bundle.ts";
import type { ParsedSnapshot, ParseInput } from "../define-source.ts";
import { type DocumentLink, extractPage, readHtml } from "./extract.ts";
import { blocksToEntries } from "./keys.ts";

/** Bump whenever the same bytes could give other entries (extraction, keys, document entries). */
export const PARSER_VERSION = "page/1";

/** The bundle part listing the page's documents: not a fetched body, so named by a URN of ours. */
export const MANIFEST_URL = "urn:regwatch:page-documents";
const MANIFEST_TYPE = "application/json";

/** What became of one linked document, as the fetch recorded it. */
export interface DocumentRecord {
  /** The key address (see `documentKeyUrl`). */
  url: string;
  /** The address fetched. */
  href: string;
  /**
   * fetched: `sha256`, `size`, `contentType` describe the bytes;
   * unavailable: the server answered `httpStatus` (404, 410, 403…);
   * too-large: over the size cap; refused: the address is not public (`note`).
   */
  status: "fetched" | "unavailable" | "too-large" | "refused";
  httpStatus: number | null;
  sha256: string | null;
  size: number | null;
  contentType: string | null;
  note: string | null;
  fetchedAt: string;
}

export interface PageManifest {
  page: string;
  documents: DocumentRecord[];
}

export interface PageMeta extends Record<string, unknown> {
  url: string;
  /** The selector read (the configured one, or the default that matched). */
  selector: string;
  matched: number;
  title: string | null;
  language: string | null;
  blocks: number;
  documents: number;
  /** `page`: HTML alone; `bundle`: HTML with its documents' manifest (and new documents' bytes). */
  read: "page" | "bundle";
}

export interface PageParseOptions {
  url: string;
  selector?: string | null;
  technologies?: readonly TechnologyId[];
}

/** What one linked document says in its entry: the file's hash, or why there is none. */
function documentText(record: DocumentRecord | undefined): string {
  if (!record) return "not fetched";
  switch (record.status) {
    case "fetched":
      return `SHA-256 ${record.sha256} · ${record.size} bytes · ${record.contentType ?? "no content type"}`;
    case "unavailable":
      return `not available (${record.httpStatus ? `HTTP ${record.httpStatus}` : record.note})`;
    case "too-large":
    case "refused":
      return `not fetched: ${record.note}`;
  }
}

function documentEntry(
  link: DocumentLink,
  record: DocumentRecord | undefined,
  archived: boolean,
  technologies: readonly TechnologyId[],
): Entry {
  const data: Record<string, unknown> = {
    document: true,
    url: link.url,
    status: record?.status ?? null,
    httpStatus: record?.httpStatus ?? null,
    sha256: record?.sha256 ?? null,
    size: record?.size ?? null,
    contentType: record?.contentType ?? null,
    // Whether this artifact holds the file's bytes (the one that first linked it does).
    archived,
  };
  if (technologies.length) data.technologies = [...technologies];
  return { key: `doc:${link.url}`, parentKey: null, heading: link.text, text: documentText(record), data };
}

const STATUSES = new Set(["fetched", "unavailable", "too-large", "refused"]);

function readManifest(part: BundlePart, where: string): PageManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(part.body));
  } catch (err) {
    throw new SourceShapeChangedError(
      `${where}: the documents manifest is not JSON (${(err as Error).message})`,
    );
  }
  const bad = (why: string) => new SourceShapeChangedError(`${where}: documents manifest: ${why}`);
  const m = json as Partial<PageManifest>;
  if (!m || typeof m !== "object" || typeof m.page !== "string" || !Array.isArray(m.documents))
    throw bad("expected {page, documents[]}");
  const str = (v: unknown) => typeof v === "string";
  const strOrNull = (v: unknown) => v === null || typeof v === "string";
  const intOrNull = (v: unknown) => v === null || (typeof v === "number" && Number.isInteger(v) && v >= 0);
  for (const d of m.documents as DocumentRecord[]) {
    const ok =
      d &&
      str(d.url) &&
      str(d.href) &&
      STATUSES.has(d.status) &&
      intOrNull(d.httpStatus) &&
      strOrNull(d.contentType) &&
      strOrNull(d.note) &&
      str(d.fetchedAt) &&
      (d.status === "fetched"
        ? str(d.sha256) && /^[0-9a-f]{64}$/.test(d.sha256!) && intOrNull(d.size) && d.size !== null
        : d.sha256 === null && d.size === null);
    if (!ok) throw bad(`malformed record ${JSON.stringify(d).slice(0, 200)}`);
  }
  return m as PageManifest;
}

/** The manifest as a bundle part. */
export function manifestPart(manifest: PageManifest): BundlePart {
  return {
    url: MANIFEST_URL,
    contentType: MANIFEST_TYPE,
    body: new TextEncoder().encode(JSON.stringify(manifest)),
  };
}

/**
 * A watched page's artifact (its HTML, or the bundle the fetch writes) as a
 * list snapshot. Strict: a bundle whose parts do not check out, a manifest
 * that is not what the fetch writes, a document's bytes that are not the
 * file the manifest names, or a page that is not HTML is an error, never a
 * partial snapshot.
 */
export function parsePage(
  input: ParseInput,
  options: PageParseOptions,
): ParsedSnapshot<ListSnapshot, PageMeta> {
  const where = options.url;
  const technologies = options.technologies ?? [];
  let page: { body: Uint8Array; contentType: string | null | undefined };
  let manifest: PageManifest | null = null;
  const archived = new Set<string>();
  const warnings: string[] = [];
  if (isBundle(input.body)) {
    const parts = readBundle(input.body, where);
    const [html, listing, ...files] = parts;
    if (!html || !listing || listing.url !== MANIFEST_URL)
      throw new SourceShapeChangedError(
        `${where}: a page bundle holds the page, then its documents manifest`,
      );
    page = html;
    manifest = readManifest(listing, where);
    const byUrl = new Map(manifest.documents.map((d) => [d.url, d]));
    for (const file of files) {
      const record = byUrl.get(file.url);
      if (record?.status !== "fetched")
        throw new SourceShapeChangedError(
          `${where}: the bundle holds ${file.url}, which its manifest does not list as fetched`,
        );
      if (sha256Hex(file.body) !== record.sha256 || file.body.byteLength !== record.size)
        throw new SourceShapeChangedError(
          `${where}: the bytes of ${file.url} are not the file its manifest names`,
        );
      archived.add(file.url);
    }
  } else {
    page = { body: input.body, contentType: input.contentType };
  }

  const html = readHtml(page.body, page.contentType, where);
  const extracted = extractPage(html, { url: options.url, selector: options.selector });
  const records = new Map((manifest?.documents ?? []).map((d) => [d.url, d]));
  const linked = new Set(extracted.documents.map((d) => d.url));
  for (const url of records.keys())
    if (!linked.has(url)) warnings.push(`${where}: the manifest lists ${url}, which the page does not link`);
  const entries = [
    ...blocksToEntries(extracted.blocks, technologies),
    ...extracted.documents.map((link) =>
      documentEntry(link, records.get(link.url), archived.has(link.url), technologies),
    ),
  ];
  return {
    kind: "list",
    entries,
    warnings,
    meta: {
      url: options.url,
      selector: extracted.selector,
      matched: extracted.matched,
      title: extracted.title,
      language: extracted.language,
      blocks: extracted.blocks.length,
      documents: extracted.documents.length,
      read: manifest ? "bundle" : "page",
    },
  };
}
