import { auFrlDsgl } from "./au/dsgl/source.ts";
import { caExportControlList } from "./ca/export-control-list/source.ts";
import { caGazettePartII } from "./ca/gazette/source.ts";
import type { SourceDefinition } from "./define-source.ts";
import { esBoeExportControl } from "./es/boe/source.ts";
import { euCellarAnnexI } from "./eu/annex-i/source.ts";
import { euCellarAmendingActs } from "./eu/cellar-acts/source.ts";
import { fiFinlexExportControl } from "./fi/finlex/source.ts";
import { frJorfExportControl } from "./fr/jorf/source.ts";
import { gbEcoSchedules } from "./gb/eco-schedules/source.ts";
import { gbEcoAmendments } from "./gb/legislation-effects/source.ts";
import { gbNoticesToExporters } from "./gb/notices-to-exporters/source.ts";
import { itGazzettaExportControl } from "./it/gazzetta/source.ts";
import { itNormattivaExportControl } from "./it/normattiva/source.ts";
import { itUamaNationalList } from "./it/uama/source.ts";
import { jpEgovExportTradeControlOrder } from "./jp/export-trade-control-order/source.ts";
import { jpEgovGoodsOrdinance } from "./jp/goods-ordinance/source.ts";
import { nlBwbStrategicGoods } from "./nl/bwb/source.ts";
import { nlStaatscourantExportControl } from "./nl/staatscourant/source.ts";
import { noLovdataExportControlRegulation } from "./no/export-control-regulation/source.ts";
import { noLovdataExportControl } from "./no/lovdata/source.ts";
import { usBisIec } from "./us/bis-iec/source.ts";
import { usEcfrCcl } from "./us/ecfr-ccl/source.ts";
import { usFederalRegister } from "./us/federal-register/source.ts";
import { waWassenaarLists } from "./wa/source.ts";

/**
 * Every source regwatch runs, listed explicitly: nothing is discovered by file
 * name. Within a jurisdiction the instruments come before the lists they
 * amend, so a run of everything links a list change to its instrument.
 */
export const SOURCES: readonly SourceDefinition[] = [
  usFederalRegister,
  usEcfrCcl,
  usBisIec,
  caGazettePartII,
  caExportControlList,
  euCellarAmendingActs,
  euCellarAnnexI,
  gbEcoAmendments,
  gbEcoSchedules,
  gbNoticesToExporters,
  frJorfExportControl,
  itNormattivaExportControl,
  itGazzettaExportControl,
  itUamaNationalList,
  esBoeExportControl,
  nlStaatscourantExportControl,
  nlBwbStrategicGoods,
  fiFinlexExportControl,
  noLovdataExportControl,
  noLovdataExportControlRegulation,
  auFrlDsgl,
  jpEgovExportTradeControlOrder,
  jpEgovGoodsOrdinance,
  waWassenaarLists,
];

export function findSource(id: string): SourceDefinition | undefined {
  return SOURCES.find((s) => s.id === id);
}
