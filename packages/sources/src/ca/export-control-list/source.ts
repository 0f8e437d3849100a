import { defineSource } from "../../define-source.ts";
import {
  type EclMeta,
  PARSER_VERSION,
  parseExportControlList,
  parseExportControlListSteps,
} from "./parse.ts";

export const EXPORT_CONTROL_LIST_URL = "https://laws-lois.justice.gc.ca/eng/XML/SOR-89-202.xml";

export const caExportControlList = defineSource<EclMeta>({
  id: "ca.export-control-list",
  jurisdiction: "CA",
  kind: "list",
  title: "Export Control List (SOR/89-202)",
  publisher: "Department of Justice Canada (Justice Laws)",
  officialUrl: "https://laws-lois.justice.gc.ca/eng/regulations/SOR-89-202/",
  // Justice Laws republishes consolidations on business days; twice a day catches one within hours.
  schedule: "17 6,18 * * *",
  // How the Canada Gazette's regulations cite it (ca.gazette.part-ii puts it in
  // `cfrReferences`): a consolidation that names no amendment links to the one in force that day.
  citedAs: ["SOR/89-202"],
  expectations: {
    // 2021–2025 consolidations hold 193–332 entries; far fewer means a broken page, not a repeal.
    minEntries: 120,
    maxEntries: 3000,
    // No consolidation so far removed more than a handful of provisions.
    maxRemovedShare: 0.2,
    requiredFields: ["key"],
  },
  parserVersion: PARSER_VERSION,
  parse: parseExportControlList,
  parseSteps: parseExportControlListSteps,
  // The consolidation's point in time (`lims:pit-date`): the date the text is
  // the law as of. Its "current to" date moves with every republication, even
  // of the same text, so it does not order versions.
  versionDate: (snapshot) => snapshot.meta.pointInTime ?? snapshot.meta.lastAmended ?? null,
  describe(snapshot) {
    const { meta } = snapshot;
    const amendments = meta.recentAmendments ?? [];
    // The amendment that brought the text to this point in time, when the consolidation names it.
    const latest = amendments.find((a) => a.date === meta.lastAmended) ?? null;
    return {
      publishedAt: meta.currentTo ?? null,
      effectiveAt: meta.lastAmended ?? null,
      citation: latest?.citation ?? null,
      citationsByDate: Object.fromEntries(amendments.map((a) => [a.date, a.citation])),
      url: "https://laws-lois.justice.gc.ca/eng/regulations/SOR-89-202/FullText.html",
    };
  },
  async fetch(ctx) {
    // Justice Laws publishes only the current consolidation as XML: one
    // conditional GET, and a 304 means nothing to do.
    const response = await ctx.http.get(EXPORT_CONTROL_LIST_URL);
    return { artifacts: response.notModified ? [] : [{ response }], state: ctx.state };
  },
});
