// A gazette that keeps every issue online lists them on one page per year;
// a backfill reads the year pages from `since` through this year and keeps the
// issues dated in that span, oldest first.

import type { HttpClient, HttpResponse } from "@regwatch/core/http";
import type { ParseInput } from "./define-source.ts";

export interface YearArchive<T extends { date: string }> {
  /** The address of one year's page of issues. */
  yearUrl(year: number): string;
  /** The issues a year's page lists. */
  read(input: ParseInput): T[];
  /** Throws when the page is an error page answered in place of content. */
  refuse(response: HttpResponse, what: string): void;
  /** Order of issues (by date, then number). */
  compare(a: T, b: T): number;
}

/** The issues dated from `since` through `today` (ISO days), read year by year, oldest first. */
export async function issuesSince<T extends { date: string }>(
  http: HttpClient,
  archive: YearArchive<T>,
  since: string,
  today: string,
): Promise<T[]> {
  const issues: T[] = [];
  for (let year = Number(since.slice(0, 4)); year <= Number(today.slice(0, 4)); year++) {
    const page = await http.get(archive.yearUrl(year), {
      conditional: false,
      headers: { accept: "text/html" },
    });
    archive.refuse(page, `the issues of ${year}`);
    for (const issue of archive.read({ body: page.body, contentType: page.contentType, url: page.url }))
      if (issue.date >= since && issue.date <= today) issues.push(issue);
  }
  return issues.sort(archive.compare);
}
