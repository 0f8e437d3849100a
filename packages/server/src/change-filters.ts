// The filters of the changes views (page, CSV, Atom, API) read from a URL's
// query, in one place, so a bookmarked view, its CSV and its feed agree.
// Each error names the parameter, for a 400 the caller can act on.

import { isCountryCode } from "@regwatch/core/countries";
import { JURISDICTION_CODES } from "@regwatch/core/jurisdictions";
import { changeKindSchema } from "@regwatch/core/schemas";
import { TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import type { ChangeDateField, ChangeSearch } from "@regwatch/db/queries/change-search";

export class FilterError extends Error {
  override name = "FilterError";
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

// A bookmarkable view names a few values per filter; more is a script.
const MAX_VALUES = 50;
const MAX_QUERY_LENGTH = 200;
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_FIELDS: readonly ChangeDateField[] = ["detected", "published", "effective"];

/** `?technology=quantum&technology=x` or `?technology=quantum,x`: trimmed, deduplicated. */
function list(params: URLSearchParams, name: string): string[] {
  const values = [
    ...new Set(
      params
        .getAll(name)
        .flatMap((v) => v.split(","))
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
  if (values.length > MAX_VALUES) throw new FilterError(name, `${name}: at most ${MAX_VALUES} values`);
  return values;
}

function oneOf(
  params: URLSearchParams,
  name: string,
  known: readonly string[],
  normalize: (v: string) => string,
) {
  const values = list(params, name).map(normalize);
  for (const v of values) {
    if (!known.includes(v)) {
      const shown = v.length > 40 ? `${v.slice(0, 40)}…` : v;
      throw new FilterError(
        name,
        `${name}: unknown value ${JSON.stringify(shown)} (known: ${known.join(", ")})`,
      );
    }
  }
  return values;
}

function date(params: URLSearchParams, name: string): string | null {
  const value = params.get(name)?.trim();
  if (!value) return null;
  if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new FilterError(name, `${name}: expected a date as YYYY-MM-DD`);
  return value;
}

/** The search a URL's query asks for; `sourceIds` are the registered sources. */
export function parseChangeFilters(
  params: URLSearchParams,
  known: { sourceIds: readonly string[] },
): Omit<ChangeSearch, "limit" | "cursor"> {
  const countries = list(params, "country").map((c) => c.toUpperCase());
  for (const c of countries) {
    if (!isCountryCode(c))
      throw new FilterError(
        "country",
        `country: ${JSON.stringify(c.slice(0, 10))} is not an ISO 3166-1 alpha-2 code`,
      );
  }
  const q = params.get("q")?.trim() ?? "";
  if (q.length > MAX_QUERY_LENGTH) throw new FilterError("q", `q: at most ${MAX_QUERY_LENGTH} characters`);
  const dateField = params.get("date")?.trim() || "detected";
  if (!(DATE_FIELDS as readonly string[]).includes(dateField))
    throw new FilterError("date", `date: expected ${DATE_FIELDS.join(", ")}`);
  const from = date(params, "from");
  const to = date(params, "to");
  if (from && to && from > to) throw new FilterError("from", "from: after to");
  return {
    technologies: oneOf(params, "technology", TECHNOLOGY_IDS, (v) => v.toLowerCase()),
    jurisdictions: oneOf(params, "jurisdiction", JURISDICTION_CODES, (v) => v.toUpperCase()),
    countries,
    sources: oneOf(params, "source", known.sourceIds, (v) => v.toLowerCase()),
    kinds: oneOf(params, "kind", changeKindSchema.options, (v) => v.toLowerCase()),
    from,
    to,
    dateField: dateField as ChangeDateField,
    q: q || null,
  };
}

/** `?limit=` for the API: 1–500, 50 when absent. */
export function parseLimit(params: URLSearchParams): number {
  const raw = params.get("limit");
  if (raw === null || raw === "") return DEFAULT_PAGE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw new FilterError("limit", `limit: an integer from 1 to ${MAX_PAGE}`);
  return n;
}
