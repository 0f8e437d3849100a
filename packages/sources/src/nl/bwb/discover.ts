// Finding a BWB work by its exact title through KOOP's BWB search (SRU), so
// that no BWB id has to be written into the source: the id KOOP gives the
// regulation is read at run time and kept in the source's cursor.

import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient } from "@regwatch/core/http";
import { normalizeText } from "@regwatch/core/text";
import type { ParseInput } from "../../define-source.ts";
import { DCTERMS_NAMESPACE, nextStart, nsFind, nsFirst, nsText, readSruPage } from "./sru.ts";

/**
 * KOOP's search service for the Basiswettenbestand: SRU with the
 * non-standard `x-connection=BWB` collection parameter [C: SOURCES.md says a
 * BWB SRU exists; the address, `x-connection=BWB`, version 1.2 and the CQL
 * index `overheidbwb.titel` are [I], from public clients of the service
 * (WetSuite's koop_sru.py, and others), not from a captured answer].
 */
export const BWB_SRU = "https://zoekservice.overheid.nl/sru/Search";

/** Records per page: a regulation has one record per consolidation (toestand), a handful. */
export const BWB_PAGE_SIZE = 50;
/** Pages read at most: more than this many toestanden for one title means the query matched far too much. */
export const BWB_MAX_PAGES = 5;

/** A CQL string literal: quotes and backslashes escaped. */
export const cqlString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

export function bwbSearchUrl(title: string, startRecord = 1): string {
  const params = new URLSearchParams({
    operation: "searchRetrieve",
    version: "1.2",
    "x-connection": "BWB",
    query: `overheidbwb.titel=${cqlString(title)}`,
    startRecord: String(startRecord),
    maximumRecords: String(BWB_PAGE_SIZE),
  });
  return `${BWB_SRU}?${params}`;
}

/** One BWB search record: a consolidation (toestand) of a work. */
export interface BwbSearchRecord {
  bwbId: string;
  /** Every title the record gives (dcterms:title, dcterms:alternative, overheidbwb:titel, citeertitel). */
  titles: string[];
  type: string | null;
  /** Validity of this consolidation, as the record says. */
  validFrom: string | null;
  validUntil: string | null;
  /** The toestand XML (`overheidbwb:locatie_toestand`), when the record links it. */
  toestandUrl: string | null;
}

const BWB_ID = /^BWB[RV]\d{7}$/;
// BWB-specific title elements (`overheidbwb:titel`, a citeertitel) wherever the record's meta holds them.
const TITLE_ELEMENTS = ["titel", "citeertitel"];

/**
 * A page of the BWB search → its records. Each record's `gzd` must hold
 * `originalData/meta/owmskern` with a `dcterms:identifier` that is a BWB id;
 * anything else is a changed service, not a record to skip.
 */
export function readBwbSearch(input: ParseInput) {
  const where = input.url ?? "BWB search";
  const page = readSruPage(input, "BWB search");
  const records: BwbSearchRecord[] = page.records.map((record, i) => {
    const gzd = record.data;
    const meta = nsFirst(nsFirst(gzd, "originalData"), "meta");
    const kern = nsFirst(meta, "owmskern");
    if (gzd.local !== "gzd" || !meta || !kern)
      throw new SourceShapeChangedError(
        `${where}: record ${i + 1} is not a BWB record (<${gzd.el.name}> without originalData/meta/owmskern)`,
      );
    const bwbId = nsText(nsFirst(kern, "identifier", DCTERMS_NAMESPACE));
    if (!BWB_ID.test(bwbId))
      throw new SourceShapeChangedError(
        `${where}: record ${i + 1} has dcterms:identifier "${bwbId}", not a BWB id`,
      );
    const mantel = nsFirst(meta, "owmsmantel");
    const titles = [
      nsFirst(kern, "title", DCTERMS_NAMESPACE),
      nsFirst(kern, "alternative", DCTERMS_NAMESPACE),
      nsFirst(mantel, "title", DCTERMS_NAMESPACE),
      nsFirst(mantel, "alternative", DCTERMS_NAMESPACE),
      ...TITLE_ELEMENTS.flatMap((local) => nsFind(meta, local)),
    ]
      .map(nsText)
      .filter(Boolean);
    const ipm = nsFirst(meta, "bwbipm");
    const date = (local: string) => nsText(ipm ? nsFind(ipm, local)[0] : undefined) || null;
    return {
      bwbId,
      titles: [...new Set(titles)],
      type: nsText(nsFirst(kern, "type", DCTERMS_NAMESPACE)) || null,
      validFrom: date("geldigheidsperiode_startdatum"),
      validUntil: date("geldigheidsperiode_einddatum"),
      toestandUrl: nsText(nsFind(gzd, "locatie_toestand")[0]) || null,
    };
  });
  return { ...page, records };
}

const sameTitle = (a: string, b: string) =>
  normalizeText(a).normalize("NFC") === normalizeText(b).normalize("NFC");

/** The BWB ids among these records that carry exactly this title (case and words as written). */
export function worksTitled(records: readonly BwbSearchRecord[], title: string): string[] {
  const ids = records.filter((r) => r.titles.some((t) => sameTitle(t, title))).map((r) => r.bwbId);
  return [...new Set(ids)].sort();
}

/**
 * The one BWB work whose title is exactly `title`, by searching KOOP's BWB
 * collection and paging through the answer. None, or more than one, is a
 * changed source: the regulation was renamed or withdrawn, or another work
 * took the same title, and a person must look before anything is diffed.
 */
export async function discoverBwbWork(
  http: HttpClient,
  title: string,
): Promise<{ bwbId: string; records: number }> {
  const records: BwbSearchRecord[] = [];
  let start: number | null = 1;
  for (let pages = 0; start !== null; pages++) {
    if (pages === BWB_MAX_PAGES)
      throw new SourceShapeChangedError(
        `BWB search for "${title}" goes past ${BWB_MAX_PAGES} pages of ${BWB_PAGE_SIZE}: the query matches far more than one work`,
      );
    // Not conditional: a 304 would leave no answer to read.
    const response = await http.get(bwbSearchUrl(title, start), { conditional: false });
    const page = readBwbSearch({ body: response.body, contentType: response.contentType, url: response.url });
    records.push(...page.records);
    start = nextStart(page, start, response.url);
  }
  const ids = worksTitled(records, title);
  if (ids.length === 0)
    throw new SourceShapeChangedError(
      `BWB search finds no work titled "${title}" (${records.length} records, none with that exact title)`,
    );
  if (ids.length > 1)
    throw new SourceShapeChangedError(
      `BWB search finds ${ids.length} works titled "${title}": ${ids.join(", ")}`,
    );
  return { bwbId: ids[0]!, records: records.length };
}
