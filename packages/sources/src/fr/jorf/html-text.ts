// Text out of Légifrance HTML (a rendered page, or the HTML the PISTE API
// puts in `content`), the same way for both, so that one text read either
// way gives one document and not an "amended" record.

import { normalizeText } from "@regwatch/core/text";
import { type CheerioAPI, type contains, load } from "cheerio/slim";

/** A node of cheerio's tree (domhandler's AnyNode, which cheerio does not re-export). */
export type AnyNode = Parameters<typeof contains>[1];

/** Normalized (spaces collapsed, NFC), as every stored string. */
export const clean = (s: string) => normalizeText(s).normalize("NFC");

// Elements that start a line of their own. Everything else is inline: its
// text joins the line it is in ("1<sup>er</sup> mars" reads "1er mars").
const BLOCK = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "dd",
  "div",
  "dl",
  "dt",
  "figcaption",
  "figure",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "table",
  "tbody",
  "thead",
  "tfoot",
  "tr",
  "ul",
]);
// Cells of one row stay on one line, apart.
const CELL = new Set(["td", "th"]);

/**
 * The text of a node, one line per block (paragraph, list item, table row),
 * normalized, empty lines dropped. Script, style and comments are not text
 * and are skipped; markup written *as text* in the source (`&lt;script&gt;`)
 * is a text node and is kept, as text.
 */
export function blockText(node: AnyNode | AnyNode[]): string {
  const lines: string[] = [];
  let current = "";
  const flush = () => {
    const line = clean(current);
    if (line) lines.push(line);
    current = "";
  };
  const walk = (n: AnyNode) => {
    const type = n.type as string;
    if (type === "text") {
      current += (n as { data: string }).data;
      return;
    }
    // "script", "style", "comment", "directive", "cdata": not regulation text.
    if (type !== "tag") return;
    const el = n as AnyNode & { name: string; children: AnyNode[] };
    const name = el.name.toLowerCase();
    if (name === "br") {
      flush();
      return;
    }
    if (name === "template" || name === "noscript") return;
    const block = BLOCK.has(name);
    if (block) flush();
    if (CELL.has(name)) current += " ";
    for (const child of el.children) walk(child);
    if (CELL.has(name)) current += " ";
    if (block) flush();
  };
  for (const n of Array.isArray(node) ? node : [node]) walk(n);
  flush();
  return lines.join("\n");
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
