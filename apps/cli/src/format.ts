import type { ChangeRecord } from "@regwatch/core/schemas";

const CSV_COLUMNS = [
  "id",
  "source",
  "jurisdiction",
  "kind",
  "subject",
  "title",
  "before",
  "after",
  "technologies",
  "countries",
  "publishedAt",
  "effectiveAt",
  "detectedAt",
  "url",
  "citation",
  "artifactSha256",
  "fetchedAt",
  "parserVersion",
  "origin",
  "alert",
] as const;

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (=, +, -, @)
 * is prefixed with an apostrophe: source text is never trusted.
 */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? "" : Array.isArray(value) ? value.join(";") : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function changesCsv(records: readonly ChangeRecord[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of records) {
    const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      ...r,
      artifactSha256: r.provenance.artifactSha256,
      fetchedAt: r.provenance.fetchedAt,
      parserVersion: r.provenance.parserVersion,
    };
    lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** Control characters out of terminal output: source text must not drive the terminal. */
export function safeLine(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "").replace(/\s+/g, " ");
}

export function changeLine(r: ChangeRecord): string {
  const date = r.effectiveAt ?? r.publishedAt ?? r.detectedAt.slice(0, 10);
  const tags = r.technologies.length ? ` [${r.technologies.join(", ")}]` : "";
  const countries = r.countries.length ? ` {${r.countries.join(", ")}}` : "";
  const cite = r.citation ? ` (${safeLine(r.citation)})` : "";
  const flag = r.origin === "regulatory" ? "" : ` <${r.origin}>`;
  return `${date}  ${r.jurisdiction}  ${r.kind.padEnd(9)} ${safeLine(r.subject)}  ${safeLine(r.title)}${cite}${tags}${countries}${flag}`;
}
