import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { RecordDefaults } from "../../define-source.ts";
import { lawPageUrl } from "./api.ts";
import type { EgovLawMeta, EgovLawSnapshot } from "./parse.ts";

/** The law a source watches, as e-Gov identifies it and as instruments cite it. */
export interface WatchedLaw {
  /** e-Gov law id [C]: 324CO0000000378. */
  lawId: string;
  /** The law number as the law writes it: 昭和二十四年政令第三百七十八号. */
  lawNum: string;
  title: string;
  /** A gloss of the known name, never a translation of the text. */
  titleEn: string;
}

/**
 * The snapshot, refused unless it is a text of the law the source watches:
 * the law id of the answer when it names one, else the law number the text
 * carries (a bare `<Law>`, as a law file or a recorded document has).
 */
export function ofTheLaw<S extends EgovLawSnapshot>(snapshot: S, law: WatchedLaw): S {
  const { lawId, lawNum, lawTitle } = snapshot.meta;
  if (lawId ? lawId !== law.lawId : lawNum !== law.lawNum)
    throw new SourceShapeChangedError(
      `expected e-Gov XML of ${law.title} (${law.lawId}), found ${lawTitle ?? "a law"} (${lawId ?? lawNum})`,
    );
  return snapshot;
}

/** The version a text is: the revision's enforcement date, or the date the fetch asked for. */
export const egovVersionDate = (snapshot: { meta: EgovLawMeta }, artifact: { asOf: string | null }) =>
  snapshot.meta.versionDate ?? artifact.asOf ?? null;

/**
 * Dates, citation and page of a revision's records: in force on its
 * enforcement date, published on the amending law's promulgation, cited by
 * the amending law's number (令和六年経済産業省令第四十四号); the law's own
 * number and promulgation for its original text.
 */
export function describeRevision(
  snapshot: { meta: EgovLawMeta },
  artifact: { asOf: string | null },
  law: WatchedLaw,
): RecordDefaults {
  const { revision, promulgationDate, lawNum } = snapshot.meta;
  const amended = !!revision?.amendmentLawNum;
  return {
    publishedAt: amended ? (revision?.promulgateDate ?? null) : (promulgationDate ?? null),
    effectiveAt: egovVersionDate(snapshot, artifact),
    citation: revision?.amendmentLawNum ?? (revision ? lawNum : null),
    url: lawPageUrl(snapshot.meta.lawId ?? law.lawId),
  };
}
