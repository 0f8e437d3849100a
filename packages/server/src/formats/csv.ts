import { describeChange, safeLink } from "@regwatch/alerts/messages/alert";
import type { ChangeRecord } from "@regwatch/core/schemas";

/** A value of one CSV field: text, a number, or nothing (an empty field). */
export type CsvValue = string | number | null | undefined;

// C0 controls other than tab, CR and LF, DEL, C1 controls, and the bidi
// embeddings, overrides, isolates and marks: source text is hostile, and these
// can forge what a reader sees in a cell (a reversed ECCN, a hidden word).
const UNSAFE_TEXT =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

// OWASP "CSV Injection": Excel, LibreOffice and Google Sheets run a cell that
// starts with one of these as a formula (or, for tab and CR, skip to the next
// character and run that).
const FORMULA_START = /^[=+\-@\t\r]/;

// RFC 4180 quotes fields holding the separator, a quote or a line break; we
// also quote leading or trailing space, which some readers trim otherwise.
const NEEDS_QUOTES = /[",\r\n]|^[ \t]|[ \t]$/;

/**
 * One field as written. Text is cleaned of unsafe characters and, when it
 * would start a formula, prefixed with `'` so spreadsheets show it as text
 * (the prefix is visible to readers that are not spreadsheets: that is the
 * OWASP trade-off). A finite number is written as JavaScript prints it and is
 * never prefixed: `-5` passed as a number stays `-5`, while the string "-5"
 * becomes `'-5`, since a string is untrusted text whatever it looks like.
 */
function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  let text: string;
  if (typeof value === "number" && Number.isFinite(value)) {
    text = String(value);
  } else {
    // NaN and ±Infinity are not data a spreadsheet can read: written as text.
    text = String(value).replace(UNSAFE_TEXT, "");
    if (FORMULA_START.test(text)) text = `'${text}`;
  }
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One RFC 4180 record, ending in CRLF. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

/** The columns of a change export, in order; names are stable for spreadsheets and scripts that read them. */
export const CHANGE_CSV_COLUMNS = [
  "id",
  "detected_at",
  "published_at",
  "effective_at",
  "jurisdiction",
  "source",
  "kind",
  "subject",
  "title",
  "summary",
  "technologies",
  "countries",
  "citation",
  "official_url",
  "regwatch_url",
  "artifact_sha256",
  "parser_version",
] as const;

export type ChangeCsvColumn = (typeof CHANGE_CSV_COLUMNS)[number];

/** One change as a CSV record, in the order of `CHANGE_CSV_COLUMNS`. */
export function changeCsvRow(c: ChangeRecord, changeUrl: string): string {
  const fields: Record<ChangeCsvColumn, CsvValue> = {
    id: c.id,
    detected_at: c.detectedAt,
    published_at: c.publishedAt,
    effective_at: c.effectiveAt,
    jurisdiction: c.jurisdiction,
    source: c.source,
    kind: c.kind,
    subject: c.subject,
    title: c.title,
    summary: describeChange(c),
    // `;` inside one field: the lists stay in one cell and a comma stays a column separator.
    technologies: c.technologies.join(";"),
    countries: c.countries.join(";"),
    citation: c.citation,
    // Only http(s) links: a `javascript:` URL must not become a clickable cell.
    official_url: safeLink(c.url),
    regwatch_url: changeUrl,
    artifact_sha256: c.provenance.artifactSha256,
    parser_version: c.provenance.parserVersion,
  };
  return csvRow(CHANGE_CSV_COLUMNS.map((column) => fields[column]));
}

export interface ChangesCsvOptions {
  /** Start with U+FEFF: Excel reads a CSV without it in the legacy code page and garbles non-ASCII text. */
  bom?: boolean;
}

/** A header row, then one record per change, in the order given. */
export function changesCsv(
  changes: readonly ChangeRecord[],
  changeUrl: (id: string) => string,
  options: ChangesCsvOptions = {},
): string {
  const rows = [csvRow(CHANGE_CSV_COLUMNS), ...changes.map((c) => changeCsvRow(c, changeUrl(c.id)))];
  return (options.bom ? "\ufeff" : "") + rows.join("");
}
