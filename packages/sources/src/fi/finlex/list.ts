// The open data API's statute list: the cheap probe before any statute is
// downloaded. [I: the shape is from third-party clients' observations of the
// live API, not a sample in ../shared/samples] A page is a bare JSON array
// (no envelope, no total) of `{ "akn_uri": "https://opendata.finlex.fi/…/akn/fi/act/statute/2025/51/fin@", "status": "NEW" }`,
// `status` being NEW or MODIFIED; a page shorter than the limit is the last.

import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";

/** One statute expression the list names. */
export interface ListedStatute {
  /** `statute` (the Statute Book original) or `statute-consolidated`. */
  docType: string;
  year: number;
  number: number;
  /** ISO 639-3 as in the URI: `fin`, `swe`. */
  language: string;
  /** The temporal version after `@` (empty for the original text). */
  version: string;
  /** NEW or MODIFIED, as the list says; kept as given, compared for change. */
  status: string;
  uri: string;
}

const AKN_URI = /\/akn\/fi\/act\/([a-z-]+)\/(\d{4})\/(\d{1,4})\/([a-z]{3})@(\d*)$/;

/** A list page → its statutes. Strict: anything but an array of `{akn_uri, status}` is a changed API. */
export function parseStatuteList(body: Uint8Array, where = "Finlex statute list"): ListedStatute[] {
  const { text } = decodeText(body, "application/json; charset=utf-8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SourceShapeChangedError(`${where}: not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed))
    throw new SourceShapeChangedError(`${where}: expected a JSON array of statutes, got ${typeof parsed}`);
  return parsed.map((item, i) => {
    const { akn_uri: uri, status } = (item ?? {}) as { akn_uri?: unknown; status?: unknown };
    if (typeof uri !== "string" || typeof status !== "string" || !status)
      throw new SourceShapeChangedError(`${where}: item ${i} has no akn_uri and status strings`);
    const m = AKN_URI.exec(uri);
    if (!m) throw new SourceShapeChangedError(`${where}: item ${i} akn_uri "${uri}" is not a Finnish act's`);
    return {
      docType: m[1]!,
      year: Number(m[2]),
      number: Number(m[3]),
      language: m[4]!,
      version: m[5]!,
      status,
      uri,
    };
  });
}
