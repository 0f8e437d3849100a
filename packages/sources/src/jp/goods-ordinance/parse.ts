import type { ParseInput } from "../../define-source.ts";
import { runSteps } from "../../steps.ts";
import { ofTheLaw, type WatchedLaw } from "../egov/law-source.ts";
import { type EgovLawSnapshot, parseEgovLawSteps } from "../egov/parse.ts";

// 1: the whole e-Gov text of the ordinance, keyed by 条/項/号/イロハ (jp.egov/1 reader).
export const PARSER_VERSION = "jp.egov.goods-ordinance/1";

/**
 * 貨物等省令 [C: law id]. Its title and number are read from e-Gov's text of it
 * [I: the law id encodes 平成三年 and 第四十九号 of a ministerial ordinance,
 * of the then 通商産業省]. The English name is METI's usual gloss.
 */
export const GOODS_ORDINANCE: WatchedLaw = {
  lawId: "403M50000400049",
  lawNum: "平成三年通商産業省令第四十九号",
  title: "輸出貿易管理令別表第一及び外国為替令別表の規定に基づき貨物又は技術を定める省令",
  titleEn:
    "Ministerial Ordinance Specifying Goods and Technologies Pursuant to the Provisions of Appended Table 1 of the Export Trade Control Order and the Appended Table of the Foreign Exchange Order",
};

/**
 * The goods ordinance (貨物等省令) as a list: its articles, one per 項 of the
 * order's Appended Table 1 (第一条 for the 2の項 … 第七条 for the 8の項 …) and
 * of the Foreign Exchange Order's table, down to each threshold:
 * `art7` (第七条), `art7.1` (its paragraph), `art7.1.6` (第六号),
 * `art7.1.6.イ`, `art7.1.6.イ.(1)` (（一）), `….(1).1` (１), `….(1).1.1`
 * (一); and its appended tables if it has any. Numbers are Arabic in keys
 * whatever the text writes; `data.label` keeps the label as written.
 */
export function* parseGoodsOrdinanceSteps(input: ParseInput): Generator<void, EgovLawSnapshot> {
  const law = ofTheLaw(yield* parseEgovLawSteps(input), GOODS_ORDINANCE);
  return { ...law, meta: { ...law.meta, titleEn: GOODS_ORDINANCE.titleEn } };
}

export function parseGoodsOrdinance(input: ParseInput): EgovLawSnapshot {
  return runSteps(parseGoodsOrdinanceSteps(input));
}
