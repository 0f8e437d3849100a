// The Wassenaar Arrangement's control-lists page: which of its links is the
// newest "List of Dual-Use Goods and Technologies and Munitions List" PDF.
// Pure: the requests are made by `source.ts`.

import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import { load } from "cheerio";
import type { ParseInput } from "../define-source.ts";

/** A link to one edition of the list, with what its words and address say about which it is. */
export interface ListLink {
  url: string;
  text: string;
  /** "WA-LIST (24) 1" when the link's words or file name carry it. */
  designation: string | null;
  /** The list's year: from its designation, else a year in the link's words or file name. */
  year: number | null;
  corrigendum: boolean;
  /** The WordPress upload folder ("/app/uploads/2024/12/"), YYYY-MM. */
  uploaded: string | null;
}

const DESIGNATION = /WA[-\s]?LIST\s*\(\s*(\d{2})\s*\)\s*(\d{1,2})(\s*Corr)?/i;
// The PDFs are named after the list [I: "List-of-Dual-Use-Goods-and-Technologies-and-ML-2025.pdf",
// "…-Munitions-List-2023-1.pdf", "…-Munitions-List-Dec-2022.pdf", "WA-LIST-14-2.pdf" in links that cite them].
const NAMES_LIST = /list[-_\s]+of[-_\s]+dual[-_\s]*use|wa[-_\s]?list/i;
const PDF = /\.pdf(?:$|[?#])/i;
const YEAR = /(?:^|[^\d])(20\d{2})(?!\d)/g;
const UPLOADED = /\/uploads\/(20\d{2})\/(\d{2})\//;

function yearOf(words: string): number | null {
  const years = [...words.matchAll(YEAR)].map((m) => Number(m[1]));
  return years.length ? Math.max(...years) : null;
}

function describeLink(url: URL, text: string): ListLink {
  const file = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf("/") + 1));
  const words = `${text} ${file.replace(/\.pdf$/i, "")}`;
  const d = DESIGNATION.exec(text) ?? DESIGNATION.exec(file.replace(/-/g, " "));
  const up = UPLOADED.exec(url.pathname);
  return {
    url: url.href,
    text,
    designation: d ? `WA-LIST (${d[1]}) ${d[2]}${d[3] ? " Corr." : ""}` : null,
    year: d ? 2000 + Number(d[1]) : yearOf(words),
    corrigendum: Boolean(d?.[3]) || /(?:^|[^a-z])corr(?:ected|igendum|\.)?(?:[^a-z]|$)/i.test(words),
    uploaded: up ? `${up[1]}-${up[2]}` : null,
  };
}

/** Newest first: the list's year, a corrected edition over the original, the later upload. */
function newer(a: ListLink, b: ListLink): number {
  return (
    (b.year ?? 0) - (a.year ?? 0) ||
    Number(b.corrigendum) - Number(a.corrigendum) ||
    (b.uploaded ?? "").localeCompare(a.uploaded ?? "")
  );
}

/**
 * Every link of the page to a PDF of the list (by its words or file name),
 * newest first. A page that is not HTML, or links no such PDF, is refused: a
 * redesign or an error page must not read as "no list".
 */
export function listLinks(input: ParseInput & { url: string }): ListLink[] {
  const { text } = decodeText(input.body, input.contentType ?? "text/html; charset=utf-8");
  if (!/<html[\s>]|<!doctype html/i.test(text.slice(0, 2048)))
    throw new SourceShapeChangedError(`${input.url}: the control-lists page is not HTML`);
  const $ = load(text);
  $("script, style, noscript, template").remove();
  const base = new URL(input.url);
  const found = new Map<string, ListLink>();
  $("a[href]").each((_, a) => {
    const href = ($(a).attr("href") ?? "").trim();
    if (!PDF.test(href)) return;
    let url: URL;
    try {
      url = new URL(href, base);
    } catch {
      return;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return;
    url.hash = "";
    const words = normalizeText(`${$(a).text()} ${$(a).attr("title") ?? ""}`);
    if (!NAMES_LIST.test(words) && !NAMES_LIST.test(decodeURIComponent(url.pathname))) return;
    if (!found.has(url.href)) found.set(url.href, describeLink(url, words));
  });
  const links = [...found.values()].sort(newer);
  if (!links.length)
    throw new SourceShapeChangedError(
      `${input.url}: no link to a "List of Dual-Use Goods and Technologies and Munitions List" PDF on the control-lists page`,
    );
  return links;
}
