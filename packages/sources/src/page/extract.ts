// The part of a web page that matters, as blocks of text. A watched page is
// an official page with no feed (a ministry notice, an eligibility page): what
// a reader would call its content changes rarely, while everything around it
// (menus, banners, cookie notices, "page generated at 07:20", session tokens
// in links) may change on every request. Only the content is kept, so a
// change in the chrome is never a change of the page.

import { decodeText } from "@regwatch/core/encoding";
import { ResponseTooLargeError, SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import { type CheerioAPI, type contains, load } from "cheerio/slim";
import { MONTHS } from "../dates.ts";

/** A node of cheerio's tree (domhandler's AnyNode, which cheerio does not re-export). */
type AnyNode = Parameters<typeof contains>[1];
interface ElementNode {
  type: string;
  name: string;
  attribs: Record<string, string>;
  children: AnyNode[];
  parent: AnyNode | null;
}

export type BlockKind = "h" | "p" | "li" | "tr";

/** One block of the page's content, in page order. */
export interface PageBlock {
  kind: BlockKind;
  /** 1–6 for headings. */
  level: number | null;
  /** Normalized (NFC, spaces collapsed); a table row's cells joined with " | ". */
  text: string;
  /** The texts of the headings this block stands under, outermost first (a heading's own path excludes itself). */
  headings: string[];
}

/** A link to a document file (PDF, Word, Excel, OpenDocument, RTF) in the content. */
export interface DocumentLink {
  /** The address as a key: absolute, no fragment, session and tracking parameters taken out. */
  url: string;
  /** The address as linked (absolute), which is what a fetch asks for. */
  href: string;
  /** What the link says (or its title, or the file name). */
  text: string;
}

export interface ExtractedPage {
  blocks: PageBlock[];
  documents: DocumentLink[];
  /** What was read: the caller's selector, or the default that matched (`main`, `article`, `body`, `document`). */
  selector: string;
  /** How many elements the selector matched (nested matches counted once). */
  matched: number;
  /** The page's `<title>`, for display; never compared. */
  title: string | null;
  /** `<html lang>`: the original language, kept with the snapshot. */
  language: string | null;
}

export interface ExtractOptions {
  /** The page's address: relative links are resolved against it (or against `<base href>`). */
  url: string;
  /** CSS selector of the part that matters; absent: `main`, else `article`, else `body`. */
  selector?: string | null;
}

/** Past this many blocks a page is not one page of rules but a site map or a data dump: narrow it with a selector. */
export const MAX_BLOCKS = 5000;
/** Past this many document links, likewise (each is fetched once, so this bounds a first run). */
export const MAX_DOCUMENT_LINKS = 200;
/** A page's HTML larger than this is not an official notice but something to narrow at the source (8 MiB). */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024;
/** Nesting deeper than this is not a real page (real pages stay under ~60); the walk is recursive. */
const MAX_DEPTH = 400;

const DEFAULT_SELECTORS = ["main, [role=main]", "article", "body"] as const;

// Elements that are never content: what runs, what is drawn, what is filled in.
const NEVER_CONTENT = new Set([
  "head",
  "title",
  "meta",
  "link",
  "base",
  "noscript",
  "template",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "svg",
  "canvas",
  "audio",
  "video",
  "form",
  "button",
  "select",
  "option",
  "input",
  "textarea",
  "dialog",
  "nav",
  "aside",
  "menu",
]);

// ARIA landmarks and widgets of page chrome.
const CHROME_ROLES = new Set([
  "navigation",
  "banner",
  "contentinfo",
  "search",
  "complementary",
  "dialog",
  "alertdialog",
  "menu",
  "menubar",
]);

// Cookie and consent banners (and the consent platforms' own containers),
// breadcrumbs, skip links: matched on id and class, which sites name after them.
const CHROME_NAMES =
  /cookie|consent|gdpr|onetrust|cookiebot|usercentrics|didomi|trustarc|breadcrumb|skip-?link|skip-?to-|back-?to-?top/i;

// Sectioning elements whose own header and footer belong to the content
// (an article's title), unlike the page's banner and footer.
const CONTENT_SECTIONS = new Set(["article", "main", "section"]);

const HEADING = /^h([1-6])$/;

// Elements that start a block of their own; everything else is inline and
// joins the text of the block it is in ("1<sup>er</sup> mars" reads "1er mars").
const BLOCK_ELEMENTS = new Set([
  "address",
  "article",
  "blockquote",
  "body",
  "caption",
  "center",
  "dd",
  "details",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "header",
  "hgroup",
  "hr",
  "html",
  "legend",
  "main",
  "ol",
  "p",
  "pre",
  "section",
  "summary",
  "table",
  "tbody",
  "tfoot",
  "thead",
  "ul",
]);

const clean = (s: string) => normalizeText(s).normalize("NFC");

const isElement = (n: AnyNode): n is AnyNode & ElementNode => (n.type as string) === "tag";

function closestContentSection(el: ElementNode | null): boolean {
  for (let n: ElementNode | null = el; n; n = n.parent as ElementNode | null) {
    if (n.type !== "tag") continue;
    if (CONTENT_SECTIONS.has(n.name)) return true;
    const role = n.attribs.role?.toLowerCase();
    if (role === "main" || role === "article") return true;
  }
  return false;
}

/**
 * Whether an element is page chrome, never content. `inContent`: whether it
 * stands inside an article, main or section, where a header is the
 * article's own (its title) rather than the site's banner.
 */
function isChrome(el: ElementNode, inContent: boolean): boolean {
  if (NEVER_CONTENT.has(el.name)) return true;
  const a = el.attribs;
  if ("hidden" in a || a["aria-hidden"] === "true") return true;
  if (a.style && /display\s*:\s*none|visibility\s*:\s*hidden/i.test(a.style)) return true;
  const role = a.role?.toLowerCase();
  if (role && CHROME_ROLES.has(role)) return true;
  if ((a.id && CHROME_NAMES.test(a.id)) || (a.class && CHROME_NAMES.test(a.class))) return true;
  if ((el.name === "header" || el.name === "footer") && !inContent) return true;
  // A time of day is when the page was rendered or refreshed, not when a rule was made;
  // a plain date in <time> (a notice's publication date) is kept.
  if (el.name === "time" && (/T\d/.test(a.datetime ?? "") || /\b\d{1,2}:\d{2}\b/.test(textOf(el))))
    return true;
  return false;
}

function textOf(node: AnyNode | ElementNode): string {
  const n = node as AnyNode;
  if ((n.type as string) === "text") return (n as { data: string }).data;
  if (!isElement(n)) return "";
  return n.children.map(textOf).join("");
}

// ---------------------------------------------------------------------------
// Stamps: a block that is nothing but "Last updated: 20 April 2025, 07:20".

const STAMP_LABELS = [
  /^(?:(?:this\s+)?(?:page|site|content)\s+(?:was\s+)?)?(?:last\s+)?(?:generated|rendered|updated|modified|refreshed|reviewed|printed|retrieved|accessed|cached)(?:\s+(?:on|at))?\s*:?\s*/i,
  /^(?:current|server|local)\s+(?:date|time)(?:\s+and\s+time)?\s*:?\s*/i,
  /^(?:stand|zuletzt\s+(?:aktualisiert|geändert)|dernière\s+mise\s+à\s+jour(?:\s+le)?|mis\s+à\s+jour\s+le|última\s+actualización|ultimo\s+aggiornamento|laatst\s+(?:bijgewerkt|gewijzigd)|sist\s+(?:oppdatert|endret)|senast\s+uppdaterad|päivitetty|最終更新日?)\s*[:：]?\s*/iu,
];
const DATE_WORDS = new Set(
  [
    ...Object.values(MONTHS).flatMap((names) => [...names]),
    ...["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"],
    ...["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    ...["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    ...["am", "pm", "a.m.", "p.m.", "utc", "gmt", "cet", "cest", "bst", "est", "edt", "jst", "z"],
    ...["at", "on", "of", "um", "à", "h", "uhr", "kl", "klo", "den", "le", "el", "il", "de", "del"],
    ...["st", "nd", "rd", "th", "er", "t"],
    ...["年", "月", "日"],
  ].map((w) => w.toLowerCase()),
);

/** A block that says only when the page was rendered or last touched: chrome, not content. */
export function isStamp(text: string): boolean {
  if (text.length > 120) return false;
  for (const label of STAMP_LABELS) {
    const m = label.exec(text);
    if (!m || m[0].length === 0) continue;
    const rest = text.slice(m[0].length);
    // The label alone: its date was a <time> of day, already taken out.
    if (!rest) return true;
    const words = rest
      .toLowerCase()
      .split(/[\s,;/()+\-–—]+|(?<=\d)(?=\p{L})|(?<=\p{L})(?=\d)/u)
      .filter(Boolean);
    if (words.every((w) => /^[\d.:]+$/.test(w) || DATE_WORDS.has(w) || DATE_WORDS.has(w.replace(/\.$/, ""))))
      return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Document links.

const DOCUMENT_EXTENSIONS = new Set(["pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "rtf"]);
const DOCUMENT_TYPES = new Set([
  "application/pdf",
  "application/msword",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.ms-excel",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.oasis.opendocument.text",
  "application/vnd.oasis.opendocument.spreadsheet",
  "application/rtf",
  "text/rtf",
]);

// Parameters that name a visit, not a document: session ids, CSRF tokens,
// analytics and campaign tags. Taken out of a document's key so that the
// same file linked in two visits is one document.
const SESSION_PARAMS =
  /^(?:jsessionid|phpsessid|aspsessionid\w*|sid|sessionid|session_id|session|cfid|cftoken|_csrf|csrf|csrf_?token|csrfmiddlewaretoken|authenticity_token|nonce|_ga|_gl|gclid|fbclid|msclkid|mc_cid|mc_eid|utm_\w+)$/i;

/** A document's address as its key: no fragment, no `;jsessionid=`, no session or tracking parameters. */
export function documentKeyUrl(href: string): string {
  const u = new URL(href);
  u.hash = "";
  u.pathname = u.pathname.replace(/;jsessionid=[^/]*/gi, "");
  for (const name of [...u.searchParams.keys()]) if (SESSION_PARAMS.test(name)) u.searchParams.delete(name);
  if (u.search === "?") u.search = "";
  return u.href;
}

function documentLinkOf(el: ElementNode, base: URL): DocumentLink | null {
  const raw = el.attribs.href?.trim();
  if (!raw) return null;
  let href: URL;
  try {
    href = new URL(raw, base);
  } catch {
    return null;
  }
  if (href.protocol !== "http:" && href.protocol !== "https:") return null;
  const extension = /\.([a-z0-9]{2,5})$/i.exec(href.pathname.replace(/;.*$/, ""))?.[1]?.toLowerCase();
  const type = el.attribs.type?.split(";")[0]?.trim().toLowerCase();
  if (!(extension && DOCUMENT_EXTENSIONS.has(extension)) && !(type && DOCUMENT_TYPES.has(type))) return null;
  href.hash = "";
  const last = href.pathname.split("/").pop() ?? "";
  let fileName = last;
  try {
    fileName = decodeURIComponent(last);
  } catch {
    // A stray "%" in a file name: shown as written.
  }
  fileName ||= href.hostname;
  const text =
    clean(textOf(el)) || clean(el.attribs.title ?? "") || clean(el.attribs["aria-label"] ?? "") || fileName;
  return { url: documentKeyUrl(href.href), href: href.href, text };
}

// ---------------------------------------------------------------------------
// The walk.

/** Outermost elements of a selection: a match inside another match is read once, with it. */
function outermost(nodes: readonly ElementNode[]): ElementNode[] {
  const set = new Set(nodes);
  return nodes.filter((n) => {
    for (let p = n.parent as ElementNode | null; p; p = p.parent as ElementNode | null) {
      if (set.has(p)) return false;
    }
    return true;
  });
}

function selectRoots($: CheerioAPI, selector: string | null | undefined): { roots: AnyNode[]; used: string } {
  if (selector) {
    let found: ElementNode[];
    try {
      found = $(selector).toArray() as unknown as ElementNode[];
    } catch (err) {
      throw new SourceShapeChangedError(`selector "${selector}" is not valid CSS: ${(err as Error).message}`);
    }
    const roots = outermost(found);
    if (!roots.length)
      throw new SourceShapeChangedError(`the selector "${selector}" matches nothing on the page`);
    return { roots: roots as unknown as AnyNode[], used: selector };
  }
  for (const candidate of DEFAULT_SELECTORS) {
    const roots = outermost($(candidate).toArray() as unknown as ElementNode[]);
    if (roots.length) return { roots: roots as unknown as AnyNode[], used: candidate.split(",")[0]! };
  }
  // A fragment with no <body> (htmlparser2 does not invent one): the whole document.
  return { roots: [$.root()[0] as AnyNode], used: "document" };
}

/** Whether a selector is valid CSS (for `regwatch watch`, before anything is stored); the reason when not. */
export function selectorProblem(selector: string): string | null {
  try {
    load("<p></p>")(selector);
    return null;
  } catch (err) {
    return `selector "${selector}" is not valid CSS: ${(err as Error).message}`;
  }
}

/**
 * The content of a page as blocks: headings, paragraphs, list items, table
 * rows (cells joined with " | "), in page order, each with the headings it
 * stands under; and the document files it links. Script and style are never
 * text; markup written *as text* in the page (`&lt;script&gt;`) is a text
 * node and is kept as text, never run. The HTML is taken as a browser would
 * (HTML is forgiving); what it cannot be is checked before (`readHtml`).
 */
export function extractPage(html: string, options: ExtractOptions): ExtractedPage {
  const $ = load(html);
  const language = clean($("html").first().attr("lang") ?? "") || null;
  const title = clean($("title").first().text()) || null;
  let base: URL;
  try {
    base = new URL($("base[href]").first().attr("href") ?? "", options.url);
  } catch {
    base = new URL(options.url);
  }
  const { roots, used } = selectRoots($, options.selector);

  const blocks: PageBlock[] = [];
  const documents = new Map<string, DocumentLink>();
  // Headings in force: a heading closes every heading of its level and deeper.
  const headingStack: { level: number; text: string }[] = [];
  // The kind of block the text being gathered will be: the innermost heading, list item or row.
  const kinds: BlockKind[] = [];
  let buffer = "";

  const push = (kind: BlockKind, text: string, level: number | null) => {
    if (!text || isStamp(text)) return;
    if (blocks.length >= MAX_BLOCKS)
      throw new SourceShapeChangedError(
        `the page has more than ${MAX_BLOCKS} blocks of text: not one page of rules; narrow it with a selector`,
      );
    if (kind === "h") {
      while (headingStack.length && headingStack[headingStack.length - 1]!.level >= level!)
        headingStack.pop();
      blocks.push({ kind, level, text, headings: headingStack.map((h) => h.text) });
      headingStack.push({ level: level!, text });
      return;
    }
    blocks.push({ kind, level: null, text, headings: headingStack.map((h) => h.text) });
  };
  let headingLevel: number | null = null;
  const flush = () => {
    const text = clean(buffer);
    buffer = "";
    const kind = kinds[kinds.length - 1] ?? "p";
    push(kind, text, kind === "h" ? headingLevel : null);
  };

  const collectLink = (el: ElementNode) => {
    if (el.name !== "a") return;
    const link = documentLinkOf(el, base);
    if (!link || documents.has(link.url)) return;
    if (documents.size >= MAX_DOCUMENT_LINKS)
      throw new SourceShapeChangedError(
        `the page links more than ${MAX_DOCUMENT_LINKS} documents: narrow it with a selector`,
      );
    documents.set(link.url, link);
  };

  /** The text of a table cell, flattened (a paragraph or list inside a cell reads as one line). */
  const cellText = (node: AnyNode, inContent: boolean, depth: number): string => {
    if ((node.type as string) === "text") return (node as { data: string }).data;
    if (!isElement(node) || isChrome(node, inContent)) return "";
    if (depth > MAX_DEPTH) throw tooDeep();
    collectLink(node);
    if (node.name === "br") return " ";
    const inner = node.children.map((c) => cellText(c, inContent, depth + 1)).join("");
    return BLOCK_ELEMENTS.has(node.name) || node.name === "li" || node.name === "tr" ? ` ${inner} ` : inner;
  };

  // `isRoot`: the element the selector chose is read whatever it looks like (a `nav.toc` asked
  // for by name; a <body class="cookie-banner-open">); chrome is looked for inside it.
  const walk = (node: AnyNode, inContent: boolean, depth: number, isRoot = false): void => {
    if ((node.type as string) === "text") {
      buffer += (node as { data: string }).data;
      return;
    }
    // Comments, <script> and <style> (their own node types in htmlparser2), directives: never text.
    if ((node.type as string) === "root") {
      for (const child of (node as unknown as ElementNode).children) walk(child, inContent, depth + 1);
      return;
    }
    if (!isElement(node)) return;
    if (depth > MAX_DEPTH) throw tooDeep();
    if (!isRoot && isChrome(node, inContent)) return;
    collectLink(node);
    const name = node.name;
    const within = inContent || CONTENT_SECTIONS.has(name);
    const heading = HEADING.exec(name);
    if (name === "br") {
      buffer += " ";
    } else if (heading || name === "li") {
      flush();
      kinds.push(heading ? "h" : "li");
      const outerLevel = headingLevel;
      if (heading) headingLevel = Number(heading[1]);
      for (const child of node.children) walk(child, within, depth + 1);
      flush();
      kinds.pop();
      headingLevel = outerLevel;
    } else if (name === "tr") {
      flush();
      const cells = node.children.filter(
        (c): c is AnyNode & ElementNode => isElement(c) && (c.name === "td" || c.name === "th"),
      );
      const texts = cells.map((c) => (isChrome(c, within) ? "" : clean(cellText(c, within, depth + 1))));
      while (texts.length && !texts[texts.length - 1]) texts.pop();
      if (texts.some(Boolean)) push("tr", texts.join(" | "), null);
    } else if (BLOCK_ELEMENTS.has(name)) {
      flush();
      for (const child of node.children) walk(child, within, depth + 1);
      flush();
    } else {
      for (const child of node.children) walk(child, within, depth + 1);
    }
  };

  for (const root of roots) {
    const el = root as unknown as ElementNode;
    const inContent = el.type === "tag" ? closestContentSection(el) : false;
    walk(root, inContent, 0, true);
    flush();
  }
  return {
    blocks,
    documents: [...documents.values()],
    selector: used,
    matched: roots.length,
    title,
    language,
  };
}

function tooDeep(): SourceShapeChangedError {
  return new SourceShapeChangedError(`the page nests elements deeper than ${MAX_DEPTH} levels`);
}

// ---------------------------------------------------------------------------
// Bytes to HTML, strictly.

const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);

/**
 * The page's bytes as HTML text: an HTML content type (when one is given),
 * a strict decoding by the declared charset, markup at the start, an html,
 * head or body element, and an end when it has a start. A PDF, JSON, a
 * binary body, a body cut short or over MAX_PAGE_BYTES is a clear error,
 * never a partial page.
 */
export function readHtml(body: Uint8Array, contentType: string | null | undefined, where: string): string {
  if (body.byteLength > MAX_PAGE_BYTES)
    throw new ResponseTooLargeError(
      `${where}: page of ${body.byteLength} bytes is over the ${MAX_PAGE_BYTES}-byte cap for a watched page`,
    );
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  if (type && !HTML_TYPES.has(type))
    throw new SourceShapeChangedError(`${where}: the server sent ${type}, not an HTML page`);
  const text = decodeText(body, contentType).text.replace(/^\ufeff/, "");
  if (text.includes("\u0000")) throw new SourceShapeChangedError(`${where}: binary data, not an HTML page`);
  if (!text.trimStart().startsWith("<"))
    throw new SourceShapeChangedError(`${where}: not an HTML page (it does not start with markup)`);
  const head = text.slice(0, 65_536);
  if (!/<(?:!doctype\s+html|html|head|body)[\s>]/i.test(head))
    throw new SourceShapeChangedError(`${where}: not an HTML page (no <html>, <head> or <body> element)`);
  if (/<html[\s>]/i.test(head) && !/<\/(?:html|body)\s*>/i.test(text.slice(-65_536)))
    throw new SourceShapeChangedError(`${where}: the HTML is cut short (no </body> or </html>)`);
  return text;
}
