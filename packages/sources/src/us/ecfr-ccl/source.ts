import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient } from "@regwatch/core/http";
import { defineSource } from "../../define-source.ts";
import {
  type CclMeta,
  PARSER_VERSION,
  parseCommerceControlList,
  parseCommerceControlListSteps,
} from "./parse.ts";

export const ECFR_ORIGIN = "https://www.ecfr.gov";
export const VERSIONS_URL = `${ECFR_ORIGIN}/api/versioner/v1/versions/title-15.json?part=774`;
export const fullXmlUrl = (date: string) =>
  `${ECFR_ORIGIN}/api/versioner/v1/full/${date}/title-15.xml?part=774`;

const SUPPLEMENT = /Supplement No\.\s*1 to Part 774/i;

interface ContentVersion {
  date: string;
  issue_date?: string;
  identifier?: string;
  name?: string;
  substantive?: boolean;
  removed?: boolean;
}

/** Dates on which the CCL (Supp. No. 1 to Part 774) got a new version, oldest first. */
export function cclVersionDates(body: Uint8Array): string[] {
  let json: { content_versions?: ContentVersion[] };
  try {
    json = JSON.parse(decodeText(body, "application/json").text);
  } catch (err) {
    throw new SourceShapeChangedError(`eCFR versions response is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(json.content_versions)) {
    throw new SourceShapeChangedError("eCFR versions response has no content_versions[]");
  }
  const all = new Set<string>();
  const supplement = new Set<string>();
  for (const v of json.content_versions) {
    if (typeof v?.date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v.date)) continue;
    all.add(v.date);
    // Versions of other sections of Part 774 do not move the CCL; a version
    // that does not say what it is about is taken rather than risk missing a change.
    const about = `${v.identifier ?? ""} ${v.name ?? ""}`;
    if (!about.trim() || SUPPLEMENT.test(about)) supplement.add(v.date);
  }
  // A response that names no supplement version at all (only part-level
  // identifiers) still dates the part: every one of its versions counts.
  return [...(supplement.size ? supplement : all)].sort();
}

/**
 * The versions list, asked conditionally with the ETag kept in the source's
 * own cursor: cursor and validator move together, only when a run succeeds,
 * so a failed download of the full XML is retried on the next run.
 */
async function versionDates(http: HttpClient, etag: string | null) {
  const response = await http.get(VERSIONS_URL, {
    conditional: false,
    headers: etag ? { "if-none-match": etag } : {},
  });
  return {
    etag: response.headers.etag ?? null,
    dates: response.notModified ? null : cclVersionDates(response.body),
  };
}

export const usEcfrCcl = defineSource<CclMeta>({
  id: "us.ecfr.ccl",
  jurisdiction: "US",
  kind: "list",
  title: "Commerce Control List (15 CFR 774, Supp. No. 1)",
  publisher: "Office of the Federal Register / GPO (eCFR)",
  officialUrl:
    "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-C/part-774/appendix-Supplement%20No.%201%20to%20Part%20774",
  // eCFR updates daily on business days, trailing the Federal Register by 1–2 days.
  schedule: "41 */6 * * *",
  expectations: {
    // About 640 ECCNs and 2,000–3,500 paragraphs; 400 would mean a truncated document.
    minEntries: 400,
    maxEntries: 20000,
    maxRemovedShare: 0.15,
    requiredFields: ["key"],
  },
  parserVersion: PARSER_VERSION,
  citedAs: ["15 CFR 774"],
  parse: parseCommerceControlList,
  parseSteps: parseCommerceControlListSteps,
  // The XML itself carries no date: the version is the one the fetch asked
  // for (`/full/<date>/`), or the one an operator gives with `ingest --as-of`.
  versionDate: (snapshot, artifact) => artifact.asOf ?? snapshot.meta.versionDate ?? null,
  describe(snapshot, artifact) {
    const date = artifact.asOf ?? snapshot.meta.versionDate ?? null;
    return {
      publishedAt: null,
      effectiveAt: date,
      // Filled in by the pipeline from the Federal Register rule effective that day, when known.
      citation: null,
      url: `${ECFR_ORIGIN}/${date ? `on/${date}` : "current"}/title-15/part-774/appendix-Supplement%20No.%201%20to%20Part%20774`,
    };
  },
  async fetch(ctx) {
    // Cheap probe first: the versions list. The full XML (2 MB) only when a
    // version date appears that we have not processed.
    const seen = typeof ctx.state.lastVersionDate === "string" ? ctx.state.lastVersionDate : null;
    const etag = typeof ctx.state.versionsEtag === "string" && seen ? ctx.state.versionsEtag : null;
    const { dates, etag: newEtag } = await versionDates(ctx.http, etag);
    if (dates === null) return { artifacts: [], state: ctx.state };
    const newest = dates[dates.length - 1];
    if (!newest) throw new SourceShapeChangedError("eCFR lists no version of Supplement No. 1 to Part 774");
    const state = { ...ctx.state, versionsEtag: newEtag };
    if (seen && newest <= seen) return { artifacts: [], state };
    const response = await ctx.http.get(fullXmlUrl(newest), { conditional: false });
    return { artifacts: [{ response, asOf: newest }], state: { ...state, lastVersionDate: newest } };
  },
  async *backfill(ctx, since) {
    const { dates } = await versionDates(ctx.http, null);
    const wanted = (dates ?? []).filter((d) => d >= since);
    let index = 0;
    for (const date of wanted) {
      const response = await ctx.http.get(fullXmlUrl(date), { conditional: false });
      yield {
        artifact: { response, asOf: date },
        index: ++index,
        total: wanted.length,
        state: { ...ctx.state, lastVersionDate: date },
      };
    }
  },
});
