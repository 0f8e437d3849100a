import { SourceShapeChangedError } from "@regwatch/core/errors";
import {
  CELLAR_ORIGIN,
  CONSOLIDATED_CELEX,
  compactDate,
  DUAL_USE_CELEX,
  isoDateOf,
  parseSparqlJson,
  requireVars,
} from "../cellar-acts/cellar.ts";

/** One consolidated version of Regulation (EU) 2021/821, as Cellar lists it. */
export interface Consolidation {
  /** "02021R0821-20241108". */
  celex: string;
  /** The date the version speaks as of: the CELEX's own date. */
  date: string;
}

/**
 * The consolidations probe's answer (`consolidationsQuery`) → the versions,
 * oldest first. Strict: a CELEX that is not a consolidation of 2021/821 is a
 * wrong answer, not one to skip. The date is the CELEX's (the identifier the
 * Formex is fetched by); a `cdm:act_consolidated_date` that disagrees is
 * reported, not used.
 */
export function readConsolidations(
  body: Uint8Array,
  contentType: string | null | undefined,
): { versions: Consolidation[]; warnings: string[] } {
  const what = "Cellar SPARQL answer (consolidations of 32021R0821)";
  const results = parseSparqlJson(body, contentType, what);
  requireVars(results, ["celex"], what);
  const code = DUAL_USE_CELEX.slice(1);
  const warnings: string[] = [];
  const byCelex = new Map<string, Consolidation>();
  for (const row of results.rows) {
    const celex = row.celex?.value.trim() ?? "";
    const m = CONSOLIDATED_CELEX.exec(celex);
    const date = m ? compactDate(m[2]!) : null;
    if (!m || m[1] !== code || !date)
      throw new SourceShapeChangedError(`${what}: "${celex}" is not a consolidated version of ${code}`);
    const stated = row.date ? isoDateOf(row.date.value) : null;
    if (row.date && stated !== date)
      warnings.push(`${celex}: act_consolidated_date "${row.date.value}" differs from the CELEX date`);
    byCelex.set(celex, { celex, date });
  }
  const versions = [...byCelex.values()].sort((a, b) => a.date.localeCompare(b.date));
  return { versions, warnings };
}

/** The newest version in force on `today`: a consolidation can be published ahead of its date. */
export function currentConsolidation(
  versions: readonly Consolidation[],
  today: string,
): Consolidation | null {
  return versions.filter((v) => v.date <= today).at(-1) ?? null;
}

/**
 * Where one version's Formex (fmx4) in English answers: the `consolidation/`
 * form first, then `celex/` [C: both are the SAMEAS addresses of a
 * consolidation in the real branch notice sample; I: that consolidations
 * built since about 2018 answer on the first, older ones on the second, per a
 * third-party client's measurements].
 */
export function formexUrls(version: Consolidation): string[] {
  const [act, date] = [version.celex.slice(1, 10), version.celex.slice(11)];
  return [
    `${CELLAR_ORIGIN}/resource/consolidation/${act}%2F${date}.ENG.fmx4`,
    `${CELLAR_ORIGIN}/resource/celex/${version.celex}.ENG.fmx4`,
  ];
}
