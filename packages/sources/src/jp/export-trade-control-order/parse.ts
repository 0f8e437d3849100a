import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { ParseInput } from "../../define-source.ts";
import { runSteps } from "../../steps.ts";
import { ofTheLaw, type WatchedLaw } from "../egov/law-source.ts";
import { type EgovLawSnapshot, parseEgovLawSteps } from "../egov/parse.ts";

// 1: 別表第一 of the e-Gov text, keyed by 項 (jp.egov/1 reader).
export const PARSER_VERSION = "jp.egov.export-trade-control-order/1";

/** 輸出貿易管理令 [C: law id]; its law number as the text writes it, its title and a gloss of it. */
export const EXPORT_TRADE_CONTROL_ORDER: WatchedLaw = {
  lawId: "324CO0000000378",
  lawNum: "昭和二十四年政令第三百七十八号",
  title: "輸出貿易管理令",
  titleEn: "Export Trade Control Order",
};

/** The appended table this source is: goods by 項 and the destinations they need a licence for. */
export const APPENDED_TABLE_1 = "別表第1";

/**
 * Appended Table 1 (別表第一) of the Export Trade Control Order as a list:
 * the table itself (`別表第1`), each 項 (`別表第1.1` … `別表第1.5の2` …
 * `別表第1.16`) with its own text, its numbered goods (`別表第1.2.(12)`,
 * `別表第1.2.(12).1`) and its destinations (`別表第1.16.地域`). The rest of
 * the order (its articles, the other tables) is left out: this source
 * watches what is controlled, by item.
 */
export function* parseExportTradeControlOrderSteps(input: ParseInput): Generator<void, EgovLawSnapshot> {
  const law = ofTheLaw(yield* parseEgovLawSteps(input), EXPORT_TRADE_CONTROL_ORDER);
  const ours = (key: string) => key === APPENDED_TABLE_1 || key.startsWith(`${APPENDED_TABLE_1}.`);
  const entries = law.entries.filter((e) => ours(e.key));
  if (!entries.length)
    throw new SourceShapeChangedError(`${EXPORT_TRADE_CONTROL_ORDER.title}: no 別表第一 in the e-Gov text`);
  // Warnings about the parts of the order left out are not this list's.
  const elsewhere = new Set(law.entries.filter((e) => !ours(e.key)).map((e) => e.key));
  const about = (w: string) => /^duplicate entry key ([^;]+);/.exec(w)?.[1] ?? w.split(": ")[0]!;
  return {
    ...law,
    meta: { ...law.meta, titleEn: EXPORT_TRADE_CONTROL_ORDER.titleEn },
    warnings: law.warnings.filter((w) => !elsewhere.has(about(w).replace(/#\d+$/, ""))),
    entries,
  };
}

export function parseExportTradeControlOrder(input: ParseInput): EgovLawSnapshot {
  return runSteps(parseExportTradeControlOrderSteps(input));
}
