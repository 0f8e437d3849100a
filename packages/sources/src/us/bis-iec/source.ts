import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpResponse } from "@regwatch/core/http";
import { defineSource } from "../../define-source.ts";
import { type IecMeta, iecPageVerdict, PARSER_VERSION, parseIecPage, problemPage } from "./parse.ts";

/**
 * "License Exception Implemented Export Controls (IEC) Eligible Items and
 * Destinations", the BIS document that says, item by item, to which
 * destinations License Exception IEC (15 CFR 740.24) may be used. It is
 * incorporated by reference, "last modified September 17, 2024" [C:
 * SOURCES.md and the text of § 740.24(c)], so an eCFR diff does not show a
 * change in it: it is watched here as a list. Its address is [U] in
 * SOURCES.md and was not found in the library (§ 740.24(c) names only BIS's
 * Office of National Security Controls): the page below, on BIS's site, is
 * [I]. A wrong address fails loudly (404, or a page without an eligibility
 * table or a link to one), never as an empty list.
 */
export const IEC_URL = "https://www.bis.gov/licensing/license-exception-iec-eligible-items-and-destinations";

/** The body in hand must be the page asked for, not an error page or a challenge answered with 200. */
function refuseProblemPage(response: HttpResponse, what: string) {
  if (!/html/i.test(response.contentType ?? "text/html")) return;
  const problem = problemPage(Buffer.from(response.body.subarray(0, 65_536)).toString("utf8"));
  if (problem)
    throw new SourceUnavailableError(`${response.url}: BIS answered ${problem} instead of ${what}`);
}

export const usBisIec = defineSource<IecMeta>({
  id: "us.bis.iec",
  jurisdiction: "US",
  kind: "list",
  title: "License Exception IEC Eligible Items and Destinations (15 CFR 740.24)",
  publisher: "U.S. Department of Commerce, Bureau of Industry and Security",
  officialUrl: IEC_URL,
  // BIS changes the document with a Federal Register rule (it is incorporated by reference by its date); rules
  // are public at 8:45 Eastern. One conditional request each weekday afternoon (UTC) catches a change that day.
  schedule: "41 16 * * 1-5",
  expectations: {
    // The September 2024 rule made 23 ECCNs IEC-eligible (the CCL's "IEC: Yes" lines), some per paragraph;
    // fewer than 10 rows is a broken page, not a repeal.
    minEntries: 10,
    maxEntries: 500,
    // Items are added or dropped a few at a time as partners implement their controls.
    maxRemovedShare: 0.3,
    requiredFields: ["key", "text"],
  },
  parserVersion: PARSER_VERSION,
  // How amending instruments cite it: by name, and by the section that incorporates it.
  citedAs: ["License Exception IEC", "15 CFR 740.24"],
  parse: parseIecPage,
  // The document's own date: a page older than the accepted one is stale (a lagging cache).
  versionDate: (snapshot) => snapshot.meta.lastModified ?? null,
  describe(snapshot, artifact) {
    const date = snapshot.meta.lastModified ?? artifact.asOf ?? null;
    return {
      publishedAt: date,
      // In force as modified: the date the page states is the version's.
      effectiveAt: date,
      // Null: the pipeline links the Federal Register rule in force that day that cites the list (`citedAs`).
      citation: null,
      url: IEC_URL,
    };
  },
  async fetch(ctx) {
    // Cheap probe = the page itself, asked conditionally (its validators are kept when it is accepted).
    const page = await ctx.http.get(IEC_URL, { headers: { accept: "text/html" } });
    if (page.notModified) return { artifacts: [], state: ctx.state };
    refuseProblemPage(page, "the IEC eligibility page");
    const verdict = iecPageVerdict({ body: page.body, contentType: page.contentType, url: page.url });
    if (verdict.kind === "table") return { artifacts: [{ response: page }], state: ctx.state };
    if (verdict.kind === "none")
      throw new SourceShapeChangedError(`${IEC_URL}: not the IEC eligibility page: ${verdict.reason}`);
    // The page only links the document: that file is the version, archived as fetched. Reading a PDF or
    // spreadsheet table into rows is not done, so its parse fails with that reason and an operator looks.
    ctx.log.warn(
      { document: verdict.document.url, format: verdict.document.format },
      "us.bis.iec: the page links the eligibility document instead of holding its table",
    );
    const document = await ctx.http.get(verdict.document.url);
    if (document.notModified) return { artifacts: [], state: ctx.state };
    return { artifacts: [{ response: document }], state: { document: verdict.document.url } };
  },
});
