// HTML read as lines of text, one way for every source that reads a page or
// a fragment of one (Légifrance, GOV.UK, the Canada Gazette, the UAMA page,
// the DSGL): a line per block (paragraph, heading, list item, table row),
// inline markup joined into its line, spaces collapsed and NFC. What differs
// between sources is asked for, not written again: whether a table's cells
// share their row's line, how raised text reads, what an element writes
// before its text.

import { normalizeText } from "@regwatch/core/text";
import type { contains } from "cheerio/slim";

/** A node of cheerio's tree (domhandler's AnyNode, which cheerio does not re-export). */
export type AnyNode = Parameters<typeof contains>[1];
/** An element of that tree. */
export type ElementNode = AnyNode & { name: string; attribs: Record<string, string>; children: AnyNode[] };

// Elements that start a line of their own; everything else is inline and its
// text joins the line it is in ("1<sup>er</sup> mars" reads "1er mars").
const BLOCK = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "body",
  "caption",
  "dd",
  "div",
  "dl",
  "dt",
  "figcaption",
  "figure",
  "footer",
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
  "tfoot",
  "thead",
  "tr",
  "ul",
]);
const CELL = new Set(["td", "th"]);
const HEADING = /^h([1-6])$/;

// Elements whose content is code or an embedded document, never regulation text.
const CODE = new Set(["script", "style", "noscript", "template", "iframe", "object", "embed"]);

export interface HtmlLine {
  text: string;
  /** 1–6 for a heading (`<h2>` is 2, or what `headingLevel` says), 0 for any other block. */
  level: number;
  /** The block element whose start began the line (null for text after a nested block ended). */
  block: ElementNode | null;
}

export interface HtmlLinesOptions {
  /** A table's cells: on their row's line, a space apart (default), or a line each. */
  cells?: "row" | "line";
  /** Raised text: joined as it is (default: "1<sup>er</sup>" is "1er"), or after a caret ("10<sup>-4</sup>" is "10^-4"). */
  sup?: "join" | "caret";
  /**
   * Script, style and embedded documents are skipped (default). A source
   * that must keep whatever its body holds gives what to write instead (the
   * element's markup, as characters, on a line of its own).
   */
  code?: (el: ElementNode) => string;
  /** A heading level for an element that is not h1–h6 (a Word style kept as a class), else 0. */
  headingLevel?: (el: ElementNode) => number;
  /** What an element writes before its text (the marker a browser draws before an ordered list's item), or "". */
  prefix?: (el: ElementNode) => string;
}

const isElement = (n: AnyNode): n is ElementNode =>
  (n.type as string) === "tag" || (n.type as string) === "script" || (n.type as string) === "style";

/** The text of `nodes` as lines, one per block, normalized (spaces collapsed, NFC); empty lines dropped. */
export function htmlLines(nodes: AnyNode | readonly AnyNode[], options: HtmlLinesOptions = {}): HtmlLine[] {
  const lines: HtmlLine[] = [];
  let current = "";
  let level = 0;
  let block: ElementNode | null = null;
  const flush = () => {
    const text = normalizeText(current);
    if (text) lines.push({ text, level, block });
    current = "";
    level = 0;
    block = null;
  };
  const walk = (n: AnyNode) => {
    if ((n.type as string) === "text") {
      current += (n as { data: string }).data;
      return;
    }
    // Comments, directives and CDATA are not text.
    if (!isElement(n)) return;
    const name = n.name.toLowerCase();
    if (CODE.has(name)) {
      if (!options.code) return;
      flush();
      current = options.code(n);
      flush();
      return;
    }
    if (name === "br") {
      flush();
      return;
    }
    const cell = CELL.has(name);
    const heading = Number(HEADING.exec(name)?.[1] ?? 0) || (options.headingLevel?.(n) ?? 0);
    const starts = heading > 0 || BLOCK.has(name) || (cell && options.cells === "line");
    if (starts) {
      flush();
      block = n;
      level = heading;
    }
    if (cell) current += " ";
    if (name === "sup" && options.sup === "caret") current += "^";
    if (options.prefix) current += options.prefix(n);
    for (const child of n.children) walk(child);
    if (cell) current += " ";
    if (starts) flush();
  };
  for (const n of Array.isArray(nodes) ? nodes : [nodes as AnyNode]) walk(n);
  flush();
  return lines;
}

/** The text of `nodes`, its lines joined by newlines. */
export function htmlText(nodes: AnyNode | readonly AnyNode[], options: HtmlLinesOptions = {}): string {
  return htmlLines(nodes, options)
    .map((l) => l.text)
    .join("\n");
}

/**
 * Page chrome that may stand inside the part of a page a source reads, as
 * selectors: scripts and frames, navigation, forms, hidden parts, and
 * breadcrumbs, share and print links. Sources remove it (with their own
 * additions) before reading, so a change to any of it is not a change.
 */
export const CHROME_SELECTORS: readonly string[] = [
  "script",
  "style",
  "noscript",
  "template",
  "nav",
  "form",
  "button",
  "iframe",
  "svg",
  "[hidden]",
  '[aria-hidden="true"]',
  '[class*="breadcrumb"]',
  '[class*="share"]',
  '[class*="social"]',
  '[class*="print"]',
];
