import { defineSource } from "../../define-source.ts";
import { backfillLawRevisions, fetchLawRevision, lawPageUrl } from "../egov/api.ts";
import { describeRevision, egovVersionDate } from "../egov/law-source.ts";
import type { EgovLawMeta } from "../egov/parse.ts";
import {
  EXPORT_TRADE_CONTROL_ORDER as LAW,
  PARSER_VERSION,
  parseExportTradeControlOrder,
  parseExportTradeControlOrderSteps,
} from "./parse.ts";

/**
 * Appended Table 1 of the Export Trade Control Order (輸出貿易管理令 別表第一),
 * from e-Gov's law API v2: each revision of the order is a version of the
 * table (an amendment of another part of the order gives no records).
 * Endpoints and what is [C] or [I]: ../egov/api.ts.
 */
export const jpEgovExportTradeControlOrder = defineSource<EgovLawMeta>({
  id: "jp.egov.export-trade-control-order",
  jurisdiction: "JP",
  kind: "list",
  title: "輸出貿易管理令 別表第一 (Export Trade Control Order, Appended Table 1)",
  publisher: "Digital Agency, e-Gov 法令検索 (law API v2); Ministry of Economy, Trade and Industry",
  officialUrl: lawPageUrl(LAW.lawId),
  // e-Gov publishes revisions ahead of their enforcement day and updates on
  // business days (JST); twice a day catches a revision coming into force
  // (00:00 JST is 15:00 UTC) on its first morning.
  schedule: "17 0,15 * * *",
  expectations: {
    // Sixteen 項 and a few hundred numbered goods in them, with their
    // destinations: fewer than 100 entries means a truncated table.
    minEntries: 100,
    maxEntries: 3000,
    // Cabinet-order amendments replace a 項's wording or add goods; a
    // quarter of the table gone at once is a broken read, not an amendment.
    maxRemovedShare: 0.25,
    requiredFields: ["key"],
  },
  parserVersion: PARSER_VERSION,
  // How amending instruments and METI notices cite the order.
  citedAs: [LAW.title, LAW.lawNum, "輸出令"],
  parse: parseExportTradeControlOrder,
  parseSteps: parseExportTradeControlOrderSteps,
  versionDate: egovVersionDate,
  describe: (snapshot, artifact) => describeRevision(snapshot, artifact, LAW),
  fetch: (ctx) => fetchLawRevision(ctx, LAW.lawId),
  backfill: (ctx, since) => backfillLawRevisions(ctx, LAW.lawId, since),
});
