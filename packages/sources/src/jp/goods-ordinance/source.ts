import { defineSource } from "../../define-source.ts";
import { backfillLawRevisions, fetchLawRevision, lawPageUrl } from "../egov/api.ts";
import { describeRevision, egovVersionDate } from "../egov/law-source.ts";
import type { EgovLawMeta } from "../egov/parse.ts";
import {
  GOODS_ORDINANCE as LAW,
  PARSER_VERSION,
  parseGoodsOrdinance,
  parseGoodsOrdinanceSteps,
} from "./parse.ts";

/**
 * The goods ordinance (貨物等省令), where the thresholds of each 項 of the
 * Export Trade Control Order's Appended Table 1 are, from e-Gov's law API
 * v2: each revision a version. The 2024 plurilateral controls came in here:
 * 令和六年経済産業省令第四十四号, in force 2024-09-08 (quantum computers), and
 * further items in force 2025-05-28 [C]. Endpoints and what is [C] or [I]:
 * ../egov/api.ts.
 */
export const jpEgovGoodsOrdinance = defineSource<EgovLawMeta>({
  id: "jp.egov.goods-ordinance",
  jurisdiction: "JP",
  kind: "list",
  title: "貨物等省令 (METI goods ordinance under the Export Trade Control Order, Appended Table 1)",
  publisher: "Digital Agency, e-Gov 法令検索 (law API v2); Ministry of Economy, Trade and Industry",
  officialUrl: lawPageUrl(LAW.lawId),
  // As the order: revisions appear ahead and come into force at 00:00 JST (15:00 UTC).
  schedule: "19 0,15 * * *",
  expectations: {
    // Some twenty articles whose items and sub-items run to a few thousand
    // entries: fewer than 800 means a truncated text, not a repeal.
    minEntries: 800,
    maxEntries: 30000,
    // Amendments rewrite items and add new ones (21 items on 2025-05-28);
    // deleted items stay as "削除", so removals are few.
    maxRemovedShare: 0.2,
    requiredFields: ["key"],
  },
  parserVersion: PARSER_VERSION,
  // How amending ordinances and METI notices cite it.
  citedAs: [LAW.title, LAW.lawNum, "貨物等省令"],
  parse: parseGoodsOrdinance,
  parseSteps: parseGoodsOrdinanceSteps,
  versionDate: egovVersionDate,
  describe: (snapshot, artifact) => describeRevision(snapshot, artifact, LAW),
  fetch: (ctx) => fetchLawRevision(ctx, LAW.lawId),
  backfill: (ctx, since) => backfillLawRevisions(ctx, LAW.lawId, since),
});
