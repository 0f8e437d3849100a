// Text out of Légifrance HTML (a rendered page, or the HTML the PISTE API
// puts in `content`), the same way for both, so that one text read either
// way gives one document and not an "amended" record.

import { normalizeText } from "@regwatch/core/text";
import { type CheerioAPI, load } from "cheerio/slim";
import { type AnyNode, htmlText } from "../../html-lines.ts";

export type { AnyNode } from "../../html-lines.ts";

/** Normalized (spaces collapsed, NFC), as every stored string. */
export const clean = (s: string) => normalizeText(s).normalize("NFC");

/**
 * The text of a node, one line per block (paragraph, list item, table row,
 * its cells apart on it), normalized, empty lines dropped. Script, style and
 * comments are not text and are skipped; markup written *as text* in the
 * source (`&lt;script&gt;`) is a text node and is kept, as text.
 */
export function blockText(node: AnyNode | AnyNode[]): string {
  return htmlText(node);
}

/** The text of an HTML fragment (an article's `content` from the API). */
export function fragmentText(html: string): string {
  const $ = load(html, null, false);
  return blockText($.root().contents().toArray());
}

/** The whole page as cheerio reads it (the browser's serialization is a full document). */
export function loadPage(html: string): CheerioAPI {
  return load(html);
}
