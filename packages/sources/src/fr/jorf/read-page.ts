// A Légifrance page of a JORF text (`/jorf/id/JORFTEXT…`, or its ELI
// `/eli/arrete/2024/2/2/ECOI2401482A/jo/texte` [C, SOURCES.md]) as the
// browser renders it. Légifrance answers plain HTTP clients with a
// challenge, so these pages come from the browser's serialization: a whole
// document, every element closed.
//
// The page's structure is [I]: no real page is in the samples. Every
// selector is in PAGE_SELECTORS, so a real page can correct them in one place.

import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { CheerioAPI } from "cheerio/slim";
import { parseFrenchDate } from "./french-dates.ts";
import { blockText, clean, loadPage } from "./html-text.ts";
import {
  JORFTEXT_PATTERN,
  type JorfArticle,
  type JorfLink,
  type JorfText,
  LEGIFRANCE_ORIGIN,
  NOR_PATTERN,
} from "./jorf-text.ts";

/** Where each part of the text stands on the page [I]. Anything outside `main` is page chrome. */
export const PAGE_SELECTORS = {
  main: "main",
  title: "h1.main-title",
  /** "JORF n°0034 du 10 février 2024", then "Texte n° …" on a line of its own. */
  joReference: ".jo-reference",
  /** One line each: "NOR : ECOI2401482A", "ELI : https://…/jo/texte". */
  informations: ".list-informations li",
  canonical: 'link[rel="canonical"]',
  visas: ".visa",
  article: "article",
  articleName: ".name-article",
  articleContent: ".content",
  signature: ".signature",
  /** Headings of the blocks listing the texts that modify this one (matched on their text). */
  linkHeadings: "h2, h3, h4, h5",
} as const;

/** What the browser is shown instead of the text when it has not passed the publisher's bot check [I]. */
const CHALLENGE_SOURCES =
  /captcha-delivery\.com|challenges\.cloudflare\.com|\/cdn-cgi\/challenge-platform|hcaptcha\.com|\/recaptcha\//i;
const CHALLENGE_WORDS =
  /captcha|challenge|just a moment|attention required|v[ée]rification de s[ée]curit[ée]|pas un robot|[êe]tes un humain|access denied|acc[èe]s refus[ée]/i;

/**
 * Why this HTML is a challenge page and not a text ("captcha", "a challenge
 * script"), or null. A page that has the text's title is a text, whatever
 * words its articles use.
 */
export function challengeReason(html: string, loaded?: CheerioAPI): string | null {
  const $ = loaded ?? loadPage(html);
  if ($(PAGE_SELECTORS.title).length) return null;
  const sources = $("script[src], iframe[src]")
    .map((_, el) => $(el).attr("src") ?? "")
    .get()
    .join(" ");
  if (CHALLENGE_SOURCES.test(sources)) return "a challenge script";
  const words = CHALLENGE_WORDS.exec(`${$("title").text()}\n${blockText($("body").toArray())}`);
  return words ? `"${words[0]}"` : null;
}

const JO_REFERENCE = /^JORF n° ?(\d{1,4}) du ((?:1er|\d{1,2}) \p{L}+ \d{4})/u;
const INFO = /^(NOR|ELI) ?: ?(\S+)$/;
const ARTICLE_NAME = /^Article (?:1er|premier|\d+(?:-\d+)*)(?: (?:bis|ter|quater|quinquies))?$/;
const ANNEX_NAME = /^Annexes?\b/;
const LINK_HEADING = /^(?:Modifié par|Textes? modificateurs?|Versions?)\b/i;
const ELI_PATH = /^\/eli\/[a-z]+\/\d{4}\/\d{1,2}\/\d{1,2}\/([A-Z]{4}\d{7}[A-Z])\/jo\/texte$/;
const JORF_PATH = /^\/jorf\/id\/(JORFTEXT\d{12})$/;

/** A Légifrance address of a JORF text → its JORFTEXT id or NOR; any other address → null. */
export function jorfLink(href: string, title: string): JorfLink | null {
  let url: URL;
  try {
    url = new URL(href, LEGIFRANCE_ORIGIN);
  } catch {
    return null;
  }
  if (url.origin !== LEGIFRANCE_ORIGIN) return null;
  const path = url.pathname.replace(/\/$/, "");
  const cid = JORF_PATH.exec(path)?.[1] ?? null;
  const nor = ELI_PATH.exec(path)?.[1] ?? null;
  if (!cid && !nor) return null;
  return { url: `${LEGIFRANCE_ORIGIN}${path}`, cid, nor, title: clean(title) };
}

const fail = (fileName: string, what: string) => new SourceShapeChangedError(`${fileName}: ${what}`);

/**
 * A rendered page → the text it shows. Strict: a body cut short (no closing
 * `</html>`), a challenge page, no title or two, no JORF reference or a date
 * the calendar does not have, no NOR or two, an article without its heading
 * or its text: each is an error, never a partial document.
 */
export function readJorfPage(html: string, fileName: string): JorfText {
  if (!/<\/html>\s*$/i.test(html)) throw fail(fileName, "the page is cut short (no closing </html>)");
  const $ = loadPage(html);
  const titles = $(PAGE_SELECTORS.title);
  if (titles.length === 0) {
    const reason = challengeReason(html, $);
    if (reason)
      throw new SourceShapeChangedError(
        `${fileName}: a challenge page (${reason}) that the browser could not pass, not a Légifrance text; no document`,
      );
    throw fail(fileName, `no ${PAGE_SELECTORS.title}: not a Légifrance text page`);
  }
  if (titles.length > 1) throw fail(fileName, `${titles.length} ${PAGE_SELECTORS.title}, expected one`);
  const title = clean(titles.text());
  if (!title) throw fail(fileName, "the title is empty");

  const mains = $(PAGE_SELECTORS.main);
  if (mains.length !== 1) throw fail(fileName, `${mains.length} <main>, expected one`);
  const main = mains.first();
  const one = (selector: string, what: string) => {
    const found = main.find(selector);
    if (found.length !== 1) throw fail(fileName, `${found.length} ${what} (${selector}), expected one`);
    return found;
  };

  const reference = blockText(one(PAGE_SELECTORS.joReference, "JORF references").toArray()).split("\n")[0]!;
  const jo = JO_REFERENCE.exec(reference);
  if (!jo) throw fail(fileName, `"${reference}" is not "JORF n°… du <date>"`);
  const date = parseFrenchDate(jo[2]!);
  if (!date) throw fail(fileName, `"${jo[2]}" in the JORF reference is not a valid French date`);

  const info: { NOR: string[]; ELI: string[] } = { NOR: [], ELI: [] };
  main.find(PAGE_SELECTORS.informations).each((_, li) => {
    const m = INFO.exec(clean($(li).text()));
    if (m) info[m[1] as "NOR" | "ELI"].push(m[2]!);
  });
  const nors = [...new Set(info.NOR)];
  if (nors.length !== 1) throw fail(fileName, `${nors.length} NOR lines, expected one`);
  const nor = nors[0]!;
  if (!NOR_PATTERN.test(nor)) throw fail(fileName, `"${nor}" is not a NOR`);

  const here = jorfLink(fileName, title);
  const eliLink = info.ELI.length ? jorfLink(info.ELI[0]!, title) : null;
  const eli = eliLink?.nor ? new URL(eliLink.url).pathname : here?.nor ? new URL(here.url).pathname : null;
  if (eli && !eli.includes(`/${nor}/`)) throw fail(fileName, `the ELI ${eli} is not that of NOR ${nor}`);
  const canonical = $(PAGE_SELECTORS.canonical).attr("href");
  const cid = (canonical ? jorfLink(canonical, title)?.cid : null) ?? here?.cid ?? null;
  if (cid && !JORFTEXT_PATTERN.test(cid)) throw fail(fileName, `"${cid}" is not a JORFTEXT id`);
  if (!cid && !eli) throw fail(fileName, "neither a JORFTEXT id nor an ELI");

  const warnings: string[] = [];
  const articles: JorfArticle[] = [];
  const annex: JorfArticle[] = [];
  main.find(PAGE_SELECTORS.article).each((i, el) => {
    const names = $(el).find(PAGE_SELECTORS.articleName);
    if (names.length !== 1)
      throw fail(fileName, `article ${i + 1} has ${names.length} headings, expected one`);
    const name = clean(names.text());
    const contents = $(el).find(PAGE_SELECTORS.articleContent);
    if (contents.length !== 1)
      throw fail(fileName, `${name || `article ${i + 1}`} has ${contents.length} contents, expected one`);
    const text = blockText(contents.toArray());
    if (!name || !text) throw fail(fileName, `${name || `article ${i + 1}`} is empty`);
    if (ANNEX_NAME.test(name)) annex.push({ name, text });
    else {
      if (!ARTICLE_NAME.test(name)) warnings.push(`${nor}: unexpected article heading "${name}"`);
      articles.push({ name, text });
    }
  });
  if (!articles.length)
    throw fail(fileName, `no ${PAGE_SELECTORS.article} with a ${PAGE_SELECTORS.articleName}`);

  const modifiedBy: JorfLink[] = [];
  main.find(PAGE_SELECTORS.linkHeadings).each((_, h) => {
    if ($(h).closest(PAGE_SELECTORS.article).length) return;
    if (!LINK_HEADING.test(clean($(h).text()))) return;
    $(h)
      .parent()
      .find("a[href]")
      .each((_, a) => {
        const link = jorfLink($(a).attr("href")!, $(a).text());
        if (link && link.nor !== nor && link.cid !== cid && !modifiedBy.some((l) => l.url === link.url))
          modifiedBy.push(link);
      });
  });

  return {
    via: "page",
    nor,
    cid,
    eli,
    title,
    jorf: { number: jo[1]!, date },
    visas: blockText(main.find(PAGE_SELECTORS.visas).toArray()),
    articles,
    annex,
    signature: blockText(main.find(PAGE_SELECTORS.signature).toArray()),
    declaredAmends: [],
    modifiedBy,
    warnings,
  };
}
