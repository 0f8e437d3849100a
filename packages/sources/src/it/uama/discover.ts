// Finding the national control list's page again when its address changes:
// which links of a UAMA section page lead to it, and whether a page is it.
// Pure: the requests are made by `source.ts`.

import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import { load } from "cheerio";
import type { ParseInput } from "../../define-source.ts";
import { parseUamaPage } from "./parse.ts";

/** A link of a section page: where it goes and the words a reader sees (text and `title`). */
export interface SectionLink {
  url: string;
  text: string;
}

export interface SectionLinks {
  /** Links whose words name the list ("elenco nazionale di controllo", "1325/BIS/371"), best first. */
  list: SectionLink[];
  /** Other pages of the section that may hold such a link (normativa, dual use), in page order. */
  section: SectionLink[];
}

/** Lower case, accents removed, spaces collapsed and none around slashes ("1325 / BIS / 371"). */
const fold = (s: string) =>
  normalizeText(s)
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/\s*\/\s*/g, "/");

const NAMES_LIST = /elenco nazionale di controllo/;
const NAMES_DECREE = /1325\/bis\/371/;
// Pages of the section where the list is linked from: its rules, dual-use pages, lists.
const NAMES_SECTION = /normativ|duplice uso|dual[- ]?use|elench|elenco/;
// Files, mail and script links are never the page: a link named after the decree is often its signed PDF.
const NOT_A_PAGE = /\.(?:pdf|docx?|xlsx?|zip|p7m)(?:$|[?#])|^(?:mailto|tel|javascript):/i;

/**
 * The links of a UAMA section page (HTML) that can lead to the list's page:
 * links on the same host whose words name the list or its founding decree,
 * and links to other section pages worth reading for one. Navigation is
 * included on purpose (the list may be linked only from a menu); files
 * (the decree's PDF), other hosts and links back to the page itself are not.
 */
export function sectionLinks(input: ParseInput & { url: string }): SectionLinks {
  const { text } = decodeText(input.body, input.contentType ?? "text/html; charset=utf-8");
  const $ = load(text);
  $("script, style, noscript, template").remove();
  const here = new URL(input.url);
  const list: (SectionLink & { rank: number })[] = [];
  const section: SectionLink[] = [];
  const seen = new Set<string>([here.href.replace(/#.*$/, "")]);
  $("a[href]").each((_, a) => {
    const href = ($(a).attr("href") ?? "").trim();
    if (!href || href.startsWith("#") || NOT_A_PAGE.test(href)) return;
    let url: URL;
    try {
      url = new URL(href, here);
    } catch {
      return;
    }
    url.hash = "";
    if (url.host !== here.host || !/^https?:$/.test(url.protocol) || NOT_A_PAGE.test(url.pathname)) return;
    if (seen.has(url.href)) return;
    const words = normalizeText(`${$(a).text()} ${$(a).attr("title") ?? ""}`);
    const folded = fold(words);
    const namesList = NAMES_LIST.test(folded);
    if (namesList || NAMES_DECREE.test(folded)) {
      seen.add(url.href);
      // A link naming the list itself before one naming only the decree (a news item about it).
      list.push({ url: url.href, text: words, rank: namesList ? 0 : 1 });
    } else if (NAMES_SECTION.test(folded)) {
      seen.add(url.href);
      section.push({ url: url.href, text: words });
    }
  });
  list.sort((a, b) => a.rank - b.rank);
  return { list: list.map(({ url, text }) => ({ url, text })), section };
}

/** Whether a fetched page is the list's page; why not, in words an operator can act on. */
export type ListPageVerdict = { ok: true } | { ok: false; reason: string };

/**
 * A page is the list's page when it parses as one (exactly one content region
 * holding Allegato items, see `parseUamaPage`) and its title or its text names
 * the list: "Elenco nazionale di controllo", "duplice uso", or the founding
 * decree 1325/BIS/371. A page of items under another title (a different list
 * of the ministry) is not taken for it.
 */
export function listPageVerdict(input: ParseInput): ListPageVerdict {
  let snapshot: ReturnType<typeof parseUamaPage>;
  try {
    snapshot = parseUamaPage(input);
  } catch (err) {
    if (err instanceof SourceShapeChangedError) return { ok: false, reason: shortReason(err.message, input) };
    throw err;
  }
  const title = snapshot.meta.title ?? "";
  const folded = fold(title);
  const named =
    /elenco nazionale|duplice uso|dual[- ]?use/.test(folded) ||
    snapshot.meta.decrees.some((d) => d.number === "1325/BIS/371");
  if (!named)
    return {
      ok: false,
      reason: `its title "${title || "(none)"}" is not the national control list's, and it names no Decreto 1325/BIS/371`,
    };
  return { ok: true };
}

/** The parser's message without the page address it starts with (the caller names the page). */
function shortReason(message: string, input: ParseInput): string {
  const prefix = `${input.url ?? "UAMA page"}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}
